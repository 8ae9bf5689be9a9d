//! The fit: select–measure–generate (AIM's rounds, McKenna et al. 2022) on the discretised
//! table, every release through the [`Curator`].
//!
//! 1. **One-way histograms.** Each modelled column's fine histogram is measured once (a share
//!    of ρ split evenly). Categorical columns go first: their noisy totals give N̂, from which
//!    the fine resolution of the numeric columns is chosen (post-processing). The model cells
//!    are grouped from the denoised histograms; the one-way measurements of the model cells are
//!    the sums of the raw noisy fine counts (unbiased, variance σ² per fine cell).
//! 2. **Rounds.** Candidates are the workload's subsets whose addition keeps the junction tree
//!    under a size limit that grows with the budget spent (or that the model already holds).
//!    The exponential mechanism picks the candidate with the largest weighted error of the
//!    current model minus the error the noise alone would explain; it is measured with
//!    Gaussian noise and the model re-estimated from a warm start. When the new measurement
//!    barely moved the model's answer (by less than the noise's expected L1 size), σ halves and
//!    the selection's ε doubles. When the budget left would not pay for two more rounds, the
//!    last round spends exactly what is left (by bisection with the accountant).
//! 3. **Final estimate** with more mirror-descent steps.
//!
//! Without privacy, measurements are exact, the selection takes the largest error, and the
//! rounds stop when the largest error is on a marginal already measured.

use std::ops::ControlFlow;

use tabveil_data::{ColumnKind, DataError, Schema, TableSource, TransformError};

use super::budget::Budget;
use super::config::ValidMarginalConfig;
use super::discretise::{Coding, FineCells, Grid, Grouping, GroupingRule, denoise, group_cells};
use super::estimation::{Estimator, Measurement};
use super::factor::Clique;
use super::junction_tree::tree_size;
use super::measure::{Candidate, Curator, MechanismNoise, check_columns};
use super::query::Calibrated;
use super::release_plan::{ReleasePlan, modelled_columns, one_way_order, opening_ledger};
use super::workload::{WorkloadRule, candidates, is_free, workload};
use super::{MarginalRound, ModelState};
use crate::error::{ConfigError, ModelError, Result};
use crate::progress::{EpochReport, Losses, Progress, StopReason};

/// √(2/π): the expected |N(0, 1)|.
const HALF_NORMAL_MEAN: f64 = 0.797_884_560_802_865_4;
/// Fine resolution of a numeric column measured before any row estimate exists.
const DEFAULT_RESOLUTION: usize = 32;
/// Fine counts below this many noise standard deviations weigh 0 in decoding and grouping.
const DENOISE_FLOOR: f64 = 1.0;
/// A category (or point cell) with fewer than this many noise standard deviations of rows is
/// merged with the other small ones; a numeric model cell holds at least as many.
const SMALL_CELL: f64 = 3.0;
/// The automatic fine resolution gives an average fine cell this many noise standard
/// deviations of rows (measured: 4 beat 1, 2 and 3 on the benchmark and a wide table).
const RESOLUTION_SIGMAS: f64 = 4.0;
/// Bounds of the automatic fine resolution.
const RESOLUTION_RANGE: (usize, usize) = (16, 256);

/// Everything a fit produces.
#[derive(Debug)]
pub(crate) struct FitOutput {
    pub(crate) state: ModelState,
    pub(crate) potentials: Vec<Vec<f64>>,
    pub(crate) rounds: Vec<MarginalRound>,
    pub(crate) budget: Option<Budget>,
    pub(crate) one_way_sigma: f64,
    pub(crate) first_sigma: f64,
    pub(crate) releases: u64,
    /// Completed, or cancelled between rounds.
    pub(crate) stop: StopReason,
}

