//! Condition vectors for conditional generators (CTGAN): their [`ConditionLayout`], SDV's
//! [`TrainingSampler`] (non-private) and the [`GenerationSampler`].
//!
//! ```
//! use rand::SeedableRng;
//! use tabveil_data::{ConditionLayout, DataTransformer, DataTransformerConfig, GenerationSampler,
//!                    ColumnSchema, Schema, Table, Value};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::categorical("a", ["x", "y"]),
//!     ColumnSchema::categorical("b", ["p", "q", "r"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..30).map(|i| vec![Value::from(if i < 20 { "x" } else { "y" }),
//!                                                  Value::from(["p", "q", "r"][i % 3])]).collect();
//! let table = Table::from_rows(&schema, &rows)?;
//! let t = DataTransformer::fit(&table, &schema, &DataTransformerConfig::default())?;
//! let layout = ConditionLayout::new(&t);
//! assert_eq!(layout.width(), 5);
//! // `b = q` is slot 2 + 1: every column has its real offset.
//! assert_eq!(layout.slot("b", Some("q"))?, 3);
//! let sampler = GenerationSampler::from_table(layout, &table)?;
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let batch = sampler.sample(8, &mut rng).unwrap();
//! assert_eq!(batch.cond.n_rows(), 8);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

mod layout;
mod samplers;
#[cfg(test)]
mod tests;

pub use layout::{ConditionColumn, ConditionLayout};
pub use samplers::{ConditionBatch, GenerationSampler, TrainingSampler};
