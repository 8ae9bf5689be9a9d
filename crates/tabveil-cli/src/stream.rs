//! The streamed read of `tabveil fit --model marginal` on a Parquet or Arrow IPC file: the
//! file as a [`TableSource`] of bounded batches, with a bar of rows read on stderr.
//!
//! The row count of the Parquet footer is private like the table's: it is shown on the data
//! holder's own terminal and used as the in-memory path uses the table's (the validation, the
//! record of a non-private fit), never by the model.

use std::path::Path;

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tabveil::data::{Batches, ColumnarSource, CsvOptions, Schema, TableSource};

use crate::input;
use crate::progress::Terminal;

/// The file at `path` as batches, and its row count.
pub(crate) struct StreamedTable {
    source: ColumnarSource,
    total: Option<usize>,
    bar: Option<ProgressBar>,
    terminal: Terminal,
    passes: usize,
}

impl StreamedTable {
    /// Opens `path` (its footer is read, and its columns matched with the schema).
    pub(crate) fn open(
        path: &Path,
        schema: &Schema,
        options: &CsvOptions,
        terminal: Terminal,
    ) -> anyhow::Result<Self> {
        let source = ColumnarSource::new(path, schema, options)
            .map_err(|e| anyhow!(input::data_error(path, &e)))?;
        let total = source.total_rows();
        Ok(StreamedTable {
            source,
            total,
            bar: None,
            terminal,
            passes: 0,
        })
    }

    /// The table's row count: the footer's (Parquet), or counted in a pass (Arrow IPC).
    pub(crate) fn n_rows(&mut self) -> anyhow::Result<usize> {
        if let Some(n) = self.total {
            return Ok(n);
        }
        let path = self.source.path().to_path_buf();
        let error = |e: tabveil::data::DataError| anyhow!(input::data_error(&path, &e));
        let mut n = 0;
        for batch in self.batches().map_err(error)? {
            n += batch.map_err(error)?.n_rows();
        }
        self.total = Some(n);
        Ok(n)
    }

    /// Clears the bar.
    pub(crate) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl TableSource for StreamedTable {
    fn batches(&mut self) -> tabveil::data::Result<Batches<'_>> {
        self.passes += 1;
        let pass = self.passes;
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.terminal.quiet {
            return self.source.batches();
        }
        let bar = match self.total {
            Some(n) => ProgressBar::new(n as u64),
            None => ProgressBar::no_length(),
        };
        if !self.terminal.bars {
            bar.set_draw_target(ProgressDrawTarget::hidden());
            self.terminal.note(&format!(
                "reading {} (pass {pass})",
                self.source.path().display()
            ));
        }
        bar.set_style(
            ProgressStyle::with_template(
                "reading (pass {msg}) [{bar:30}] {human_pos}/{human_len} rows {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(pass.to_string());
        self.bar = Some(bar.clone());
        let batches = self.source.batches()?;
        Ok(Box::new(batches.inspect(move |b| {
            if let Ok(t) = b {
                bar.inc(t.n_rows() as u64);
            }
        })))
    }
}
