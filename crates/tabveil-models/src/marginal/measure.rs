//! The only door to the data. The [`Curator`] holds the table's cells (read from a
//! [`TableSource`] in one or more passes, kept compactly); everything the fit learns
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
use tabveil_data::{DataError, Schema, Table, TableSource, TransformError};
use tabveil_noise::{PrivacyRng, PrivacyStream};

use super::budget::Budget;
use super::cells::{BLOCK_ROWS, Codes, encode_batch};
use super::discretise::{Coding, Grouping};
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

/// Holds the table's cells (compactly, see [`cells`](super::cells)); releases only through its
/// mechanisms (see the [module docs](self)).
pub(crate) struct Curator<'s, 'n> {
    source: &'s mut dyn TableSource,
    schema: &'s Schema,
    /// Per attribute: the coding its cells were encoded with, and the cells.
    fine: Vec<Option<(Coding, Codes)>>,
    /// Rows encoded, once a pass was made (private: never leaves this type; see
    /// [`Curator::is_empty`]).
    rows: Option<usize>,
    /// Per attribute: fine cell → model cell (after [`Curator::set_groupings`]).
    group_of: Vec<Vec<u32>>,
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

impl<'s, 'n> Curator<'s, 'n> {
    /// A curator of the table of `source` (batches checked against `schema`) for
    /// `attributes` attributes, none encoded yet. `budget` is `None` in non-private mode
    /// (measurements are then exact and selections deterministic).
    pub(crate) fn new(
        source: &'s mut dyn TableSource,
        schema: &'s Schema,
        attributes: usize,
        noise: &'n mut dyn MechanismNoise,
        budget: Option<Budget>,
    ) -> Self {
        Curator {
            source,
            schema,
            fine: vec![None; attributes],
            rows: None,
            group_of: Vec::new(),
            sizes: vec![0; attributes],
            answers: Vec::new(),
            noise,
            budget,
        }
    }

    /// Makes attribute `attr`'s cells those of `coding`: kept if already encoded so, else
    /// encoded in one pass over the source, together with the attributes of `ahead` whose
    /// cells are not yet encoded with the coding given there (the fit's guesses of the
    /// codings to come, from public inputs and released values only, so that a streamed
    /// table is usually read once or twice, however many attributes).
    ///
    /// # Errors
    /// The source's errors; [`ModelError::Internal`] for a column that does not match its
    /// coding.
    pub(crate) fn add_attribute(
        &mut self,
        attr: usize,
        coding: &Coding,
        ahead: &[(usize, Coding)],
    ) -> Result<()> {
        let done = |fine: &[Option<(Coding, Codes)>], a: usize, c: &Coding| matches!(fine.get(a), Some(Some((have, _))) if have == c);
        if !done(&self.fine, attr, coding) {
            let mut wanted: Vec<(usize, Coding)> = vec![(attr, coding.clone())];
            for (a, c) in ahead {
                if *a != attr && !done(&self.fine, *a, c) {
                    wanted.push((*a, c.clone()));
                }
            }
            self.encode(wanted)?;
        }
        self.sizes[attr] = coding.len();
        Ok(())
    }

    /// One pass over the source encoding `wanted` (their previous cells dropped first).
    fn encode(&mut self, wanted: Vec<(usize, Coding)>) -> Result<()> {
        let mut codes: Vec<(usize, Coding, Codes)> = Vec::with_capacity(wanted.len());
        for (a, c) in wanted {
            *self
                .fine
                .get_mut(a)
                .ok_or(ModelError::Internal("an attribute out of range"))? = None;
            let empty = Codes::for_cells(c.len());
            codes.push((a, c, empty));
        }
        let schema = self.schema;
        let mut rows = 0usize;
        let mut buffer = Vec::new();
        for batch in self.source.batches()? {
            let batch = batch?;
            check_columns(&batch, schema)?;
            for (_, coding, out) in &mut codes {
                encode_batch(&batch, coding, &mut buffer)?;
                out.extend(&buffer)?;
            }
            rows += batch.n_rows();
        }
        // Every pass reads the same rows (the source's contract); a source that changed
        // between passes is refused rather than counted wrongly.
        if self.rows.is_some_and(|r| r != rows) {
            return Err(ModelError::Internal("the table changed between passes"));
        }
        self.rows = Some(rows);
        for (a, coding, out) in codes {
            self.fine[a] = Some((coding, out));
        }
        Ok(())
    }

