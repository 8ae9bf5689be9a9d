//! Everything between a user's CSV file and the numeric matrix the tabveil models train on,
//! and back.
//!
//! - [`Schema`]: the public description of the table (JSON), validated.
//! - [`Table`]: typed, column-major data checked against a schema; read and written as CSV
//!   with [`read_csv`] / [`write_csv`]; [`infer_schema`] reads a schema from data, with a loud
//!   [`NotPrivateWarning`].
//! - [`DataTransformer`]: SDV CTGAN's mode-specific normalisation (a [`BayesianMixture`] per
//!   continuous column, ported from scikit-learn) and one-hot encoding, with the
//!   [`OutputLayout`] the models use; [`DataTransformer::inverse_transform`] decodes back.
//! - [`fit_private`]: the same transformer fitted from counts and histograms released with
//!   exact discrete Gaussian noise, every release recorded on a `PrivacyLedger`; [`planned_preprocessing`] lists the releases
//!   without touching data.
//! - [`discover_schema`]: a schema released from the data by differentially private
//!   mechanisms (Gaussian thresholding for categories, a noisy-histogram quantile for bounds,
//!   noisy counts for nullability and formats), planned within an (ε, δ) by
//!   [`plan_discovery`] and recorded on the ledger.
//! - [`read_table_path`] / [`write_table_path`]: CSV, Parquet or Arrow IPC by file extension
//!   ([`TableFormat`]); with the `arrow` feature, `Table::to_arrow`, `ArrowTableBuilder` and
//!   the Parquet and Arrow IPC readers and writers.
//! - [`ConditionLayout`], [`GenerationSampler`] and (non-private) [`TrainingSampler`]: the
//!   condition vectors of conditional generators.
//!
//! ```
//! use tabveil_data::{read_csv, CsvOptions, Schema};
//!
//! let schema = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "min": 0, "max": 120, "integer": true},
//!     {"name": "sex", "kind": "categorical", "categories": ["F", "M"]}
//! ]}"#)?;
//! let (table, _report) = read_csv("age,sex\n31,F\n45,M\n".as_bytes(), &schema, &CsvOptions::default())?;
//! assert_eq!(table.n_rows(), 2);
//! assert_eq!(table.column("sex").unwrap().as_categorical(), Some(&[0, 1][..]));
//! # Ok::<(), tabveil_data::DataError>(())
//! ```
//!
//! ## Features
//! - `arrow` (off by default): Arrow record batches, Parquet and Arrow IPC files, on
//!   arrow-rs and parquet.
//!
//! ## Privacy
//! Reading and writing data releases nothing. Every statistic of the data that a fitted model
//! keeps is either public (declared in the schema) or released through a (discrete) Gaussian
//! mechanism recorded on a `tabveil_accountant::PrivacyLedger`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "arrow")]
mod columnar;
mod condition;
mod csv_io;
mod datetime;
mod discover;
mod error;
mod format;
mod mixture;
mod private;
mod progress;
mod schema;
mod source;
mod table;
mod text;
mod transformer;

pub use crate::csv_io::{
    CsvNote, CsvOptions, CsvReport, CsvWriter, ExtraColumns, InferredSchema, NotPrivateWarning,
    OutOfBounds, infer_schema, infer_schema_path, read_csv, read_csv_path, write_csv,
    write_csv_path,
};
#[cfg(feature = "arrow")]
pub use columnar::{
    ArrowTableBuilder, ColumnarSource, ColumnarWriter, DEFAULT_BATCH_ROWS, TableBatches,
    arrow_schema, infer_schema_arrow, read_arrow_batches, read_ipc, read_ipc_path, read_parquet,
    read_parquet_path, read_raw_arrow, write_ipc, write_ipc_path, write_parquet,
    write_parquet_path,
};
pub use condition::{
    ConditionBatch, ConditionColumn, ConditionLayout, GenerationSampler, TrainingSampler,
};
pub use discover::{
    DEFAULT_OTHER_LABEL, DISCOVERY_LABEL, DiscoveryBudget, DiscoveryConfig, DiscoveryPlan,
    NoiseWeights, RawTable, ValueGrid, discover_schema, plan_discovery,
};
pub use error::{DataError, Position, ReadError, Result, SchemaError, TransformError};
pub use format::{TableFormat, read_table_path, write_table, write_table_path};
pub use mixture::{BayesianMixture, BgmConfig, WeightedPoints};
pub use private::{
    COUNT_SENSITIVITY, CellRule, DEFAULT_HISTOGRAM_BINS, DEFAULT_ZERO_BELOW, HistogramCells,
    NoisyCells, NoisyColumn, PrivateConfig, PrivateStatistics, fit_private,
    fit_private_with_progress, planned_preprocessing,
};
pub use progress::{FitProgress, NoProgress};
pub use schema::{
    Cell, ColumnKind, ColumnOrigin, ColumnSchema, Constraint, ConstraintCheck, ConstraintRule,
    DEFAULT_BOOLEAN_LABELS, MAX_ABS_VALUE, PrivateOrigin, Schema,
};
pub use source::{Batches, TableSource};
pub use table::{Column, ColumnData, Table, Value};
pub use text::escape_html;
pub use transformer::{
    DataTransformer, DataTransformerConfig, Matrix, OutputLayout, SoftmaxRole, Span, SpanKind,
};
