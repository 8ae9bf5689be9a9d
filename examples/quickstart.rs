//! Quickstart: a differentially private synthetic copy of a CSV file with the facade.
//!
//! ```text
//! cargo run --release --example quickstart                  # a short fit (CI runs this)
//! cargo run --release --example quickstart -- --epochs 30   # better quality, a few minutes
//! ```
//!
//! Reads the bundled UCI Adult training split and its schema, fits DP-CTGAN at ε = 3,
//! δ = 1e-6, writes 1 000 synthetic rows and the privacy report into a temporary directory, and
//! prints where they are.

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::path::Path;

use anyhow::Context;
use tabveil::prelude::*;

fn main() -> anyhow::Result<()> {
    let epochs = epochs_arg()?;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/adult");

    // The schema is public knowledge: bounds and category lists declared by the data owner,
    // not read from the rows (in private mode tabveil refuses a column without them).
    let schema = Schema::from_path(data.join("schema.json"))?;
    let (table, _notes) = read_csv_path(data.join("train.csv"), &schema, &CsvOptions::default())?;
    println!(
        "read {} rows × {} columns",
        table.n_rows(),
        table.n_columns()
    );

    // One builder for the whole job. Privacy is a required step: .private(ε, δ) or
    // .non_private(), nothing in between.
    let synth = Synthesizer::builder()
        .ctgan()
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(epochs)
        .batch_size(500)
        .seed(7)
        .build()?;
    // Validation runs first: a plan that cannot meet (ε, δ) is refused with the validator's
    // findings before any privacy is spent.
    let fitted = synth.fit(&table, &schema)?;
    for warning in fitted.warnings() {
        println!("{warning}");
    }
    let spent = fitted
        .epsilon_spent()?
        .context("a private fit has a ledger")?;
    println!(
        "fitted {} epochs ({} steps); ε = {spent:.3} spent of 3 at δ = 1e-6",
        fitted.summary().epochs,
        fitted.summary().steps
    );

    // Sampling is post-processing: as many rows as you like, no extra privacy cost.
    let synthetic = fitted.sample(1_000, 42)?;
    let out = std::env::temp_dir().join("tabveil-quickstart");
    std::fs::create_dir_all(&out)?;
    write_csv_path(&synthetic, &schema, out.join("synthetic.csv"))?;
    let report = fitted.report()?;
    std::fs::write(out.join("report.md"), report.to_markdown())?;
    std::fs::write(out.join("report.html"), report.to_html()?)?;
    println!("{}", report.headline);
    println!(
        "wrote synthetic.csv, report.md and report.html to {}",
        out.display()
    );
    Ok(())
}

/// `--epochs N` (default 1: a quick run).
fn epochs_arg() -> anyhow::Result<usize> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(1),
        [flag, n] if flag == "--epochs" => Ok(n.parse()?),
        _ => anyhow::bail!("usage: quickstart [--epochs N]"),
    }
}
