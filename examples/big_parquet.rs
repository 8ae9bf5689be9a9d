//! Writes `ROWS` synthetic rows of a fitted model as one Parquet file, in bounded memory: the
//! rows are sampled in chunks (seeds `SEED`, `SEED + 1`, …) and each chunk is written as one
//! row group. Used by `scripts/bench/stream_fit.sh` to make a table larger than a fit should
//! hold in memory.
//!
//! ```text
//! cargo run --release --features arrow --example big_parquet -- MODEL_DIR ROWS OUT.parquet [CHUNK_ROWS] [SEED]
//! ```

#![allow(clippy::print_stderr, reason = "a generator reports its progress")]

use std::path::PathBuf;

use anyhow::{Context, bail};
use tabveil::Fitted;
use tabveil::data::ColumnarWriter;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        bail!(
            "usage: big_parquet MODEL_DIR ROWS OUT.parquet [CHUNK_ROWS (default 500000)] [SEED (default 1)]"
        );
    }
    let model = PathBuf::from(&args[0]);
    let rows: usize = args[1].parse().context("ROWS: a whole number")?;
    let out = PathBuf::from(&args[2]);
    let chunk: usize = match args.get(3) {
        Some(c) => c.parse().context("CHUNK_ROWS: a whole number")?,
        None => 500_000,
    };
    let seed: u64 = match args.get(4) {
        Some(s) => s.parse().context("SEED: a whole number")?,
        None => 1,
    };
    let fitted = Fitted::load(&model).with_context(|| format!("loading {}", model.display()))?;
    let file =
        std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = ColumnarWriter::parquet(std::io::BufWriter::new(file), fitted.schema())?;
    let mut written = 0;
    let mut k = 0;
    while written < rows {
        let n = chunk.max(1).min(rows - written);
        writer.write(&fitted.sample(n, seed + k)?)?;
        written += n;
        k += 1;
        eprintln!("{written} / {rows} rows");
    }
    writer.finish()?;
    Ok(())
}
