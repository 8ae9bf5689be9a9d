//! [`validate`]: every check of a training plan at once, before any data is touched beyond
//! its row count.
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_validate::{validate, Code, DpConfig, Privacy, TrainingConfig};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("income", None, None), // no public bounds
//!     ColumnSchema::categorical("sex", ["F", "M"]),
//! ])?;
//! let config = TrainingConfig::tvae(Privacy::Dp(DpConfig::new(3.0, 0.01)));
//! let report = validate(&config, &schema, 5_000);
//! let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
//! // All problems at once: δ ≥ 1/n and the missing bounds.
//! assert!(codes.contains(&Code::DeltaAtLeastOneOverN));
//! assert!(codes.contains(&Code::DpBoundsMissing));
//! assert!(report.has_errors());
//! assert!(report.into_result().is_err());
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

use serde::{Deserialize, Serialize};
use tabveil_data::Schema;

use crate::checks;
use crate::config::TrainingConfig;
use crate::finding::Finding;
use crate::memory::default_memory_limit;
use crate::outcome::ValidationReport;
use crate::plan;
use crate::session::Session;

/// Options of [`validate_with`].
///
/// # Defaults
/// `ranges` true; `memory_limit_bytes` three quarters of the machine's physical memory
/// ([`default_memory_limit`]), or no memory check where it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateOptions {
    /// Compute the plan's ranges (batch size, epochs, ε). They cost a few dozen accountant
    /// evaluations; a trainer that only needs the go/no-go answer can skip them.
    pub ranges: bool,
    /// Warn (`W-MEMORY`) when the estimated memory of the fit exceeds this; `None` disables
    /// the check.
    pub memory_limit_bytes: Option<u64>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            ranges: true,
            memory_limit_bytes: default_memory_limit(),
        }
    }
}

impl ValidateOptions {
    /// The options without the ranges (for trainers: errors and warnings only).
    pub fn without_ranges() -> Self {
        ValidateOptions {
            ranges: false,
            ..Self::default()
        }
    }
}

/// Checks `config` against `schema` and a table of `n_rows` rows, returning every finding at
/// once together with the plan. Nothing here reads data: only the row count.
///
/// Errors block training; warnings never do. A finding's severity is fixed by its code.
pub fn validate(config: &TrainingConfig, schema: &Schema, n_rows: u64) -> ValidationReport {
    validate_with(config, schema, n_rows, &ValidateOptions::default())
}

/// [`validate`] with explicit options.
pub fn validate_with(
    config: &TrainingConfig,
    schema: &Schema,
    n_rows: u64,
    options: &ValidateOptions,
) -> ValidationReport {
    let mut session = Session::new(config, schema, n_rows, options);
    let mut findings: Vec<Finding> = Vec::new();
    checks::privacy::check(&mut session, &mut findings);
    checks::schedule::check(&mut session, &mut findings);
    checks::schema::check(&session, &mut findings);
    checks::budget::check(&mut session, &mut findings);
    let plan = plan::build(&mut session);
    checks::budget::failures(&session, &mut findings);
    // Errors first; within a severity, the order the checks ran in.
    findings.sort_by_key(|f| f.severity);
    ValidationReport { findings, plan }
}
