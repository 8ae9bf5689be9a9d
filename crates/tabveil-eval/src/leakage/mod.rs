//! Leakage: does the synthetic table give away the rows it was trained on?
//!
//! All three measures compare the **training** rows with **holdout** rows (real rows the
//! synthesizer never saw): what is only as true of training rows as of unseen rows is a property
//! of the population, not a leak. Distances are Gower distances (see below); every random choice
//! comes from the evaluation seed.
//!
//! - **Distance to closest record (DCR)**: for each synthetic row, the distance to its nearest
//!   training row and to its nearest holdout row. A random subset of the training table as large
//!   as the holdout makes the two sides comparable (nearest-neighbour distances shrink as the
//!   reference grows); the full training table gives the exact-copy rate.
//! - **Membership inference**: an attacker who holds the synthetic table scores a real row by
//!   minus its distance to the nearest synthetic row; the AUC of telling training rows from
//!   holdout rows is 0.5 when nothing leaks.
//! - **Attribute inference**: an attacker who knows every other column of a real row copies the
//!   sensitive value of the nearest synthetic row; compared between training and holdout rows
//!   and with guessing the most common value.
//!
//! Gower distance: the mean over the non-identifier columns of a per-column distance in [0, 1]:
//! 0/1 for (in)equal categories, |a − b| / range capped at 1 for numbers (range of the training
//! table), 0 between two missing values and 1 between a missing and a present one.
//!
//! ```
//! use tabveil_eval::leakage::roc_auc;
//!
//! // Scores that rank every positive above every negative: AUC 1.
//! assert_eq!(roc_auc(&[0.9, 0.8, 0.1], &[true, true, false]), Some(1.0));
//! ```

mod attribute;
mod dcr;
pub(crate) mod gower;
mod membership;

use serde::{Deserialize, Serialize};

pub use crate::utility::roc_auc;
pub use attribute::AttributeInference;
pub use dcr::{DcrStats, DcrSummary};
pub use membership::MembershipInference;

use crate::frame::{Frame, Layout};

/// The three leakage measures; each is `None` when it could not be computed (see `notes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leakage {
    /// Distance to closest record.
    pub dcr: Option<DcrSummary>,
    /// Membership-inference attack (needs a holdout table).
    pub membership_inference: Option<MembershipInference>,
    /// Attribute-inference attack on the sensitive column (needs a holdout table and a
    /// sensitive column).
    pub attribute_inference: Option<AttributeInference>,
    /// Why a measure is missing, and other caveats.
    pub notes: Vec<String>,
}

/// Settings of the leakage measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LeakageSettings {
    pub seed: u64,
    pub threads: usize,
    pub sensitive: Option<usize>,
}

/// Computes every leakage measure the inputs allow.
pub(crate) fn leakage(
    layout: &Layout,
    real: &Frame,
    synthetic: &Frame,
    holdout: Option<&Frame>,
    settings: LeakageSettings,
) -> Leakage {
    let mut notes = Vec::new();
    let space = gower::GowerSpace::new(layout, real, None);
    if space.n_columns() == 0 {
        notes.push("no column to measure distances on (only identifiers)".to_owned());
        return Leakage {
            dcr: None,
            membership_inference: None,
            attribute_inference: None,
            notes,
        };
    }
    let members = holdout.map(|h| sample_indices(real.n_rows, h.n_rows, settings.seed));
    let dcr = dcr::dcr(
        &space,
        real,
        synthetic,
        holdout,
        members.as_deref(),
        settings.threads,
    );
    let (membership_inference, attribute_inference) = match (holdout, &members) {
        (Some(h), Some(m)) => {
            let member_rows = real.select_rows(m);
            let mia = membership::membership_inference(
                &space,
                &member_rows,
                h,
                synthetic,
                settings.threads,
            );
            let aia = settings.sensitive.map(|s| {
                attribute::attribute_inference(
                    layout,
                    real,
                    &member_rows,
                    h,
                    synthetic,
                    s,
                    settings.threads,
                )
            });
            if settings.sensitive.is_none() {
                notes.push("attribute inference skipped: no sensitive column was named".to_owned());
            }
            (Some(mia), aia)
        }
        _ => {
            notes.push(
                "membership and attribute inference skipped, and DCR has no baseline: they need \
                 a holdout table (real rows the synthesizer never saw)"
                    .to_owned(),
            );
            (None, None)
        }
    };
    Leakage {
        dcr: Some(dcr),
        membership_inference,
        attribute_inference: attribute_inference.flatten(),
        notes,
    }
}

/// `k` distinct indices out of `0..n` (all of them, shuffled, when `k ≥ n`), from `seed`.
pub(crate) fn sample_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut all: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = rng.random_range(i..n);
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

/// numpy's default `percentile` (linear interpolation) of sorted values; `q` in [0, 100].
pub(crate) fn percentile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q / 100.0 * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi.min(last)] - sorted[lo]) * frac)
}

/// The former name of [`Leakage`].
#[deprecated(note = "renamed to Leakage (the eval crate's measures are called leakage)")]
pub type PrivacyLeakage = Leakage;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_numpy() {
        // np.percentile([1, 2, 3, 4], [5, 50]) = [1.15, 2.5]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((percentile_sorted(&v, 5.0).unwrap() - 1.15).abs() < 1e-12);
        assert!((percentile_sorted(&v, 50.0).unwrap() - 2.5).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[], 50.0), None);
    }

    #[test]
    fn sampled_indices_are_distinct_and_seeded() {
        let a = sample_indices(100, 30, 7);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 30);
        assert_eq!(a, sample_indices(100, 30, 7));
        assert_ne!(a, sample_indices(100, 30, 8));
        assert_eq!(sample_indices(3, 10, 1).len(), 3);
    }
}
