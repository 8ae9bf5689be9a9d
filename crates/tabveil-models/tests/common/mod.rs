//! Small tables and configurations shared by the integration tests.

#![allow(dead_code, reason = "each test file uses part of this module")]
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use tabveil_data::{ColumnSchema, Schema, Table, Value};
use tabveil_models::{CtganConfig, DpConfig, Privacy, ValidCtganConfig};

/// 300 rows: a bimodal continuous column tied to a categorical one, a nullable categorical and a
/// nullable continuous column.
pub fn tiny() -> (Schema, Table) {
    let schema = Schema::new(
        "tiny",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
            ColumnSchema::categorical("c", ["a", "b", "c"]),
            ColumnSchema::categorical("d", ["u", "v"]).nullable(),
            ColumnSchema::continuous("y", Some(-5.0), Some(5.0)).nullable(),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..300)
        .map(|i| {
            let c = ["a", "b", "c"][i % 3];
            let x = if c == "a" { 10.0 } else { 80.0 } + (i % 7) as f64;
            let d = if i % 5 == 0 {
                Value::Null
            } else {
                Value::from(if i % 2 == 0 { "u" } else { "v" })
            };
            let y = if i % 4 == 0 {
                Value::Null
            } else {
                Value::Number((i % 9) as f64 - 4.0)
            };
            vec![Value::Number(x), Value::from(c), d, y]
        })
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    (schema, table)
}

/// A small, fast configuration.
pub fn small(privacy: Privacy) -> ValidCtganConfig {
    CtganConfig::new(privacy)
        .with_epochs(2)
        .with_batch_size(60)
        .with_dims(vec![16, 16], vec![16, 16])
        .with_embedding_dim(8)
        .with_seed(5)
        .check()
        .unwrap()
}

/// Private mode at ε = 3, δ = 1e-6 with a fixed noise seed.
pub fn dp(noise_seed: u64) -> Privacy {
    Privacy::Dp(DpConfig::new(3.0, 1e-6).dangerous_noise_seed(noise_seed))
}
