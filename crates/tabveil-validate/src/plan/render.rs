//! The plain-text rendering of a [`TrainingPlan`] (what `tabveil validate` prints).

use std::fmt;

use super::{PlanRanges, PrivatePlan, PrivateRoundsPlan, RoundsPlan, TrainingPlan};
use crate::format::{percent, sci, sig, sig_up};
use crate::memory::MemoryEstimate;
use crate::memory::human_bytes;

/// At most this many "ε after epoch" milestones are printed (the JSON has them all).
const MILESTONES: usize = 8;

impl fmt::Display for TrainingPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rounds) = &self.rounds {
            return write_rounds(f, &self.model, rounds, &self.memory);
        }
        writeln!(
            f,
            "plan: {} on {} rows, batch {}, {} epochs = {} optimiser steps",
            self.model, self.n_rows, self.batch_size, self.epochs, self.steps
        )?;
        match &self.private {
            Some(p) => write_private(f, p, self.n_rows)?,
            None => writeln!(f, "  privacy: none (no noise, no accounting)")?,
        }
        if let Some(r) = &self.ranges {
            write_ranges(f, r)?;
        }
        let m = &self.memory;
        write!(
            f,
            "memory: about {} (data {}, networks {}, one batch {}; one-hot width {})",
            human_bytes(m.total_bytes),
            human_bytes(m.data_bytes),
            human_bytes(m.parameter_bytes),
            human_bytes(m.activation_bytes),
            m.data_width
        )
    }
}

fn write_private(f: &mut fmt::Formatter<'_>, p: &PrivatePlan, n_rows: u64) -> fmt::Result {
    writeln!(
        f,
        "  privacy: DP-SGD, target ε = {} at δ = {} ({} accountant, upper bound; one row add/remove)",
        sig(p.target_epsilon, 3),
        sci(p.delta),
        p.accountant
    )?;
    writeln!(
        f,
        "  sampling: Poisson, q = {} (expected batch q·N at the N = {n_rows} given here; a private fit plans with N̂, a DP estimate of N), {} private steps",
        sig(p.sample_rate, 3),
        p.private_steps
    )?;
    writeln!(
        f,
        "  training noise: σ = {}, clipping norm C = {} → noise std on the averaged gradient {}",
        sig(p.training_noise_multiplier, 3),
        sig(p.clipping_norm, 3),
        sig(p.mean_gradient_noise_std, 3)
    )?;
    match p.preprocessing_noise_multiplier {
        Some(sigma) => writeln!(
            f,
            "  preprocessing: {} releases (one per modelled column), σ = {}, ε alone = {} (share {} of the target)",
            p.preprocessing_releases,
            sig(sigma, 3),
            sig_up(p.preprocessing_epsilon, 3),
            percent(p.preprocessing_share)
        )?,
        None => writeln!(f, "  preprocessing: no releases")?,
    }
    writeln!(
        f,
        "  predicted ε = {} (target {}; rounded up)",
        sig_up(p.epsilon, 4),
        sig(p.target_epsilon, 3)
    )?;
    if !p.epsilon_by_epoch.is_empty() {
        let points: Vec<(u64, f64)> = p
            .epsilon_by_epoch
            .iter()
            .map(|e| (e.epoch, e.epsilon))
            .collect();
        writeln!(f, "  ε after epoch {}", milestones(&points))?;
    }
    Ok(())
}

fn write_ranges(f: &mut fmt::Formatter<'_>, r: &PlanRanges) -> fmt::Result {
    writeln!(
        f,
        "ranges for this table (each with the other settings fixed; computed with the accountant):"
    )?;
    match &r.batch_size {
        Some(b) => writeln!(
            f,
            "  batch size  {} … {}  recommended {}",
            b.min, b.max, b.recommended
        )?,
        None => writeln!(f, "  batch size  none works")?,
    }
    match &r.epochs {
        Some(e) => writeln!(
            f,
            "  epochs      {} … {}  recommended {}",
            e.min, e.max, e.recommended
        )?,
        None => writeln!(f, "  epochs      none works")?,
    }
    match &r.epsilon {
        Some(e) => writeln!(
            f,
            "  ε           {} … {}  recommended {}",
            sig(e.min, 3),
            sig(e.max, 3),
            sig(e.recommended, 3)
        )?,
        None => writeln!(f, "  ε           none up to 10⁴ works")?,
    }
    Ok(())
}

