//! Validates the demo's plan on the bundled adult schema and prints the report and the time
//! `validate` took: `cargo run --release -p tabveil-validate --example validate_adult`.

#![allow(clippy::print_stdout, reason = "an example prints its results")]
use std::time::Instant;

use tabveil_data::Schema;
use tabveil_validate::{
    DpConfig, Privacy, TrainingConfig, ValidateOptions, validate, validate_with,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/adult/schema.json");
    let schema = Schema::from_path(path)?;
    let n = 26_049;
    let config = TrainingConfig::ctgan(Privacy::Dp(DpConfig::new(3.0, 1e-6)))
        .with_epochs(300)
        .with_batch_size(500);
    let report = validate(&config, &schema, n);
    println!("{report}");
    for (name, options) in [
        ("with ranges", ValidateOptions::default()),
        ("without ranges", ValidateOptions::without_ranges()),
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let r = validate_with(&config, &schema, n, &options);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(!r.has_errors());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "validate ({name}): median {:.1} ms, min {:.1} ms over 5 runs",
            times[2], times[0]
        );
    }
    Ok(())
}
