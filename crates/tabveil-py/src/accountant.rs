//! `tabveil.accountant`: ε of a DP-SGD history, the σ for a target ε, and the per-step RDP
//! curve, with the library's RDP and PLD accountants (add/remove-one-row neighbouring).

use pyo3::prelude::*;
use tabveil::accountant::{
    AccountantKind, AccountantSpec, NoiseSchedule, PrivacyEvent, calibrate_noise,
    sampled_gaussian_rdp,
};

fn value_error(e: impl std::fmt::Display) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

fn spec(accountant: &str) -> PyResult<AccountantSpec> {
    match accountant {
        "rdp" => Ok(AccountantSpec::new(AccountantKind::Rdp)),
        "pld" => Ok(AccountantSpec::new(AccountantKind::Pld)),
        "gdp" => Ok(AccountantSpec::new(AccountantKind::Gdp)),
        other => Err(value_error(format!(
            "accountant={other:?}: expected \"rdp\", \"pld\" or \"gdp\" (an approximation, not a bound)"
        ))),
    }
}

fn event(q: f64, sigma: f64, steps: u64) -> PyResult<PrivacyEvent> {
    if q == 1.0 {
        PrivacyEvent::gaussian(sigma, steps)
    } else {
        PrivacyEvent::poisson_subsampled_gaussian(q, sigma, steps)
    }
    .map_err(value_error)
}

/// ε at `delta` of `steps` Poisson-subsampled Gaussian steps (rate `sample_rate`, noise
/// multiplier `noise_multiplier`), or of several such `segments` composed.
#[pyfunction]
#[pyo3(signature = (*, delta, noise_multiplier = None, sample_rate = None, steps = None, segments = None, accountant = "rdp"))]
pub(crate) fn epsilon(
    py: Python<'_>,
    delta: f64,
    noise_multiplier: Option<f64>,
    sample_rate: Option<f64>,
    steps: Option<u64>,
    segments: Option<Vec<(f64, f64, u64)>>,
    accountant: &str,
) -> PyResult<f64> {
    let events = match (segments, noise_multiplier, sample_rate, steps) {
        (Some(segs), None, None, None) => segs
            .into_iter()
            .map(|(q, s, t)| event(q, s, t))
            .collect::<PyResult<Vec<_>>>()?,
        (None, Some(s), Some(q), Some(t)) => vec![event(q, s, t)?],
        _ => {
            return Err(value_error(
                "give noise_multiplier, sample_rate and steps, or segments=[(q, sigma, steps), ...]",
            ));
        }
    };
    let mut acc = spec(accountant)?.build();
    py.detach(|| {
        for e in &events {
            acc.compose(e)?;
        }
        acc.epsilon(delta)
    })
    .map_err(value_error)
}

/// The smallest noise multiplier σ such that `steps` steps at `sample_rate` spend at most
/// `epsilon` at `delta` (bracketing then Brent; the result never exceeds the target).
#[pyfunction]
#[pyo3(signature = (*, epsilon, delta, sample_rate, steps, accountant = "rdp"))]
pub(crate) fn sigma(
    py: Python<'_>,
    epsilon: f64,
    delta: f64,
    sample_rate: f64,
    steps: u64,
    accountant: &str,
) -> PyResult<f64> {
    event(sample_rate, 1.0, steps)?;
    let spec = spec(accountant)?;
    let schedule = NoiseSchedule {
        fixed: Vec::new(),
        calibrated: vec![(sample_rate, steps)],
    };
    py.detach(|| calibrate_noise(epsilon, delta, &schedule, &spec))
        .map(|c| c.noise_multiplier)
        .map_err(value_error)
}

/// The Rényi DP of one Poisson-subsampled Gaussian step at each order α.
#[pyfunction]
#[pyo3(signature = (*, sample_rate, noise_multiplier, orders))]
pub(crate) fn rdp(sample_rate: f64, noise_multiplier: f64, orders: Vec<f64>) -> PyResult<Vec<f64>> {
    event(sample_rate, noise_multiplier, 1)?;
    orders
        .iter()
        .map(|&a| sampled_gaussian_rdp(sample_rate, noise_multiplier, a).map_err(value_error))
        .collect()
}