/// Fits the model on the table of `source` with the randomness of `noise` (see the [module
/// docs](self)). The table is read in passes over its batches (one, or a few when a numeric
/// column's resolution turns out other than guessed); a table in memory is a source of one
/// batch, so in-memory and streamed fits are this one function.
///
/// # Errors
/// Schema errors (missing public bounds or categories, an unknown target) before anything is
/// released; once releases were made, every error carries them
/// ([`ModelError::SpentThenFailed`]), cancellation included.
pub(crate) fn fit(
    config: &ValidMarginalConfig,
    source: &mut dyn TableSource,
    schema: &Schema,
    noise: &mut dyn MechanismNoise,
    progress: &mut dyn Progress,
) -> Result<FitOutput> {
    let plan = Plan::new(config, source, schema)?;
    let release_plan = ReleasePlan::new(config, plan.columns.len())?;
    // Prior releases (a private schema discovery) open the ledger and every guard: the plan
    // above left them their share (`total_rho` composes them first).
    let budget = match config.privacy.dp() {
        Some(dp) => Some(Budget::with_rho(
            release_plan.rho_total,
            dp.epsilon,
            dp.delta,
            &dp.accountant,
            opening_ledger(dp)?,
        )?),
        None => None,
    };
    let mut curator = Curator::new(source, schema, plan.columns.len(), noise, budget);
    match run(config, schema, &plan, &release_plan, &mut curator, progress) {
        Ok(mut out) => {
            out.budget = curator.take_budget();
            Ok(out)
        }
        Err(e) => Err(match curator.take_budget() {
            Some(b) => ModelError::after_releases(e, b.into_ledger()),
            None => e,
        }),
    }
}

/// What the schema fixes before any data is read.
struct Plan {
    /// Schema indices of the modelled columns (attributes, in schema order).
    columns: Vec<usize>,
    /// The target attribute.
    target: Option<usize>,
    /// Non-private mode: per numeric attribute, bounds read from the data when the schema
    /// has none.
    data_bounds: Vec<Option<(f64, f64)>>,
    /// Non-private mode: per categorical attribute, labels from the table when the schema
    /// has none.
    data_labels: Vec<Option<Vec<String>>>,
}

impl Plan {
    fn new(
        config: &ValidMarginalConfig,
        source: &mut dyn TableSource,
        schema: &Schema,
    ) -> Result<Self> {
        let private = config.privacy.is_private();
        let columns = modelled_columns(schema);
        if columns.is_empty() {
            return Err(ModelError::NoModelledColumns);
        }
        let mut data_bounds = Vec::with_capacity(columns.len());
        let mut data_labels = Vec::with_capacity(columns.len());
        // Attributes whose bounds or labels come from the data (non-private mode only).
        let mut from_data: Vec<usize> = Vec::new();
        for (attr, &i) in columns.iter().enumerate() {
            let cs = &schema.columns()[i];
            let (bounds, labels) = match cs.kind() {
                ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. } => {
                    match (min, max) {
                        (Some(lo), Some(hi)) => (Some((*lo, *hi)), None),
                        _ if private => {
                            return Err(DataError::from(TransformError::MissingBounds {
                                column: cs.name().to_owned(),
                            })
                            .into());
                        }
                        // Non-private: the data's own range (no privacy claim is made).
                        _ => {
                            from_data.push(attr);
                            (None, None)
                        }
                    }
                }
                _ => match cs.categories() {
                    Some(labels) => (None, Some(labels)),
                    None if private => {
                        return Err(DataError::from(TransformError::MissingCategories {
                            column: cs.name().to_owned(),
                        })
                        .into());
                    }
                    None => {
                        from_data.push(attr);
                        (None, Some(Vec::new()))
                    }
                },
            };
            data_bounds.push(bounds);
            data_labels.push(labels);
        }
        if !from_data.is_empty() {
            read_domains(
                source,
                schema,
                &columns,
                &from_data,
                &mut data_bounds,
                &mut data_labels,
            )?;
        }
        let target_name = config.target.as_deref().or(schema.target());
        let target = match target_name {
            None => None,
            Some(name) => Some(
                columns
                    .iter()
                    .position(|&i| schema.columns()[i].name() == name)
                    .ok_or(ConfigError::invalid(
                        "target",
                        name,
                        "a modelled column of the schema",
                    ))?,
            ),
        };
        Ok(Plan {
            columns,
            target,
            data_bounds,
            data_labels,
        })
    }

    fn coding(&self, schema: &Schema, attr: usize, resolution: usize) -> Coding {
        let i = self.columns[attr];
        let cs = &schema.columns()[i];
        let cells = match (&self.data_labels[attr], self.data_bounds[attr]) {
            (Some(labels), _) => FineCells::Categories {
                labels: labels.clone(),
            },
            (None, Some((lo, hi))) => FineCells::Numeric {
                grid: Grid::new(lo, hi.max(lo), cs.is_integer(), resolution),
            },
            (None, None) => FineCells::Categories { labels: Vec::new() },
        };
        Coding {
            column: i,
            name: cs.name().to_owned(),
            cells,
            nullable: cs.is_nullable(),
        }
    }
}

