//! Refuses bad training plans before any privacy is spent.
//!
//! [`validate`] checks a [`TrainingConfig`] against a [`Schema`](tabveil_data::Schema) and the
//! table's row count — no data is read — and returns a [`ValidationReport`]: every
//! [`Finding`] at once, each with a stable [`Code`], the offending field, a one-sentence reason
//! and a concrete fix whose numbers come from the accountant, plus the [`TrainingPlan`] (steps,
//! q, σ, the preprocessing share, the predicted ε after every epoch, and the ranges of batch
//! size, epochs and ε that work for this table).
//!
//! Errors block training, warnings never do, and the severity is part of the code: there is no
//! flag that turns a privacy error into a warning.
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_validate::{validate, DpConfig, Privacy, TrainingConfig};
//!
//! let schema = Schema::new("people", vec![
//!     ColumnSchema::integer("age", Some(15.0), Some(90.0)),
//!     ColumnSchema::categorical("sex", ["Female", "Male"]),
//! ])?;
//! let config = TrainingConfig::ctgan(Privacy::Dp(DpConfig::new(3.0, 1e-6)))
//!     .with_epochs(30)
//!     .with_batch_size(500);
//! let report = validate(&config, &schema, 26_049);
//! assert!(!report.has_errors(), "{report}");
//! let private = report.plan.as_ref().unwrap().private.as_ref().unwrap();
//! assert!(private.epsilon <= 3.0);
//! println!("{report}"); // findings, then the plan
//! # Ok::<(), tabveil_data::DataError>(())
//! ```
//!
//! ## Finding codes
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | `E-EPSILON-RANGE` | error | ε is not finite or not greater than 0 |
//! | `E-DELTA-RANGE` | error | δ is outside the open interval (0, 1) |
//! | `E-DELTA-GE-1-OVER-N` | error | δ ≥ 1/n: publishing one random row outright would meet the guarantee |
//! | `W-DELTA-GT-1-OVER-10N` | warning | δ > 1/(10·n): larger than the usual margin below 1/n |
//! | `W-EPSILON-WEAK` | warning | ε > 10: a weak guarantee by common conventions (with published ε for context) |
//! | `E-CLIPPING-NORM` | error | the clipping norm C is not finite or not greater than 0 |
//! | `E-PREPROCESSING-SHARE` | error | the preprocessing share of ε is outside (0, 1) |
//! | `E-ACCOUNTANT-APPROXIMATE` | error | the GDP accountant only approximates ε and cannot enforce a budget |
//! | `W-NOISE-SEEDED` | warning | the privacy randomness is seeded: the guarantee rests on the seed staying secret |
//! | `W-NON-PRIVATE` | warning | training without differential privacy: no privacy guarantee |
//! | `E-ROWS-ZERO` | error | the table has no rows |
//! | `E-EPOCHS-ZERO` | error | the number of epochs is 0 |
//! | `E-EPOCHS-OVERFLOW` | error | the number of training steps does not fit in 64 bits |
//! | `E-BATCH-RANGE` | error | the (expected) batch size q·n is below the model's smallest batch or above n |
//! | `E-PAC-RANGE` | error | pac is 0 |
//! | `E-BATCH-PAC` | error | non-private CTGAN: the batch size is not a multiple of pac |
//! | `E-DISCRIMINATOR-STEPS-ZERO` | error | `discriminator_steps` is 0 |
//! | `E-NETWORK-SHAPE` | error | a layer width or the embedding size is 0 |
//! | `E-MODEL-SETTING` | error | a setting of the model is out of range (the model's own check) |
//! | `E-DP-PAC` | error | private CTGAN needs pac = 1 (a pack mixes several people) |
//! | `E-DP-BOUNDS-MISSING` | error | private mode needs public bounds for every continuous and datetime column |
//! | `E-DP-CATEGORIES-MISSING` | error | private mode needs the public category list of every categorical column |
//! | `E-DP-SCHEMA-INFERRED` | error | private mode refuses a schema inferred from the data until the user has reviewed it |
//! | `W-CATEGORY-SINGLE` | warning | a categorical column declares one category only |
//! | `W-MEMORY` | warning | the estimated memory of the fit exceeds the limit (¾ of physical memory by default) |
//! | `E-MODEL-TOO-WIDE` | error | marginal model: what its fit needs whatever the data (from the public domain sizes and the settings alone, not the row count) exceeds the memory limit ([`ValidateOptions::memory_limit_bytes`]): the table is too wide |
//! | `E-NOISE-TOO-LARGE` | error | the training noise multiplier needed exceeds 50: the table is too small for the plan; the fix gives the epochs, batch size and ε that work |
//! | `E-TARGET-UNREACHABLE` | error | no noise level meets the target ε; the fix gives the settings that work |
//! | `E-PLAN-FAILED` | error | the accountant could not compute the plan |
//!
//! A schema without modelled columns never reaches `validate`: [`tabveil_data::Schema`]
//! refuses it on construction.
//!
//! ## How the plan is computed
//! The private schedule is Poisson sampling with q = B/N for ⌈epochs·d·N/B⌉ steps
//! ([`TrainingConfig::private_schedule`]; d is CTGAN's `discriminator_steps`, 1 for TVAE). The
//! preprocessing releases are those `tabveil_data::planned_preprocessing` lists (one discrete
//! Gaussian release per modelled column), planned as those very events. The noise of both comes
//! from the accountant's run plan (`tabveil_accountant::PreprocessingPlan` then `with_training`,
//! i.e. `calibrate_jointly`) with the config's accountant — the functions a private fit calls
//! too, but with a different row count: the validator plans with the N it is given (the table's
//! true count, or the user's figure), a fit with round(N̂), a differentially private estimate of
//! N (the true count is private and never enters a fit's plan). The preprocessing noise σ_pre is
//! the same in both; q, the steps and the training noise agree with the printed plan only when
//! round(N̂) equals that N. The plan printed here is for the data holder, not for release.
//!
//! A model fitted in rounds (the marginal model) has no DP-SGD schedule: its plan
//! ([`RoundsPlan`]) is the one its fit runs (`ModelSpec::round_plan`): one Gaussian one-way
//! histogram per modelled column, then rounds of an exponential-mechanism selection and a
//! Gaussian measurement, with the ε of that planned ledger after each round. It does not
//! depend on the row count.
//!
//! ## Features
//! None.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod batch;
mod checks;
mod config;
pub mod context;
mod error;
mod finding;
pub mod format;
mod memory;
mod outcome;
mod plan;
mod run;
mod session;

pub use batch::min_batch_size;
#[allow(
    deprecated,
    reason = "the renamed items stay reachable under their old names"
)]
pub use config::{CtganSettings, TvaeSettings};
pub use config::{
    DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DpConfig, ModelSettings, Privacy, TrainingConfig,
};
pub use error::{Result, ValidateError};
pub use finding::{Code, Finding, Severity};
pub use memory::{MemoryEstimate, default_memory_limit, human_bytes};
pub use outcome::{Validated, ValidationReport};
pub use plan::{
    EpochEpsilon, MAX_EPOCH_POINTS, MAX_PLD_EPOCH_POINTS, MAX_TRAINING_NOISE_MULTIPLIER,
    PlanRanges, PrivatePlan, PrivateRoundsPlan, RoundEpsilon, RoundsPlan, TrainingPlan, ValueRange,
};
pub use run::{ValidateOptions, validate, validate_with};
