//! Checks of the privacy parameters: ε, δ against the table size, C, the preprocessing share,
//! the accountant, seeded noise, and the non-private mode.

use tabveil_accountant::BoundKind;

use crate::context::{EpsilonTier, reference_deployments};
use crate::finding::{Code, Finding};
use crate::format::{nice_delta_at_most, sci, sig};
use crate::session::{Joint, Session};

pub(crate) fn check(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let Some(dp) = s.dp() else {
        non_private(s, out);
        return;
    };
    let n = s.n_rows;

    if !(dp.epsilon.is_finite() && dp.epsilon > 0.0) {
        let fix = match s.min_epsilon() {
            Some(min) => format!(
                "set ε to a finite value of at least {} (the smallest this plan reaches with the training noise within its bound); see the ranges in the plan",
                sig(min, 3)
            ),
            None => "set ε to a finite value greater than 0 (values between 1 and 10 are common)"
                .to_owned(),
        };
        out.push(Finding::new(
            Code::EpsilonRange,
            "privacy.epsilon",
            format!("ε = {} must be finite and greater than 0.", dp.epsilon),
            fix,
        ));
    } else if dp.epsilon > 10.0 {
        let tier = EpsilonTier::of(dp.epsilon);
        let at_ten = s.sigma_at_epsilon(10.0);
        let examples: Vec<String> = reference_deployments()
            .iter()
            .take(4)
            .map(|d| {
                format!(
                    "{} {}: ε = {} per {}",
                    d.organisation, d.release, d.epsilon, d.privacy_unit
                )
            })
            .collect();
        let cost = match (at_ten, s.joint()) {
            (Some(ten), Joint::Calibrated(j)) => format!(
                " At ε = 10 this plan needs noise σ = {} instead of {}.",
                sig(ten, 3),
                sig(j.training_noise_multiplier, 3)
            ),
            _ => String::new(),
        };
        out.push(Finding::new(
            Code::EpsilonWeak,
            "privacy.epsilon",
            format!(
                "ε = {} is in the \"{}\" tier ({}), a convention rather than a law: {}",
                sig(dp.epsilon, 3),
                tier.name(),
                tier.range(),
                tier.reading()
            ),
            format!(
                "use ε ≤ 10 unless the data's owners accept a weak guarantee.{cost} For comparison, published deployments: {}.",
                examples.join("; ")
            ),
        ));
    }

    if !(dp.delta > 0.0 && dp.delta < 1.0) {
        let suggestion = if n >= 1 {
            format!(
                "set δ in (0, 1), at most 1/(10·n) = {} for this table (e.g. {})",
                sci(0.1 / n as f64),
                sci(nice_delta_at_most(0.1 / n as f64))
            )
        } else {
            "set δ in (0, 1), well below 1/n".to_owned()
        };
        out.push(Finding::new(
            Code::DeltaRange,
            "privacy.delta",
            format!("δ = {} is outside the open interval (0, 1).", dp.delta),
            suggestion,
        ));
    } else if n >= 1 {
        let one_over_n = 1.0 / n as f64;
        let code = if dp.delta >= one_over_n {
            Some(Code::DeltaAtLeastOneOverN)
        } else if dp.delta > one_over_n / 10.0 {
            Some(Code::DeltaAboveTenthOfOneOverN)
        } else {
            None
        };
        if let Some(code) = code {
            let better = nice_delta_at_most(one_over_n / 10.0);
            let cost = match (s.sigma_at_delta(better), s.joint()) {
                (Some(new), Joint::Calibrated(j)) => format!(
                    "; with it this plan needs noise σ = {} instead of {}",
                    sig(new, 3),
                    sig(j.training_noise_multiplier, 3)
                ),
                _ => String::new(),
            };
            let reason = if code == Code::DeltaAtLeastOneOverN {
                format!(
                    "δ = {} is at least 1/n = {} for n = {n} rows: a mechanism that publishes one random row in the clear would satisfy the guarantee.",
                    sci(dp.delta),
                    sci(one_over_n)
                )
            } else {
                format!(
                    "δ = {} is above 1/(10·n) = {} for n = {n} rows; δ is the chance that the ε bound fails, and is usually kept well below 1/n.",
                    sci(dp.delta),
                    sci(one_over_n / 10.0)
                )
            };
            out.push(Finding::new(
                code,
                "privacy.delta",
                reason,
                format!("set δ ≤ {}{cost}", sci(better)),
            ));
        }
    }

    if !(dp.clipping_norm.is_finite() && dp.clipping_norm > 0.0) {
        out.push(Finding::new(
            Code::ClippingNorm,
            "privacy.clipping_norm",
            format!(
                "the clipping norm C = {} must be finite and greater than 0.",
                dp.clipping_norm
            ),
            "set C to a positive value (the default is 1.0)",
        ));
    }
    if !(dp.preprocessing_share > 0.0 && dp.preprocessing_share < 1.0) {
        out.push(Finding::new(
            Code::PreprocessingShare,
            "privacy.preprocessing_share",
            format!(
                "the preprocessing share {} of ε is outside (0, 1): the preprocessing and the training each need part of the budget.",
                dp.preprocessing_share
            ),
            "set a share in (0, 1); the default 0.1 lets the preprocessing alone spend 10 % of ε",
        ));
    }
    if dp.accountant.kind.bound() != BoundKind::UpperBound {
        out.push(Finding::new(
            Code::ApproximateAccountant,
            "privacy.accountant",
            format!(
                "the {} accountant only approximates ε and may under-estimate it, so it cannot enforce a budget.",
                dp.accountant.kind
            ),
            "use the rdp accountant (the default) or pld (tighter, slower)",
        ));
    }
    if dp.noise_seeded {
        out.push(Finding::new(
            Code::NoiseSeeded,
            "privacy.noise_seeded",
            "the privacy randomness (row sampling and noise) is fixed by a seed: anyone who learns the seed can remove the noise, so the guarantee holds only while the seed stays secret.",
            "do not seed the privacy randomness for a model, samples or report that leave your hands; keep noise seeds for tests and research",
        ));
    }
}

fn non_private(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let n = s.n_rows;
    let hint = if n >= 1 {
        let delta = nice_delta_at_most(0.1 / n as f64);
        let cost = s
            .sigma_if_private(3.0, delta)
            .map(|sigma| {
                format!(
                    "; with this schedule that needs training noise σ = {}",
                    sig(sigma, 3)
                )
            })
            .unwrap_or_default();
        format!(
            "to train privately set ε and δ, e.g. ε = 3 and δ = {} (≤ 1/(10·n) for this table){cost}",
            sci(delta)
        )
    } else {
        "to train privately set ε and δ".to_owned()
    };
    out.push(Finding::new(
        Code::NonPrivate,
        "privacy",
        "training without differential privacy: the model and its samples carry no privacy guarantee and may reproduce rows of the table.",
        hint,
    ));
}
