//! [`Finding`]: one problem with a training plan, with a stable [`Code`] and a concrete fix.
//!
//! ```
//! use tabveil_validate::{Code, Severity};
//!
//! // The severity is part of the code: nothing can turn an error into a warning.
//! assert_eq!(Code::DeltaRange.as_str(), "E-DELTA-RANGE");
//! assert_eq!(Code::DeltaRange.severity(), Severity::Error);
//! assert_eq!(Code::from_code("W-EPSILON-WEAK"), Some(Code::EpsilonWeak));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether a finding blocks training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Training must not start: no privacy may be spent with this plan.
    Error,
    /// Training may start; the user should read why this may not be what they want.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident, $summary:literal; )*) => {
        /// The stable code of a finding. The text (e.g. `E-DELTA-RANGE`) never changes meaning
        /// between releases; `E-` codes are errors and `W-` codes warnings, fixed per code.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in the order of the crate documentation's table.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable text of the code, e.g. `"E-DELTA-RANGE"`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity that goes with the code (errors block training).
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// The code with text `code`, if there is one.
            pub fn from_code(code: &str) -> Option<Code> {
                match code { $($code => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    /// ε is not finite or not > 0.
    EpsilonRange = "E-EPSILON-RANGE", Error, "ε is not finite or not greater than 0";
    /// δ is outside (0, 1).
    DeltaRange = "E-DELTA-RANGE", Error, "δ is outside the open interval (0, 1)";
    /// δ ≥ 1/n.
    DeltaAtLeastOneOverN = "E-DELTA-GE-1-OVER-N", Error,
        "δ ≥ 1/n: a mechanism that publishes one random row outright would meet the guarantee";
    /// δ > 1/(10n).
    DeltaAboveTenthOfOneOverN = "W-DELTA-GT-1-OVER-10N", Warning,
        "δ > 1/(10·n): larger than the usual margin below 1/n";
    /// ε > 10.
    EpsilonWeak = "W-EPSILON-WEAK", Warning, "ε > 10: a weak guarantee by common conventions";
    /// The clipping norm is not finite or not > 0.
    ClippingNorm = "E-CLIPPING-NORM", Error, "the clipping norm C is not finite or not greater than 0";
    /// The preprocessing share is outside (0, 1).
    PreprocessingShare = "E-PREPROCESSING-SHARE", Error, "the preprocessing share of ε is outside (0, 1)";
    /// The accountant only approximates ε.
    ApproximateAccountant = "E-ACCOUNTANT-APPROXIMATE", Error,
        "the GDP accountant only approximates ε and cannot enforce a budget";
    /// The privacy randomness is seeded.
    NoiseSeeded = "W-NOISE-SEEDED", Warning,
        "the privacy randomness is seeded: the guarantee rests on the seed staying secret";
    /// The run is not private.
    NonPrivate = "W-NON-PRIVATE", Warning, "training without differential privacy: no privacy guarantee";
    /// The table has no rows.
    NoRows = "E-ROWS-ZERO", Error, "the table has no rows";
    /// Zero epochs.
    EpochsZero = "E-EPOCHS-ZERO", Error, "the number of epochs is 0";
    /// The step count overflows.
    EpochsOverflow = "E-EPOCHS-OVERFLOW", Error, "the number of training steps does not fit in 64 bits";
    /// The (expected) batch is below one row or above the table.
    BatchRange = "E-BATCH-RANGE", Error,
        "the (expected) batch size q·n is below the model's smallest batch or above n";
    /// pac = 0.
    PacRange = "E-PAC-RANGE", Error, "pac is 0";
    /// Non-private CTGAN with a batch that pac does not divide.
    BatchNotMultipleOfPac = "E-BATCH-PAC", Error, "the batch size is not a multiple of pac";
    /// Zero discriminator steps.
    DiscriminatorStepsZero = "E-DISCRIMINATOR-STEPS-ZERO", Error, "discriminator_steps is 0";
    /// A layer width or embedding size is 0, or there are no layers where one is needed.
    NetworkShape = "E-NETWORK-SHAPE", Error, "a layer width or the embedding size is 0";
    /// A setting of the model out of range, found by the model's own check.
    ModelSetting = "E-MODEL-SETTING", Error, "a setting of the model is out of range";
    /// Private CTGAN with pac ≠ 1.
    DpPac = "E-DP-PAC", Error, "private CTGAN needs pac = 1 (a pack mixes several people)";
    /// A continuous or datetime column without declared bounds, in private mode.
    DpBoundsMissing = "E-DP-BOUNDS-MISSING", Error,
        "private mode needs public bounds for every continuous and datetime column";
    /// A categorical column without a declared domain, in private mode.
    DpCategoriesMissing = "E-DP-CATEGORIES-MISSING", Error,
        "private mode needs the public category list of every categorical column";
    /// A schema inferred from the data and not reviewed, in private mode.
    DpSchemaInferred = "E-DP-SCHEMA-INFERRED", Error,
        "private mode refuses a schema inferred from the data until the user has reviewed it";
    /// A categorical column with a single category.
    SingleCategory = "W-CATEGORY-SINGLE", Warning, "a categorical column declares one category only";
    /// The estimated memory exceeds the limit.
    Memory = "W-MEMORY", Warning, "the estimated memory of the fit exceeds the machine's memory";
    /// Even the smallest fit of the model on a table this wide exceeds the memory limit.
    ModelTooWide = "E-MODEL-TOO-WIDE", Error,
        "the table is too wide for the model: even its smallest fit exceeds the memory limit";
    /// The calibrated training noise multiplier exceeds the bound.
    NoiseTooLarge = "E-NOISE-TOO-LARGE", Error,
        "the training noise multiplier needed exceeds 50: the table is too small for this plan";
    /// No noise multiplier meets the target.
    TargetUnreachable = "E-TARGET-UNREACHABLE", Error, "no noise level meets the target ε";
    /// The accountant failed.
    PlanFailed = "E-PLAN-FAILED", Error, "the accountant could not compute the plan";
}

impl Code {
    /// True when whether the finding fires depends on the number of rows n (δ against 1/n, the
    /// batch against n, the step count, the memory, and everything calibrated on B/n). In
    /// private mode n is private: a refusal on such a finding would release one bit about n
    /// that no ε covers, so a private fit blocks only on the other codes
    /// ([`ValidationReport::blocking`](crate::ValidationReport::blocking)) and re-checks what
    /// it must on its DP estimate N̂.
    pub fn depends_on_rows(self) -> bool {
        matches!(
            self,
            Code::DeltaAtLeastOneOverN
                | Code::DeltaAboveTenthOfOneOverN
                | Code::NoRows
                | Code::EpochsOverflow
                | Code::BatchRange
                | Code::Memory
                | Code::NoiseTooLarge
                | Code::TargetUnreachable
                | Code::PlanFailed
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Code::from_code(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code `{text}`")))
    }
}

/// One problem with a training plan.
///
/// Its severity always equals `code.severity()` (deserialisation checks it), so a finding read
/// back from JSON cannot be downgraded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFinding")]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// Error or warning (always `code.severity()`).
    pub severity: Severity,
    /// The offending setting, e.g. `privacy.delta`, `batch_size` or `schema.columns.age`.
    pub field: String,
    /// One sentence saying what is wrong, with the numbers involved.
    pub reason: String,
    /// A concrete fix; numbers in it are computed by the accountant, never guessed.
    pub fix: String,
}

impl Finding {
    /// A finding of `code` about `field`.
    pub fn new(
        code: Code,
        field: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity: code.severity(),
            field: field.into(),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    /// The validator's finding for a model's finding about its own settings. A code missing
    /// from the catalogue (a bug of the model) becomes `E-PLAN-FAILED`, naming the code.
    pub(crate) fn from_setting(f: tabveil_models::SettingFinding) -> Self {
        match Code::from_code(f.code) {
            Some(code) => Finding::new(code, f.field, f.reason, f.fix),
            None => Finding::new(
                Code::PlanFailed,
                f.field,
                format!(
                    "{} (the model reported the unknown code {})",
                    f.reason, f.code
                ),
                f.fix,
            ),
        }
    }

    /// True when the finding blocks training.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    /// `error[E-DELTA-RANGE] privacy.delta: <reason>` and, on the next line, `  fix: <fix>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}\n  fix: {}",
            self.severity, self.code, self.field, self.reason, self.fix
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFinding {
    code: Code,
    severity: Severity,
    field: String,
    reason: String,
    fix: String,
}

impl TryFrom<RawFinding> for Finding {
    type Error = String;

    fn try_from(raw: RawFinding) -> Result<Self, String> {
        if raw.severity != raw.code.severity() {
            return Err(format!(
                "finding {} has severity {} but the code is a(n) {}",
                raw.code,
                raw.severity,
                raw.code.severity()
            ));
        }
        Ok(Finding::new(raw.code, raw.field, raw.reason, raw.fix))
    }
}
