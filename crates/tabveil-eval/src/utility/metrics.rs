//! Binary classification metrics: accuracy, F1 of the positive class, ROC AUC.

/// Share of predictions equal to the labels; `None` for no rows or mismatched lengths.
pub fn accuracy(predicted: &[bool], truth: &[bool]) -> Option<f64> {
    if predicted.is_empty() || predicted.len() != truth.len() {
        return None;
    }
    let hits = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    Some(hits as f64 / truth.len() as f64)
}

/// F1 score of the positive class: 2·TP / (2·TP + FP + FN). 0 when nothing is positive in
/// either (scikit-learn's `zero_division=0`); `None` for no rows or mismatched lengths.
pub fn f1_positive(predicted: &[bool], truth: &[bool]) -> Option<f64> {
    if predicted.is_empty() || predicted.len() != truth.len() {
        return None;
    }
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (&p, &t) in predicted.iter().zip(truth) {
        match (p, t) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    let denominator = 2 * tp + fp + fn_;
    Some(if denominator == 0 {
        0.0
    } else {
        2.0 * tp as f64 / denominator as f64
    })
}

/// Area under the ROC curve of `scores` (higher = more likely positive) for the boolean
/// `labels`: the Mann–Whitney probability that a random positive outscores a random negative,
/// ties counting half (average ranks). `None` when a class is absent, a score is NaN or the
/// lengths differ.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let positives = labels.iter().filter(|l| **l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += average_rank * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn hand_checked_metrics() {
        let truth = [true, true, false, false];
        let predicted = [true, false, true, false];
        assert_eq!(accuracy(&predicted, &truth), Some(0.5));
        // TP 1, FP 1, FN 1 → 2 / 4.
        assert_eq!(f1_positive(&predicted, &truth), Some(0.5));
        assert_eq!(f1_positive(&[false], &[false]), Some(0.0));
        assert_eq!(accuracy(&[], &[]), None);
    }

    #[test]
    fn auc_hand_checked() {
        // Pairs (pos, neg): (0.8 vs 0.5) win, (0.8 vs 0.3) win, (0.4 vs 0.5) loss, (0.4 vs 0.3)
        // win → 3/4. With a tie (0.5 vs 0.5) counting half.
        assert_abs_diff_eq!(
            roc_auc(&[0.8, 0.4, 0.5, 0.3], &[true, true, false, false]).unwrap(),
            0.75,
            epsilon = 1e-15
        );
        assert_abs_diff_eq!(
            roc_auc(&[0.5, 0.5], &[true, false]).unwrap(),
            0.5,
            epsilon = 1e-15
        );
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
    }
}
