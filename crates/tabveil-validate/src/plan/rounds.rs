//! The plan of a model fitted in rounds (the marginal model): the model plans its releases
//! (`ModelSpec::round_plan`, the function its fit plans with) and the accountant gives the ε
//! of the planned ledger after the one-way histograms and after each round.

use tabveil_accountant::{Accountant, AccountantKind, BoundKind};
use tabveil_models::{PrivateRoundPlan, RoundPlan};

use super::build::epoch_points;
use super::{
    MAX_EPOCH_POINTS, MAX_PLD_EPOCH_POINTS, PrivateRoundsPlan, RoundEpsilon, RoundsPlan,
    TrainingPlan,
};
use crate::config::DpConfig;
use crate::memory::MemoryEstimate;
use crate::session::Session;

/// The plan, or `None` when the settings cannot be planned (the findings say why).
pub(crate) fn build(s: &mut Session<'_>) -> Option<TrainingPlan> {
    if !s.valid.n_rows {
        return None;
    }
    let config = s.config;
    let dp = s.dp();
    let plannable = dp.is_some_and(|d| {
        s.valid.epsilon && s.valid.delta && d.accountant.kind.bound() == BoundKind::UpperBound
    });
    // Invalid privacy settings have their own findings: plan the rounds without them.
    let mut settings = config.model.clone();
    if dp.is_some() && !plannable {
        *settings.spec_mut().privacy_mut() = tabveil_models::Privacy::NonPrivate;
    }
    if settings.spec().check().is_err() {
        // The model's own findings (E-MODEL-SETTING) say what is wrong.
        return None;
    }
    let planned = settings.spec().round_plan(s.schema);
    let plan = match planned {
        Ok(Some(plan)) => plan,
        Ok(None) => return None,
        Err(e) => {
            s.failures.push(e.to_string());
            return None;
        }
    };
    let RoundPlan {
        one_way_releases,
        rounds,
        private,
    } = plan;
    let private = match (dp, private) {
        (Some(dp), Some(p)) => match private_plan(dp, p, rounds as u64) {
            Ok(p) => Some(p),
            Err(e) => {
                s.failures.push(e);
                None
            }
        },
        _ => None,
    };
    Some(TrainingPlan {
        model: config.model.name().to_owned(),
        n_rows: s.n_rows,
        batch_size: 0,
        epochs: 0,
        steps: 0,
        private: None,
        ranges: None,
        memory: MemoryEstimate::new(config, s.schema, s.n_rows),
        rounds: Some(RoundsPlan {
            one_way_releases: one_way_releases as u64,
            rounds: rounds as u64,
            private,
        }),
    })
}

/// ε of the planned ledger after the prior releases (if any), after the one-way histograms and
/// after each (listed) round.
fn private_plan(
    dp: &DpConfig,
    plan: PrivateRoundPlan,
    rounds: u64,
) -> Result<PrivateRoundsPlan, String> {
    let entries = plan.ledger.entries();
    // The ledger: prior releases (a private schema discovery), one-way histograms, rounds.
    let prior = plan.prior_releases;
    let one_way = entries
        .len()
        .checked_sub(rounds as usize * PrivateRoundPlan::ENTRIES_PER_ROUND)
        .filter(|&end| end >= prior)
        .ok_or("the model's planned ledger is shorter than its rounds")?;
    let limit = if dp.accountant.kind == AccountantKind::Pld {
        MAX_PLD_EPOCH_POINTS
    } else {
        MAX_EPOCH_POINTS
    };
    let points = epoch_points(rounds, limit);
    let mut accountant = dp.accountant.build();
    let epsilon = |a: &dyn Accountant| a.epsilon(dp.delta).map_err(|e| e.to_string());
    for entry in &entries[..prior] {
        accountant
            .compose(entry.event())
            .map_err(|e| e.to_string())?;
    }
    let prior_epsilon = if prior > 0 {
        Some(epsilon(accountant.as_ref())?)
    } else {
        None
    };
    for entry in &entries[prior..one_way] {
        accountant
            .compose(entry.event())
            .map_err(|e| e.to_string())?;
    }
    let one_way_epsilon = epsilon(accountant.as_ref())?;
    let mut by_round = Vec::with_capacity(points.len());
    let mut next = points.iter().peekable();
    for (i, round) in entries[one_way..]
        .chunks(PrivateRoundPlan::ENTRIES_PER_ROUND)
        .enumerate()
    {
        for entry in round {
            accountant
                .compose(entry.event())
                .map_err(|e| e.to_string())?;
        }
        let round = i as u64 + 1;
        if next.peek() == Some(&&round) {
            next.next();
            by_round.push(RoundEpsilon {
                round,
                releases: (one_way + (i + 1) * PrivateRoundPlan::ENTRIES_PER_ROUND) as u64,
                epsilon: epsilon(accountant.as_ref())?,
            });
        }
    }
    let total = by_round.last().map_or(one_way_epsilon, |r| r.epsilon);
    Ok(PrivateRoundsPlan {
        accountant: dp.accountant.kind,
        target_epsilon: dp.epsilon,
        delta: dp.delta,
        prior_releases: prior as u64,
        prior_epsilon,
        zcdp_rho: plan.zcdp_rho,
        one_way_noise_multiplier: plan.one_way_noise_multiplier,
        one_way_epsilon,
        round_noise_multiplier: plan.round_noise_multiplier,
        selection_epsilon: plan.selection_epsilon,
        epsilon: total,
        epsilon_by_round: by_round,
        ledger: plan.ledger,
    })
}
