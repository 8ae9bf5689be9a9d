//! One validation run: which inputs are valid, the planner, and the accountant answers the
//! checks and the plan share (each computed at most once).

use tabveil_accountant::{AccountantError, BoundKind, JointCalibration, LedgerEntry, RunBudget};
use tabveil_data::{ColumnKind, ColumnSchema, PrivateConfig, Schema, planned_preprocessing};

use crate::config::{DpConfig, TrainingConfig};
use crate::error::ValidateError;
use crate::memory::MemoryEstimate;
use crate::plan::Planner;
use crate::run::ValidateOptions;

/// Which inputs can be planned with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Validity {
    pub epsilon: bool,
    pub delta: bool,
    pub n_rows: bool,
    pub epochs: bool,
    pub batch: bool,
    /// The step count of the private schedule fits in `u64`.
    pub schedule: bool,
}

/// Outcome of the joint calibration of the config.
#[derive(Debug, Clone)]
pub(crate) enum Joint {
    Calibrated(JointCalibration),
    /// No σ meets the target (`UnreachableTarget`).
    Unreachable {
        floor: f64,
        reason: &'static str,
    },
    /// The inputs are invalid (other findings say why) or the accountant failed.
    Unavailable,
}

pub(crate) struct Session<'a> {
    pub config: &'a TrainingConfig,
    pub schema: &'a Schema,
    pub n_rows: u64,
    pub options: &'a ValidateOptions,
    pub valid: Validity,
    pub planner: Option<Planner>,
    /// Accountant failures met on the way (reported once as `E-PLAN-FAILED`).
    pub failures: Vec<String>,
    joint: Option<Joint>,
    max_epochs: Option<Option<u64>>,
    max_batch: Option<Option<u64>>,
    min_epsilon: Option<Option<f64>>,
    memory_batch: Option<Option<u64>>,
}

impl<'a> Session<'a> {
    pub fn new(
        config: &'a TrainingConfig,
        schema: &'a Schema,
        n_rows: u64,
        options: &'a ValidateOptions,
    ) -> Self {
        let dp = config.dp();
        let valid = Validity {
            epsilon: dp.is_some_and(|d| d.epsilon.is_finite() && d.epsilon > 0.0),
            delta: dp.is_some_and(|d| d.delta > 0.0 && d.delta < 1.0),
            n_rows: n_rows >= 1,
            epochs: config.epochs() >= 1,
            batch: config.batch_size() >= 1 && config.batch_size() <= n_rows,
            schedule: config.private_schedule(n_rows).is_ok(),
        };
        let mut failures = Vec::new();
        let planner = dp.and_then(|d| {
            let usable = valid.delta
                && valid.n_rows
                && d.preprocessing_share > 0.0
                && d.preprocessing_share < 1.0
                && d.accountant.kind.bound() == BoundKind::UpperBound
                && config.private_releases_per_step() >= 1;
            if !usable {
                return None;
            }
            match planned_releases(schema) {
                // The run's budget, with its prior releases (a private schema discovery)
                // composed before the preprocessing.
                Ok(planned) => Some(Planner::new(
                    d.run_budget(),
                    n_rows,
                    config.private_releases_per_step(),
                    &planned,
                )),
                Err(message) => {
                    failures.push(message);
                    None
                }
            }
        });
        Session {
            config,
            schema,
            n_rows,
            options,
            valid,
            planner,
            failures,
            joint: None,
            max_epochs: None,
            max_batch: None,
            min_epsilon: None,
            memory_batch: None,
        }
    }

