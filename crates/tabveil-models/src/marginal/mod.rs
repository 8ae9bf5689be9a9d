//! [`Marginal`]: a marginal-based synthesizer — select, measure, generate — in the manner of
//! AIM (McKenna, Mullins, Sheldon & Miklau, VLDB 2022) with Private-PGM estimation (McKenna,
//! Sheldon & Miklau, ICML 2019), for small and medium tables.
//!
//! - **Discretise** with public information: categories, or cells over the schema's bounds
//!   (with exact point cells at the bounds and at zero, and a null cell for nullable columns).
//! - **Measure** every column's fine histogram once with Gaussian noise; group the fine cells
//!   into the model's cells from those noisy counts (few cells when the table is small or the
//!   noise large; rare categories merged; the target's categories never).
//! - **Select and measure** (AIM's rounds): the exponential mechanism picks the workload
//!   marginal (pairs, and triples with the target when one is known) that the current model
//!   gets most wrong beyond what noise explains; it is measured with Gaussian noise; the
//!   budget anneals and the last round spends exactly what is left.
//! - **Generate**: the graphical model over the measured cliques that best fits every noisy
//!   measurement (mirror descent with belief propagation on a junction tree), sampled forward
//!   with counts rounded to exact totals; each model cell decodes to a fine cell by the noisy
//!   fine histogram, and to a value within it (AIM decodes to the bin's midpoint).
//! - **Conditional sampling** is exact: the model is conditioned (its potentials sliced at the
//!   condition), not rejection-sampled. Any modelled column can be conditioned on: a
//!   category, a missing value, or a number (then its fine cell, and that exact number).
//!
//! Private mode spends at most (ε, δ) by the configured accountant: every histogram and
//! marginal is a Gaussian release of L2 sensitivity 1 on the ledger, every selection an
//! exponential mechanism; the plan is AIM's, in ρ-zCDP, converted with the accountant. The
//! row count is never read: N̂ comes from the noisy histograms. A fit cancelled between rounds
//! ends with the model of the rounds measured so far (its summary says
//! [`StopReason::Cancelled`](crate::StopReason::Cancelled); its ledger holds exactly those
//! releases); cancelled during the one-way histograms, or failed, a private fit returns its
//! releases with the error ([`ModelError::SpentThenFailed`]).
//!
//! # Example
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{
//!     Condition, DpConfig, Marginal, MarginalConfig, NoProgress, Privacy, Synthesizer,
//! };
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::integer("age", Some(18.0), Some(90.0)),
//!     ColumnSchema::categorical("job", ["a", "b", "c"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..600)
//!     .map(|i| {
//!         let job = ["a", "b", "c"][i % 3];
//!         vec![Value::Number((20 + (i % 3) * 15 + i % 7) as f64), Value::from(job)]
//!     })
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//! let config = MarginalConfig::new(Privacy::Dp(DpConfig::new(3.0, 1e-6))).check()?;
//! let mut model = Marginal::new(config);
//! let summary = model.fit(&table, &schema, &mut NoProgress)?;
//! assert!(summary.private.unwrap().epsilon_spent <= 3.0);
//! let synthetic = model.sample(100, 7)?;
//! assert_eq!(synthetic.n_rows(), 100);
//! let only_c = model.sample_conditional(10, &[Condition::new("job", "c")], 7)?;
//! assert!(only_c.column("job").unwrap().as_categorical().unwrap().iter().all(|&v| v == 2));
//! let again = Marginal::from_bytes(&model.to_bytes()?)?;
//! assert_eq!(again.sample(100, 7)?, synthetic);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`ModelError::SpentThenFailed`]: crate::ModelError::SpentThenFailed

mod budget;
mod cells;
mod config;
mod decode;
mod discretise;
mod estimation;
mod factor;
mod fit;
mod inference;
mod junction_tree;
mod measure;
mod memory;
mod query;
mod release_plan;
mod sample;
mod saved;
mod spec;
mod workload;

use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{DataError, Schema, SchemaError, Table, TableSource, TransformError};

pub use config::{MarginalConfig, ValidMarginalConfig};
pub(crate) use spec::REGISTRATION;

use crate::error::{ModelError, Result};
use crate::persist::SavedModel;
use crate::progress::Progress;
use crate::registry::{ModelKind, ModelSettings};
use crate::sampling;
use crate::seeds::{Stream, derived_seed};
use crate::synthesizer::{Condition, FitSummary, PrivateRun, Synthesizer};
use decode::{AttributeDecoder, Forced, decode_table};
use discretise::{CellRange, Coding, FineCells, Grouping};
use factor::{Clique, Factor};
use inference::Engine;
use measure::{MechanismNoise, PrivacyNoise, RELEASES};
use sample::forward_sample;

/// The marginal model: built from a checked configuration, then fitted or loaded (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct Marginal {
    config: ValidMarginalConfig,
    fitted: Option<Fitted>,
    summary: Option<FitSummary>,
}