    /// True when the table has no rows. Non-private mode only (the fit refuses an empty
    /// table, as it always did); private mode never asks, the row count is not public.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.unwrap_or(0) == 0
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
        self.codes(attr)?.count_into(&mut counts);
        self.release(&mut counts, sigma, label, Stage::Preprocessing)?;
        Ok(counts)
    }

    /// Switches the cells of every attribute to its model cells (`groupings`: public, from
    /// the noisy fine histograms), read through each grouping's lookup table.
    pub(crate) fn set_groupings(&mut self, groupings: &[Grouping]) {
        self.group_of = groupings.iter().map(|g| g.group_of.clone()).collect();
        self.sizes = groupings.iter().map(|g| g.groups).collect();
    }

    /// Prepares the true answers of the candidate cliques (kept here; only selections read
    /// them).
    ///
    /// # Errors
    /// [`ModelError::Internal`] before the groupings are set.
    pub(crate) fn prepare_candidates(&mut self, cliques: &[Clique]) -> Result<()> {
        self.answers = cliques
            .iter()
            .map(|c| self.counts(c))
            .collect::<Result<_>>()?;
        Ok(())
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
        let mut values = self.counts(clique)?;
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

    /// The cells of attribute `attr`.
    fn codes(&self, attr: usize) -> Result<&Codes> {
        match self.fine.get(attr) {
            Some(Some((_, codes))) => Ok(codes),
            _ => Err(ModelError::Internal(
                "an attribute counted before it was encoded",
            )),
        }
    }

    /// The true counts of `clique` over model cells (private: never leaves this type except
    /// through a mechanism), a block of rows at a time.
    fn counts(&self, clique: &Clique) -> Result<Vec<f64>> {
        let mut out = vec![0.0; cells(clique, &self.sizes)];
        let mut strides = vec![0usize; clique.len()];
        let mut s = 1usize;
        for (k, &a) in clique.iter().enumerate().rev() {
            strides[k] = s;
            s *= self.sizes[a];
        }
        let mut columns = Vec::with_capacity(clique.len());
        for &a in clique {
            let lookup = self.group_of.get(a).ok_or(ModelError::Internal(
                "a marginal counted before the groupings",
            ))?;
            columns.push((self.codes(a)?, lookup.as_slice()));
        }
        let rows = self.rows.unwrap_or(0);
        let mut index = vec![0usize; BLOCK_ROWS.min(rows)];
        let mut start = 0;
        while start < rows {
            let len = BLOCK_ROWS.min(rows - start);
            let block = &mut index[..len];
            block.fill(0);
            for ((codes, lookup), &stride) in columns.iter().zip(&strides) {
                codes.add_cells(start, block, lookup, stride);
            }
            for &i in block.iter() {
                out[i] += 1.0;
            }
            start += len;
        }
        Ok(out)
    }
}

/// Refuses a batch whose columns are not the schema's (sources yield checked tables; this
/// guards against a source of another schema).
pub(crate) fn check_columns(batch: &Table, schema: &Schema) -> Result<()> {
    if batch.n_columns() != schema.n_columns()
        || batch
            .columns()
            .iter()
            .zip(schema.columns())
            .any(|(c, s)| c.name() != s.name())
    {
        return Err(DataError::from(TransformError::SchemaMismatch {
            reason: "the table's columns are not the schema's".into(),
        })
        .into());
    }
    Ok(())
}
