//! Distance-based membership inference with the synthetic table as the attacker's knowledge.

use serde::{Deserialize, Serialize};

use super::gower::{GowerSpace, Reference, nearest};
use crate::frame::Frame;
use crate::utility::roc_auc;

/// The membership-inference attack's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembershipInference {
    /// ROC AUC of telling training rows (members) from holdout rows by closeness to the
    /// synthetic table.
    pub auc: f64,
    /// What guessing achieves: 0.5.
    pub baseline: f64,
    /// Training rows attacked (a random subset as large as the holdout).
    pub members: usize,
    /// Holdout rows attacked.
    pub non_members: usize,
    /// One line saying what the number means.
    pub reading: String,
}

pub(super) fn membership_inference(
    space: &GowerSpace,
    members: &Frame,
    non_members: &Frame,
    synthetic: &Frame,
    threads: usize,
) -> MembershipInference {
    let reference = Reference::new(&space.encode(synthetic));
    let score = |frame: &Frame| -> Vec<f64> {
        nearest(space, &space.encode(frame), &reference, threads)
            .into_iter()
            .map(|n| n.map_or(f64::NEG_INFINITY, |n| -n.distance))
            .collect()
    };
    let mut scores = score(members);
    let mut labels = vec![true; scores.len()];
    scores.extend(score(non_members));
    labels.resize(scores.len(), false);
    let auc = roc_auc(&scores, &labels).unwrap_or(0.5);
    let reading = if auc > 0.6 {
        format!(
            "membership leaks: training rows are told from unseen rows with AUC {auc:.3} (guessing: 0.5)"
        )
    } else if auc > 0.55 {
        format!("weak membership signal: AUC {auc:.3} (guessing: 0.5)")
    } else {
        format!("no sign of membership leakage: AUC {auc:.3}, as good as guessing (0.5)")
    };
    MembershipInference {
        auc,
        baseline: 0.5,
        members: members.n_rows,
        non_members: non_members.n_rows,
        reading,
    }
}
