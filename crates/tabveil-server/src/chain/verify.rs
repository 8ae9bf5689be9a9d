//! Verification: the links and their hashes, the charging rules, and the composition of the
//! current charges within the budget ([`verify`], and the [`Charges`] the server charges with).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tabveil::accountant::{
    AccountantSpec, LedgerEntry, NoiseRandomness, PrivacyEvent, PrivacyLedger, Stage, epsilon_of,
};

use super::{
    CHAIN_FORMAT, CHAIN_VERSION, ChainError, ChainExport, ChainLink, ChargePhase, EntryBody,
    GENESIS_HASH, ROW_ESTIMATE_SUBJECT, canonical, link_hash,
};

/// Relative slack when comparing a composed ε with the budget (the same code computes both; the
/// slack only absorbs a different floating-point summation order in another build).
const EPSILON_SLACK: f64 = 1e-9;

/// What a verified chain says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainSummary {
    /// The dataset.
    pub dataset: String,
    /// Number of entries.
    pub entries: u64,
    /// The last entry's position and hash: cite it to pin the chain.
    pub head: Option<ChainHead>,
    /// ε_total.
    pub epsilon_total: f64,
    /// The budget's δ.
    pub delta: f64,
    /// ε of every subject's current charge composed by the budget's accountant at δ.
    pub epsilon_spent: f64,
    /// Each subject's current charge.
    pub charges: Vec<ChargeState>,
}

/// A position in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    /// Position, from 1.
    pub seq: u64,
    /// The entry's hash.
    pub hash: String,
}

/// A subject's current charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeState {
    /// The subject.
    pub subject: String,
    /// Its latest phase.
    pub phase: ChargePhase,
    /// The entry that set it.
    pub seq: u64,
    /// ε of this charge alone at the budget's δ.
    pub epsilon_alone: f64,
}

/// The budget and the current charge of every subject, read from verified entries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Charges {
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: AccountantSpec,
    /// subject → (phase, seq, ledger charged now, the planned ledger if any).
    pub(crate) current: BTreeMap<String, Current>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Current {
    pub(crate) phase: ChargePhase,
    pub(crate) seq: u64,
    pub(crate) ledger: PrivacyLedger,
    pub(crate) planned: Option<PrivacyLedger>,
}

impl Charges {
    /// Every current charge concatenated (plus `extra`), the composition the budget limits.
    pub(crate) fn composed_with(
        &self,
        extra: Option<(&str, &PrivacyLedger)>,
    ) -> Result<PrivacyLedger, ChainError> {
        let mut ledgers: Vec<&PrivacyLedger> = self
            .current
            .iter()
            .filter(|(subject, _)| extra.is_none_or(|(s, _)| s != subject.as_str()))
            .map(|(_, c)| &c.ledger)
            .collect();
        if let Some((_, l)) = extra {
            ledgers.push(l);
        }
        concatenate(ledgers)
    }

    /// ε at the budget's δ of `ledger` under the budget's accountant.
    pub(crate) fn epsilon(&self, ledger: &PrivacyLedger) -> Result<f64, ChainError> {
        if ledger.is_empty() {
            return Ok(0.0);
        }
        epsilon_of(ledger, &self.accountant, self.delta)
            .map(|g| g.epsilon)
            .map_err(|e| ChainError::Accountant(e.to_string()))
    }

    /// True when `epsilon` is within the budget.
    pub(crate) fn within(&self, epsilon: f64) -> bool {
        epsilon <= self.epsilon_total * (1.0 + EPSILON_SLACK)
    }
}

/// Concatenates ledgers into one (the composition of all their releases); seeded if any is.
///
/// # Errors
/// [`ChainError::Accountant`] if a step count overflows.
pub(crate) fn concatenate<'a>(
    ledgers: impl IntoIterator<Item = &'a PrivacyLedger>,
) -> Result<PrivacyLedger, ChainError> {
    let mut all = PrivacyLedger::new();
    for ledger in ledgers {
        if ledger.noise_randomness() == NoiseRandomness::Seeded {
            all.mark_noise_seeded();
        }
        for entry in ledger.entries() {
            all.record(entry.clone())
                .map_err(|e| ChainError::Accountant(e.to_string()))?;
        }
    }
    Ok(all)
}

/// True when `actual` releases no more than `planned`, by either of two rules:
///
/// - **Same mechanisms**: every mechanism of `actual` appears in `planned` at least as many
///   times (whatever the labels and order): `actual` releases a subset of what `planned`
///   does, and any accountant charges it no more (a DP-SGD fit stopped early).
/// - **zCDP dominance**, for adaptive runs whose plan is a bound rather than a list (the
///   marginal model plans one Gaussian of its whole zCDP budget ρ and spends it round by
///   round): every event on both sides has a zCDP bound and `actual`'s total ρ is at most
///   `planned`'s. The plan holds Gaussians only, whose RDP curve is exactly α·ρ; each event of
///   `actual` has an RDP curve at most α·ρ_event (a Gaussian exactly; an ε-bounded-range
///   exponential mechanism ρ = ε²/8, Cesar & Rogers 2021), so `actual`'s curve is below the
///   plan's at every order and an RDP accountant charges it no more, alone or composed with
///   other charges. (Whatever the accountant, [`verify`] still composes the current charges
///   and refuses a chain over its budget.)
pub(crate) fn within_plan(actual: &PrivacyLedger, planned: &PrivacyLedger) -> bool {
    same_mechanisms_within(actual, planned) || zcdp_within(actual, planned)
}

