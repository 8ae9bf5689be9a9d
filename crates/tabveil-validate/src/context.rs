//! Context for reading ε: plain-language tiers (conventions, not law) and the published ε of
//! real deployments, each with its source.
//!
//! Every number below was checked with the sources named beside it; numbers we could not check
//! (for example the final production budget of the 2020 US Census redistricting data) are left
//! out rather than quoted from memory.
//!
//! ```
//! use tabveil_validate::context::{EpsilonTier, reference_deployments};
//!
//! assert_eq!(EpsilonTier::of(0.5), EpsilonTier::Strong);
//! assert_eq!(EpsilonTier::of(3.0), EpsilonTier::Moderate);
//! assert_eq!(EpsilonTier::of(12.0), EpsilonTier::Weak);
//! assert!(reference_deployments().iter().all(|d| d.source_url.starts_with("https://")));
//! ```

use serde::{Deserialize, Serialize};

/// A plain-language reading of an ε value. The thresholds (1, 5, 10) are conventions used in
/// the differential-privacy literature and practice to talk about ε; they are not a legal or
/// regulatory standard, and an ε means little without its δ, its privacy unit and its trust
/// model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpsilonTier {
    /// ε ≤ 1.
    Strong,
    /// 1 < ε ≤ 5.
    Moderate,
    /// 5 < ε ≤ 10.
    Limited,
    /// ε > 10.
    Weak,
}

impl EpsilonTier {
    /// The tier of `epsilon`.
    pub fn of(epsilon: f64) -> Self {
        if epsilon <= 1.0 {
            EpsilonTier::Strong
        } else if epsilon <= 5.0 {
            EpsilonTier::Moderate
        } else if epsilon <= 10.0 {
            EpsilonTier::Limited
        } else {
            EpsilonTier::Weak
        }
    }

    /// The tier's name.
    pub fn name(self) -> &'static str {
        match self {
            EpsilonTier::Strong => "strong",
            EpsilonTier::Moderate => "moderate",
            EpsilonTier::Limited => "limited",
            EpsilonTier::Weak => "weak",
        }
    }

    /// The range of ε the tier covers, as text.
    pub fn range(self) -> &'static str {
        match self {
            EpsilonTier::Strong => "ε ≤ 1",
            EpsilonTier::Moderate => "1 < ε ≤ 5",
            EpsilonTier::Limited => "5 < ε ≤ 10",
            EpsilonTier::Weak => "ε > 10",
        }
    }

    /// One sentence in plain language.
    pub fn reading(self) -> &'static str {
        match self {
            EpsilonTier::Strong => {
                "Whatever the output, the odds of any conclusion about one row change by at most a factor e ≈ 2.7 (except with probability about δ)."
            }
            EpsilonTier::Moderate => {
                "The range of several published deployments: a meaningful bound on what can be learned about one row, though the odds of a conclusion may shift by up to e^5 ≈ 148 in the worst case."
            }
            EpsilonTier::Limited => {
                "A worst-case bound that allows large shifts in the odds of any conclusion about one row (up to e^10 ≈ 22 000): a loose guarantee, to be backed by access controls."
            }
            EpsilonTier::Weak => {
                "The formal bound is loose enough that it says little about one row on its own; treat the model like data derived from the rows, with the access controls that implies."
            }
        }
    }

    /// All tiers, from strongest to weakest.
    pub const ALL: [EpsilonTier; 4] = [
        EpsilonTier::Strong,
        EpsilonTier::Moderate,
        EpsilonTier::Limited,
        EpsilonTier::Weak,
    ];
}

/// A published deployment of differential privacy, with its parameters and sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Who published it.
    pub organisation: String,
    /// What was released.
    pub release: String,
    /// The published ε.
    pub epsilon: f64,
    /// The published δ (`None` for pure ε-DP).
    pub delta: Option<f64>,
    /// The unit the guarantee protects (e.g. one user's data for one day).
    pub privacy_unit: String,
    /// Central (a trusted curator sees raw data) or local (noise added on the device).
    pub trust_model: String,
    /// The primary source: document name.
    pub source: String,
    /// The primary source: address.
    pub source_url: String,
    /// Where we read the number when the primary text was not available to us, if elsewhere.
    pub checked_against: Option<String>,
}

/// The guidance on reading ε that the report cites.
pub const NIST_SP_800_226: (&str, &str) = (
    "NIST Special Publication 800-226, Guidelines for Evaluating Differential Privacy Guarantees (Near, Darais, Lefkovitz, Howarth; March 2025)",
    "https://doi.org/10.6028/NIST.SP.800-226",
);

/// Published ε of real deployments, for context. Units and trust models differ from a tabveil
/// fit (one table row, central model), so these are orders of magnitude to compare with, not
/// equivalents.
pub fn reference_deployments() -> Vec<Deployment> {
    let d = |organisation: &str,
             release: &str,
             epsilon: f64,
             delta: Option<f64>,
             unit: &str,
             trust: &str,
             source: &str,
             url: &str,
             checked: Option<&str>| Deployment {
        organisation: organisation.to_owned(),
        release: release.to_owned(),
        epsilon,
        delta,
        privacy_unit: unit.to_owned(),
        trust_model: trust.to_owned(),
        source: source.to_owned(),
        source_url: url.to_owned(),
        checked_against: checked.map(str::to_owned),
    };
    vec![
        d(
            "Google",
            "COVID-19 Search Trends symptoms dataset",
            1.68,
            None,
            "one user's symptom searches on one day",
            "central",
            "Google COVID-19 Search Trends symptoms dataset: Anonymization Process Description (arXiv:2009.01265)",
            "https://arxiv.org/abs/2009.01265",
            None,
        ),
        d(
            "Google",
            "COVID-19 Vaccination Search Insights",
            2.19,
            Some(1e-5),
            "one user's vaccination-related searches on one day",
            "central",
            "Google COVID-19 Vaccination Search Insights: Anonymization Process Description (arXiv:2107.01179)",
            "https://arxiv.org/abs/2107.01179",
            None,
        ),
        d(
            "Apple",
            "Health type usage (which HealthKit data types are used)",
            2.0,
            None,
            "one user's contributions on one day",
            "local (noise added on the device)",
            "Apple, Differential Privacy Overview",
            "https://www.apple.com/privacy/docs/Differential_Privacy_Overview.pdf",
            Some(
                "D. Desfontaines, A list of real-world uses of differential privacy, https://desfontain.es/blog/real-world-differential-privacy.html",
            ),
        ),
        d(
            "Apple",
            "Emoji suggestions (which emoji are most popular)",
            4.0,
            None,
            "one user's contributions on one day",
            "local (noise added on the device)",
            "Apple, Differential Privacy Overview",
            "https://www.apple.com/privacy/docs/Differential_Privacy_Overview.pdf",
            Some(
                "D. Desfontaines, A list of real-world uses of differential privacy, https://desfontain.es/blog/real-world-differential-privacy.html",
            ),
        ),
        d(
            "US Census Bureau",
            "2020 Census redistricting data, TopDown Algorithm demonstration run of 2021-04-28 (person file; not the final production setting)",
            10.3,
            None,
            "one person",
            "central",
            "US Census Bureau working paper SSS2021-01, Empirical Study of Two Aspects of the TopDown Algorithm Output for Redistricting: Reliability & Variability",
            "https://www.census.gov/library/working-papers/2021/adrm/SSS2021-01.html",
            None,
        ),
    ]
}
