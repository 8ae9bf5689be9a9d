//! The sections of a [`PrivacyReport`], as plain serialisable data.

use serde::{Deserialize, Serialize};
use tabveil_accountant::{AccountantKind, BoundKind, NoiseRandomness, Stage};
use tabveil_validate::PlanRanges;
use tabveil_validate::context::Deployment;

use crate::audit::AuditSection;
use crate::evaluation::EvaluationSummary;

/// The version of the report's JSON layout.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The privacy report of one fitted model.
///
/// The first keys of its JSON are `schema_version`, `epsilon`, `delta`, `target_epsilon` and
/// `accountant` (all `null` for a non-private fit), then `headline`, whose text is also the
/// first line of the Markdown and HTML renderings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyReport {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// ε spent by the whole fit (preprocessing and training) at `delta`: an upper bound.
    pub epsilon: Option<f64>,
    /// δ of the guarantee.
    pub delta: Option<f64>,
    /// The ε the fit was allowed to spend.
    pub target_epsilon: Option<f64>,
    /// The accountant that computed `epsilon`.
    pub accountant: Option<AccountantInfo>,
    /// One sentence: the guarantee, or that there is none.
    pub headline: String,
    /// What was fitted.
    pub model: ModelSummary,
    /// The guarantee in detail (private fits only).
    pub guarantee: Option<Guarantee>,
    /// The ledger broken down by mechanism (private fits only).
    pub spending: Option<Spending>,
    /// What the user declared public and what was learned privately.
    pub public_and_private: PublicAndPrivate,
    /// How the implementation protects the guarantee (private fits only).
    pub safeguards: Option<Safeguards>,
    /// How to read ε: tier and published deployments, with sources (private fits only).
    pub context: Option<Context>,
    /// Headline scores of an evaluation of the synthetic data, when one was run.
    pub evaluation: Option<EvaluationSummary>,
    /// An empirical audit of the privacy (a lower bound on ε), when one was run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditSection>,
    /// What other settings would cost or buy, computed with the accountant (private fits only).
    pub tuning: Option<Tuning>,
    /// What the guarantee can and cannot support in a legal assessment.
    pub regulatory_notes: Vec<String>,
    /// The crate and version that wrote the report.
    pub generated_by: String,
}

/// The accountant behind a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountantInfo {
    /// Which method.
    pub kind: AccountantKind,
    /// Upper bound (RDP, PLD) or approximation (GDP, never used for a report's ε).
    pub bound: BoundKind,
    /// One sentence about the method.
    pub description: String,
}

/// The row count a report shows, and what it is. The true row count of a private fit is
/// itself private: a report that will be published should carry the DP estimate N̂ that
/// tabveil's private fits plan with (`FitSummary::private.estimated_rows`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowCount {
    /// The true count. In a private report it is shown, and treated as public: not protected.
    Exact(u64),
    /// A differentially private estimate N̂ (post-processing of releases on the ledger).
    PrivateEstimate(u64),
}

impl RowCount {
    /// The number shown.
    pub fn rows(self) -> u64 {
        match self {
            RowCount::Exact(n) | RowCount::PrivateEstimate(n) => n,
        }
    }

    /// True for a DP estimate.
    pub fn is_estimate(self) -> bool {
        matches!(self, RowCount::PrivateEstimate(_))
    }
}

/// The exact count (see [`RowCount::Exact`]).
impl From<u64> for RowCount {
    fn from(n: u64) -> Self {
        RowCount::Exact(n)
    }
}

/// What was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// A name for the fit (for comparisons), if given.
    pub name: Option<String>,
    /// `"CTGAN"` or `"TVAE"`.
    pub model: String,
    /// Whether the fit was differentially private.
    pub private: bool,
    /// Rows of the training table: the true count, or a DP estimate when
    /// `n_rows_estimated`.
    pub n_rows: u64,
    /// Whether `n_rows` is a differentially private estimate N̂ rather than the true count.
    #[serde(default)]
    pub n_rows_estimated: bool,
    /// Columns of the schema (id columns included).
    pub columns: usize,
    /// (Expected) batch size.
    pub batch_size: u64,
    /// Epochs planned.
    pub epochs_planned: u64,
    /// Epochs actually run, from the ledger (private fits; fewer than planned when the fit was
    /// stopped).
    pub epochs_completed: Option<f64>,
}

/// The guarantee in detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guarantee {
    /// ε spent / target ε.
    pub budget_used: f64,
    /// ε at several δ (the configured one included).
    pub epsilon_at_deltas: Vec<DeltaEpsilon>,
    /// The ε(δ) curve, for the plot.
    pub curve: Vec<DeltaEpsilon>,
    /// What one unit of privacy is.
    pub privacy_unit: String,
    /// The neighbouring relation.
    pub neighbouring: String,
    /// Who sees the raw data.
    pub trust_model: String,
    /// How the row count is treated.
    pub row_count: String,
    /// What the guarantee covers.
    pub scope: String,
}

/// ε at one δ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeltaEpsilon {
    /// δ.
    pub delta: f64,
    /// ε at that δ (upper bound).
    pub epsilon: f64,
}

