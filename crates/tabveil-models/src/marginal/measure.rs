//! The only door to the data. The [`Curator`] holds the table's cells; everything the fit learns
//! from them leaves through one of its two mechanisms — a Gaussian measurement of a marginal,
//! or an exponential-mechanism selection among candidate marginals — each recorded on the
//! ledger (private mode) before its randomness is drawn. The randomness itself comes from a
//! [`MechanismNoise`]: in a fit, always [`PrivacyNoise`] over a [`PrivacyRng`] of the run's
//! `tabveil_noise::NoiseSource`; tests substitute
//! a source that forces the released values, to check that nothing else of the data reaches
//! the model.
//!
//! **Sensitivities (add/remove one row).** A row falls in exactly one cell of any marginal's
//! contingency table, so a marginal's count vector has L2 sensitivity 1. A candidate's score
//! w·(‖x − x̂‖₁ − b) changes by at most w (x̂ and b do not depend on the data); the selection
//! divides the scores by the largest weight, so they have sensitivity 1.

use tabveil_accountant::Stage;
use tabveil_data::{ColumnData, Table};
use tabveil_noise::{PrivacyRng, PrivacyStream};

use super::budget::Budget;
use super::discretise::{Coding, FineCells, Grouping};
use super::estimation::Measurement;
use super::factor::{Clique, cells};
use crate::error::{ModelError, Result};

/// The privacy stream of a marginal fit's releases (its measurements and selections).
pub(crate) const RELEASES: PrivacyStream = PrivacyStream::new(201);

/// Where the randomness of the two mechanisms comes from.
pub(crate) trait MechanismNoise {
    /// Adds independent N(0, `std`²) noise to every value (`std` = 0: no noise).
    ///
    /// # Errors
    /// Errors of the randomness.
    fn add_gaussian(&mut self, values: &mut [f64], std: f64) -> Result<()>;

    /// An index drawn with probability ∝ exp(`log_weights[i]`).
    ///
    /// # Errors
    /// Errors of the randomness.
    fn choose(&mut self, log_weights: &[f64]) -> Result<usize>;
}

/// The privacy randomness of a fit: every draw from a [`PrivacyRng`] of the run's
/// [`NoiseSource`](tabveil_noise::NoiseSource) (OS-seeded unless the dangerous noise seed is
/// set).
#[derive(Debug)]
pub(crate) struct PrivacyNoise(pub(crate) PrivacyRng);

impl MechanismNoise for PrivacyNoise {
    fn add_gaussian(&mut self, values: &mut [f64], std: f64) -> Result<()> {
        if std == 0.0 {
            return Ok(());
        }
        let mut noise = vec![0.0; values.len()];
        self.0.fill_gaussian_f64(std, &mut noise)?;
        for (v, n) in values.iter_mut().zip(noise) {
            *v += n;
        }
        Ok(())
    }

    fn choose(&mut self, log_weights: &[f64]) -> Result<usize> {
        Ok(self.0.choose_log_weighted(log_weights)?)
    }
}

/// One candidate of a selection: its clique, weight, and the model's current answer on it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    /// Index into the curator's prepared candidate answers.
    pub(crate) index: usize,
    /// The score weight w_r.
    pub(crate) weight: f64,
    /// The model's marginal on the clique (public: post-processing).
    pub(crate) estimate: &'a [f64],
    /// The score's bias term b (public).
    pub(crate) bias: f64,
}

/// Holds the table's cells; releases only through its mechanisms (see the [module docs](self)).
pub(crate) struct Curator<'t, 'n> {
    table: &'t Table,
    fine: Vec<Vec<u32>>,
    model: Vec<Vec<u32>>,
    sizes: Vec<usize>,
    answers: Vec<Vec<f64>>,
    noise: &'n mut dyn MechanismNoise,
    budget: Option<Budget>,
}

impl std::fmt::Debug for Curator<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the cells.
        f.debug_struct("Curator")
            .field("attributes", &self.fine.len())
            .finish_non_exhaustive()
    }
}

impl<'t, 'n> Curator<'t, 'n> {
    /// A curator of `table` for `attributes` attributes, none encoded yet. `budget` is `None`
    /// in non-private mode (measurements are then exact and selections deterministic).
    pub(crate) fn new(
        table: &'t Table,
        attributes: usize,
        noise: &'n mut dyn MechanismNoise,
        budget: Option<Budget>,
    ) -> Self {
        Curator {
            table,
            fine: vec![Vec::new(); attributes],
            model: vec![Vec::new(); attributes],
            sizes: vec![0; attributes],
            answers: Vec::new(),
            noise,
            budget,
        }
    }

    /// Encodes attribute `attr`'s column into its fine cells.
    ///
    /// # Errors
    /// [`ModelError::Internal`] for a column that does not match its coding (the table was
    /// checked against the schema before).
    pub(crate) fn add_attribute(&mut self, attr: usize, c: &Coding) -> Result<()> {
        let column = self
            .table
            .columns()
            .get(c.column)
            .ok_or(ModelError::Internal("a coded column is missing"))?;
        let null = c.null_cell();
        let codes: Vec<u32> = match (column.data(), &c.cells) {
            (ColumnData::Categorical(v), FineCells::Categories { labels }) => {
                let last = labels.len().saturating_sub(1) as u32;
                v.iter()
                    .enumerate()
                    .map(|(i, &x)| match null {
                        Some(n) if column.is_null(i) => n as u32,
                        _ => x.min(last),
                    })
                    .collect()
            }
            (ColumnData::Continuous(v), FineCells::Numeric { grid }) => v
                .iter()
                .enumerate()
                .map(|(i, &x)| match null {
                    Some(n) if column.is_null(i) => n as u32,
                    _ => grid.cell_of(x) as u32,
                })
                .collect(),
            _ => return Err(ModelError::Internal("a column does not match its coding")),
        };
        let slot = self
            .fine
            .get_mut(attr)
            .ok_or(ModelError::Internal("an attribute out of range"))?;
        *slot = codes.clone();
        self.model[attr] = codes;
        self.sizes[attr] = c.len();
        Ok(())
    }

