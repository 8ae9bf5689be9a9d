//! Per-column timing of the mixture fit (development aid).
#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "example")]
use std::time::Instant;
use tabveil_data::*;

#[path = "support/bench_table.rs"]
mod bench_table;

fn main() {
    let (table, _) = bench_table::bench_table();
    for col in table.columns() {
        if let Some(x) = col.as_continuous() {
            let t0 = Instant::now();
            let p = WeightedPoints::from_values(x).unwrap();
            let t1 = Instant::now();
            let f = BayesianMixture::fit(&p, &BgmConfig::default(), 0).unwrap();
            let t2 = Instant::now();
            let cfg0 = BgmConfig {
                max_iter: 1,
                ..Default::default()
            };
            let _ = BayesianMixture::fit(&p, &cfg0, 0).unwrap();
            let t3 = Instant::now();
            println!(
                "{}: {} points, points {:?}, fit {:?} ({} iters), kmeans+1 iter {:?}",
                col.name(),
                p.len(),
                t1 - t0,
                t2 - t1,
                f.n_iter(),
                t3 - t2
            );
        }
    }
}
