//! White-box (all-iterates) audits of DP-SGD.
//!
//! **Threat model.** The auditor sees every release of every step — the gradient each step
//! hands to its optimizer, which the iterates reveal — and may insert gradients. This is the
//! strongest adversary DP-SGD's accounting covers, so it gives the tightest bounds; it is not
//! the threat model of a released synthesizer (only its outputs), which the black-box audit
//! covers.
//!
//! **Canaries.** m Dirac canaries: canary j is an example whose gradient is K·C·eⱼ on a
//! coordinate j of a parameter no model uses (`tabveil_sgd::DiracCanaries`). Each is included
//! in the run with probability ½ (secret bits from the privacy randomness). An included canary
//! is a row of the run's own Poisson sampler — index N + its position — so it is drawn with
//! the rate q the run really uses, which is what the accountant assumes of every row; a canary
//! that bypassed the sampler would be audited against a mechanism the claim does not cover.
//! Drawn canaries are clipped with the real rows of the batch (flat clipping: K·C becomes C)
//! and get the step's noise.
//!
//! **Scores.** From each release the auditor reads zₜ (canary j's coordinate in units of C)
//! and scores canary j by the log-likelihood ratio of "included" for the declared q and σ
//! ([`WhiteBoxScore`]). Guesses and the bound: [`crate::guess_and_bound`].

mod engine;
mod model;
mod observer;
mod plan;

pub use engine::{EngineAuditConfig, audit_engine};
pub use model::{WhiteBoxConfig, audit_white_box};
pub use observer::WhiteBoxScore;
pub use plan::{DeclaredMechanism, planned_guessing};

use tabveil_noise::PrivacyRng;

use crate::error::Result;

/// The name of the canary parameter.
pub(crate) const CANARY_PARAMETER: &str = "audit.canaries";

/// The canaries, for reports.
pub(crate) fn canary_description(norm_factor: f64) -> String {
    format!(
        "Dirac gradients of norm {norm_factor}·C before clipping, each on its own coordinate, \
         included with probability ½ and Poisson-sampled with the real rows"
    )
}

/// One fair coin per canary from the privacy randomness.
pub(crate) fn draw_inclusion(m: usize, rng: &mut PrivacyRng) -> Result<Vec<bool>> {
    let members = rng.poisson_subset(m, 0.5)?;
    let mut bits = vec![false; m];
    for j in members {
        bits[j] = true;
    }
    Ok(bits)
}

/// Privacy randomness for the stream `stream` of an audit: OS-seeded, or derived from a
/// dangerous noise seed.
pub(crate) fn privacy_stream(noise_seed: Option<u64>, stream: u64) -> Result<PrivacyRng> {
    Ok(match noise_seed {
        Some(s) => PrivacyRng::dangerous_seeded(engine::derive(s, stream)),
        None => PrivacyRng::secure()?,
    })
}
