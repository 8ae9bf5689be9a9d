//! Fit + transform of the data transformer on the benchmark table (10 000 × 15) and on the
//! adult training split (26 049 × 15). Targets (ARCHITECTURE.md): < 0.3 s (aim ≤ 0.15 s) and
//! < 1 s, release build. SDV's transformer takes 7–9 s on the first table on this machine.
//!
//! Run: `cargo bench -p tabveil-data --bench transformer`.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{
    CsvOptions, DataTransformer, DataTransformerConfig, PrivateConfig, Schema, Table, fit_private,
    read_csv_path,
};
use tabveil_noise::PrivacyRng;

fn data_dir() -> String {
    format!("{}/../../data", env!("CARGO_MANIFEST_DIR"))
}

fn bench_table() -> (Table, Schema) {
    let path = format!("{}/bench_table.csv", data_dir());
    // The public schema of the generated table (bounds from the generator, not the rows).
    let schema = Schema::from_path(format!("{}/bench_schema.json", data_dir())).unwrap();
    let (table, _) = read_csv_path(&path, &schema, &CsvOptions::default()).unwrap();
    (table, schema)
}

fn adult() -> (Table, Schema) {
    let dir = format!("{}/adult", data_dir());
    let schema = Schema::from_path(format!("{dir}/schema.json")).unwrap();
    let (table, _) =
        read_csv_path(format!("{dir}/train.csv"), &schema, &CsvOptions::default()).unwrap();
    (table, schema)
}

fn fit_transform(c: &mut Criterion) {
    let config = DataTransformerConfig::default();
    let mut group = c.benchmark_group("transformer");
    group.sample_size(10);
    for (name, (table, schema)) in [("bench_table", bench_table()), ("adult_train", adult())] {
        group.bench_function(format!("fit_transform/{name}"), |b| {
            b.iter(|| {
                let t = DataTransformer::fit(&table, &schema, &config).unwrap();
                black_box(t.transform(&table, 0).unwrap())
            });
        });
        group.bench_function(format!("fit_private_transform/{name}"), |b| {
            b.iter(|| {
                let mut ledger = PrivacyLedger::new();
                let mut rng = PrivacyRng::dangerous_seeded(0);
                let cfg = PrivateConfig::new(5.0).unwrap();
                let (t, _) = fit_private(&table, &schema, &cfg, &mut ledger, &mut rng).unwrap();
                black_box(t.transform(&table, 0).unwrap())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, fit_transform);
criterion_main!(benches);
