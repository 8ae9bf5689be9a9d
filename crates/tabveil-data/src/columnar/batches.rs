//! [`TableBatches`]: a Parquet or Arrow IPC file read as a sequence of checked tables of
//! bounded size, and [`ColumnarSource`], a file of either format as a [`TableSource`] (one
//! pass per call, one batch in memory at a time).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_schema::ArrowError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use super::arrow_error;
use super::read::ArrowTableBuilder;
use crate::csv_io::{CsvNote, CsvOptions};
use crate::error::{DataError, ReadError, Result, open_file};
use crate::format::TableFormat;
use crate::schema::Schema;
use crate::source::{Batches, TableSource};
use crate::table::Table;

/// Rows per batch unless set otherwise: a few megabytes of cells for a table of a dozen
/// columns.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
/// The magic bytes at the start of an Arrow IPC *file* (Feather v2); a *stream* has none.
const IPC_FILE_MAGIC: &[u8; 6] = b"ARROW1";

type RecordBatches<'a> =
    Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + 'a>;

/// A Parquet or Arrow IPC file read as checked [`Table`]s of at most `batch_rows` rows each,
/// in row order: every cell is checked against the [`Schema`] exactly as
/// [`read_parquet`](crate::read_parquet) / [`read_ipc`](crate::read_ipc) check it (the same
/// [`ArrowTableBuilder`], the same typed errors at the same 0-based rows, counted from the
/// file's first row). Memory holds one batch: the decoder's current Parquet pages (or Arrow
/// IPC record batch) and one table of at most `batch_rows` rows.
///
/// After an error the iterator ends. Categories discovered from the data (a categorical
/// column without `categories` in the schema) are those of each batch: consumers that need
/// one domain match labels, not codes.
///
/// ```
/// use tabveil_data::{ColumnSchema, CsvOptions, Schema, Table, TableBatches, Value, write_parquet_path};
///
/// let schema = Schema::new("t", vec![ColumnSchema::continuous("x", Some(0.0), Some(99.0))])?;
/// let rows: Vec<Vec<Value>> = (0..10).map(|i| vec![Value::Number(i as f64)]).collect();
/// let path = std::env::temp_dir().join(format!("tabveil-batches-{}.parquet", std::process::id()));
/// write_parquet_path(&Table::from_rows(&schema, &rows)?, &schema, &path)?;
/// let file = std::fs::File::open(&path).unwrap();
/// let batches = TableBatches::parquet(file, &schema, &CsvOptions::default(), 4)?;
/// assert_eq!(batches.total_rows(), Some(10)); // from the footer, no data read
/// let sizes: Vec<usize> = batches.map(|t| t.map(|t| t.n_rows())).collect::<Result<_, _>>()?;
/// assert_eq!(sizes, [4, 4, 2]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
pub struct TableBatches<'s> {
    builder: ArrowTableBuilder<'s>,
    inner: RecordBatches<'s>,
    /// The rest of a record batch longer than `batch_rows`.
    pending: Option<RecordBatch>,
    batch_rows: usize,
    total_rows: Option<usize>,
    notes: Vec<CsvNote>,
    done: bool,
}

impl std::fmt::Debug for TableBatches<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableBatches")
            .field("builder", &self.builder)
            .field("batch_rows", &self.batch_rows)
            .finish_non_exhaustive()
    }
}

