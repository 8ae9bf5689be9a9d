//! [`infer_schema_arrow`]: a draft schema from Arrow record batches, with the same loud
//! warning as [`infer_schema`](crate::infer_schema).

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema as ArrowSchema};

use super::arrow_error;
use crate::csv_io::infer::{ColumnStats, with_warning};
use crate::csv_io::{CsvOptions, InferredSchema};
use crate::error::{DataError, ReadError, Result};

/// Infers a schema from Arrow record batches (of `arrow_schema`), as
/// [`infer_schema`](crate::infer_schema) does from CSV text: each cell is taken as the text
/// Arrow writes for it (`1.5`, `true`, `2021-03-04T05:06:07`), text cells go through the CSV
/// options' trimming and null tokens, and Arrow nulls are missing values. Dictionary-encoded
/// columns (pandas and polars categoricals) are always categorical.
///
/// The bounds and categories are read from the data: **not private**, as the returned
/// [`NotPrivateWarning`](crate::NotPrivateWarning) says.
///
/// # Errors
/// [`crate::ReadError::DuplicateHeader`]; [`crate::ReadError::Arrow`] when a batch does not match the
/// schema or a column cannot be shown as text; schema errors if the result is not a valid
/// schema.
pub fn infer_schema_arrow<'b>(
    arrow_schema: &ArrowSchema,
    batches: impl IntoIterator<Item = &'b RecordBatch>,
    name: &str,
    options: &CsvOptions,
) -> Result<InferredSchema> {
    let header: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            return Err(DataError::Read(ReadError::DuplicateHeader {
                column: h.clone(),
            }));
        }
    }
    let mut stats: Vec<ColumnStats> = header.iter().map(|_| ColumnStats::default()).collect();
    for batch in batches {
        if batch.num_columns() != header.len() {
            return Err(DataError::Read(ReadError::Arrow {
                message: "a record batch has other columns than the schema".to_owned(),
            }));
        }
        for (array, st) in batch.columns().iter().zip(&mut stats) {
            let text = arrow_cast::cast(array, &DataType::Utf8).map_err(arrow_error)?;
            let text = text.as_string::<i32>();
            for i in 0..text.len() {
                if text.is_null(i) {
                    st.nulls += 1;
                    continue;
                }
                let raw = text.value(i);
                let cell = if options.trim() { raw.trim() } else { raw };
                if options.is_null(cell) {
                    st.nulls += 1;
                } else {
                    st.add(cell);
                }
            }
        }
    }
    let columns = header
        .iter()
        .zip(stats)
        .zip(arrow_schema.fields())
        .map(|((name, st), field)| match field.data_type() {
            DataType::Dictionary(..) => st.into_categorical(name),
            _ => st.into_column(name),
        })
        .collect();
    with_warning(name, columns)
}

/// Reads Arrow record batches (of `arrow_schema`) as a [`RawTable`](crate::RawTable), the
/// input of private schema discovery: each cell as the text Arrow writes for it (as
/// [`infer_schema_arrow`] sees it), text cells trimmed and null tokens recognised as `options`
/// says, Arrow nulls missing. Nothing is inferred: the fields are kept as text.
///
/// # Errors
/// [`crate::ReadError::DuplicateHeader`]; [`crate::ReadError::Arrow`] when a batch does not
/// match the schema, a column cannot be shown as text, or the stream yields an error.
pub fn read_raw_arrow<I>(
    arrow_schema: &ArrowSchema,
    batches: I,
    options: &CsvOptions,
) -> Result<crate::RawTable>
where
    I: IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
{
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut columns: Vec<Vec<Option<String>>> = names.iter().map(|_| Vec::new()).collect();
    for batch in batches {
        let batch = batch.map_err(arrow_error)?;
        if batch.num_columns() != names.len() {
            return Err(DataError::Read(ReadError::Arrow {
                message: "a record batch has other columns than the schema".to_owned(),
            }));
        }
        for (array, out) in batch.columns().iter().zip(&mut columns) {
            let text = arrow_cast::cast(array, &DataType::Utf8).map_err(arrow_error)?;
            let text = text.as_string::<i32>();
            out.reserve(text.len());
            for i in 0..text.len() {
                if text.is_null(i) {
                    out.push(None);
                    continue;
                }
                let raw = text.value(i);
                let cell = if options.trim() { raw.trim() } else { raw };
                out.push((!options.is_null(cell)).then(|| cell.to_owned()));
            }
        }
    }
    crate::RawTable::new(names, columns)
}
