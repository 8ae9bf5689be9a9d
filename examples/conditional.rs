//! Conditional sampling: synthetic rows where chosen categorical columns take chosen values —
//! post-processing of the fitted model, free in privacy terms.
//!
//! ```text
//! cargo run --release --example conditional
//! ```
//!
//! Fits DP-CTGAN (ε = 4, δ = 1e-6) on a generated customer table where the plan drives the
//! support level and the spend, then samples premium and basic customers separately and
//! compares them. At this budget, table size and training length the private model learns the
//! marginals well and the dependence only partly (the support shares move in the right
//! direction, the spend barely): the example shows the API, `tabveil demo` shows quality on real
//! data.

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use tabveil::models::Privacy;
use tabveil::prelude::*;

fn main() -> anyhow::Result<()> {
    let schema = Schema::new(
        "customers",
        vec![
            ColumnSchema::categorical("plan", ["basic", "premium"]),
            ColumnSchema::categorical("support", ["standard", "priority"]),
            ColumnSchema::categorical("region", ["north", "south", "east", "west"]),
            ColumnSchema::continuous("spend", Some(0.0), Some(500.0)),
        ],
    )?;
    let table = customers(&schema, 10_000)?;
    println!("real: basic customers 10 % priority support, mean spend 100; premium 90 %, 300");

    // A smaller network than SDV's default, so that the example runs in seconds.
    let config = CtganConfig::new(Privacy::NonPrivate)
        .with_dims(vec![64, 64], vec![64, 64])
        .with_embedding_dim(32);
    let fitted = Synthesizer::builder()
        .ctgan_with(config)
        .private(Epsilon(4.0), Delta(1e-6))
        .epochs(epochs_arg()?)
        .batch_size(500)
        .seed(3)
        .build()?
        .fit(&table, &schema)?;
    println!(
        "fitted: ε = {:.3} spent of 4",
        fitted.epsilon_spent()?.unwrap_or(f64::NAN)
    );

    for plan in ["basic", "premium"] {
        let rows = fitted.sample_conditional(500, &[Condition::new("plan", plan)], 11)?;
        println!(
            "{plan:>8}: 500 rows, {:.0} % with priority support, mean spend {:.0}",
            100.0 * share(&rows, "support", 1),
            mean(&rows, "spend")
        );
    }
    // Several conditions at once: premium customers in the east.
    let east = fitted.sample_conditional(
        100,
        &[
            Condition::new("plan", "premium"),
            Condition::new("region", "east"),
        ],
        12,
    )?;
    println!(
        "premium in the east: {} rows, mean spend {:.0}",
        east.n_rows(),
        mean(&east, "spend")
    );
    // A value outside the schema's categories is a typed error, not an empty table.
    match fitted.sample_conditional(10, &[Condition::new("plan", "gold")], 0) {
        Err(err) => println!("plan = gold: {err}"),
        Ok(_) => anyhow::bail!("an unknown category was accepted"),
    }
    Ok(())
}

/// Premium customers spend about 300, basic ones about 100.
fn customers(schema: &Schema, n: usize) -> anyhow::Result<Table> {
    let regions = ["north", "south", "east", "west"];
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let premium = i % 3 == 0;
            let wobble = ((i * 37) % 100) as f64 - 50.0;
            let spend = if premium { 300.0 } else { 100.0 } + wobble;
            // Nine premium customers in ten have priority support, one basic customer in ten.
            let priority = premium != (i % 10 == 0);
            vec![
                Value::from(if premium { "premium" } else { "basic" }),
                Value::from(if priority { "priority" } else { "standard" }),
                Value::from(regions[(i / 3) % 4]),
                Value::Number(spend),
            ]
        })
        .collect();
    Ok(Table::from_rows(schema, &rows)?)
}

/// The share of rows whose categorical `column` has category index `code`.
fn share(table: &Table, column: &str, code: u32) -> f64 {
    let codes = table
        .column(column)
        .and_then(|c| c.as_categorical())
        .unwrap_or(&[]);
    codes.iter().filter(|&&c| c == code).count() as f64 / codes.len().max(1) as f64
}

fn mean(table: &Table, column: &str) -> f64 {
    let values = table
        .column(column)
        .and_then(|c| c.as_continuous())
        .unwrap_or(&[]);
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// `--epochs N` (default 10).
fn epochs_arg() -> anyhow::Result<usize> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(10),
        [flag, n] if flag == "--epochs" => Ok(n.parse()?),
        _ => anyhow::bail!("usage: conditional [--epochs N]"),
    }
}