/// The privacy spent, broken down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spending {
    /// One line per ledger entry, in ledger order.
    pub mechanisms: Vec<Mechanism>,
    /// The preprocessing releases together.
    pub preprocessing: StageCost,
    /// The training steps together.
    pub training: StageCost,
    /// DP-SGD's settings, from the ledger.
    pub dp_sgd: Option<DpSgd>,
    /// ε after k training steps (preprocessing included), for the plot.
    pub epsilon_over_steps: Vec<StepEpsilon>,
    /// For a model fitted in rounds (the marginal model): ε after each round (round 0: the
    /// releases before the first round), for the plot; empty for DP-SGD models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epsilon_over_rounds: Vec<RoundEpsilon>,
    /// How to read the shares.
    pub note: String,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mechanism {
    /// The ledger label.
    pub label: String,
    /// Preprocessing, training or other.
    pub stage: Stage,
    /// The mechanism's name: `"Gaussian"`, `"Poisson-subsampled Gaussian"`, `"discrete
    /// Gaussian"`, `"exponential mechanism"` or `"Gaussian thresholding"`.
    pub mechanism: String,
    /// Sampling rate (1 without subsampling).
    pub sample_rate: f64,
    /// Noise multiplier σ (noise std / L2 sensitivity); `None` for the exponential mechanism,
    /// which adds no noise of that kind.
    pub noise_multiplier: Option<f64>,
    /// ε of one run of the exponential mechanism.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_per_run: Option<f64>,
    /// The threshold τ of Gaussian thresholding (partition selection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// L2 sensitivity, when recorded (for training: the clipping norm C).
    pub l2_sensitivity: Option<f64>,
    /// Absolute noise standard deviation σ·Δ, when the sensitivity is known.
    pub noise_std: Option<f64>,
    /// Repetitions.
    pub count: u64,
    /// ε this entry alone spends at δ.
    pub epsilon_alone: f64,
    /// How much the total ε would drop without this entry (`None` with PLD, where it is
    /// computed per stage only).
    pub marginal_epsilon: Option<f64>,
}

/// The cost of one stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageCost {
    /// Ledger entries of the stage.
    pub entries: usize,
    /// ε the stage alone spends at δ.
    pub epsilon_alone: f64,
    /// ε total − ε without the stage.
    pub marginal_epsilon: f64,
    /// `marginal_epsilon` / ε total (0 when nothing was spent).
    pub share_of_total: f64,
}

/// DP-SGD's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DpSgd {
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Expected batch q·N.
    pub expected_batch: f64,
    /// Noise multiplier σ (of the last training entry; see the mechanisms for all).
    pub noise_multiplier: f64,
    /// Per-example clipping norm C.
    pub clipping_norm: f64,
    /// Private steps run.
    pub steps: u64,
    /// Epochs they amount to (steps·q / discriminator steps).
    pub epochs: f64,
}

/// ε after a number of training steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepEpsilon {
    /// Training steps completed.
    pub steps: u64,
    /// ε at δ (preprocessing included).
    pub epsilon: f64,
}

/// ε after a number of rounds of a model fitted in rounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoundEpsilon {
    /// Rounds completed (0: the releases before the first round).
    pub round: u64,
    /// ε at δ spent by then.
    pub epsilon: f64,
}

/// What was public and what was learned privately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicAndPrivate {
    /// The schema's name.
    pub schema_name: String,
    /// The declared columns.
    pub columns: Vec<PublicColumn>,
    /// Other public facts (the row count, the settings).
    pub public_facts: Vec<String>,
    /// What the model learned from the data, and how.
    pub learned_privately: Vec<String>,
}

/// One declared column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicColumn {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// What was declared about it.
    pub declared: String,
}

/// How the implementation protects the guarantee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Safeguards {
    /// Where the privacy randomness came from.
    pub noise_randomness: NoiseRandomness,
    /// What that means.
    pub randomness: String,
    /// How rows were sampled.
    pub sampling: String,
    /// What the clipping covers.
    pub clipping: String,
    /// How the budget was enforced.
    pub budget: String,
}

/// How to read ε.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// The tier's name.
    pub tier: String,
    /// The range of ε it covers.
    pub tier_range: String,
    /// Plain-language reading.
    pub tier_reading: String,
    /// Every tier, for the table: (name, range, reading).
    pub tiers: Vec<(String, String, String)>,
    /// That the tiers are conventions.
    pub tier_caveat: String,
    /// Published deployments.
    pub deployments: Vec<Deployment>,
    /// The guidance cited: (title, address).
    pub guidance: (String, String),
    /// What the guidance says to check.
    pub guidance_summary: String,
    /// Why the comparison is only indicative.
    pub comparison_caveat: String,
}

/// What other settings would cost or buy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// The fit as run, then the alternatives.
    pub scenarios: Vec<Scenario>,
    /// The ranges for this table, from the validator.
    pub ranges: Option<PlanRanges>,
    /// How to read the table.
    pub note: String,
}

/// One alternative setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// What changes.
    pub change: String,
    /// Target ε.
    pub epsilon: f64,
    /// Epochs.
    pub epochs: u64,
    /// Expected batch size.
    pub batch_size: u64,
    /// Training noise multiplier the accountant calibrates (`None` when blocked).
    pub noise_multiplier: Option<f64>,
    /// Noise std on the averaged gradient, σ·C/B.
    pub mean_gradient_noise_std: Option<f64>,
    /// The validator's error codes when the setting would be refused.
    pub blocked_by: Vec<String>,
    /// ε the change would spend *without* recalibrating the noise (same σ), if computed.
    pub epsilon_at_same_noise: Option<f64>,
}