    /// The DP settings (private runs only).
    pub fn dp(&self) -> Option<&'a DpConfig> {
        self.config.dp()
    }

    /// The joint calibration of the configured plan.
    pub fn joint(&mut self) -> Joint {
        if let Some(j) = &self.joint {
            return j.clone();
        }
        let v = self.valid;
        let joint = match (&self.planner, self.dp()) {
            (Some(p), Some(d)) if v.epsilon && v.epochs && v.batch && v.schedule => {
                match p.joint(d.epsilon, self.config.batch_size(), self.config.epochs()) {
                    Ok(j) => Joint::Calibrated(j),
                    Err(ValidateError::Accountant(AccountantError::UnreachableTarget {
                        floor,
                        reason,
                        ..
                    })) => Joint::Unreachable { floor, reason },
                    Err(e) => {
                        self.failures.push(e.to_string());
                        Joint::Unavailable
                    }
                }
            }
            _ => Joint::Unavailable,
        };
        self.joint = Some(joint.clone());
        joint
    }

    /// The most epochs that keep σ within the bound at the configured ε and batch.
    pub fn max_epochs(&mut self) -> Option<u64> {
        if let Some(v) = self.max_epochs {
            return v;
        }
        let v = self.valid;
        let r = match (&self.planner, self.dp()) {
            (Some(p), Some(d)) if v.epsilon && v.batch => {
                p.max_epochs(d.epsilon, self.config.batch_size())
            }
            _ => Ok(None),
        };
        let r = self.keep(r).flatten();
        self.max_epochs = Some(r);
        r
    }

    /// The largest batch that keeps σ within the bound at the configured ε and epochs.
    pub fn max_batch(&mut self) -> Option<u64> {
        if let Some(v) = self.max_batch {
            return v;
        }
        let v = self.valid;
        // The search needs valid epochs, not a valid configured batch (it is often the batch
        // that is out of range when the largest one is asked for).
        let epochs_fit = self
            .config
            .clone()
            .with_batch_size(1)
            .private_schedule(self.n_rows)
            .is_ok();
        let r = match (&self.planner, self.dp()) {
            (Some(p), Some(d)) if v.epsilon && v.epochs && v.n_rows && epochs_fit => {
                p.max_batch(d.epsilon, self.config.epochs())
            }
            _ => Ok(None),
        };
        let r = self.keep(r).flatten();
        self.max_batch = Some(r);
        r
    }

    /// The smallest ε reachable with σ within the bound at the configured batch and epochs.
    pub fn min_epsilon(&mut self) -> Option<f64> {
        if let Some(v) = self.min_epsilon {
            return v;
        }
        let v = self.valid;
        let r = match &self.planner {
            Some(p) if v.epochs && v.batch && v.schedule => {
                p.min_epsilon(self.config.batch_size(), self.config.epochs())
            }
            _ => Ok(None),
        };
        let r = self.keep(r).flatten();
        self.min_epsilon = Some(r);
        r
    }

    /// The largest batch whose memory estimate stays within the limit (`None` without a limit;
    /// `Some(None)` when even a batch of one does not fit).
    pub fn memory_max_batch(&mut self) -> Option<Option<u64>> {
        if let Some(v) = self.memory_batch {
            return Some(v);
        }
        let limit = self.options.memory_limit_bytes?;
        let fits = |b: u64| {
            MemoryEstimate::with_batch(self.config, self.schema, self.n_rows, b).total_bytes
                <= limit
        };
        let n = self.n_rows.max(1);
        let r = if fits(n) {
            Some(n)
        } else if !fits(1) {
            None
        } else {
            let (mut good, mut bad) = (1_u64, n);
            while bad - good > 1 {
                let mid = good + (bad - good) / 2;
                if fits(mid) {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
            Some(good)
        };
        self.memory_batch = Some(r);
        Some(r)
    }

    /// The training σ of the configured plan with δ replaced by `delta` (for the δ fixes).
    pub fn sigma_at_delta(&mut self, delta: f64) -> Option<f64> {
        let v = self.valid;
        let p = self.planner.as_ref()?;
        let d = self.dp()?;
        if !(v.epsilon && v.epochs && v.batch && v.schedule) {
            return None;
        }
        let p = Planner {
            budget: RunBudget {
                delta,
                ..p.budget.clone()
            },
            ..p.clone()
        };
        let r = p.joint(d.epsilon, self.config.batch_size(), self.config.epochs());
        self.keep(r.map(|j| j.training_noise_multiplier))
    }

    /// The training σ of the configured plan with ε replaced by `epsilon`.
    pub fn sigma_at_epsilon(&mut self, epsilon: f64) -> Option<f64> {
        let v = self.valid;
        let p = self.planner.as_ref()?;
        if !(v.epochs && v.batch && v.schedule) {
            return None;
        }
        let r = p.joint(epsilon, self.config.batch_size(), self.config.epochs());
        match r {
            Ok(j) => Some(j.training_noise_multiplier),
            Err(ValidateError::Accountant(AccountantError::UnreachableTarget { .. })) => None,
            Err(e) => {
                self.failures.push(e.to_string());
                None
            }
        }
    }

    /// The training σ this schedule would need if it were private with `epsilon`, `delta` and
    /// the default settings (for the non-private mode's hint).
    pub fn sigma_if_private(&mut self, epsilon: f64, delta: f64) -> Option<f64> {
        let v = self.valid;
        if !(v.n_rows && v.epochs && v.batch && v.schedule) {
            return None;
        }
        let defaults = DpConfig::new(epsilon, delta);
        let planned = planned_releases(self.schema).ok()?;
        let p = Planner::new(
            RunBudget::new(
                epsilon,
                delta,
                defaults.preprocessing_share,
                defaults.accountant,
            ),
            self.n_rows,
            self.config.private_releases_per_step(),
            &planned,
        );
        p.joint(epsilon, self.config.batch_size(), self.config.epochs())
            .ok()
            .map(|j| j.training_noise_multiplier)
    }

    /// Keeps the value; records an accountant failure (as text) and gives `None` otherwise. An
    /// unreachable target is no failure: it means that nothing works there, which the findings
    /// and ranges say in their own words.
    fn keep<T>(&mut self, r: crate::error::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(ValidateError::Accountant(AccountantError::UnreachableTarget { .. })) => None,
            Err(e) => {
                self.failures.push(e.to_string());
                None
            }
        }
    }
}