fn write_rounds(
    f: &mut fmt::Formatter<'_>,
    model: &str,
    r: &RoundsPlan,
    m: &MemoryEstimate,
) -> fmt::Result {
    writeln!(
        f,
        "plan: {model}: {} one-way histograms (one per modelled column), then up to {} rounds of a selection and a measurement",
        r.one_way_releases, r.rounds
    )?;
    match &r.private {
        Some(p) => write_private_rounds(f, p, r)?,
        None => writeln!(f, "  privacy: none (exact counts, no noise, no accounting)")?,
    }
    write!(
        f,
        "memory: about {} at most (data {}, model and candidate marginals {}); at least {} whatever the data",
        human_bytes(m.total_bytes),
        human_bytes(m.data_bytes),
        human_bytes(m.parameter_bytes),
        human_bytes(m.floor_bytes.unwrap_or(0))
    )
}

fn write_private_rounds(
    f: &mut fmt::Formatter<'_>,
    p: &PrivateRoundsPlan,
    r: &RoundsPlan,
) -> fmt::Result {
    writeln!(
        f,
        "  privacy: target ε = {} at δ = {} ({} accountant, upper bound; one row add/remove); zCDP budget ρ = {}",
        sig(p.target_epsilon, 3),
        sci(p.delta),
        p.accountant,
        sig(p.zcdp_rho, 4)
    )?;
    if let Some(prior) = p.prior_epsilon {
        writeln!(
            f,
            "  first: {} prior releases (private schema discovery), ε = {}; the rounds are planned for what they leave",
            p.prior_releases,
            sig_up(prior, 3)
        )?;
    }
    let epsilon_label = if p.prior_epsilon.is_some() {
        "ε with the prior releases"
    } else {
        "ε alone"
    };
    writeln!(
        f,
        "  one-way histograms: {} Gaussian releases (L2 sensitivity 1), σ = {}, {epsilon_label} = {}",
        r.one_way_releases,
        sig(p.one_way_noise_multiplier, 3),
        sig_up(p.one_way_epsilon, 3)
    )?;
    writeln!(
        f,
        "  each round: an exponential-mechanism selection (ε = {}) and a Gaussian measurement (σ = {}, L2 sensitivity 1); when a measurement barely moves the model the noise halves and the selection's ε doubles, and the last round spends what is left, so a run usually ends sooner, never above the target",
        sig(p.selection_epsilon, 3),
        sig(p.round_noise_multiplier, 3)
    )?;
    writeln!(
        f,
        "  planned ledger: {} releases; predicted ε = {} (target {}; rounded up)",
        p.ledger.entries().len(),
        sig_up(p.epsilon, 4),
        sig(p.target_epsilon, 3)
    )?;
    if !p.epsilon_by_round.is_empty() {
        let points: Vec<(u64, f64)> = p
            .epsilon_by_round
            .iter()
            .map(|e| (e.round, e.epsilon))
            .collect();
        writeln!(
            f,
            "  ε after the one-way histograms {}; after round {}",
            sig_up(p.one_way_epsilon, 3),
            milestones(&points)
        )?;
    }
    Ok(())
}

/// At most [`MILESTONES`] evenly spaced `point: ε` pairs of a curve, the last one always.
fn milestones(points: &[(u64, f64)]) -> String {
    let n = points.len();
    let step = n.div_ceil(MILESTONES).max(1);
    let mut shown: Vec<String> = points
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % step == 0 && i + 1 != n)
        .map(|(_, (at, e))| format!("{at}: {}", sig_up(*e, 3)))
        .collect();
    if let Some((at, e)) = points.last() {
        shown.push(format!("{at}: {}", sig_up(*e, 3)));
    }
    shown.join(", ")
}