impl<'s> TableBatches<'s> {
    /// The batches of a Parquet file (row groups in order, `batch_rows` rows at a time; 0 is
    /// taken as 1).
    ///
    /// # Errors
    /// [`crate::ReadError::Arrow`] for a file that is not valid Parquet; the header errors of
    /// [`ArrowTableBuilder::new`].
    pub fn parquet<R: ChunkReader + 'static>(
        reader: R,
        schema: &'s Schema,
        options: &CsvOptions,
        batch_rows: usize,
    ) -> Result<Self> {
        let batch_rows = batch_rows.max(1);
        let parquet = ParquetRecordBatchReaderBuilder::try_new(reader)
            .map_err(arrow_error)?
            .with_batch_size(batch_rows);
        // The footer's row count: metadata, no data read.
        let total = parquet.metadata().file_metadata().num_rows();
        let builder = ArrowTableBuilder::new(parquet.schema(), schema, options)?;
        let inner = parquet.build().map_err(arrow_error)?;
        Ok(Self::from_parts(
            builder,
            Box::new(inner),
            batch_rows,
            usize::try_from(total).ok(),
        ))
    }

    /// The batches of an Arrow IPC file (Feather v2) or stream, recognised by its first
    /// bytes; record batches longer than `batch_rows` are cut (the IPC reader holds one
    /// record batch as written). The total row count is not known in advance.
    ///
    /// # Errors
    /// [`crate::ReadError::Arrow`] for input that is not Arrow IPC; the header errors of
    /// [`ArrowTableBuilder::new`].
    pub fn ipc<R: Read + Seek + 's>(
        mut reader: R,
        schema: &'s Schema,
        options: &CsvOptions,
        batch_rows: usize,
    ) -> Result<Self> {
        let batch_rows = batch_rows.max(1);
        let start = reader
            .stream_position()
            .map_err(|e| super::io_error(Path::new("<reader>"), &e))?;
        let mut magic = [0u8; 6];
        let is_file = reader.read_exact(&mut magic).is_ok() && &magic == IPC_FILE_MAGIC;
        reader
            .seek(SeekFrom::Start(start))
            .map_err(|e| super::io_error(Path::new("<reader>"), &e))?;
        let (arrow_schema, inner): (_, RecordBatches<'s>) = if is_file {
            let ipc = FileReader::try_new(reader, None).map_err(arrow_error)?;
            (ipc.schema(), Box::new(ipc))
        } else {
            let ipc = StreamReader::try_new(reader, None).map_err(arrow_error)?;
            (ipc.schema(), Box::new(ipc))
        };
        let builder = ArrowTableBuilder::new(&arrow_schema, schema, options)?;
        Ok(Self::from_parts(builder, inner, batch_rows, None))
    }

    fn from_parts(
        builder: ArrowTableBuilder<'s>,
        inner: RecordBatches<'s>,
        batch_rows: usize,
        total_rows: Option<usize>,
    ) -> Self {
        TableBatches {
            builder,
            inner,
            pending: None,
            batch_rows,
            total_rows,
            notes: Vec::new(),
            done: false,
        }
    }

    /// The file's row count from its metadata (Parquet), without reading any data; `None`
    /// for Arrow IPC.
    ///
    /// **Private like the table's row count**: use it as the table's
    /// [`n_rows`](Table::n_rows) may be used (progress on the data holder's own terminal, not
    /// anything a model keeps, saves or reports).
    pub fn total_rows(&self) -> Option<usize> {
        self.total_rows
    }

    /// Rows yielded so far.
    pub fn rows_read(&self) -> usize {
        self.builder.n_rows()
    }

    /// The reader's notes so far (ignored columns; categories read from the data, once per
    /// column), as [`read_csv`](crate::read_csv) reports them.
    pub fn notes(&self) -> &[CsvNote] {
        &self.notes
    }

    fn next_batch(&mut self) -> Option<Result<Table>> {
        loop {
            let batch = match self.pending.take() {
                Some(b) => b,
                None => match self.inner.next()? {
                    Ok(b) => b,
                    Err(e) => return Some(Err(arrow_error(e))),
                },
            };
            if batch.num_rows() == 0 {
                continue;
            }
            let batch = if batch.num_rows() > self.batch_rows {
                let rest = batch.slice(self.batch_rows, batch.num_rows() - self.batch_rows);
                self.pending = Some(rest);
                batch.slice(0, self.batch_rows)
            } else {
                batch
            };
            let chunk = self
                .builder
                .push_batch(&batch)
                .and_then(|()| self.builder.finish_chunk());
            return Some(chunk.map(|(table, report)| {
                for note in report.notes() {
                    if !self.notes.contains(note) {
                        self.notes.push(note.clone());
                    }
                }
                table
            }));
        }
    }
}

impl Iterator for TableBatches<'_> {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_batch();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