/// The preprocessing releases the data crate's private preprocessing would record for
/// `schema` (`tabveil_data::planned_preprocessing`). A column whose public bounds or categories
/// are missing still gets its one release in the count — exactly what the preprocessing will do
/// once they are declared — by planning with placeholder bounds; the missing declarations are
/// reported as errors by the schema checks. The noise multiplier given here is irrelevant: only
/// the mechanisms and their number are used.
pub(crate) fn planned_releases(schema: &Schema) -> Result<Vec<LedgerEntry>, String> {
    let patched: Vec<ColumnSchema> = schema
        .columns()
        .iter()
        .map(|c| {
            let kind = match c.kind() {
                ColumnKind::Continuous { min, max, integer } => {
                    let (min, max) = placeholder_bounds(*min, *max);
                    ColumnKind::Continuous {
                        min: Some(min),
                        max: Some(max),
                        integer: *integer,
                    }
                }
                ColumnKind::Datetime { format, min, max } => {
                    let (min, max) = placeholder_bounds(*min, *max);
                    ColumnKind::Datetime {
                        format: format.clone(),
                        min: Some(min),
                        max: Some(max),
                    }
                }
                ColumnKind::Categorical { categories: None } => ColumnKind::Categorical {
                    categories: Some(vec!["a".to_owned(), "b".to_owned()]),
                },
                other => other.clone(),
            };
            ColumnSchema::new(c.name(), kind).with_nullable(c.is_nullable())
        })
        .collect();
    let patched = Schema::new(schema.name(), patched).map_err(|e| e.to_string())?;
    let config = PrivateConfig::new(1.0).map_err(|e| e.to_string())?;
    planned_preprocessing(&patched, &config).map_err(|e| e.to_string())
}

/// Declared bounds, with a placeholder for a missing side (for counting releases only).
fn placeholder_bounds(min: Option<f64>, max: Option<f64>) -> (f64, f64) {
    match (min, max) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + a.abs().max(1.0)),
        (None, Some(b)) => (b - b.abs().max(1.0), b),
        (None, None) => (0.0, 1.0),
    }
}