/// One selection round of a fit: public (parameters and post-processing of releases).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginalRound {
    /// The round (1-based).
    pub round: usize,
    /// The columns of the marginal measured.
    pub columns: Vec<String>,
    /// Its model cells.
    pub cells: usize,
    /// The noise multiplier of its measurement (private mode).
    pub noise_multiplier: Option<f64>,
    /// The ε of its selection (private mode).
    pub selection_epsilon: Option<f64>,
    /// ε spent after the round, at the run's δ (private mode).
    pub epsilon_spent: Option<f64>,
    /// Whether the noise halved after this round (the measurement barely moved the model).
    pub annealed: bool,
}

/// The fitted model's public state (saved as JSON; the potentials go to safetensors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelState {
    /// The modelled columns' fine cells.
    pub(crate) codings: Vec<Coding>,
    /// Their model cells.
    pub(crate) groupings: Vec<Grouping>,
    /// Denoised fine histograms (the within-cell decoding weights).
    pub(crate) fine_weights: Vec<Vec<f64>>,
    /// The graphical model's cliques.
    pub(crate) cliques: Vec<Clique>,
    /// N̂, the private row estimate the model is scaled to.
    pub(crate) total: f64,
    /// The noise multiplier of the one-way histograms (private mode).
    pub(crate) one_way_noise: Option<f64>,
}

impl ModelState {
    fn sizes(&self) -> Vec<usize> {
        self.groupings.iter().map(|g| g.groups).collect()
    }
}

/// A fitted model: its state, potentials (rounded to `f32`, as saved), rounds and ledger.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    schema: Schema,
    state: ModelState,
    potentials: Vec<Vec<f64>>,
    rounds: Vec<MarginalRound>,
    ledger: Option<PrivacyLedger>,
    decoders: Vec<AttributeDecoder>,
}

impl Fitted {
    fn new(
        schema: Schema,
        state: ModelState,
        potentials: Vec<Vec<f64>>,
        rounds: Vec<MarginalRound>,
        ledger: Option<PrivacyLedger>,
    ) -> Self {
        // The saved potentials are f32: round here too, so a loaded model samples the same.
        let potentials = potentials
            .into_iter()
            .map(|p| p.into_iter().map(|v| f64::from(v as f32)).collect())
            .collect();
        let decoders = state
            .groupings
            .iter()
            .zip(&state.fine_weights)
            .map(|(g, w)| AttributeDecoder::new(g, w))
            .collect();
        Fitted {
            schema,
            state,
            potentials,
            rounds,
            ledger,
            decoders,
        }
    }

