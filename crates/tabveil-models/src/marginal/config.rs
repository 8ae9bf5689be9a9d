//! [`MarginalConfig`]: the settings of the marginal model, and [`ValidMarginalConfig`], the
//! checked form a model is built from.

use serde::{Deserialize, Serialize};

use crate::check::{Valid, at_least_one};
use crate::error::{ConfigError, ConfigResult};
use crate::privacy::{DpConfig, Privacy};

/// The marginal model's settings.
///
/// In private mode the model uses ε, δ, the accountant and the dangerous noise seed of
/// [`DpConfig`]; its DP-SGD settings (clipping norm, preprocessing share, histogram bins,
/// `zero_below`) do not apply, and `check` refuses them when changed from their defaults.
///
/// # Defaults
/// - `target` `None` (the schema's `target`, if any, is used);
/// - `rounds` `None`: AIM's 16 · (modelled columns), the number of rounds the initial noise is
///   planned for (annealing usually ends the run sooner);
/// - `one_way_share` 0.3: the share of ρ spent on the one-way histograms (they set the model's
///   cells and the decoding within them; measured over 4 small tables at ε = 1, 3, 10 with
///   three noise seeds each, 0.3 scored 0.903 mean quality against 0.876 for 0.1 and 0.887 for
///   0.2, and no worse than 0.1 in any of the 12 cells);
/// - `selection_share` 0.1: the share of each round's ρ spent on selecting (AIM's);
/// - `max_clique_cells` 10 000: workload marginals with more cells are left out (AIM's
///   `max_cells`);
/// - `max_model_cells` 2 000 000: the junction tree may hold at most this many cells (16 MB of
///   `f64`; AIM's limit is 80 MB), reached gradually as the budget is spent (as AIM);
/// - `target_triples` true: with a target, the workload also has every triple that contains it;
/// - `target_weight` 2: the score weight of workload marginals that contain the target, relative
///   to the others;
/// - `resolution` `None`: fine cells of numeric columns chosen from the private row estimate and
///   the noise (see the module docs of `marginal`);
/// - `max_bins` 32: most model cells of a numeric column;
/// - `iterations` 150 per round and `final_iterations` 1 000 (mirror descent steps);
/// - `seed` 0 (sampling only: the privacy noise never comes from it).
///
/// `privacy` has no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginalConfig {
    /// The column whose relationships matter most (a prediction target); `None`: the schema's.
    pub target: Option<String>,
    /// Rounds the initial noise is planned for; `None`: 16 per modelled column.
    pub rounds: Option<usize>,
    /// Share of ρ for the one-way histograms, in (0, 1).
    pub one_way_share: f64,
    /// Share of each round's ρ for the selection, in (0, 1).
    pub selection_share: f64,
    /// Largest workload marginal, in cells.
    pub max_clique_cells: usize,
    /// Largest junction tree, in cells.
    pub max_model_cells: usize,
    /// Whether the workload has the triples that contain the target.
    pub target_triples: bool,
    /// Score weight of workload marginals with the target (≥ 1).
    pub target_weight: f64,
    /// Interior bins of the fine histogram of numeric columns; `None`: automatic.
    pub resolution: Option<usize>,
    /// Most model cells of a numeric column.
    pub max_bins: usize,
    /// Mirror-descent steps after each round.
    pub iterations: usize,
    /// Mirror-descent steps of the final estimate.
    pub final_iterations: usize,
    /// Seed of sampling.
    pub seed: u64,
    /// Private or not.
    pub privacy: Privacy,
}

impl MarginalConfig {
    /// The defaults above with the given privacy.
    pub fn new(privacy: Privacy) -> Self {
        MarginalConfig {
            target: None,
            rounds: None,
            one_way_share: 0.3,
            selection_share: 0.1,
            max_clique_cells: 10_000,
            max_model_cells: 2_000_000,
            target_triples: true,
            target_weight: 2.0,
            resolution: None,
            max_bins: 32,
            iterations: 150,
            final_iterations: 1_000,
            seed: 0,
            privacy,
        }
    }

    /// Sets the target column.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the sampling seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every value once; a model is built only from the result.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`] naming the first bad value.
    pub fn check(self) -> ConfigResult<ValidMarginalConfig> {
        for (name, v) in [
            ("one_way_share", self.one_way_share),
            ("selection_share", self.selection_share),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(ConfigError::invalid(name, v, "in (0, 1)"));
            }
        }
        if !(self.target_weight.is_finite() && self.target_weight >= 1.0) {
            return Err(ConfigError::invalid(
                "target_weight",
                self.target_weight,
                "finite and ≥ 1",
            ));
        }
        at_least_one(&[
            ("max_clique_cells", self.max_clique_cells),
            ("max_model_cells", self.max_model_cells),
            ("max_bins", self.max_bins),
            ("final_iterations", self.final_iterations),
            ("rounds", self.rounds.unwrap_or(1)),
            ("resolution", self.resolution.unwrap_or(1)),
        ])?;
        if self.max_model_cells > u32::MAX as usize / 4 {
            return Err(ConfigError::invalid(
                "max_model_cells",
                self.max_model_cells,
                "at most 2³⁰",
            ));
        }
        if let Some(dp) = self.privacy.dp() {
            dp.check()?;
            // The DP-SGD settings do not apply: a changed one would be silently ignored.
            let defaults = DpConfig::new(dp.epsilon, dp.delta);
            for (name, value, default) in [
                ("clipping_norm", dp.clipping_norm, defaults.clipping_norm),
                (
                    "preprocessing_share",
                    dp.preprocessing_share,
                    defaults.preprocessing_share,
                ),
                ("zero_below", dp.zero_below, defaults.zero_below),
                (
                    "histogram_bins",
                    dp.histogram_bins as f64,
                    defaults.histogram_bins as f64,
                ),
            ] {
                if value != default {
                    return Err(ConfigError::invalid(
                        name,
                        value,
                        "its default: the marginal model clips no gradients and plans its own releases (see `one_way_share`, `resolution`)",
                    ));
                }
            }
        }
        Ok(Valid::checked(self))
    }
}

/// A checked [`MarginalConfig`].
pub type ValidMarginalConfig = Valid<MarginalConfig>;
