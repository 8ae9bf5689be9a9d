//! Parquet and Arrow IPC files: [`read_parquet`] / [`write_parquet`], [`read_ipc`] /
//! [`write_ipc`], and their `_path` forms.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, Schema as ArrowSchema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;

use super::read::ArrowTableBuilder;
use super::{arrow_error, io_error};
use crate::csv_io::{CsvOptions, CsvReport};
use crate::error::{Result, open_file};
use crate::schema::Schema;
use crate::table::Table;

/// Rows per record batch when decoding a Parquet file.
const BATCH_ROWS: usize = 8_192;
/// The magic bytes at the start of an Arrow IPC *file* (Feather v2); a *stream* has none.
const IPC_FILE_MAGIC: &[u8; 6] = b"ARROW1";

/// Reads a Parquet file into a [`Table`] checked against `schema`, with the same policies and
/// errors as [`read_csv`](crate::read_csv) (see [`ArrowTableBuilder`] for the Arrow types each
/// column kind accepts).
///
/// The file is decoded one row group at a time, in batches of a few thousand rows, each
/// pushed into the table being built and dropped; every codec pandas, polars and Spark write
/// by default is supported (snappy, zstd, gzip, lz4).
///
/// # Errors
/// [`crate::ReadError::Arrow`] for a file that is not valid Parquet; otherwise as
/// [`ArrowTableBuilder`].
pub fn read_parquet<R: ChunkReader + 'static>(
    reader: R,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    let parquet = ParquetRecordBatchReaderBuilder::try_new(reader)
        .map_err(arrow_error)?
        .with_batch_size(BATCH_ROWS);
    let n_groups = parquet.metadata().num_row_groups();
    let mut builder = ArrowTableBuilder::new(parquet.schema(), schema, options)?;
    // One reader over the row groups in order; the decoder holds one row group's pages at a
    // time. (A streaming fit would plug in here, consuming batches instead of a table.)
    let batches = parquet
        .with_row_groups((0..n_groups).collect())
        .build()
        .map_err(arrow_error)?;
    for batch in batches {
        builder.push_batch(&batch.map_err(arrow_error)?)?;
    }
    builder.finish()
}

/// Reads the Parquet file at `path`; see [`read_parquet`].
///
/// # Errors
/// [`crate::DataError::Io`] if the file cannot be opened; otherwise as [`read_parquet`].
pub fn read_parquet_path(
    path: impl AsRef<Path>,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    read_parquet(open_file(path.as_ref())?, schema, options)
}

/// Writes `table` as a Parquet file (snappy-compressed, the Arrow schema of
/// [`arrow_schema`](crate::arrow_schema) embedded so that pandas gets categoricals, nullable
/// integers and datetimes back; datetimes as `timestamp[ms]`, which every Parquet reader
/// knows). Reading it back gives the same table.
///
/// # Errors
/// As [`Table::to_arrow`]; [`crate::ReadError::Arrow`] / [`crate::DataError::Io`] when writing fails.
pub fn write_parquet<W: Write + Send>(table: &Table, schema: &Schema, writer: W) -> Result<()> {
    let batch = parquet_compatible(table.to_arrow(schema)?)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(writer, batch.schema(), Some(props)).map_err(arrow_error)?;
    w.write(&batch).map_err(arrow_error)?;
    w.close().map_err(arrow_error)?;
    Ok(())
}