    fn sample(&self, n: usize, seed: u64, evidence: &[(usize, usize, Forced)]) -> Result<Table> {
        let mut sizes = self.state.sizes();
        let mut potentials = self.potentials.clone();
        for &(attr, group, _) in evidence {
            for (clique, p) in self.state.cliques.iter().zip(potentials.iter_mut()) {
                if clique.contains(&attr) {
                    let f = Factor::from_values(clique, &sizes, std::mem::take(p))
                        .ok_or(ModelError::Internal("a potential of the wrong size"))?;
                    *p = f.slice(attr, group).values;
                }
            }
            sizes[attr] = 1;
        }
        let mut engine = Engine::new(&sizes, &self.state.cliques);
        let marginals = engine.tree_marginals(&potentials, 1.0);
        let mut rng = ChaCha8Rng::seed_from_u64(derived_seed(seed, Stream::Latent));
        let mut cells = forward_sample(engine.tree(), &sizes, &marginals, n, &mut rng);
        let mut forced = vec![None; self.state.codings.len()];
        for &(attr, group, f) in evidence {
            cells[attr].fill(group as u32);
            forced[attr] = Some(f);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(derived_seed(seed, Stream::Gumbel));
        decode_table(
            &self.schema,
            &self.state.codings,
            &self.decoders,
            &cells,
            &forced,
            &mut rng,
        )
    }

    /// The attribute, model cell and forced fine cell/value of a condition.
    fn resolve(&self, condition: &Condition) -> Result<(usize, usize, Forced)> {
        let Some(attr) = self
            .state
            .codings
            .iter()
            .position(|c| c.name == condition.column)
        else {
            let column = condition.column.clone();
            let error: DataError = if self.schema.column(&condition.column).is_some() {
                TransformError::NotConditionable { column }.into()
            } else {
                SchemaError::UnknownColumn { column }.into()
            };
            return Err(error.into());
        };
        let coding = &self.state.codings[attr];
        let not_a_value = || -> ModelError {
            DataError::from(TransformError::NotACategory {
                column: condition.column.clone(),
                value: condition
                    .value
                    .clone()
                    .unwrap_or_else(|| "<missing>".to_owned()),
            })
            .into()
        };
        let forced = match (&condition.value, &coding.cells) {
            (None, _) => Forced::Cell(coding.null_cell().ok_or_else(not_a_value)?),
            (Some(v), FineCells::Categories { labels }) => {
                Forced::Cell(labels.iter().position(|l| l == v).ok_or_else(not_a_value)?)
            }
            (Some(v), FineCells::Numeric { grid }) => {
                let x: f64 = v.trim().parse().map_err(|_| not_a_value())?;
                let (lo, hi) = match (grid.range(0), grid.range(grid.len() - 1)) {
                    (CellRange::Point(a) | CellRange::Interval(a, _), CellRange::Point(b)) => {
                        (a, b)
                    }
                    (
                        CellRange::Point(a) | CellRange::Interval(a, _),
                        CellRange::Interval(_, b),
                    ) => (a, b),
                };
                let integer_ok = !grid.is_integer() || x.fract() == 0.0;
                if !(x.is_finite() && lo <= x && x <= hi && integer_ok) {
                    return Err(not_a_value());
                }
                Forced::Number(grid.cell_of(x), x)
            }
        };
        let cell = match forced {
            Forced::Cell(f) | Forced::Number(f, _) => f,
        };
        let group = self.state.groupings[attr].group_of[cell] as usize;
        Ok((attr, group, forced))
    }
}

impl Marginal {
    /// An unfitted model.
    pub fn new(config: ValidMarginalConfig) -> Self {
        Marginal {
            config,
            fitted: None,
            summary: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ValidMarginalConfig {
        &self.config
    }

    /// The selection rounds of the fit (the report's ε-per-round plot reads these).
    pub fn rounds(&self) -> Option<&[MarginalRound]> {
        self.fitted.as_ref().map(|f| f.rounds.as_slice())
    }

    /// The graphical model's cliques, as column names.
    pub fn cliques(&self) -> Option<Vec<Vec<String>>> {
        self.fitted.as_ref().map(|f| {
            f.state
                .cliques
                .iter()
                .map(|c| c.iter().map(|&a| f.state.codings[a].name.clone()).collect())
                .collect()
        })
    }

    /// True once fitted or loaded.
    pub fn is_fitted(&self) -> bool {
        self.fitted.is_some()
    }

    fn fitted(&self) -> Result<&Fitted> {
        self.fitted.as_ref().ok_or(ModelError::NotFitted)
    }

    /// The fit, on a source of batches (a table in memory is one batch).
    fn fit_batches(
        &mut self,
        source: &mut dyn TableSource,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        // Non-private fits draw nothing from it (no noise, selections by the largest score).
        let noise_source = match self.config.privacy.dp() {
            Some(dp) => dp.noise_source(),
            None => tabveil_noise::NoiseSource::secure(),
        };
        let mut noise = PrivacyNoise(noise_source.rng(RELEASES)?);
        self.fit_with(source, schema, &mut noise, progress)
    }

    /// Fits with the randomness of `noise` (a fit always passes the privacy RNG; tests pass
    /// a source that forces the released values).
    fn fit_with(
        &mut self,
        source: &mut dyn TableSource,
        schema: &Schema,
        noise: &mut dyn MechanismNoise,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        let out = fit::fit(&self.config, source, schema, noise, progress)?;
        let (ledger, private) = match (out.budget, self.config.privacy.dp()) {
            (Some(budget), Some(dp)) => {
                let epsilon_spent = budget.epsilon_spent()?;
                let ledger = budget.into_ledger();
                let private = PrivateRun {
                    estimated_rows: out.state.total,
                    preprocessing_noise_multiplier: Some(out.one_way_sigma),
                    training_noise_multiplier: out.first_sigma,
                    sample_rate: 1.0,
                    planned_releases: out.releases,
                    releases: out.releases,
                    epsilon_spent,
                    delta: dp.delta,
                };
                (Some(ledger), Some(private))
            }
            _ => (None, None),
        };
        let summary = FitSummary {
            stop: out.stop,
            epochs: out.rounds.len(),
            steps: out.releases,
            private,
        };
        self.fitted = Some(Fitted::new(
            schema.clone(),
            out.state,
            out.potentials,
            out.rounds,
            ledger,
        ));
        self.summary = Some(summary.clone());
        Ok(summary)
    }
}

impl Synthesizer for Marginal {
    fn kind(&self) -> ModelKind {
        ModelKind::Marginal
    }

    fn fit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        // The table is a source of one batch: the streamed fit, fed at once.
        self.fit_batches(&mut &*table, schema, progress)
    }

    fn fit_source(
        &mut self,
        source: &mut dyn TableSource,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        self.fit_batches(source, schema, progress)
    }

    fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        let fitted = self.fitted()?;
        // The schema's constraints, shared with every model (`sampling`).
        sampling::sample_whole(&fitted.schema, n, seed, &[], |rows, s| {
            fitted.sample(rows, s, &[])
        })
    }

