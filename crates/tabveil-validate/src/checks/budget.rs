//! Checks that the target ε can be met with a useful amount of noise, with fixes computed by
//! the accountant: the epochs, batch size or ε that would work.

use crate::finding::{Code, Finding};
use crate::format::sig;
use crate::plan::MAX_TRAINING_NOISE_MULTIPLIER;
use crate::session::{Joint, Session};

pub(crate) fn check(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let Some(dp) = s.dp() else { return };
    match s.joint() {
        Joint::Calibrated(j) if j.training_noise_multiplier > MAX_TRAINING_NOISE_MULTIPLIER => {
            let fix = fixes(s);
            out.push(Finding::new(
                Code::NoiseTooLarge,
                "privacy.epsilon",
                format!(
                    "meeting ε = {} with {} rows, batch {} and {} epochs ({} private steps) needs a training noise multiplier σ = {}, above the bound of {}: the noise would drown the gradients (the table is too small for this plan).",
                    sig(dp.epsilon, 3),
                    s.n_rows,
                    s.config.batch_size(),
                    s.config.epochs(),
                    s.config.private_schedule(s.n_rows).map(|t| t.steps()).unwrap_or(0),
                    sig(j.training_noise_multiplier, 3),
                    MAX_TRAINING_NOISE_MULTIPLIER
                ),
                fix,
            ));
        }
        Joint::Unreachable { floor, reason } => {
            let fix = fixes(s);
            out.push(Finding::new(
                Code::TargetUnreachable,
                "privacy.epsilon",
                format!(
                    "no noise level meets ε = {}: {reason} (ε is at least {}).",
                    sig(dp.epsilon, 3),
                    sig(floor, 3)
                ),
                fix,
            ));
        }
        _ => {}
    }
}

/// "reduce epochs to …, or reduce the batch size to …, or raise ε to …", with every number
/// from the accountant; whichever exist.
fn fixes(s: &mut Session<'_>) -> String {
    let mut options = Vec::new();
    if let Some(e) = s.max_epochs() {
        options.push(format!("reduce epochs to at most {e}"));
    }
    if let Some(b) = s.max_batch()
        && b < s.config.batch_size()
    {
        options.push(format!("reduce the batch size to at most {b}"));
    }
    if let Some(eps) = s.min_epsilon() {
        options.push(format!("raise ε to at least {}", sig(eps, 3)));
    }
    if options.is_empty() {
        "no setting of the epochs, batch size or ε up to 10⁴ works at this δ: the table is too small for a private fit; collect more rows".to_owned()
    } else {
        options.join(", or ")
    }
}

/// One `E-PLAN-FAILED` finding for the accountant failures met while validating.
pub(crate) fn failures(s: &Session<'_>, out: &mut Vec<Finding>) {
    if s.failures.is_empty() {
        return;
    }
    let mut unique = s.failures.clone();
    unique.dedup();
    out.push(Finding::new(
        Code::PlanFailed,
        "privacy",
        format!(
            "the accountant could not compute the plan: {}.",
            unique.join("; ")
        ),
        "check the accountant settings; if they are valid, report this configuration as a bug",
    ));
}
