//! The numbers of a report, from the ledger: ε at several δ, the ε(δ) curve, the cost of each
//! mechanism and stage, and ε over the training steps.

use tabveil_accountant::{
    Accountant, AccountantKind, AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage,
};

use crate::error::Result;
use crate::types::{DeltaEpsilon, Mechanism, RoundEpsilon, StageCost, StepEpsilon};

/// δ values at which ε is tabulated (the configured δ is added).
const TABLE_DELTAS: [f64; 6] = [1e-3, 1e-5, 1e-6, 1e-7, 1e-9, 1e-12];
/// Points of the ε(δ) curve, log-spaced over [1e-15, 1e-1].
const CURVE_POINTS: usize = 57;
/// Points of ε over training steps (RDP; PLD gets fewer, each is a full composition).
const STEP_POINTS_RDP: usize = 80;
const STEP_POINTS_PLD: usize = 16;

/// ε of the whole ledger at `delta`.
pub(crate) fn epsilon(ledger: &PrivacyLedger, spec: &AccountantSpec, delta: f64) -> Result<f64> {
    let acc = replay(ledger.entries().iter(), spec)?;
    Ok(acc.epsilon(delta)?)
}

/// ε at the table's δ values and along the curve.
pub(crate) fn delta_table_and_curve(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
) -> Result<(Vec<DeltaEpsilon>, Vec<DeltaEpsilon>)> {
    let acc = replay(ledger.entries().iter(), spec)?;
    let mut deltas: Vec<f64> = TABLE_DELTAS.to_vec();
    if !deltas.iter().any(|d| d.to_bits() == delta.to_bits()) {
        deltas.push(delta);
    }
    deltas.sort_by(|a, b| b.total_cmp(a));
    let table = deltas
        .into_iter()
        .filter_map(|d| {
            finite(acc.as_ref(), d).map(|e| DeltaEpsilon {
                delta: d,
                epsilon: e,
            })
        })
        .collect::<Vec<_>>();
    let curve = (0..CURVE_POINTS)
        .filter_map(|i| {
            let exponent = -15.0 + 14.0 * i as f64 / (CURVE_POINTS - 1) as f64;
            let d = 10_f64.powf(exponent);
            finite(acc.as_ref(), d).map(|e| DeltaEpsilon {
                delta: d,
                epsilon: e,
            })
        })
        .collect();
    Ok((table, curve))
}

/// One line per ledger entry, with its ε alone and (RDP only) its marginal cost.
pub(crate) fn mechanisms(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
    total: f64,
) -> Result<Vec<Mechanism>> {
    let entries = ledger.entries();
    let per_entry_marginal = spec.kind == AccountantKind::Rdp;
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let alone = replay(std::iter::once(entry), spec)?.epsilon(delta)?;
        let marginal = if per_entry_marginal {
            let without = replay(
                entries
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, e)| e),
                spec,
            )?
            .epsilon(delta)?;
            Some((total - without).max(0.0))
        } else {
            None
        };
        let event = entry.event();
        let noise_multiplier = event.noise_multiplier();
        out.push(Mechanism {
            label: entry.label().to_owned(),
            stage: entry.stage(),
            mechanism: event.mechanism_name().to_owned(),
            sample_rate: event.sample_rate(),
            noise_multiplier,
            epsilon_per_run: match *event {
                PrivacyEvent::ExponentialMechanism { epsilon, .. } => Some(epsilon),
                _ => None,
            },
            threshold: match *event {
                PrivacyEvent::GaussianThreshold { threshold, .. } => Some(threshold),
                _ => None,
            },
            l2_sensitivity: entry.l2_sensitivity(),
            noise_std: entry
                .l2_sensitivity()
                .zip(noise_multiplier)
                .map(|(s, sigma)| s * sigma),
            count: event.steps(),
            epsilon_alone: alone,
            marginal_epsilon: marginal,
        });
    }
    Ok(out)
}

/// The cost of the entries of `stage` together.
pub(crate) fn stage_cost(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
    total: f64,
    stage: Stage,
) -> Result<StageCost> {
    let entries = ledger.entries();
    let count = entries.iter().filter(|e| e.stage() == stage).count();
    if count == 0 {
        return Ok(StageCost {
            entries: 0,
            epsilon_alone: 0.0,
            marginal_epsilon: 0.0,
            share_of_total: 0.0,
        });
    }
    let alone = replay(entries.iter().filter(|e| e.stage() == stage), spec)?.epsilon(delta)?;
    let others: Vec<&LedgerEntry> = entries.iter().filter(|e| e.stage() != stage).collect();
    let without = if others.is_empty() {
        0.0
    } else {
        replay(others.into_iter(), spec)?.epsilon(delta)?
    };
    let marginal = (total - without).max(0.0);
    Ok(StageCost {
        entries: count,
        epsilon_alone: alone,
        marginal_epsilon: marginal,
        share_of_total: if total > 0.0 { marginal / total } else { 0.0 },
    })
}

