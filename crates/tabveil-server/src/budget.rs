//! The lifetime budget of a dataset: charging a plan before a fit's first release, refusing
//! the plan that would exceed ε_total, settling the charge when the fit ends, and the noisy
//! row count released once at upload.
//!
//! Every function here runs one transaction that first takes the dataset's lock, reads and
//! verifies its whole chain (a chain that does not verify stops every charge: fail closed),
//! composes the current charges with the accountant the owner chose (one δ, the ledgers
//! concatenated — never ε added up), and appends one entry.
//!
//! **Privacy of the decisions.** A refusal, the remaining budget and every number here are
//! computed from public inputs (the budget, the fits' settings, the schema) and released values
//! (the noisy row count N̂ every fit plans with) — never from the table or its true size.

use serde::Serialize;
use tabveil::accountant::{
    AccountantSpec, LedgerEntry, NoiseSchedule, PrivacyEvent, PrivacyLedger, Stage, calibrate_noise,
};
use tabveil::noise::PrivacyRng;

use crate::api::AppState;
use crate::chain::{
    ChainLink, ChargePhase, Charges, EntryBody, ROW_ESTIMATE_SUBJECT, charges, check_links,
    within_plan,
};
use crate::error::{Result, ServerError};
use crate::store::{GeneratorUpdate, NewGenerator, now_ms};

/// The ledger label of the row-count release.
const ROW_COUNT_LABEL: &str = "upload: noisy row count N̂ of the table (Gaussian, sensitivity 1)";

/// Why a plan was not charged.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub(crate) struct Refusal {
    /// ε_total of the dataset.
    pub(crate) epsilon_total: f64,
    /// δ of the budget.
    pub(crate) delta: f64,
    /// ε of the current charges composed, at δ.
    pub(crate) epsilon_spent: f64,
    /// ε_total − ε spent (ε does not add up under composition: a fit may cost less than its
    /// own ε; see `max_target_epsilon` for what fits).
    pub(crate) epsilon_remaining: f64,
    /// ε the charges would compose to with this fit's planned ledger.
    pub(crate) epsilon_with_this_fit: f64,
}

/// The result of a charge attempt.
#[derive(Debug)]
pub(crate) enum Charged {
    /// Charged, and the generator inserted.
    Yes,
    /// Refused: nothing was written.
    Refused(Refusal),
}

/// The chain of a dataset, verified, with its charges.
struct Locked {
    links: Vec<ChainLink>,
    charges: Charges,
}

async fn read_verified(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    dataset: &str,
) -> Result<Locked> {
    if !state.store.lock_dataset(conn, dataset).await? {
        return Err(ServerError::Corrupt(format!("no dataset {dataset}")));
    }
    let links = state.store.links(conn, dataset).await?;
    let chain_error = |source| ServerError::Chain {
        dataset: dataset.to_owned(),
        source,
    };
    let bodies = check_links(dataset, &links).map_err(chain_error)?;
    let charges = charges(&bodies).map_err(chain_error)?;
    Ok(Locked { links, charges })
}

fn chain_error(dataset: &str) -> impl Fn(crate::chain::ChainError) -> ServerError + '_ {
    move |source| ServerError::Chain {
        dataset: dataset.to_owned(),
        source,
    }
}

/// Writes the first entry of a new dataset's chain: its budget.
pub(crate) async fn open_chain(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    dataset: &str,
    epsilon_total: f64,
    delta: f64,
    accountant: AccountantSpec,
) -> Result<()> {
    let body = EntryBody::budget(dataset, epsilon_total, delta, accountant, now_ms());
    let link = ChainLink::next(None, &body).map_err(chain_error(dataset))?;
    state.store.append_link(conn, dataset, &link).await
}

/// Charges `planned` for a new generator and inserts it (queued), or refuses.
pub(crate) async fn charge_plan(
    state: &AppState,
    generator: &NewGenerator<'_>,
    planned: &PrivacyLedger,
) -> Result<Charged> {
    let dataset = generator.dataset_id;
    let guard = state.dataset_lock(dataset);
    let _held = guard.lock().await;
    let mut tx = state.store.pool().begin().await?;
    let Locked { links, charges } = read_verified(state, &mut tx, dataset).await?;
    let subject = subject_of(generator.id);
    let with_fit = charges
        .composed_with(Some((&subject, planned)))
        .map_err(chain_error(dataset))?;
    let epsilon_with = charges.epsilon(&with_fit).map_err(chain_error(dataset))?;
    if !charges.within(epsilon_with) {
        let now = charges.composed_with(None).map_err(chain_error(dataset))?;
        let spent = charges.epsilon(&now).map_err(chain_error(dataset))?;
        tx.rollback().await?;
        return Ok(Charged::Refused(Refusal {
            epsilon_total: charges.epsilon_total,
            delta: charges.delta,
            epsilon_spent: spent,
            epsilon_remaining: (charges.epsilon_total - spent).max(0.0),
            epsilon_with_this_fit: epsilon_with,
        }));
    }
    let body = EntryBody::charge(
        dataset,
        &subject,
        ChargePhase::Planned,
        planned.clone(),
        now_ms(),
    );
    let link = ChainLink::next(links.last(), &body).map_err(chain_error(dataset))?;
    state.store.append_link(&mut tx, dataset, &link).await?;
    let generator = NewGenerator {
        planned_seq: link.seq,
        ..generator.clone()
    };
    state.store.insert_generator(&mut tx, &generator).await?;
    tx.commit().await?;
    Ok(Charged::Yes)
}

