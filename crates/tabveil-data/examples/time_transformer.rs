//! Quick timing of fit + transform (the criterion bench is the measurement of record).
#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "example")]
use std::time::Instant;
use tabveil_data::*;

#[path = "support/bench_table.rs"]
mod bench_table;

fn main() {
    let dir = bench_table::data_dir();
    let (table, schema) = bench_table::bench_table();
    let s2 = Schema::from_path(format!("{dir}/adult/schema.json")).unwrap();
    let (t2, _) = read_csv_path(
        format!("{dir}/adult/train.csv"),
        &s2,
        &CsvOptions::default(),
    )
    .unwrap();
    for threads in [1, 2] {
        for (name, t, s) in [("bench", &table, &schema), ("adult", &t2, &s2)] {
            let cfg = DataTransformerConfig {
                threads,
                ..Default::default()
            };
            let t0 = Instant::now();
            let tr = DataTransformer::fit(t, s, &cfg).unwrap();
            let t1 = Instant::now();
            let m = tr.transform(t, 0).unwrap();
            let t2 = Instant::now();
            println!(
                "{name} threads {threads}: fit {:?} transform {:?} width {}",
                t1 - t0,
                t2 - t1,
                m.n_cols()
            );
        }
    }
}