/// A Parquet or Arrow IPC file (by extension, as [`TableFormat::from_path`]) as a
/// [`TableSource`]: each pass opens the file and reads it with [`TableBatches`], so memory
/// holds one batch whatever the file's size.
///
/// ```
/// use tabveil_data::{ColumnSchema, ColumnarSource, CsvOptions, Schema, Table, TableSource, Value, write_parquet_path};
///
/// let schema = Schema::new("t", vec![ColumnSchema::continuous("x", Some(0.0), Some(99.0))])?;
/// let rows: Vec<Vec<Value>> = (0..10).map(|i| vec![Value::Number(i as f64)]).collect();
/// let path = std::env::temp_dir().join(format!("tabveil-source-{}.parquet", std::process::id()));
/// write_parquet_path(&Table::from_rows(&schema, &rows)?, &schema, &path)?;
/// let mut source = ColumnarSource::new(&path, &schema, &CsvOptions::default())?.with_batch_rows(3);
/// assert_eq!(source.total_rows(), Some(10));
/// for _pass in 0..2 {
///     let mut sum = 0.0;
///     for batch in source.batches()? {
///         sum += batch?.column("x").unwrap().as_continuous().unwrap().iter().sum::<f64>();
///     }
///     assert_eq!(sum, 45.0);
/// }
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ColumnarSource {
    path: PathBuf,
    format: TableFormat,
    schema: Schema,
    options: CsvOptions,
    batch_rows: usize,
    total_rows: Option<usize>,
}

impl ColumnarSource {
    /// The file at `path`, checked against `schema` with `options`; its Parquet footer is read
    /// (and the file's kind checked) here.
    ///
    /// # Errors
    /// [`crate::DataError::Io`] if the file cannot be opened; [`crate::ReadError::Arrow`] if
    /// it is not Parquet / Arrow IPC, or its extension names CSV
    /// ([`ColumnarSource::is_columnar`] tells beforehand); the header errors of
    /// [`ArrowTableBuilder::new`].
    pub fn new(path: impl AsRef<Path>, schema: &Schema, options: &CsvOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let format = TableFormat::from_path(&path);
        let mut source = ColumnarSource {
            path,
            format,
            schema: schema.clone(),
            options: options.clone(),
            batch_rows: DEFAULT_BATCH_ROWS,
            total_rows: None,
        };
        let total = source.open()?.total_rows();
        source.total_rows = total;
        Ok(source)
    }

    /// True when `path` names a file this source reads (Parquet or Arrow IPC by extension).
    pub fn is_columnar(path: &Path) -> bool {
        !matches!(TableFormat::from_path(path), TableFormat::Csv)
    }

    /// Sets the rows per batch (0 is taken as 1).
    ///
    /// # Defaults
    /// [`DEFAULT_BATCH_ROWS`].
    #[must_use]
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// The row count of a Parquet file's footer (`None` for Arrow IPC); private like the
    /// table's row count, see [`TableBatches::total_rows`].
    pub fn total_rows(&self) -> Option<usize> {
        self.total_rows
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A pass over the file.
    ///
    /// # Errors
    /// As [`ColumnarSource::new`].
    pub fn open(&self) -> Result<TableBatches<'_>> {
        let file: File = open_file(&self.path)?;
        match self.format {
            TableFormat::Parquet => {
                TableBatches::parquet(file, &self.schema, &self.options, self.batch_rows)
            }
            TableFormat::ArrowIpc => TableBatches::ipc(
                BufReader::new(file),
                &self.schema,
                &self.options,
                self.batch_rows,
            ),
            TableFormat::Csv => Err(DataError::Read(ReadError::Arrow {
                message: format!(
                    "{}: not a Parquet or Arrow IPC file name (.parquet, .pq, .arrow, .feather, .ipc)",
                    self.path.display()
                ),
            })),
        }
    }
}

impl TableSource for ColumnarSource {
    fn batches(&mut self) -> Result<Batches<'_>> {
        let batches = self.open()?;
        Ok(Box::new(batches.map(|t| t.map(Cow::Owned))))
    }
}