/// Non-private mode: one pass over the source for the bounds and labels the schema does not
/// declare (`attrs`): each numeric column's observed range, each categorical column's labels
/// (the union of the batches', sorted, as a whole read discovers them). Refuses an empty
/// table.
fn read_domains(
    source: &mut dyn TableSource,
    schema: &Schema,
    columns: &[usize],
    attrs: &[usize],
    data_bounds: &mut [Option<(f64, f64)>],
    data_labels: &mut [Option<Vec<String>>],
) -> Result<()> {
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); attrs.len()];
    let mut labels: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); attrs.len()];
    let mut rows = 0usize;
    for batch in source.batches()? {
        let batch = batch?;
        check_columns(&batch, schema)?;
        rows += batch.n_rows();
        for (k, &attr) in attrs.iter().enumerate() {
            let column = &batch.columns()[columns[attr]];
            if data_labels[attr].is_some() {
                labels[k].extend(column.domain().unwrap_or_default().iter().cloned());
            } else {
                let values = column.as_continuous().unwrap_or(&[]);
                for (i, &v) in values.iter().enumerate() {
                    if !column.is_null(i) {
                        ranges[k].0 = ranges[k].0.min(v);
                        ranges[k].1 = ranges[k].1.max(v);
                    }
                }
            }
        }
    }
    if rows == 0 {
        return Err(ModelError::EmptyTable);
    }
    for (k, &attr) in attrs.iter().enumerate() {
        if data_labels[attr].is_some() {
            data_labels[attr] = Some(std::mem::take(&mut labels[k]).into_iter().collect());
        } else {
            let (lo, hi) = ranges[k];
            data_bounds[attr] = Some(if lo.is_finite() && hi.is_finite() {
                (lo, if hi > lo { hi } else { lo + 1.0 })
            } else {
                (0.0, 1.0)
            });
        }
    }
    Ok(())
}

