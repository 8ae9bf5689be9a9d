//! Issue 16 (larger than memory): the marginal model fitted on a Parquet file streamed in
//! small batches ([`Marginal::fit_source`]) is the model fitted on the same table in memory —
//! byte-identical saved model and identical ledger for the same configuration and privacy
//! randomness — in private mode (where numeric resolutions come from N̂ and the file may be
//! read more than once) and in non-private mode (bounds and categories read from the data).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions panic on failure"
)]

use std::borrow::Cow;
use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tabveil_data::{
    Batches, ColumnSchema, ColumnarSource, ColumnarWriter, CsvOptions, Schema, Table, TableSource,
    Value,
};
use tabveil_models::{DpConfig, Marginal, MarginalConfig, NoProgress, Privacy, Synthesizer};

/// Declared bounds and categories (private mode needs them), and a nullable column of each
/// kind.
fn public_schema() -> Schema {
    Schema::new(
        "stream",
        vec![
            ColumnSchema::integer("age", Some(18.0), Some(90.0)),
            ColumnSchema::continuous("income", Some(0.0), Some(1e5)).nullable(),
            ColumnSchema::categorical("job", ["a", "b", "c", "d"]),
            ColumnSchema::categorical("city", ["x", "y"]).nullable(),
            ColumnSchema::continuous("score", Some(-5.0), Some(5.0)),
        ],
    )
    .unwrap()
}

/// Nothing declared: non-private mode reads bounds and categories from the data.
fn data_schema() -> Schema {
    Schema::new(
        "stream",
        vec![
            ColumnSchema::integer("age", None, None),
            ColumnSchema::continuous("income", None, None).nullable(),
            ColumnSchema::categorical_undeclared("job"),
            ColumnSchema::categorical_undeclared("city").nullable(),
            ColumnSchema::continuous("score", None, None),
        ],
    )
    .unwrap()
}

fn rows(n: usize, seed: u64) -> Vec<Vec<Value>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let job = ["a", "b", "c", "d"][rng.random_range(0..4)];
            let age = 18 + rng.random_range(0..70) as u32 / if job == "a" { 2 } else { 1 };
            let income = if rng.random_bool(0.1) {
                Value::Null
            } else {
                Value::Number((f64::from(age) * 800.0 + rng.random_range(0.0..20_000.0)).round())
            };
            // Labels met late in the file: batches discover different domains.
            let city = match (i > n / 2, rng.random_range(0..3)) {
                (_, 0) => Value::Null,
                (false, _) => Value::from("x"),
                (true, _) => Value::from(["x", "y"][rng.random_range(0..2)]),
            };
            let score = rng.random_range(-5.0..5.0_f64);
            vec![
                Value::Number(f64::from(age)),
                income,
                Value::from(job),
                city,
                Value::Number((score * 100.0).round() / 100.0),
            ]
        })
        .collect()
}

/// `table` written as Parquet in row groups of `group` rows.
fn parquet(table: &Table, schema: &Schema, group: usize, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tabveil-{}-{name}.parquet", std::process::id()));
    let mut w = ColumnarWriter::parquet(std::fs::File::create(&path).unwrap(), schema).unwrap();
    let all: Vec<usize> = (0..table.n_rows()).collect();
    for chunk in all.chunks(group) {
        w.write(&table.select_rows(chunk).unwrap()).unwrap();
    }
    w.finish().unwrap();
    path
}

/// Counts the passes of a source.
struct Passes<S> {
    inner: S,
    passes: usize,
}

impl<S: TableSource> TableSource for Passes<S> {
    fn batches(&mut self) -> tabveil_data::Result<Batches<'_>> {
        self.passes += 1;
        self.inner.batches()
    }
}

fn fit_both(config: MarginalConfig, schema: &Schema, table: &Table, name: &str) -> usize {
    let path = parquet(table, schema, 250, name);
    let config = config.check().unwrap();
    let mut memory = Marginal::new(config.clone());
    memory.fit(table, schema, &mut NoProgress).unwrap();
    let mut streamed = Marginal::new(config);
    let source = ColumnarSource::new(&path, schema, &CsvOptions::default())
        .unwrap()
        .with_batch_rows(97);
    let mut source = Passes {
        inner: source,
        passes: 0,
    };
    streamed
        .fit_source(&mut source, schema, &mut NoProgress)
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(memory.ledger(), streamed.ledger());
    assert_eq!(memory.summary(), streamed.summary());
    assert!(
        memory.to_bytes().unwrap() == streamed.to_bytes().unwrap(),
        "the streamed model differs from the in-memory one"
    );
    source.passes
}

#[test]
fn issue_16_a_streamed_private_fit_is_the_in_memory_fit() {
    let schema = public_schema();
    let table = Table::from_rows(&schema, rows(3000, 1)).unwrap();
    for epsilon in [1.0, 3.0] {
        let dp = DpConfig::new(epsilon, 1e-6).dangerous_noise_seed(42);
        let config = MarginalConfig::new(Privacy::Dp(dp)).with_seed(5);
        let passes = fit_both(config, &schema, &table, "private");
        // Guessed resolutions may be wrong on a table this small, but never all of them
        // many times: at most one pass per numeric column, plus the first.
        assert!((1..=4).contains(&passes), "{passes} passes");
    }
}

#[test]
fn issue_16_a_streamed_fit_with_a_fixed_resolution_reads_the_file_once() {
    let schema = public_schema();
    let table = Table::from_rows(&schema, rows(2000, 2)).unwrap();
    let dp = DpConfig::new(3.0, 1e-6).dangerous_noise_seed(7);
    let mut config = MarginalConfig::new(Privacy::Dp(dp));
    config.resolution = Some(24);
    assert_eq!(fit_both(config, &schema, &table, "fixed"), 1);
}

#[test]
fn issue_16_a_streamed_fit_reads_undeclared_domains_as_a_whole_read_does() {
    let schema = data_schema();
    let table = Table::from_rows(&schema, rows(800, 3)).unwrap();
    let mut config = MarginalConfig::new(Privacy::NonPrivate);
    // Coarse cells keep the exact (noise-free) fit quick.
    config.resolution = Some(16);
    // One pass for the domains, one for the cells.
    assert_eq!(fit_both(config, &schema, &table, "domains"), 2);
}

#[test]
fn issue_16_an_in_memory_table_is_one_borrowed_batch() {
    let schema = public_schema();
    let table = Table::from_rows(&schema, rows(10, 4)).unwrap();
    let mut source = &table;
    let batches: Vec<_> = source.batches().unwrap().collect();
    assert_eq!(batches.len(), 1);
    assert!(matches!(batches[0], Ok(Cow::Borrowed(_))));
}
