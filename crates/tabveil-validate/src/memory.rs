//! [`MemoryEstimate`]: how much memory a fit will need, from the schema and the network shape
//! alone (the one-hot width × model size problem of SDV#988-style out-of-memory reports).
//!
//! The estimate is deliberately on the high side: continuous columns are counted with the most
//! mixture modes the transformer may keep, and Poisson batches at their upper tail.
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_validate::{MemoryEstimate, Privacy, TrainingConfig};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::integer("age", Some(0.0), Some(100.0)),
//!     ColumnSchema::categorical("sex", ["F", "M"]),
//! ])?;
//! let config = TrainingConfig::ctgan(Privacy::NonPrivate);
//! let m = MemoryEstimate::new(&config, &schema, 10_000);
//! assert_eq!(m.data_width, 1 + 10 + 2); // scalar + ≤ 10 modes, then two categories
//! assert_eq!(m.condition_width, 2);
//! assert!(m.total_bytes > m.parameter_bytes);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

use serde::{Deserialize, Serialize};
use tabveil_data::{BgmConfig, ColumnKind, Schema};

use tabveil_models::{DataWidths, NetworkSize};

use crate::config::TrainingConfig;

/// Bytes per parameter: f32 weight, f32 gradient and Adam's two f32 moments.
const BYTES_PER_PARAMETER: u64 = 16;
/// Bytes per stored activation (f32).
const BYTES_PER_FLOAT: u64 = 4;

/// The estimated memory of a fit, by part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEstimate {
    /// Width of the transformed training matrix (one-hot columns and mode indicators; an
    /// upper bound: every continuous column counted with the most modes it may keep).
    pub data_width: u64,
    /// Width of a condition vector: the one-hot widths of the discrete columns.
    pub condition_width: u64,
    /// Trainable parameters of all networks.
    pub parameters: u64,
    /// Parameters, gradients and Adam moments.
    pub parameter_bytes: u64,
    /// Activations and backward buffers of one batch (per-example book-keeping included).
    pub activation_bytes: u64,
    /// The transformed training matrix (f32) and the typed table.
    pub data_bytes: u64,
    /// The sum of the parts.
    pub total_bytes: u64,
    /// The schema columns that contribute most to `data_width`, widest first (at most 3).
    pub widest_columns: Vec<(String, u64)>,
    /// The size of the saved model on disk, an upper estimate: the parameters and buffers it
    /// keeps (CTGAN's generator, TVAE's networks) as f32, plus its JSON parts (schema,
    /// transformer, condition frequencies, ledger).
    pub saved_bytes: u64,
    /// For a model whose size is not a network's (the marginal model): what its fit needs
    /// whatever the data and the row count — a lower bound from the public domain sizes and
    /// the settings alone. Above the memory limit the table is too wide to fit
    /// (`E-MODEL-TOO-WIDE`). `None` for the DP-SGD models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_bytes: Option<u64>,
}

impl MemoryEstimate {
    /// The estimate for `config` on a table of `schema` with `n_rows` rows.
    pub fn new(config: &TrainingConfig, schema: &Schema, n_rows: u64) -> Self {
        Self::with_batch(config, schema, n_rows, config.batch_size())
    }

    /// The estimate with the batch size replaced by `batch_size` (activations grow linearly
    /// with it).
    pub fn with_batch(
        config: &TrainingConfig,
        schema: &Schema,
        n_rows: u64,
        batch_size: u64,
    ) -> Self {
        let max_modes = BgmConfig::default().n_components as u64;
        let modes = max_modes.min(n_rows.max(1));
        let mut widths: Vec<(String, u64)> = Vec::new();
        let mut condition_width = 0_u64;
        // JSON parts: a fixed part, a mixture or a domain per column, every label twice.
        let mut json_bytes = 64_u64 << 10;
        for c in schema.columns() {
            let nullable = u64::from(c.is_nullable());
            let w = match c.kind() {
                ColumnKind::Continuous { .. } | ColumnKind::Datetime { .. } => {
                    1 + modes + 2 * nullable
                }
                ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. } => {
                    // An undeclared domain is read from the data in non-private mode; count it
                    // as two categories (the smallest useful column) since it is unknown here.
                    let k = c.categories().map_or(2, |v| v.len() as u64) + nullable;
                    json_bytes = json_bytes.saturating_add(
                        c.categories()
                            .map_or(0, |v| v.iter().map(|l| 2 * (l.len() as u64 + 4)).sum()),
                    );
                    condition_width += k;
                    k
                }
                ColumnKind::Id => 0,
            };
            if w > 0 {
                widths.push((c.name().to_owned(), w));
            }
        }
        json_bytes = json_bytes.saturating_add(8192_u64.saturating_mul(schema.n_columns() as u64));
        let data_width: u64 = widths.iter().map(|(_, w)| w).sum();
        widths.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        widths.truncate(3);
        if let Some(m) = config.model.spec().model_memory(schema) {
            // A model that is no network (the marginal model): its own estimate, from the
            // public domain sizes; the rows are held as the table and its cell codes.
            let data_bytes = n_rows.saturating_mul(m.bytes_per_row);
            return MemoryEstimate {
                data_width,
                condition_width,
                parameters: 0,
                parameter_bytes: m.model_bytes,
                activation_bytes: 0,
                data_bytes,
                total_bytes: m.model_bytes.saturating_add(data_bytes),
                widest_columns: widths,
                saved_bytes: m.saved_bytes.saturating_add(json_bytes),
                floor_bytes: Some(m.floor_bytes),
            };
        }
        let NetworkSize {
            parameters,
            floats_per_row,
            saved_floats,
        } = config.model.spec().network_size(DataWidths {
            data: data_width,
            conditions: condition_width,
        });
        // A Poisson batch exceeds B + 4·√B with probability below 1e-4.
        let batch = if config.privacy().is_private() {
            batch_size.saturating_add(4 * (batch_size as f64).sqrt().ceil() as u64)
        } else {
            batch_size
        };
        let parameter_bytes = parameters.saturating_mul(BYTES_PER_PARAMETER);
        let activation_bytes = floats_per_row
            .saturating_mul(batch)
            .saturating_mul(BYTES_PER_FLOAT);
        // Transformed matrix (f32) plus the typed table (8 bytes a cell).
        let data_bytes = n_rows
            .saturating_mul(data_width.saturating_mul(BYTES_PER_FLOAT))
            .saturating_add(n_rows.saturating_mul(schema.n_columns() as u64 * 8));
        let total_bytes = parameter_bytes
            .saturating_add(activation_bytes)
            .saturating_add(data_bytes);
        MemoryEstimate {
            data_width,
            condition_width,
            parameters,
            parameter_bytes,
            activation_bytes,
            data_bytes,
            total_bytes,
            widest_columns: widths,
            saved_bytes: saved_floats
                .saturating_mul(BYTES_PER_FLOAT)
                .saturating_add(json_bytes),
            floor_bytes: None,
        }
    }
}

/// The memory limit used when none is given: three quarters of the machine's physical memory
/// (`MemTotal` of `/proc/meminfo`), or `None` where that cannot be read.
pub fn default_memory_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024) / 4 * 3)
}

/// Formats a byte count as `512 MiB` / `3.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB * KIB {
        format!("{:.0} KiB", (b / KIB).ceil())
    } else if b < KIB * KIB * KIB {
        format!("{:.0} MiB", (b / (KIB * KIB)).ceil())
    } else {
        format!("{:.1} GiB", b / (KIB * KIB * KIB))
    }
}