/// ε after k training steps, for k from 0 (preprocessing only) to all of them. The
/// non-training entries are composed first, as they were recorded before training.
pub(crate) fn epsilon_over_steps(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
) -> Result<Vec<StepEpsilon>> {
    let (training, other): (Vec<&LedgerEntry>, Vec<&LedgerEntry>) = ledger
        .entries()
        .iter()
        .partition(|e| e.stage() == Stage::Training);
    let total_steps: u64 = training.iter().map(|e| e.event().steps()).sum();
    let mut base = spec.build();
    for e in &other {
        base.compose(e.event())?;
    }
    for e in &training {
        base.prepare(e.event())?;
    }
    let points = if spec.kind == AccountantKind::Pld {
        STEP_POINTS_PLD
    } else {
        STEP_POINTS_RDP
    };
    let mut ks: Vec<u64> = (0..=points as u64)
        .map(|i| {
            let k = u128::from(i) * u128::from(total_steps) / points as u128;
            u64::try_from(k).unwrap_or(total_steps)
        })
        .collect();
    ks.dedup();
    let mut out = Vec::with_capacity(ks.len());
    for k in ks {
        let mut acc = base.boxed_clone();
        let mut left = k;
        for e in &training {
            if left == 0 {
                break;
            }
            let take = left.min(e.event().steps());
            acc.compose(&e.event().with_steps(take)?)?;
            left -= take;
        }
        let epsilon = if ledger.is_empty() || (k == 0 && other.is_empty()) {
            0.0
        } else {
            acc.epsilon(delta)?
        };
        out.push(StepEpsilon { steps: k, epsilon });
    }
    Ok(out)
}

/// ε after each round of a model fitted in rounds (the marginal model), from its ledger: a
/// round is a selection (an exponential-mechanism entry) and the training releases after it,
/// up to the next selection; round 0 is everything recorded before the first selection (the
/// one-way histograms). At most [`STEP_POINTS_RDP`] rounds are listed with RDP and
/// [`STEP_POINTS_PLD`] with PLD (evenly spaced, the last always). Empty when the ledger has no
/// selection.
pub(crate) fn epsilon_over_rounds(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
) -> Result<Vec<RoundEpsilon>> {
    let entries = ledger.entries();
    let is_selection = |e: &LedgerEntry| {
        matches!(e.event(), PrivacyEvent::ExponentialMechanism { .. })
            && e.stage() == Stage::Training
    };
    // Where each round starts, and where the ledger ends.
    let mut starts: Vec<usize> = (0..entries.len())
        .filter(|&i| is_selection(&entries[i]))
        .collect();
    let Some(&first) = starts.first() else {
        return Ok(Vec::new());
    };
    starts.push(entries.len());
    let rounds = starts.len() - 1;
    let points = if spec.kind == AccountantKind::Pld {
        STEP_POINTS_PLD
    } else {
        STEP_POINTS_RDP
    };
    let mut listed: Vec<usize> = (1..=points.min(rounds))
        .map(|i| (i * rounds).div_ceil(points.min(rounds)))
        .collect();
    listed.dedup();
    let mut acc = spec.build();
    let mut out = Vec::with_capacity(listed.len() + 1);
    for e in &entries[..first] {
        acc.compose(e.event())?;
    }
    out.push(RoundEpsilon {
        round: 0,
        epsilon: if first == 0 { 0.0 } else { acc.epsilon(delta)? },
    });
    let mut next = listed.iter().peekable();
    for r in 1..=rounds {
        for e in &entries[starts[r - 1]..starts[r]] {
            acc.compose(e.event())?;
        }
        if next.peek() == Some(&&r) {
            next.next();
            out.push(RoundEpsilon {
                round: r as u64,
                epsilon: acc.epsilon(delta)?,
            });
        }
    }
    Ok(out)
}

fn replay<'a>(
    entries: impl Iterator<Item = &'a LedgerEntry>,
    spec: &AccountantSpec,
) -> Result<Box<dyn Accountant>> {
    let mut acc = spec.build();
    for e in entries {
        acc.compose(e.event())?;
    }
    Ok(acc)
}

/// ε at `delta`, or `None` where no finite ε holds (tiny δ under PLD).
fn finite(acc: &dyn Accountant, delta: f64) -> Option<f64> {
    acc.epsilon(delta).ok().filter(|e| e.is_finite())
}
