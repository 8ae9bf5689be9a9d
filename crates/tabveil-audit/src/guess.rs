//! From scores to guesses to a bound: the auditor guesses "in" for the k₊ highest scores and
//! "out" for the k₋ lowest, abstains on the rest, and the one-run bound turns the number of
//! correct guesses into a lower bound on ε.
//!
//! k₊ and k₋ must be fixed before the scores are seen, or the search over them paid for.
//! [`Guessing::Fixed`] is one rule; [`Guessing::Search`] tries a list of rules fixed in
//! advance at significance β/G each (Bonferroni: the chance that *any* of the G tests rejects
//! a true claim is at most β) and reports the best.
//!
//! ```
//! use tabveil_audit::{Guessing, guess_and_bound};
//!
//! // Ten canaries; the auditor's scores happen to rank the five included ones first.
//! let scores = [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0];
//! let included = [true, true, true, true, true, false, false, false, false, false];
//! let bound = guess_and_bound(&scores, &included, &Guessing::Fixed { k_plus: 5, k_minus: 5 }, 0.0, 0.95)?;
//! assert_eq!((bound.guesses, bound.correct), (10, 10));
//! assert!(bound.epsilon_lower_bound > 1.0);
//! # Ok::<(), tabveil_audit::AuditError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::bound::{GuessCounts, one_run_lower_bound};
use crate::error::{AuditError, Result};

/// How the auditor turns scores into guesses (higher score = more likely included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guessing {
    /// Guess "in" for the `k_plus` highest scores and "out" for the `k_minus` lowest; fixed in
    /// advance.
    Fixed {
        /// k₊.
        k_plus: usize,
        /// k₋.
        k_minus: usize,
    },
    /// Try every (k₊, k₋) of the list, each at significance β / (list length), and keep the
    /// largest bound. The list must not depend on the scores.
    Search(Vec<(usize, usize)>),
}

impl Guessing {
    /// The default search for m canaries: k ∈ {1, 2, 5, 10, 20, 50} % of m (at least 1), each
    /// as (k, 0) — confident "in" guesses only — and as (k, k); duplicates removed. Twelve
    /// rules for m ≥ 100, so each is tested at β/12.
    pub fn default_for(canaries: usize) -> Self {
        let mut rules: Vec<(usize, usize)> = Vec::new();
        for percent in [1, 2, 5, 10, 20, 50] {
            let k = (canaries * percent / 100).max(1);
            for rule in [(k, 0), (k, k)] {
                if rule.0 + rule.1 <= canaries && !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
        }
        Guessing::Search(rules)
    }

    fn rules(&self) -> Vec<(usize, usize)> {
        match self {
            Guessing::Fixed { k_plus, k_minus } => vec![(*k_plus, *k_minus)],
            Guessing::Search(rules) => rules.clone(),
        }
    }
}

/// The guesses of an audit and the bound they support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuessBound {
    /// m.
    pub canaries: u64,
    /// r = k₊ + k₋ of the rule kept.
    pub guesses: u64,
    /// v: correct guesses of that rule.
    pub correct: u64,
    /// k₊ of the rule kept.
    pub k_plus: usize,
    /// k₋ of the rule kept.
    pub k_minus: usize,
    /// The lowest score guessed "in" (None when k₊ = 0): the auditor abstains below it.
    pub threshold_in: Option<f64>,
    /// The highest score guessed "out" (None when k₋ = 0): the auditor abstains above it.
    pub threshold_out: Option<f64>,
    /// How many rules were tried (β was divided by this).
    pub rules_tried: usize,
    /// The confidence 1 − β of the bound, for all rules together.
    pub confidence: f64,
    /// δ of the hypothesis tested.
    pub delta: f64,
    /// With confidence `confidence`, the algorithm is not (ε, δ)-DP for any ε below this.
    pub epsilon_lower_bound: f64,
}

