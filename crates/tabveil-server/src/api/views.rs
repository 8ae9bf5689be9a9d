//! Request and response bodies (their JSON shapes are the API; the OpenAPI document is
//! generated from these types).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::budget::Refusal;
use crate::chain::{ChainHead, ChargePhase};
use crate::store::{LiveProgress, Role};

/// `GET /me`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeView {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    /// May create owners.
    pub(crate) is_admin: bool,
}

/// `POST /users`: an admin creates owners; an owner creates analysts (optionally granted some
/// of their datasets at once).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserRequest {
    pub(crate) name: String,
    pub(crate) role: Role,
    /// Datasets of the caller to grant an analyst.
    #[serde(default)]
    pub(crate) datasets: Vec<String>,
}

/// The new principal and its token (shown once; only its hash is kept).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NewUserView {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) token: String,
}

/// `POST /datasets`: a dataset's public schema and lifetime budget. The table follows with
/// `PUT /datasets/{id}/table`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDatasetRequest {
    pub(crate) name: String,
    /// The public schema (tabveil's schema JSON: column kinds, bounds, categories). Bounds and
    /// categories are public knowledge the owner vouches for.
    #[schema(value_type = Object)]
    pub(crate) schema: serde_json::Value,
    /// ε_total: what every fit on this dataset may spend together, composed.
    pub(crate) epsilon_total: f64,
    /// δ of the budget (well below 1/n).
    pub(crate) delta: f64,
    /// `rdp` (default) or `pld`: the accountant that composes the fits.
    #[serde(default)]
    pub(crate) accountant: Option<String>,
    /// Share of ε_total the noisy row count released at upload may spend alone (default 0.02).
    #[serde(default)]
    pub(crate) row_estimate_share: Option<f64>,
}

/// A dataset (never its rows).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DatasetView {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `awaiting_table` or `ready`.
    pub(crate) state: String,
    /// True for the caller's own dataset.
    pub(crate) owned: bool,
    #[schema(value_type = Object)]
    pub(crate) schema: serde_json::Value,
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: String,
    /// N̂: the noisy row count released at upload (the true count is never shown).
    pub(crate) row_estimate: Option<f64>,
    pub(crate) format: Option<String>,
    pub(crate) created_at_ms: i64,
}

/// `GET /datasets/{id}/budget`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BudgetView {
    pub(crate) dataset: String,
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: String,
    /// Every current charge composed by the accountant at δ.
    pub(crate) epsilon_spent: f64,
    /// ε_total − ε spent. ε does not add up under composition: use a fit's
    /// `max_target_epsilon` (in a refusal) to know what still fits.
    pub(crate) epsilon_remaining: f64,
    pub(crate) row_estimate: Option<f64>,
    pub(crate) charges: Vec<ChargeView>,
    /// The last entry of the dataset's ledger chain.
    pub(crate) chain_head: Option<ChainHead>,
}

/// One subject's current charge.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChargeView {
    /// `generator:<id>` or `row-estimate`.
    pub(crate) subject: String,
    pub(crate) phase: ChargePhase,
    /// The chain entry that set it.
    pub(crate) seq: u64,
    /// ε of this charge alone at the budget's δ.
    pub(crate) epsilon_alone: f64,
}

/// `POST /datasets/{id}/generators` and the seed product's
/// `POST /generators/dataset/{id}/generate`: a private fit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FitRequest {
    /// `dp-` and a registered model's name (the document lists them from the model registry:
    /// `dp-ctgan`, `dp-tvae`, `dp-marginal`, …).
    pub(crate) generator_type: String,
    /// Rows a sample request returns when it does not say (default: N̂).
    #[serde(default)]
    pub(crate) num_rows: Option<u64>,
    /// Epochs (default: the model's, 300).
    #[serde(default)]
    pub(crate) epochs: Option<u64>,
    /// Expected batch size (default: the model's, 500).
    #[serde(default)]
    pub(crate) batch_size: Option<u64>,
    /// The fit's ε: required.
    #[serde(default)]
    pub(crate) target_epsilon: Option<f64>,
    /// The fit's δ: required (no 1/n default: see the 422).
    #[serde(default)]
    pub(crate) target_delta: Option<f64>,
    /// Per-example clipping norm C (default 1).
    #[serde(default)]
    pub(crate) max_grad_norm: Option<f64>,
    /// Seed of everything but the privacy noise (default 0).
    #[serde(default)]
    pub(crate) seed: Option<u64>,
    /// Hidden layer widths of both networks (default: the model's).
    #[serde(default)]
    pub(crate) hidden_dims: Option<Vec<usize>>,
    /// Embedding (latent) size (default: the model's).
    #[serde(default)]
    pub(crate) embedding_dim: Option<usize>,
    /// Share of the fit's ε its private preprocessing may spend (default 0.1).
    #[serde(default)]
    pub(crate) preprocessing_share: Option<f64>,
}

/// A generator: a fit job and its outcome.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GeneratorView {
    pub(crate) id: String,
    pub(crate) dataset_id: String,
    pub(crate) generator_type: String,
    /// State, epochs and steps, ε spent so far at the fit's δ.
    #[serde(flatten)]
    pub(crate) progress: LiveProgress,
    pub(crate) target_epsilon: f64,
    pub(crate) target_delta: f64,
    /// Chain entry of the planned charge.
    pub(crate) planned_entry: Option<u64>,
    /// Chain entry of the final charge.
    pub(crate) settled_entry: Option<u64>,
    /// A stable code when the fit failed.
    pub(crate) error_code: Option<String>,
    /// What went wrong (the dataset's owner only).
    pub(crate) error: Option<String>,
    /// The settings.
    pub(crate) settings: FitRequest,
    pub(crate) created_at_ms: i64,
    pub(crate) updated_at_ms: i64,
}

/// 202 of a fit request: the generator, the validator's warnings (computed at N̂) and the
/// budget after the charge.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedGenerator {
    #[serde(flatten)]
    pub(crate) generator: GeneratorView,
    pub(crate) warnings: Vec<String>,
    /// ε of this fit's planned ledger alone, at the budget's δ.
    pub(crate) planned_epsilon: f64,
    pub(crate) budget: BudgetView,
}

/// 409 of a fit that does not fit the budget.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefusalView {
    pub(crate) error: String,
    pub(crate) code: String,
    pub(crate) budget: Refusal,
    /// The largest `target_epsilon` that fits with the same other settings (None: none does).
    pub(crate) max_target_epsilon: Option<f64>,
    pub(crate) fix: String,
}

/// Query of `GET /generators/{id}/samples`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SampleQuery {
    /// Rows (default: the fit's `num_rows`, else N̂).
    #[serde(default)]
    pub(crate) rows: Option<usize>,
    /// Seed of the generation (default 0).
    #[serde(default)]
    pub(crate) seed: Option<u64>,
    /// Conditions `col=value`, comma-separated (categorical columns).
    #[serde(default)]
    pub(crate) condition: Option<String>,
    /// `csv` (default) or `json`.
    #[serde(default)]
    pub(crate) format: Option<String>,
}

/// Query of the report routes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormatQuery {
    /// `json` (default), `md` or `html`.
    #[serde(default)]
    pub(crate) format: Option<String>,
}
