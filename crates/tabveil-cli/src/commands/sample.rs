//! `tabveil sample`: synthetic rows from a saved model, streamed in chunks to a CSV file
//! (written atomically), a special file or stdout (`--out -`), or as Parquet or Arrow IPC (by
//! extension) one row group or record batch per chunk: memory does not grow with `--rows`
//! (the marginal model draws all its rows together, so it holds them once).

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Args;
use tabveil::data::{ColumnarWriter, CsvWriter, TableFormat};
use tabveil::models::Condition;

use super::UsageError;
use crate::{atomic, input};

/// Rows generated and written at a time.
const CHUNK_ROWS: usize = 10_000;

/// Sample synthetic rows from a saved model (post-processing: costs no privacy).
#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// The model directory written by `tabveil fit`.
    #[arg(long, value_name = "MODEL_DIR")]
    model: PathBuf,
    /// Number of rows (any number: they are written as they are generated).
    #[arg(long, allow_hyphen_values = true, value_name = "N")]
    rows: usize,
    /// Only rows where the categorical column COL is VALUE (repeatable).
    #[arg(long = "condition", value_name = "COL=VALUE")]
    conditions: Vec<String>,
    /// Seed of the generation.
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "K",
        default_value_t = 0
    )]
    seed: u64,
    /// The file to write: CSV, Parquet or Arrow IPC by extension (replaced atomically; written
    /// through for a FIFO or device; `-` for CSV on stdout). Every format is written chunk by
    /// chunk.
    #[arg(long, value_name = "OUT.csv")]
    out: PathBuf,
    /// Print the outcome as one JSON object (on stderr when the rows go to stdout).
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn run(args: &SampleArgs, quiet: bool) -> anyhow::Result<()> {
    if args.rows == 0 {
        return Err(UsageError::new("--rows", "must be at least 1").into());
    }
    let conditions = args
        .conditions
        .iter()
        .map(|c| parse_condition(c))
        .collect::<Result<Vec<_>, _>>()?;
    let fitted = input::model(&args.model)?;
    // Opened before any row is generated: an output that cannot be written fails at once.
    let mut out = atomic::create(&args.out)?;
    let to_stdout = out.is_stdout();
    let chunks: Box<dyn Iterator<Item = tabveil::Result<tabveil::data::Table>>> = if conditions
        .is_empty()
    {
        Box::new(fitted.sample_chunks(args.rows, args.seed, CHUNK_ROWS))
    } else {
        Box::new(fitted.sample_conditional_chunks(args.rows, &conditions, args.seed, CHUNK_ROWS))
    };
    let what = if conditions.is_empty() {
        "sampling"
    } else {
        "conditional sampling"
    };
    // A bad condition (or a first chunk that fails) is reported before anything is written,
    // not even the header.
    let mut chunks = chunks.peekable();
    if let Some(Err(_)) = chunks.peek()
        && let Some(Err(e)) = chunks.next()
    {
        return Err(anyhow::Error::new(e).context(what));
    }
    let mut watch = Watch {
        inner: &mut out,
        broken_pipe: false,
    };
    let format = if to_stdout {
        TableFormat::Csv
    } else {
        TableFormat::from_path(&args.out)
    };
    let written = match format {
        TableFormat::Csv => write_rows(&mut watch, fitted.schema(), chunks, what),
        columnar => write_columnar(&mut watch, fitted.schema(), chunks, what, columnar),
    };
    if watch.broken_pipe {
        // The reader went away (`| head`): not a failure, and nothing more to write.
        return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into());
    }
    let rows = written?;
    let target = out.to_string();
    out.commit()?;
    if args.json {
        let line = serde_json::json!({ "rows": rows, "out": target }).to_string();
        if to_stdout {
            writeln!(std::io::stderr().lock(), "{line}")?;
        } else {
            writeln!(std::io::stdout().lock(), "{line}")?;
        }
    } else if !quiet && !to_stdout {
        writeln!(
            std::io::stdout().lock(),
            "{rows} synthetic rows written to {target}"
        )?;
    }
    Ok(())
}

/// Writes every chunk as CSV; the number of rows written.
fn write_rows(
    out: &mut impl Write,
    schema: &tabveil::data::Schema,
    chunks: impl Iterator<Item = tabveil::Result<tabveil::data::Table>>,
    what: &'static str,
) -> anyhow::Result<usize> {
    let mut writer = CsvWriter::new(out, schema).context("writing the CSV")?;
    for chunk in chunks {
        writer
            .write_table(&chunk.context(what)?)
            .context("writing the CSV")?;
    }
    let rows = writer.rows();
    writer.finish().context("writing the CSV")?;
    Ok(rows)
}

/// Writes every chunk in a columnar `format` (one Parquet row group or Arrow IPC batch per
/// chunk, passed on to `out` as soon as it is encoded: memory holds one chunk); the number of
/// rows.
fn write_columnar(
    out: &mut impl Write,
    schema: &tabveil::data::Schema,
    chunks: impl Iterator<Item = tabveil::Result<tabveil::data::Table>>,
    what: &'static str,
    format: TableFormat,
) -> anyhow::Result<usize> {
    let context = || format!("writing the {}", format.name());
    // The Parquet writer needs a `Send` sink, which the output (a boxed writer) is not: it
    // writes into this buffer, emptied into `out` after every chunk.
    let pipe = Pipe::default();
    let mut writer = match format {
        TableFormat::ArrowIpc => ColumnarWriter::ipc(pipe.clone(), schema),
        _ => ColumnarWriter::parquet(pipe.clone(), schema),
    }
    .with_context(context)?;
    pipe.drain_into(out).with_context(context)?;
    for chunk in chunks {
        writer.write(&chunk.context(what)?).with_context(context)?;
        pipe.drain_into(out).with_context(context)?;
    }
    let rows = writer.finish().with_context(context)?;
    pipe.drain_into(out).with_context(context)?;
    Ok(rows)
}

/// A `Send` in-memory sink whose bytes are taken out as they come.
#[derive(Clone, Default)]
struct Pipe(Arc<Mutex<Vec<u8>>>);

impl Pipe {
    fn drain_into(&self, out: &mut impl Write) -> std::io::Result<()> {
        let bytes = std::mem::take(&mut *self.lock()?);
        out.write_all(&bytes)
    }

    fn lock(&self) -> std::io::Result<std::sync::MutexGuard<'_, Vec<u8>>> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the output buffer was poisoned"))
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lock()?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that remembers whether its reader went away (the CSV writer's errors do not keep
/// the I/O error's kind).
struct Watch<'a, W: Write> {
    inner: &'a mut W,
    broken_pipe: bool,
}

impl<W: Write> Write for Watch<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.note(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.note(e))
    }
}

impl<W: Write> Watch<'_, W> {
    fn note(&mut self, e: &std::io::Error) {
        self.broken_pipe |= e.kind() == std::io::ErrorKind::BrokenPipe;
    }
}

fn parse_condition(raw: &str) -> Result<Condition, UsageError> {
    Condition::parse(raw).ok_or_else(|| {
        UsageError::new(
            "--condition",
            format!("`{raw}`: expected COL=VALUE, e.g. --condition sex=Female"),
        )
    })
}