/// Ranks `scores` (ties broken by canary index, never by membership), makes the guesses of each
/// rule of `guessing`, and returns the rule with the largest one-run bound at `delta` and
/// overall confidence `confidence` (β = 1 − confidence, divided among the rules).
///
/// # Errors
/// [`AuditError::InvalidParameter`] for mismatched lengths, no canary, a score that is NaN, a
/// rule with k₊ + k₋ > m, an empty rule list or a confidence outside (0, 1); the bound's
/// errors.
pub fn guess_and_bound(
    scores: &[f64],
    included: &[bool],
    guessing: &Guessing,
    delta: f64,
    confidence: f64,
) -> Result<GuessBound> {
    let m = scores.len();
    if m == 0 || included.len() != m {
        return Err(AuditError::InvalidParameter {
            parameter: "scores",
            value: m as f64,
            expected: "one score per canary, at least one canary",
        });
    }
    if let Some(&bad) = scores.iter().find(|s| s.is_nan()) {
        return Err(AuditError::InvalidParameter {
            parameter: "score",
            value: bad,
            expected: "a number (not NaN)",
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(AuditError::InvalidParameter {
            parameter: "confidence",
            value: confidence,
            expected: "in (0, 1)",
        });
    }
    let rules = guessing.rules();
    if rules.is_empty() {
        return Err(AuditError::InvalidParameter {
            parameter: "guessing rules",
            value: 0.0,
            expected: "at least one (k₊, k₋)",
        });
    }
    if let Some(&(kp, km)) = rules.iter().find(|(kp, km)| kp + km > m) {
        return Err(AuditError::InvalidParameter {
            parameter: "k₊ + k₋",
            value: (kp + km) as f64,
            expected: "at most the number of canaries",
        });
    }
    // Descending score; equal scores in index order.
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    // correct_top[k]: included among the k highest; correct_bottom[k]: excluded among the k
    // lowest.
    let mut correct_top = vec![0u64; m + 1];
    let mut correct_bottom = vec![0u64; m + 1];
    for k in 0..m {
        correct_top[k + 1] = correct_top[k] + u64::from(included[order[k]]);
        correct_bottom[k + 1] = correct_bottom[k] + u64::from(!included[order[m - 1 - k]]);
    }
    let significance = (1.0 - confidence) / rules.len() as f64;
    let mut best: Option<GuessBound> = None;
    for (k_plus, k_minus) in rules.iter().copied() {
        let r = (k_plus + k_minus) as u64;
        let v = correct_top[k_plus] + correct_bottom[k_minus];
        let counts = GuessCounts::new(m as u64, r, v)?;
        let eps = one_run_lower_bound(&counts, delta, significance)?;
        if best.as_ref().is_none_or(|b| eps > b.epsilon_lower_bound) {
            best = Some(GuessBound {
                canaries: m as u64,
                guesses: r,
                correct: v,
                k_plus,
                k_minus,
                threshold_in: k_plus.checked_sub(1).map(|k| scores[order[k]]),
                threshold_out: k_minus.checked_sub(1).map(|k| scores[order[m - 1 - k]]),
                rules_tried: rules.len(),
                confidence,
                delta,
                epsilon_lower_bound: eps,
            });
        }
    }
    best.ok_or(AuditError::Internal("no guessing rule evaluated"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_search_is_fixed_by_m_alone() {
        let Guessing::Search(rules) = Guessing::default_for(1_000) else {
            panic!("a search");
        };
        assert_eq!(rules.len(), 12);
        assert!(rules.contains(&(10, 0)) && rules.contains(&(500, 500)));
        let Guessing::Search(small) = Guessing::default_for(10) else {
            panic!("a search");
        };
        assert!(small.iter().all(|(a, b)| a + b <= 10));
    }

    /// Counting by hand: scores rank canaries 0..6; included = 0, 1, 3, 5.
    #[test]
    fn counts_follow_the_ranking() {
        let scores = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let included = [true, true, false, true, false, true];
        let fixed = |k_plus, k_minus| Guessing::Fixed { k_plus, k_minus };
        let b = guess_and_bound(&scores, &included, &fixed(2, 0), 0.0, 0.95).unwrap();
        assert_eq!((b.guesses, b.correct), (2, 2));
        assert_eq!((b.threshold_in, b.threshold_out), (Some(5.0), None));
        let b = guess_and_bound(&scores, &included, &fixed(3, 2), 0.0, 0.95).unwrap();
        // Top 3: 0, 1 in, 2 out → 2 right; bottom 2: 5 in, 4 out → 1 right.
        assert_eq!((b.guesses, b.correct), (5, 3));
        assert_eq!(b.threshold_out, Some(2.0));
    }

    /// Ties are broken by index, so the bound cannot depend on the order of equal scores
    /// within the membership bits.
    #[test]
    fn ties_do_not_look_at_membership() {
        let scores = [1.0; 4];
        let a = guess_and_bound(
            &scores,
            &[true, false, true, false],
            &Guessing::Fixed {
                k_plus: 1,
                k_minus: 0,
            },
            0.0,
            0.9,
        )
        .unwrap();
        let b = guess_and_bound(
            &scores,
            &[false, true, true, false],
            &Guessing::Fixed {
                k_plus: 1,
                k_minus: 0,
            },
            0.0,
            0.9,
        )
        .unwrap();
        assert_eq!((a.correct, b.correct), (1, 0));
    }

    /// Searching costs confidence: the same counts give a smaller bound when 12 rules share β.
    #[test]
    fn searching_divides_the_significance() {
        let scores: Vec<f64> = (0..200).map(|i| -(i as f64)).collect();
        let included: Vec<bool> = (0..200).map(|i| i < 100).collect();
        let fixed = guess_and_bound(
            &scores,
            &included,
            &Guessing::Fixed {
                k_plus: 100,
                k_minus: 100,
            },
            1e-6,
            0.95,
        )
        .unwrap();
        let search =
            guess_and_bound(&scores, &included, &Guessing::default_for(200), 1e-6, 0.95).unwrap();
        assert_eq!(search.rules_tried, 12);
        assert_eq!((search.k_plus, search.k_minus), (100, 100));
        assert!(search.epsilon_lower_bound < fixed.epsilon_lower_bound);
    }

    #[test]
    fn invalid_inputs() {
        let g = Guessing::Fixed {
            k_plus: 1,
            k_minus: 0,
        };
        assert!(guess_and_bound(&[], &[], &g, 0.0, 0.95).is_err());
        assert!(guess_and_bound(&[1.0], &[true, false], &g, 0.0, 0.95).is_err());
        assert!(guess_and_bound(&[f64::NAN], &[true], &g, 0.0, 0.95).is_err());
        assert!(guess_and_bound(&[1.0], &[true], &g, 0.0, 1.0).is_err());
        let too_many = Guessing::Fixed {
            k_plus: 1,
            k_minus: 1,
        };
        assert!(guess_and_bound(&[1.0], &[true], &too_many, 0.0, 0.95).is_err());
        assert!(guess_and_bound(&[1.0], &[true], &Guessing::Search(vec![]), 0.0, 0.95).is_err());
    }
}