    /// True in private mode.
    pub(crate) fn is_private(&self) -> bool {
        self.budget.is_some()
    }

    /// The budget (private mode).
    pub(crate) fn budget(&self) -> Option<&Budget> {
        self.budget.as_ref()
    }

    /// Takes the budget out (private mode): at the end of a fit, or to hand the ledger back
    /// with an error.
    pub(crate) fn take_budget(&mut self) -> Option<Budget> {
        self.budget.take()
    }

    /// **Release.** The noisy fine histogram of attribute `attr` (Gaussian, noise multiplier
    /// `sigma`; exact in non-private mode).
    ///
    /// # Errors
    /// Budget and randomness errors.
    pub(crate) fn measure_fine(
        &mut self,
        attr: usize,
        sigma: f64,
        label: String,
    ) -> Result<Vec<f64>> {
        let mut counts = vec![0.0; self.sizes[attr]];
        for &c in &self.fine[attr] {
            counts[c as usize] += 1.0;
        }
        self.release(&mut counts, sigma, label, Stage::Preprocessing)?;
        Ok(counts)
    }

    /// Switches the cells of every attribute to its model cells (`groupings`: public, from
    /// the noisy fine histograms).
    pub(crate) fn set_groupings(&mut self, groupings: &[Grouping]) {
        for ((m, f), g) in self.model.iter_mut().zip(&self.fine).zip(groupings) {
            *m = f.iter().map(|&c| g.group_of[c as usize]).collect();
        }
        self.sizes = groupings.iter().map(|g| g.groups).collect();
    }

    /// Prepares the true answers of the candidate cliques (kept here; only selections read
    /// them).
    pub(crate) fn prepare_candidates(&mut self, cliques: &[Clique]) {
        self.answers = cliques.iter().map(|c| self.counts(c)).collect();
    }

    /// **Release.** The noisy marginal on `clique` (model cells), noise multiplier `sigma`.
    ///
    /// # Errors
    /// Budget and randomness errors.
    pub(crate) fn measure(
        &mut self,
        clique: &Clique,
        sigma: f64,
        label: String,
    ) -> Result<Measurement> {
        let mut values = self.counts(clique);
        self.release(&mut values, sigma, label, Stage::Training)?;
        let std = if self.is_private() { sigma } else { 1.0 };
        Ok(Measurement {
            clique: clique.clone(),
            std: vec![std; values.len()],
            values,
        })
    }

    /// **Release.** The exponential mechanism over `candidates` with parameter `epsilon` and
    /// score w·(‖x − x̂‖₁ − b) / max w (sensitivity 1): index i with probability
    /// ∝ exp(ε·score_i / 2). In non-private mode: the largest score (first on ties).
    ///
    /// # Errors
    /// Budget and randomness errors; an empty candidate list.
    pub(crate) fn select(
        &mut self,
        candidates: &[Candidate<'_>],
        epsilon: f64,
        label: String,
    ) -> Result<usize> {
        if candidates.is_empty() {
            return Err(ModelError::Internal("a selection without candidates"));
        }
        let max_weight = candidates
            .iter()
            .map(|c| c.weight.abs())
            .fold(0.0, f64::max);
        let scale = if max_weight > 0.0 { max_weight } else { 1.0 };
        let scores: Vec<f64> = candidates
            .iter()
            .map(|c| {
                let x = &self.answers[c.index];
                let l1: f64 = x.iter().zip(c.estimate).map(|(a, b)| (a - b).abs()).sum();
                c.weight * (l1 - c.bias) / scale
            })
            .collect();
        match self.budget.as_mut() {
            Some(budget) => {
                budget.record_selection(label, epsilon)?;
                let log_weights: Vec<f64> = scores.iter().map(|s| 0.5 * epsilon * s).collect();
                self.noise.choose(&log_weights)
            }
            None => Ok(scores
                .iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (i, &s)| {
                    if s > best.1 { (i, s) } else { best }
                })
                .0),
        }
    }

    /// Records the release, then adds its noise (private mode); exact otherwise.
    fn release(
        &mut self,
        values: &mut [f64],
        sigma: f64,
        label: String,
        stage: Stage,
    ) -> Result<()> {
        if let Some(budget) = self.budget.as_mut() {
            budget.record_measurement(label, stage, sigma)?;
            self.noise.add_gaussian(values, sigma)?;
        }
        Ok(())
    }

    /// The true counts of `clique` over model cells (private: never leaves this type except
    /// through a mechanism).
    fn counts(&self, clique: &Clique) -> Vec<f64> {
        let mut out = vec![0.0; cells(clique, &self.sizes)];
        let n = self.model.first().map_or(0, Vec::len);
        let mut strides = vec![0usize; clique.len()];
        let mut s = 1usize;
        for (k, &a) in clique.iter().enumerate().rev() {
            strides[k] = s;
            s *= self.sizes[a];
        }
        for row in 0..n {
            let mut idx = 0usize;
            for (k, &a) in clique.iter().enumerate() {
                idx += self.model[a][row] as usize * strides[k];
            }
            out[idx] += 1.0;
        }
        out
    }
}
