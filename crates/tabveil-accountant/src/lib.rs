//! Privacy accounting for DP-SGD.
//!
//! `tabveil-accountant` turns the history of a private training run — a [`PrivacyLedger`] of
//! labelled [`PrivacyEvent`]s — into an (ε, δ) guarantee. It has no dependency on Candle, so it
//! can be used on its own.
//!
//! All guarantees are for the add/remove-one-row neighbouring relation
//! ([`Neighbouring::AddRemoveOne`]).
//!
//! ```
//! use tabveil_accountant::{
//!     Accountant, AccountantSpec, NoiseSchedule, PldAccountant, PrivacyEvent, RdpAccountant,
//!     calibrate_noise,
//! };
//!
//! // 60 epochs of DP-SGD on MNIST: q = 256/60000, σ = 1.1.
//! let steps = PrivacyEvent::poisson_subsampled_gaussian(256.0 / 60_000.0, 1.1, 14_063)?;
//! let mut rdp = RdpAccountant::default();
//! rdp.compose(&steps)?;
//! let mut pld = PldAccountant::default();
//! pld.compose(&steps)?;
//! let (e_rdp, e_pld) = (rdp.epsilon(1e-5)?, pld.epsilon(1e-5)?);
//! assert!(e_pld < e_rdp); // both are upper bounds; PLD is the tighter one
//! println!("{}", pld.guarantee(1e-5)?); // ε = 2.38… at δ = 1e-5 (pld upper bound; add/remove one row)
//!
//! // The noise that spends ε = 1 in 1 000 steps at q = 0.01:
//! let schedule = NoiseSchedule { fixed: vec![], calibrated: vec![(0.01, 1_000)] };
//! let c = calibrate_noise(1.0, 1e-5, &schedule, &AccountantSpec::pld())?;
//! assert!(c.epsilon <= 1.0);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```
//!
//! ## Mechanisms
//! [`PrivacyEvent`]: the Gaussian and Poisson-subsampled Gaussian mechanisms (DP-SGD), the
//! discrete Gaussian (integer releases), the exponential mechanism (selection, ε-bounded range)
//! and Gaussian thresholding (partition selection, an additive δ). Every accountant handles
//! every kind, or refuses it with a typed error; none ever reports an ε below the truth, for
//! any σ from subnormal to `f64::MAX` (issue 12: `tests/monotone.rs`).
//!
//! ## Accountants
//! - [`RdpAccountant`]: Rényi DP of the sampled Gaussian at a grid of orders ([`RdpOrders`]),
//!   exact to ~1e-12, converted by Balle et al. (2020). Upper bound. Microseconds per query
//!   once the per-step vector of a (q, σ) pair is cached.
//! - [`PldAccountant`]: privacy loss distributions, pessimistic connect-the-dots, FFT
//!   composition ([`PldConfig`]). The tightest upper bound here; exact for pure Gaussian
//!   histories ([`GaussianDp`]).
//! - [`GdpAccountant`]: the central-limit approximation Opacus reports; **not** a bound, for
//!   comparison only.
//!
//! [`calibrate_noise`], [`max_steps_within`] and [`epsilon_of`] work with any of the two
//! bounding accountants through an [`AccountantSpec`]. The maths, accuracy and sources are in
//! `src/rdp/NOTES.md` and `src/pld/NOTES.md`.
//!
//! ## Features
//! None: the crate is pure Rust (rustfft for the FFT, libm for `erfc`).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accountant;
mod additive;
mod bounded_range;
mod calibrate;
mod error;
mod event;
mod gaussian;
mod gdp;
mod ledger;
mod plan;
mod pld;
mod rdp;
mod root;
mod rounding;
mod spec;
mod special;

pub use accountant::{Accountant, AccountantKind, BoundKind, PrivacyGuarantee};
pub use additive::gaussian_threshold_delta;
pub use calibrate::{
    Calibration, NoiseSchedule, calibrate_events, calibrate_noise, epsilon_of, epsilon_or_infinite,
    last_fitting, max_steps_within,
};
pub use error::{AccountantError, CompactNumber, Result};
pub use event::{Neighbouring, PrivacyEvent};
pub use gaussian::GaussianDp;
pub use gdp::GdpAccountant;
pub use ledger::{LEDGER_FORMAT_VERSION, LedgerEntry, NoiseRandomness, PrivacyLedger, Stage};
pub use plan::{
    JointCalibration, PreprocessingPlan, RunBudget, TrainingSchedule, calibrate_jointly,
};
pub use pld::{PldAccountant, PldConfig};
pub use rdp::{
    MAX_RDP_ORDER, RdpAccountant, RdpConversion, RdpCurve, RdpOrders, RdpOrdersPreset,
    sampled_gaussian_rdp,
};
pub use spec::AccountantSpec;