fn same_mechanisms_within(actual: &PrivacyLedger, planned: &PrivacyLedger) -> bool {
    fn counts(ledger: &PrivacyLedger) -> Option<BTreeMap<String, u64>> {
        let mut m = BTreeMap::new();
        for entry in ledger.entries() {
            let event = entry.event();
            let key = serde_json::to_value(event.with_steps(1).ok()?).ok()?;
            let slot = m.entry(canonical(&key)).or_insert(0u64);
            *slot = slot.checked_add(event.steps())?;
        }
        Some(m)
    }
    match (counts(actual), counts(planned)) {
        (Some(a), Some(p)) => a
            .iter()
            .all(|(k, n)| p.get(k).is_some_and(|planned| n <= planned)),
        _ => false,
    }
}

/// Total zCDP ρ of a ledger, `None` if an event has no zCDP bound (or, with `gaussians_only`,
/// is not a Gaussian: a plan's curve must be exactly α·ρ).
fn zcdp_rho(ledger: &PrivacyLedger, gaussians_only: bool) -> Option<f64> {
    ledger.entries().iter().try_fold(0.0, |total, entry| {
        let event = entry.event();
        let count = event.steps() as f64;
        let rho = match *event {
            PrivacyEvent::Gaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::DiscreteGaussian {
                noise_multiplier, ..
            } => count / (2.0 * noise_multiplier * noise_multiplier),
            PrivacyEvent::ExponentialMechanism { epsilon, .. } if !gaussians_only => {
                count * epsilon * epsilon / 8.0
            }
            _ => return None,
        };
        Some(total + rho).filter(|t: &f64| t.is_finite())
    })
}

fn zcdp_within(actual: &PrivacyLedger, planned: &PrivacyLedger) -> bool {
    match (zcdp_rho(actual, false), zcdp_rho(planned, true)) {
        (Some(a), Some(p)) => !planned.is_empty() && a <= p * (1.0 + EPSILON_SLACK),
        _ => false,
    }
}

/// What the server charges up front for a planned ledger.
///
/// A plan with a selection step (an exponential mechanism) is adaptive: the run anneals, so
/// its releases differ from the plan's (fewer rounds, less noise each) while its total zCDP ρ
/// stays at most the plan's. Such a plan is charged as its zCDP envelope, one Gaussian of the
/// plan's total ρ: its RDP curve α·ρ bounds the plan's and every run's that spends at most ρ
/// (each event's curve is at most α·ρ_event), so the run's final ledger is within the charge
/// by the zCDP rule of [`within_plan`]. Any other plan is charged as it is.
pub(crate) fn charge_bound(planned: PrivacyLedger) -> PrivacyLedger {
    let adaptive = planned
        .entries()
        .iter()
        .any(|e| matches!(e.event(), PrivacyEvent::ExponentialMechanism { .. }));
    if !adaptive {
        return planned;
    }
    let envelope = zcdp_rho(&planned, false)
        .filter(|rho| *rho > 0.0)
        .and_then(|rho| PrivacyEvent::gaussian((0.5 / rho).sqrt(), 1).ok())
        .and_then(|event| {
            LedgerEntry::new(
                "planned: an adaptive run, bounded by one Gaussian of its total zCDP ρ",
                Stage::Training,
                event,
            )
            .ok()
        });
    match envelope {
        Some(entry) => {
            let mut ledger = PrivacyLedger::new();
            if planned.noise_randomness() == NoiseRandomness::Seeded {
                ledger.mark_noise_seeded();
            }
            match ledger.record(entry) {
                Ok(()) => ledger,
                Err(_) => planned,
            }
        }
        // No zCDP bound: charged as planned (the final ledger must then match it mechanism
        // for mechanism).
        None => planned,
    }
}

/// Checks the links of `links` (positions, hashes, canonical bodies) and returns the bodies.
pub(crate) fn check_links(
    dataset: &str,
    links: &[ChainLink],
) -> Result<Vec<EntryBody>, ChainError> {
    let mut prev = GENESIS_HASH;
    let mut bodies = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let expected = i as u64 + 1;
        if link.seq != expected {
            return Err(ChainError::Sequence {
                expected,
                found: link.seq,
            });
        }
        let seq = link.seq;
        if link.prev_hash != prev {
            return Err(ChainError::Link { seq });
        }
        if link_hash(&link.prev_hash, &link.body) != link.hash {
            return Err(ChainError::Hash { seq });
        }
        let value: serde_json::Value =
            serde_json::from_str(&link.body).map_err(|e| ChainError::Body {
                seq,
                reason: e.to_string(),
            })?;
        let body: EntryBody =
            serde_json::from_value(value.clone()).map_err(|e| ChainError::Body {
                seq,
                reason: e.to_string(),
            })?;
        let again = serde_json::to_value(&body).map_err(|e| ChainError::Body {
            seq,
            reason: e.to_string(),
        })?;
        if canonical(&again) != link.body {
            return Err(ChainError::NotCanonical { seq });
        }
        if body.dataset() != dataset {
            return Err(ChainError::WrongDataset { seq });
        }
        bodies.push(body);
        prev = &link.hash;
    }
    Ok(bodies)
}