    fn summary(&self) -> Option<&FitSummary> {
        self.summary.as_ref()
    }

    fn settings(&self) -> ModelSettings {
        self.config.get().clone().into()
    }

    fn sample_conditional(&self, n: usize, conditions: &[Condition], seed: u64) -> Result<Table> {
        let fitted = self.fitted()?;
        if conditions.is_empty() {
            return Err(ModelError::NoConditions);
        }
        let mut evidence = Vec::with_capacity(conditions.len());
        for (i, c) in conditions.iter().enumerate() {
            if conditions[..i].iter().any(|o| o.column == c.column) {
                return Err(ModelError::DuplicateCondition {
                    column: c.column.clone(),
                });
            }
            evidence.push(fitted.resolve(c)?);
        }
        sampling::sample_whole(&fitted.schema, n, seed, conditions, |rows, s| {
            fitted.sample(rows, s, &evidence)
        })
    }

    fn schema(&self) -> Option<&Schema> {
        self.fitted.as_ref().map(|f| &f.schema)
    }

    fn ledger(&self) -> Option<&PrivacyLedger> {
        self.fitted.as_ref().and_then(|f| f.ledger.as_ref())
    }

    fn save(&self, dir: &Path) -> Result<()> {
        crate::persist::save_model_dir(dir, &[], |staging| self.save_into(staging))
    }

    fn save_into(&self, staging: &crate::persist::StagingDir) -> Result<()> {
        self.saved()?.write_into(staging)
    }

    // `sample_chunks` and `sample_conditional_chunks` are the trait's: the sampler draws all
    // rows together (exact counts from the model's distribution), so the chunks are cut from
    // one table and memory holds every row.

    fn to_bytes(&self) -> Result<Vec<u8>> {
        self.saved()?.to_bytes()
    }

    fn load(dir: &Path) -> Result<Self> {
        saved::from_saved(SavedModel::load_dir(dir)?)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        saved::from_saved(SavedModel::from_bytes(bytes)?)
    }
}

impl Marginal {
    fn saved(&self) -> Result<SavedModel> {
        let fitted = self.fitted()?;
        let summary = self.summary.as_ref().ok_or(ModelError::NotFitted)?;
        saved::to_saved(&self.config, fitted, summary)
    }
}

#[cfg(test)]
mod tests;
