//! Privacy accounting for DP-SGD.
//!
//! `tabveil-accountant` turns the history of a private training run — a [`PrivacyLedger`] of
//! labelled [`PrivacyEvent`]s — into an (ε, δ) guarantee. It has no dependency on Candle, so it
//! can be used on its own.
//!
//! All guarantees are for the add/remove-one-row neighbouring relation
//! ([`Neighbouring::AddRemoveOne`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accountant;
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
mod spec;
mod special;

pub use accountant::{Accountant, AccountantKind, BoundKind, PrivacyGuarantee};
pub use calibrate::{Calibration, NoiseSchedule, calibrate_noise, epsilon_of, max_steps_within};
pub use error::{AccountantError, Result};
pub use event::{Neighbouring, PrivacyEvent};
pub use gaussian::GaussianDp;
pub use gdp::GdpAccountant;
pub use ledger::{LEDGER_FORMAT_VERSION, LedgerEntry, NoiseRandomness, PrivacyLedger, Stage};
pub use plan::{JointCalibration, TrainingSchedule, calibrate_jointly};
pub use pld::{PldAccountant, PldConfig};
pub use rdp::{
    MAX_RDP_ORDER, RdpAccountant, RdpConversion, RdpCurve, RdpOrders, RdpOrdersPreset,
    sampled_gaussian_rdp,
};
pub use spec::AccountantSpec;
