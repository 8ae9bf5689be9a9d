//! The sentences of a report: what was public, what was learned privately, the safeguards, the
//! context for ε and the regulatory notes.
//!
//! The regulatory notes are written to be honest about what a DP guarantee can support; they
//! never call a fit "compliant" or "approved" (a test checks every rendering).

use tabveil_accountant::{AccountantKind, NoiseRandomness, PrivacyEvent, PrivacyLedger, Stage};
use tabveil_data::{ColumnKind, Schema};
use tabveil_validate::TrainingConfig;
use tabveil_validate::context::{EpsilonTier, NIST_SP_800_226, reference_deployments};
use tabveil_validate::format::{sci, sig, sig_up};

use crate::types::{Context, PublicAndPrivate, PublicColumn, RowCount, Safeguards};

/// The first line of every rendering.
pub(crate) fn headline(epsilon: Option<f64>, delta: Option<f64>, target: Option<f64>) -> String {
    match (epsilon, delta) {
        (Some(e), Some(d)) => format!(
            "This model satisfies ({}, {})-differential privacy for one row of the training table (add/remove), end to end (preprocessing and training), as bounded by the accountant{}.",
            sig_up(e, 3),
            sci(d),
            target
                .map(|t| format!("; the budget was ε = {}", sig(t, 3)))
                .unwrap_or_default()
        ),
        _ => "No privacy guarantee holds: this model was trained without differential privacy, so it and its samples may reveal rows of the training table.".to_owned(),
    }
}

/// How the preprocessing releases of `ledger` were noised, for the report's sentences:
/// "discrete Gaussian noise" when every one of them is an exact discrete Gaussian release.
pub(crate) fn preprocessing_noise(ledger: &PrivacyLedger) -> &'static str {
    let pre: Vec<&PrivacyEvent> = ledger
        .entries()
        .iter()
        .filter(|e| e.stage() == Stage::Preprocessing)
        .map(|e| e.event())
        .collect();
    if !pre.is_empty()
        && pre
            .iter()
            .all(|e| matches!(e, PrivacyEvent::DiscreteGaussian { .. }))
    {
        "discrete Gaussian noise, sampled exactly on the integers"
    } else if pre
        .iter()
        .any(|e| matches!(e, PrivacyEvent::DiscreteGaussian { .. }))
    {
        "discrete or continuous Gaussian noise (see the ledger)"
    } else {
        "Gaussian noise"
    }
}

/// One sentence about the accountant.
pub(crate) fn accountant_description(kind: AccountantKind) -> String {
    match kind {
        AccountantKind::Rdp => "Rényi DP of each mechanism (the Poisson-subsampled Gaussian exactly at every tracked order; the discrete Gaussian by its zCDP bound), converted to (ε, δ) with Balle et al. (2020): an upper bound on ε.".to_owned(),
        AccountantKind::Pld => "Privacy loss distributions with pessimistic discretisation (Doroshenko et al. 2022), both neighbouring directions: an upper bound on ε, tighter than RDP.".to_owned(),
        AccountantKind::Gdp => "The central-limit Gaussian-DP approximation: not a bound, it may under-estimate ε.".to_owned(),
    }
}