/// What a fit's final charge is.
#[derive(Debug, Clone)]
pub(crate) enum Settlement {
    /// Exactly these releases were made.
    Released(PrivacyLedger),
    /// Unknown: keep the whole planned ledger (pessimistic).
    KeepPlanned,
}

/// Replaces a generator's planned charge by its final one and records the generator's end, in
/// one transaction. A generator already settled is left alone (returns its entry).
pub(crate) async fn settle(
    state: &AppState,
    dataset: &str,
    generator: &str,
    phase: ChargePhase,
    settlement: Settlement,
    update: GeneratorUpdate<'_>,
) -> Result<u64> {
    let guard = state.dataset_lock(dataset);
    let _held = guard.lock().await;
    let mut tx = state.store.pool().begin().await?;
    let Locked { links, charges } = read_verified(state, &mut tx, dataset).await?;
    let subject = subject_of(generator);
    let current = charges.current.get(&subject).ok_or(ServerError::Internal(
        "settling a generator that was never charged",
    ))?;
    if current.phase.is_final() {
        tx.rollback().await?;
        return Ok(current.seq);
    }
    let planned = current.planned.clone().unwrap_or_default();
    let ledger = match settlement {
        Settlement::Released(ledger) => {
            if !within_plan(&ledger, &planned) {
                // Recorded all the same (it is what was released); the chain's verification
                // will flag the dataset, and every further charge on it is refused.
                state.log(&format!(
                    "generator {generator} released more than its plan; recording the releases"
                ));
            }
            ledger
        }
        Settlement::KeepPlanned => planned,
    };
    let body = EntryBody::charge(dataset, &subject, phase, ledger, now_ms());
    let link = ChainLink::next(links.last(), &body).map_err(chain_error(dataset))?;
    state.store.append_link(&mut tx, dataset, &link).await?;
    let update = GeneratorUpdate {
        settled_seq: Some(link.seq),
        ..update
    };
    state
        .store
        .finish_generator(&mut tx, generator, &update)
        .await?;
    tx.commit().await?;
    Ok(link.seq)
}

/// Releases the noisy row count N̂ of a dataset's table and charges it, then records the
/// stored table; all in one transaction. Returns N̂ (at least 1).
///
/// The Gaussian noise has σ calibrated so that this release alone spends `share · ε_total`
/// at δ with the dataset's accountant; the true count is used only here, inside the
/// mechanism. N̂ is committed together with its charge, so it is never published uncharged.
#[allow(clippy::too_many_arguments, reason = "the stored table's record")]
pub(crate) async fn release_row_estimate(
    state: &AppState,
    dataset: &str,
    true_rows: usize,
    share: f64,
    format: &str,
    file_name: &str,
    sha256: &str,
    bytes: u64,
) -> Result<Option<f64>> {
    let guard = state.dataset_lock(dataset);
    let _held = guard.lock().await;
    let mut tx = state.store.pool().begin().await?;
    let Locked { links, charges } = read_verified(state, &mut tx, dataset).await?;
    if charges.current.contains_key(ROW_ESTIMATE_SUBJECT) {
        tx.rollback().await?;
        return Ok(None);
    }
    let sigma = calibrate_noise(
        share * charges.epsilon_total,
        charges.delta,
        &NoiseSchedule {
            fixed: Vec::new(),
            calibrated: vec![(1.0, 1)],
        },
        &charges.accountant,
    )
    .map_err(|e| ServerError::Tabveil(e.into()))?
    .noise_multiplier;
    let mut rng =
        PrivacyRng::secure().map_err(|_| ServerError::Internal("no secure randomness"))?;
    let noise = rng
        .gaussian(sigma)
        .map_err(|_| ServerError::Internal("the noise sampler failed"))?;
    // Post-processing: rounding and clamping to at least one row.
    let estimate = (true_rows as f64 + noise).round().max(1.0);
    let mut ledger = PrivacyLedger::new();
    let event = PrivacyEvent::gaussian(sigma, 1).map_err(|e| ServerError::Tabveil(e.into()))?;
    ledger
        .record(
            LedgerEntry::new(ROW_COUNT_LABEL, Stage::Preprocessing, event)
                .and_then(|e| e.with_l2_sensitivity(1.0))
                .map_err(|e| ServerError::Tabveil(e.into()))?,
        )
        .map_err(|e| ServerError::Tabveil(e.into()))?;
    let body = EntryBody::charge(
        dataset,
        ROW_ESTIMATE_SUBJECT,
        ChargePhase::Release,
        ledger,
        now_ms(),
    );
    let link = ChainLink::next(links.last(), &body).map_err(chain_error(dataset))?;
    state.store.append_link(&mut tx, dataset, &link).await?;
    if !state
        .store
        .set_dataset_table(&mut tx, dataset, format, file_name, sha256, bytes, estimate)
        .await?
    {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(estimate))
}

/// The chain subject of a generator.
pub(crate) fn subject_of(generator: &str) -> String {
    format!("generator:{generator}")
}