/// Applies the charging rules to the bodies of a chain: the budget first and once; a fit's
/// `planned` charge before its final one; nothing after a final charge; a final charge never
/// more than planned (as a multiset of mechanisms); only the row estimate is charged without a
/// plan.
pub(crate) fn charges(bodies: &[EntryBody]) -> Result<Charges, ChainError> {
    let mut budget = None;
    let mut current: BTreeMap<String, Current> = BTreeMap::new();
    for (i, body) in bodies.iter().enumerate() {
        let seq = i as u64 + 1;
        match body {
            EntryBody::Budget {
                epsilon_total,
                delta,
                accountant,
                ..
            } => {
                if seq != 1 {
                    return Err(ChainError::Budget { seq });
                }
                budget = Some((*epsilon_total, *delta, accountant.clone()));
            }
            EntryBody::Charge {
                subject,
                phase,
                ledger,
                ..
            } => {
                if budget.is_none() {
                    return Err(ChainError::Budget { seq });
                }
                let rule = |reason| ChainError::Rule {
                    seq,
                    subject: subject.clone(),
                    reason,
                };
                let planned = match (current.get(subject), phase) {
                    (Some(c), _) if c.phase.is_final() => {
                        return Err(rule("charged again after its final charge"));
                    }
                    (Some(_), ChargePhase::Planned) => return Err(rule("planned twice")),
                    (Some(_), ChargePhase::Release) => {
                        return Err(rule("a release without a plan cannot follow a plan"));
                    }
                    (Some(c), _) => {
                        let planned = c.planned.clone();
                        if let Some(p) = &planned
                            && !within_plan(ledger, p)
                        {
                            return Err(rule("the final charge is more than the plan"));
                        }
                        planned
                    }
                    (None, ChargePhase::Planned) => Some(ledger.clone()),
                    (None, ChargePhase::Release) if subject == ROW_ESTIMATE_SUBJECT => None,
                    (None, _) => return Err(rule("a final charge without a planned one")),
                };
                current.insert(
                    subject.clone(),
                    Current {
                        phase: *phase,
                        seq,
                        ledger: ledger.clone(),
                        planned,
                    },
                );
            }
        }
    }
    let (epsilon_total, delta, accountant) = budget.ok_or(ChainError::Budget { seq: 1 })?;
    Ok(Charges {
        epsilon_total,
        delta,
        accountant,
        current,
    })
}

/// Verifies an exported chain: format and version, every link and hash, canonical bodies, the
/// charging rules, and that the current charges compose (by the budget's accountant, at its
/// δ) to no more than ε_total.
///
/// # Errors
/// The first problem found, as a [`ChainError`].
pub fn verify(export: &ChainExport) -> Result<ChainSummary, ChainError> {
    if export.format != CHAIN_FORMAT {
        return Err(ChainError::Format {
            found: export.format.clone(),
        });
    }
    if export.version != CHAIN_VERSION {
        return Err(ChainError::Version {
            found: export.version,
        });
    }
    summarise(&export.dataset, &export.entries)
}

/// [`verify`] on stored links.
pub(crate) fn summarise(dataset: &str, links: &[ChainLink]) -> Result<ChainSummary, ChainError> {
    let bodies = check_links(dataset, links)?;
    let charges = charges(&bodies)?;
    let composed = charges.composed_with(None)?;
    let epsilon_spent = charges.epsilon(&composed)?;
    if !charges.within(epsilon_spent) {
        return Err(ChainError::OverBudget {
            epsilon: epsilon_spent,
            delta: charges.delta,
            epsilon_total: charges.epsilon_total,
        });
    }
    let states = charges
        .current
        .iter()
        .map(|(subject, c)| {
            Ok(ChargeState {
                subject: subject.clone(),
                phase: c.phase,
                seq: c.seq,
                epsilon_alone: charges.epsilon(&c.ledger)?,
            })
        })
        .collect::<Result<Vec<_>, ChainError>>()?;
    Ok(ChainSummary {
        dataset: dataset.to_owned(),
        entries: links.len() as u64,
        head: links.last().map(|l| ChainHead {
            seq: l.seq,
            hash: l.hash.clone(),
        }),
        epsilon_total: charges.epsilon_total,
        delta: charges.delta,
        epsilon_spent,
        charges: states,
    })
}