pub(crate) fn public_and_private(
    config: &TrainingConfig,
    schema: &Schema,
    rows: RowCount,
    preprocessing_noise: &str,
) -> PublicAndPrivate {
    let private = config.privacy().is_private();
    let text = config.model.spec().report_text();
    let dp_sgd_model = config.model.spec().schedule().is_some();
    let columns = schema
        .columns()
        .iter()
        .map(|c| {
            let null = if c.is_nullable() {
                ", may be missing"
            } else {
                ""
            };
            let declared = match c.kind() {
                ColumnKind::Continuous { min, max, integer } => match (min, max) {
                    (Some(a), Some(b)) => format!(
                        "bounds [{}, {}]{}{null}",
                        sig(*a, 6),
                        sig(*b, 6),
                        if *integer { ", integer" } else { "" }
                    ),
                    _ => format!("no declared bounds{null}"),
                },
                ColumnKind::Datetime { format, min, max } => match (min, max) {
                    (Some(_), Some(_)) => format!("bounds declared, format {format}{null}"),
                    _ => format!("no declared bounds, format {format}{null}"),
                },
                ColumnKind::Categorical { categories } | ColumnKind::Boolean { categories } => {
                    match categories {
                        Some(c) => format!("{} declared categories{null}", c.len()),
                        None if matches!(c.kind(), ColumnKind::Boolean { .. }) => {
                            format!("2 categories (false/true){null}")
                        }
                        None => format!("no declared categories{null}"),
                    }
                }
                ColumnKind::Id => {
                    "identifier: never modelled, regenerated as 1, 2, 3, …".to_owned()
                }
            };
            PublicColumn {
                name: c.name().to_owned(),
                kind: c.kind().as_str().to_owned(),
                declared,
            }
        })
        .collect();
    let mut public_facts = vec![
        "The schema above: column names, kinds, declared bounds and categories, nullability. The user vouches that these come from public knowledge (a codebook, legal or physical ranges), not from the table.".to_owned(),
        match (rows, private) {
            (RowCount::PrivateEstimate(n), _) => format!(
                "The row count is not public: this report shows N̂ = {n}, a differentially private estimate of it (post-processing of the ledger's releases); the true count is not released."
            ),
            (RowCount::Exact(n), true) => format!(
                "The number of rows, N = {n}: shown in this report, so treated as public (not protected)."
            ),
            (RowCount::Exact(n), false) => format!("The number of rows, N = {n}."),
        },
        if dp_sgd_model {
            format!(
                "The settings: {}, {} epochs, batch size {}{}.",
                config.model.name(),
                config.epochs(),
                config.batch_size(),
                text.settings
            )
        } else {
            format!("The settings: {}, {}.", config.model.name(), text.settings)
        },
    ];
    if private && !dp_sgd_model {
        public_facts.push(
            "The privacy parameters (ε, δ, accountant) and the noise and selection parameters derived from them.".to_owned(),
        );
    } else if private {
        public_facts.push("The privacy parameters (ε, δ, clipping norm, accountant) and the noise multipliers derived from them.".to_owned());
    }
    let nothing_else = "Nothing else: no real row, exact count or data-derived bound is stored in the model or used by the sampler; sampling is post-processing and costs no privacy.";
    let learned_privately = if private && !dp_sgd_model {
        vec![text.learned, nothing_else.to_owned()]
    } else if private {
        vec![
            format!(
                "Per categorical column: the counts of each category (and of missing values), each released once with {preprocessing_noise} (L2 sensitivity 1); used for the condition vectors and for generation."
            ),
            format!(
                "Per continuous or datetime column: a histogram over the declared bounds (and the missing-value count), released once with {preprocessing_noise} (L2 sensitivity 1); the mode-specific normalisation is fitted on it (post-processing)."
            ),
            text.learned,
            nothing_else.to_owned(),
        ]
    } else {
        vec![
            "Everything the model holds was fitted on the raw data without noise: category frequencies, mixture parameters of continuous columns (and their observed ranges when undeclared), and network weights that can memorise rows.".to_owned(),
        ]
    };
    PublicAndPrivate {
        schema_name: schema.name().to_owned(),
        columns,
        public_facts,
        learned_privately,
    }
}