/// The batch with its `timestamp[s]` columns as `timestamp[ms]`: Parquet has no unit of
/// seconds, and other readers (pyarrow, polars, Spark) read a seconds column written by
/// arrow-rs as plain integers. Whole seconds stay exact.
fn parquet_compatible(batch: RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        match field.data_type() {
            DataType::Timestamp(TimeUnit::Second, tz) => {
                let to = DataType::Timestamp(TimeUnit::Millisecond, tz.clone());
                columns.push(arrow_cast::cast(column, &to).map_err(arrow_error)?);
                fields.push(field.as_ref().clone().with_data_type(to));
            }
            _ => {
                columns.push(column.clone());
                fields.push(field.as_ref().clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns).map_err(arrow_error)
}

/// Writes `table` to the Parquet file at `path` (created or truncated); see [`write_parquet`].
///
/// # Errors
/// [`crate::DataError::Io`] if the file cannot be created; otherwise as [`write_parquet`].
pub fn write_parquet_path(table: &Table, schema: &Schema, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let file = File::create(path).map_err(|e| io_error(path, &e))?;
    write_parquet(table, schema, file)
}

/// Reads an Arrow IPC file (Feather v2) or stream into a [`Table`] checked against `schema`;
/// the format is recognised by its first bytes. Compressed buffers (lz4, zstd) are supported.
///
/// # Errors
/// [`crate::ReadError::Arrow`] for input that is not Arrow IPC; otherwise as [`ArrowTableBuilder`].
pub fn read_ipc<R: Read + Seek>(
    mut reader: R,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    let start = reader
        .stream_position()
        .map_err(|e| io_error(Path::new("<reader>"), &e))?;
    let mut magic = [0u8; 6];
    let is_file = reader.read_exact(&mut magic).is_ok() && &magic == IPC_FILE_MAGIC;
    reader
        .seek(SeekFrom::Start(start))
        .map_err(|e| io_error(Path::new("<reader>"), &e))?;
    if is_file {
        let ipc = FileReader::try_new(reader, None).map_err(arrow_error)?;
        let arrow_schema = ipc.schema();
        super::read_arrow_batches(&arrow_schema, ipc, schema, options)
    } else {
        let ipc = StreamReader::try_new(reader, None).map_err(arrow_error)?;
        let arrow_schema = ipc.schema();
        super::read_arrow_batches(&arrow_schema, ipc, schema, options)
    }
}

/// Reads the Arrow IPC file at `path`; see [`read_ipc`].
///
/// # Errors
/// [`crate::DataError::Io`] if the file cannot be opened; otherwise as [`read_ipc`].
pub fn read_ipc_path(
    path: impl AsRef<Path>,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    read_ipc(BufReader::new(open_file(path.as_ref())?), schema, options)
}

/// Writes `table` as an Arrow IPC file (Feather v2, uncompressed), readable by
/// `pyarrow.feather.read_table`, `polars.read_ipc` and [`read_ipc`].
///
/// # Errors
/// As [`Table::to_arrow`]; [`crate::ReadError::Arrow`] when writing fails.
pub fn write_ipc<W: Write>(table: &Table, schema: &Schema, writer: W) -> Result<()> {
    let batch = table.to_arrow(schema)?;
    let mut w = FileWriter::try_new(writer, &batch.schema()).map_err(arrow_error)?;
    w.write(&batch).map_err(arrow_error)?;
    w.finish().map_err(arrow_error)?;
    Ok(())
}

/// Writes tables of one schema — chunks of synthetic rows, say — one after another as one
/// Parquet or Arrow IPC file, so that memory holds one chunk at a time (each chunk is a
/// Parquet row group or an IPC record batch). `id` columns are numbered 1, 2, 3, … across
/// the chunks, as in one table.
///
/// ```
/// use tabveil_data::{Column, ColumnSchema, ColumnarWriter, CsvOptions, Schema, Table, read_ipc};
///
/// let schema = Schema::new("t", vec![ColumnSchema::id("id"), ColumnSchema::continuous("x", None, None)])?;
/// let chunk = |xs: Vec<f64>| Table::new(&schema, vec![Column::id("id"), Column::continuous("x", xs)]);
/// let mut bytes = Vec::new();
/// let mut writer = ColumnarWriter::ipc(&mut bytes, &schema)?;
/// writer.write(&chunk(vec![1.0, 2.0])?)?;
/// writer.write(&chunk(vec![3.0])?)?;
/// assert_eq!(writer.finish()?, 3);
/// let (back, _) = read_ipc(std::io::Cursor::new(bytes), &schema, &CsvOptions::default())?;
/// assert_eq!(back.column("x").unwrap().as_continuous(), Some(&[1.0, 2.0, 3.0][..]));
/// assert_eq!(back.n_rows(), 3);
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
pub struct ColumnarWriter<W: Write + Send> {
    inner: ColumnarInner<W>,
    schema: Schema,
    rows: usize,
}

enum ColumnarInner<W: Write + Send> {
    Parquet(Box<ArrowWriter<W>>),
    Ipc(Box<FileWriter<W>>),
}

impl<W: Write + Send> std::fmt::Debug for ColumnarWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnarWriter")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> ColumnarWriter<W> {
    /// A Parquet writer (as [`write_parquet`]).
    ///
    /// # Errors
    /// [`crate::ReadError::Arrow`] when the header cannot be written.
    pub fn parquet(writer: W, schema: &Schema) -> Result<Self> {
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let arrow = parquet_compatible(RecordBatch::new_empty(super::arrow_schema(schema)))?;
        let w = ArrowWriter::try_new(writer, arrow.schema(), Some(props)).map_err(arrow_error)?;
        Ok(ColumnarWriter {
            inner: ColumnarInner::Parquet(Box::new(w)),
            schema: schema.clone(),
            rows: 0,
        })
    }

    /// An Arrow IPC file writer (as [`write_ipc`]).
    ///
    /// # Errors
    /// [`crate::ReadError::Arrow`] when the header cannot be written.
    pub fn ipc(writer: W, schema: &Schema) -> Result<Self> {
        let w = FileWriter::try_new(writer, &super::arrow_schema(schema)).map_err(arrow_error)?;
        Ok(ColumnarWriter {
            inner: ColumnarInner::Ipc(Box::new(w)),
            schema: schema.clone(),
            rows: 0,
        })
    }

    /// Writes the rows of `table` (a table of the writer's schema).
    ///
    /// # Errors
    /// As [`Table::to_arrow`]; [`crate::ReadError::Arrow`] when writing fails.
    pub fn write(&mut self, table: &Table) -> Result<()> {
        let batch = renumber_ids(table.to_arrow(&self.schema)?, &self.schema, self.rows)?;
        match &mut self.inner {
            ColumnarInner::Parquet(w) => {
                w.write(&parquet_compatible(batch)?).map_err(arrow_error)?;
                // One row group per chunk: memory holds one chunk's encoded rows.
                w.flush().map_err(arrow_error)?;
            }
            ColumnarInner::Ipc(w) => w.write(&batch).map_err(arrow_error)?,
        }
        self.rows += table.n_rows();
        Ok(())
    }

    /// Writes the file's footer; the number of rows written.
    ///
    /// # Errors
    /// [`crate::ReadError::Arrow`] when writing fails.
    pub fn finish(self) -> Result<usize> {
        match self.inner {
            ColumnarInner::Parquet(w) => {
                w.close().map_err(arrow_error)?;
            }
            ColumnarInner::Ipc(mut w) => w.finish().map_err(arrow_error)?,
        }
        Ok(self.rows)
    }
}

/// The batch with its `id` columns numbered from `offset + 1`.
fn renumber_ids(batch: RecordBatch, schema: &Schema, offset: usize) -> Result<RecordBatch> {
    if offset == 0
        || !schema
            .columns()
            .iter()
            .any(|c| matches!(c.kind(), crate::ColumnKind::Id))
    {
        return Ok(batch);
    }
    let n = batch.num_rows() as i64;
    let start = offset as i64;
    let columns = batch
        .columns()
        .iter()
        .zip(schema.columns())
        .map(|(column, cs)| match cs.kind() {
            crate::ColumnKind::Id => Arc::new(arrow_array::Int64Array::from_iter_values(
                start + 1..=start + n,
            )) as arrow_array::ArrayRef,
            _ => column.clone(),
        })
        .collect();
    RecordBatch::try_new(batch.schema(), columns).map_err(arrow_error)
}

/// Writes `table` to the Arrow IPC file at `path` (created or truncated); see [`write_ipc`].
///
/// # Errors
/// [`crate::DataError::Io`] if the file cannot be created; otherwise as [`write_ipc`].
pub fn write_ipc_path(table: &Table, schema: &Schema, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let file = File::create(path).map_err(|e| io_error(path, &e))?;
    let mut out = std::io::BufWriter::new(file);
    write_ipc(table, schema, &mut out)?;
    out.flush().map_err(|e| io_error(path, &e))
}