fn run(
    config: &ValidMarginalConfig,
    schema: &Schema,
    plan: &Plan,
    release_plan: &ReleasePlan,
    curator: &mut Curator<'_, '_>,
    progress: &mut dyn Progress,
) -> Result<FitOutput> {
    let schema_columns = plan.columns.len();
    let private = curator.is_private();
    // 1. One-way histograms, categorical columns first.
    let sigma1 = release_plan.one_way_sigma;
    let categorical: Vec<bool> = plan.data_labels.iter().map(Option::is_some).collect();
    let order = one_way_order(&categorical);
    let mut codings: Vec<Option<Coding>> = vec![None; schema_columns];
    let mut noisy: Vec<Vec<f64>> = vec![Vec::new(); schema_columns];
    let mut totals: Vec<(f64, f64)> = Vec::new(); // (sum, cells) per measured attribute
    for (done, &a) in order.iter().enumerate() {
        let n_hat = pooled_total(&totals, sigma1);
        let resolution = config.resolution.unwrap_or_else(|| match n_hat {
            Some(n) => auto_resolution(n, sigma1),
            None => DEFAULT_RESOLUTION,
        });
        let coding = plan.coding(schema, a, resolution);
        // The codings of the attributes still to measure, as far as they can be told now
        // (categorical ones exactly; numeric ones at the resolution N̂ gives now, or the
        // largest before any N̂): encoded in the same pass, so that a streamed table is read
        // again only when a guess was wrong. Public inputs and N̂ only.
        let guess = config.resolution.unwrap_or_else(|| match n_hat {
            Some(n) => auto_resolution(n, sigma1),
            None => RESOLUTION_RANGE.1,
        });
        let ahead: Vec<(usize, Coding)> = order[done + 1..]
            .iter()
            .map(|&b| (b, plan.coding(schema, b, guess)))
            .collect();
        curator.add_attribute(a, &coding, &ahead)?;
        if !private && curator.is_empty() {
            // Non-private mode only: private mode never looks at the row count.
            return Err(ModelError::EmptyTable);
        }
        let y = curator.measure_fine(
            a,
            sigma1,
            format!(
                "marginal: one-way histogram of `{}` ({} cells)",
                coding.name,
                coding.len()
            ),
        )?;
        totals.push((y.iter().sum(), y.len() as f64));
        noisy[a] = y;
        let stop = progress.preprocessing(done + 1, schema_columns, &coding.name);
        codings[a] = Some(coding);
        if stop.is_break() {
            return Err(ModelError::Cancelled);
        }
    }
    let codings: Vec<Coding> = codings.into_iter().flatten().collect();
    let n_hat = pooled_total(&totals, sigma1).unwrap_or(1.0).max(1.0);
    // Model cells from the denoised fine histograms (post-processing).
    let weights: Vec<Vec<f64>> = codings
        .iter()
        .zip(&noisy)
        .map(|(c, y)| denoise(c, y, sigma1, DENOISE_FLOOR))
        .collect();
    let groupings: Vec<Grouping> = codings
        .iter()
        .enumerate()
        .map(|(a, c)| {
            let rule = GroupingRule {
                small: SMALL_CELL * sigma1,
                mass_per_group: (n_hat / config.max_bins as f64).max(SMALL_CELL * sigma1),
                max_groups: config.max_bins,
                keep_categories: plan.target == Some(a),
            };
            group_cells(c, &weights[a], &rule)
        })
        .collect();
    curator.set_groupings(&groupings);
    let sizes: Vec<usize> = groupings.iter().map(|g| g.groups).collect();
    let mut measurements: Vec<Measurement> = groupings
        .iter()
        .enumerate()
        .map(|(a, g)| {
            let mut values = vec![0.0; g.groups];
            let mut members = vec![0usize; g.groups];
            for (f, &m) in g.group_of.iter().enumerate() {
                values[m as usize] += noisy[a][f];
                members[m as usize] += 1;
            }
            let std = members
                .iter()
                .map(|&k| {
                    if private {
                        sigma1 * (k as f64).sqrt()
                    } else {
                        1.0
                    }
                })
                .collect();
            Measurement {
                clique: vec![a],
                values,
                std,
            }
        })
        .collect();
    // 2. Rounds.
    let work = workload(
        &sizes,
        &WorkloadRule {
            target: plan.target,
            target_triples: config.target_triples,
            target_weight: config.target_weight,
            max_cells: config.max_clique_cells,
        },
    );
    let cand = candidates(&work);
    curator.prepare_candidates(&cand.cliques)?;
    let mut estimator = Estimator::new(&sizes, &measurements, None);
    estimator.run(&measurements, config.iterations, 1e-7, 10);
    let planned = release_plan.rounds;
    let share = config.selection_share;
    let mut sigma = release_plan.round_sigma;
    let mut eps_sel = release_plan.selection_epsilon;
    let first_sigma = sigma;
    let mut rounds: Vec<MarginalRound> = Vec::new();
    let mut measured: Vec<Clique> = Vec::new();
    let mut stop = StopReason::Completed;
    loop {
        let round = rounds.len() + 1;
        let mut last = false;
        if let Some(budget) = curator.budget() {
            let cost = 0.5 / (sigma * sigma) + eps_sel * eps_sel / 8.0;
            if budget.rho_left() < 2.0 * cost {
                match budget.last_round(share)? {
                    Some((s, e)) => {
                        sigma = s;
                        eps_sel = e;
                    }
                    None => break,
                }
                last = true;
            }
        } else if round > planned {
            break;
        }
        let size_limit = match curator.budget() {
            Some(b) => {
                let cost = 0.5 / (sigma * sigma) + eps_sel * eps_sel / 8.0;
                (config.max_model_cells as f64 * ((b.rho_used() + cost) / b.rho_total()).min(1.0))
                    as usize
            }
            None => config.max_model_cells,
        };
        // Candidates that keep the model small enough (or that it already holds).
        let model_cliques = estimator.cliques().to_vec();
        let tree_marginals = estimator.tree_marginals();
        let calibrated = Calibrated {
            tree: estimator.tree(),
            sizes: &sizes,
            marginals: &tree_marginals,
        };
        let mut allowed: Vec<usize> = Vec::new();
        let mut estimates: Vec<Vec<f64>> = Vec::new();
        for (i, c) in cand.cliques.iter().enumerate() {
            // Without noise a measured marginal is fitted exactly: measuring it again adds
            // nothing.
            if !private && measured.contains(c) {
                continue;
            }
            let ok = is_free(c, &model_cliques) || {
                let mut with: Vec<Clique> = model_cliques.clone();
                with.push(c.clone());
                tree_size(&sizes, &with) <= size_limit
            };
            if ok {
                allowed.push(i);
                estimates.push(calibrated.project(c).values);
            }
        }
        if allowed.is_empty() {
            break;
        }
        let list: Vec<Candidate<'_>> = allowed
            .iter()
            .zip(&estimates)
            .map(|(&i, e)| Candidate {
                index: i,
                weight: cand.weights[i],
                estimate: e,
                bias: HALF_NORMAL_MEAN * sigma * e.len() as f64,
            })
            .collect();
        let pick = curator.select(
            &list,
            eps_sel,
            format!(
                "marginal: selection of round {round} among {} candidates",
                list.len()
            ),
        )?;
        let chosen = allowed[pick];
        let clique = cand.cliques[chosen].clone();
        let before = estimates[pick].clone();
        let names: Vec<String> = clique.iter().map(|&a| codings[a].name.clone()).collect();
        let m = curator.measure(
            &clique,
            sigma,
            format!(
                "marginal: round {round}, marginal of ({})",
                names.join(", ")
            ),
        )?;
        measurements.push(m);
        measured.push(clique.clone());
        let warm = (
            estimator.cliques().to_vec(),
            estimator.potentials().to_vec(),
        );
        estimator = Estimator::new(&sizes, &measurements, Some((&warm.0, &warm.1)));
        let stats = estimator.run(&measurements, config.iterations, 1e-7, 10);
        let after = {
            let tm = estimator.tree_marginals();
            Calibrated {
                tree: estimator.tree(),
                sizes: &sizes,
                marginals: &tm,
            }
            .project(&clique)
            .values
        };
        let moved: f64 = after.iter().zip(&before).map(|(a, b)| (a - b).abs()).sum();
        let annealed = private && moved <= HALF_NORMAL_MEAN * sigma * after.len() as f64;
        let epsilon_spent = match curator.budget() {
            Some(b) => Some(b.epsilon_spent()?),
            None => None,
        };
        rounds.push(MarginalRound {
            round,
            columns: names,
            cells: after.len(),
            noise_multiplier: private.then_some(sigma),
            selection_epsilon: private.then_some(eps_sel),
            epsilon_spent,
            annealed,
        });
        if annealed {
            sigma /= 2.0;
            eps_sel *= 2.0;
        }
        let mut losses = Losses::new();
        losses.set("estimation", stats.loss);
        let report = EpochReport {
            epoch: round,
            epochs: planned.max(round),
            steps: measurements.len() as u64,
            losses,
            epsilon_spent,
        };
        if let ControlFlow::Break(()) = progress.epoch(&report) {
            // Cancelled between rounds: the model is fitted to what was measured so far (the
            // ledger holds exactly those releases), as a DP-SGD fit stops after its step.
            stop = StopReason::Cancelled;
            break;
        }
        if last {
            break;
        }
    }
    // 3. Final estimate.
    estimator.run(&measurements, config.final_iterations, 1e-9, 25);
    let releases = measurements.len() as u64 + rounds.len() as u64;
    let state = ModelState {
        codings,
        groupings,
        fine_weights: weights,
        cliques: estimator.cliques().to_vec(),
        total: estimator.total().max(1.0).min(n_hat.max(1.0) * 1e6),
        one_way_noise: private.then_some(sigma1),
    };
    Ok(FitOutput {
        state,
        potentials: estimator.potentials().to_vec(),
        rounds,
        budget: None,
        one_way_sigma: sigma1,
        first_sigma,
        releases,
        stop,
    })
}

/// The pooled row estimate from one-way totals (each of variance cells · σ²): the
/// minimum-variance weighted mean. `None` before any measurement.
fn pooled_total(totals: &[(f64, f64)], sigma: f64) -> Option<f64> {
    if totals.is_empty() {
        return None;
    }
    if sigma == 0.0 {
        return totals.first().map(|t| t.0);
    }
    let (mut num, mut den) = (0.0, 0.0);
    for &(sum, cells) in totals {
        num += sum / cells;
        den += 1.0 / cells;
    }
    Some((num / den).max(1.0))
}

/// The fine resolution of numeric columns: about N̂ / (4σ) interior bins, so an average cell
/// holds four noise standard deviations of rows, within [`RESOLUTION_RANGE`]. Without noise,
/// the largest.
fn auto_resolution(n_hat: f64, sigma: f64) -> usize {
    let (lo, hi) = RESOLUTION_RANGE;
    if sigma <= 0.0 {
        return hi;
    }
    ((n_hat / (RESOLUTION_SIGMAS * sigma)).round() as usize).clamp(lo, hi)
}