pub(crate) fn safeguards(ledger: &PrivacyLedger, config: &TrainingConfig) -> Safeguards {
    let discrete = ledger
        .entries()
        .iter()
        .any(|e| matches!(e.event(), PrivacyEvent::DiscreteGaussian { .. }));
    let samplers = if discrete {
        "the integer releases (preprocessing counts) through an exact discrete Gaussian sampler (Canonne, Kamath & Steinke 2020: integer arithmetic only, so no floating-point attack applies), the training noise through a continuous Gaussian sampler with floating-point attacks mitigated (sum of four normals, after Opacus' secure mode; mitigated, not removed)"
    } else {
        "through a Gaussian sampler with floating-point attacks mitigated (sum of four normals, after Opacus' secure mode; mitigated, not removed)"
    };
    let randomness_text = match ledger.noise_randomness() {
        NoiseRandomness::Secure => format!("Secure: every privacy-relevant random draw (Poisson sampling of rows, every noise draw in preprocessing and training) came from a ChaCha20 CSPRNG seeded by the operating system, {samplers}. The user's seed controlled only the rest (initialisation, dropout, generation)."),
        NoiseRandomness::Seeded => "SEEDED: the privacy randomness (row sampling and noise) was fixed by a user-supplied noise seed. The guarantee holds only as long as that seed stays secret: anyone who knows it can regenerate and subtract the noise. Use such a fit for tests and research only.".to_owned(),
    };
    let clipping = config.model.spec().report_text().clipping;
    Safeguards {
        noise_randomness: ledger.noise_randomness(),
        randomness: randomness_text,
        sampling: if config.model.spec().schedule().is_some() {
            "Poisson sampling: at every step each row joined the batch independently with probability q, so the batch size varied, exactly as the accountant assumes; the noisy gradient sum was divided by the expected batch q·N, not by the realised size."
        } else {
            "No subsampling: every release was computed on the whole table, as the accountant assumes."
        }
        .to_owned(),
        clipping,
        budget: "Every release was recorded on the privacy ledger before its result was used; a training step that would have pushed ε above the target was not taken. The ε above is recomputed from that ledger.".to_owned(),
    }
}

pub(crate) fn context(epsilon: f64) -> Context {
    let tier = EpsilonTier::of(epsilon);
    Context {
        tier: tier.name().to_owned(),
        tier_range: tier.range().to_owned(),
        tier_reading: tier.reading().to_owned(),
        tiers: EpsilonTier::ALL
            .iter()
            .map(|t| (t.name().to_owned(), t.range().to_owned(), t.reading().to_owned()))
            .collect(),
        tier_caveat: "The tiers and their thresholds (1, 5, 10) are conventions used to talk about ε, not a legal or regulatory standard; an ε means little without its δ, its privacy unit and its trust model.".to_owned(),
        deployments: reference_deployments(),
        guidance: (NIST_SP_800_226.0.to_owned(), NIST_SP_800_226.1.to_owned()),
        guidance_summary: "NIST SP 800-226 asks readers of a DP claim to check more than ε: the privacy unit (here one row), δ, the trust model (here central), how the claim was implemented and what could undermine it in practice (its \"privacy hazards\"). This report states each of them.".to_owned(),
        comparison_caveat: "Published values differ from this fit in unit (one user's data for a day, one person in a census) and trust model (local noise on devices versus a central curator), so they are orders of magnitude to compare with, not equivalents.".to_owned(),
    }
}

pub(crate) fn regulatory_notes(private: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if private {
        notes.push("A differential-privacy guarantee is a mathematical bound on what the released model and its samples can reveal about any one row. It can be one input to a legal assessment; it is not itself a legal determination.".to_owned());
        notes.push("HIPAA (US): the guarantee can support an Expert Determination under 45 CFR 164.514(b)(1), in which a qualified expert concludes that the risk of identifying an individual is very small; the expert, not this report, makes that determination.".to_owned());
        notes.push("GDPR (EU): Recital 26 excludes anonymous information from the regulation's scope, judged by the means reasonably likely to be used to identify a person. The guarantee, its ε and δ, and the safeguards above can support that assessment; the controller remains responsible for it, including for the training itself, which processes personal data.".to_owned());
        notes.push("CCPA (California): the guarantee can support a claim that the synthetic data is deidentified information in the sense of Cal. Civ. Code § 1798.140, which also requires the business's public commitments and contractual controls.".to_owned());
        notes.push("The guarantee does not cover the raw training table, copies of it, or anything derived from it outside the recorded mechanisms; nor does it bound what the schema's declared bounds and categories reveal, which the user vouched are public.".to_owned());
    } else {
        notes.push("No differential-privacy guarantee holds for this fit, so this report cannot support a HIPAA Expert Determination, a GDPR Recital 26 anonymisation assessment or a CCPA deidentification claim. Treat the model and its samples as personal data derived from the training table.".to_owned());
    }
    notes
}
