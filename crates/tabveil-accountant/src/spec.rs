//! Which accountant to use, as a value that can be stored in a configuration file.
//!
//! ```
//! use tabveil_accountant::{Accountant, AccountantKind, AccountantSpec, PrivacyEvent, RdpOrders};
//!
//! let spec = AccountantSpec::rdp().with_rdp_orders(RdpOrders::opacus());
//! let mut accountant = spec.build();
//! accountant.compose(&PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.0, 100)?)?;
//! assert_eq!(accountant.kind(), AccountantKind::Rdp);
//! let json = serde_json::to_string(&spec).unwrap();
//! assert_eq!(json, r#"{"kind":"rdp","rdp_orders":"opacus"}"#);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::accountant::{Accountant, AccountantKind};
use crate::gdp::GdpAccountant;
use crate::pld::{PldAccountant, PldConfig};
use crate::rdp::{RdpAccountant, RdpOrders};

/// An accountant to build: its kind and the settings of the RDP and PLD methods.
///
/// Each field is validated by its own type, so every `AccountantSpec` builds. In JSON the
/// settings of the other method may be omitted (they then take their defaults).
///
/// # Defaults
/// `rdp_orders`: [`RdpOrders::default`]; `pld_config`: [`PldConfig::default`]. There is no
/// default kind: say which method you want ([`AccountantSpec::rdp`], [`AccountantSpec::pld`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountantSpec {
    /// Which method.
    pub kind: AccountantKind,
    /// Orders tracked by the RDP accountant.
    #[serde(default, skip_serializing_if = "is_default_orders")]
    pub rdp_orders: RdpOrders,
    /// Discretisation of the PLD accountant.
    #[serde(default, skip_serializing_if = "is_default_pld")]
    pub pld_config: PldConfig,
}

impl AccountantSpec {
    /// An accountant of `kind` with default settings.
    pub fn new(kind: AccountantKind) -> Self {
        AccountantSpec {
            kind,
            rdp_orders: RdpOrders::default(),
            pld_config: PldConfig::default(),
        }
    }

    /// The RDP accountant with the default orders.
    pub fn rdp() -> Self {
        AccountantSpec::new(AccountantKind::Rdp)
    }

    /// The PLD accountant with the default configuration.
    pub fn pld() -> Self {
        AccountantSpec::new(AccountantKind::Pld)
    }

    /// Sets the RDP orders.
    pub fn with_rdp_orders(mut self, orders: RdpOrders) -> Self {
        self.rdp_orders = orders;
        self
    }

    /// Sets the PLD configuration.
    pub fn with_pld_config(mut self, config: PldConfig) -> Self {
        self.pld_config = config;
        self
    }

    /// A fresh accountant with nothing composed.
    ///
    /// A [`AccountantKind::Gdp`] spec builds the CLT approximation, which is *not* an upper
    /// bound; the calibration functions refuse it.
    pub fn build(&self) -> Box<dyn Accountant> {
        match self.kind {
            AccountantKind::Rdp => Box::new(RdpAccountant::new(self.rdp_orders.clone())),
            AccountantKind::Pld => Box::new(PldAccountant::new(self.pld_config)),
            AccountantKind::Gdp => Box::new(GdpAccountant::new()),
        }
    }
}

fn is_default_orders(orders: &RdpOrders) -> bool {
    *orders == RdpOrders::default()
}

fn is_default_pld(config: &PldConfig) -> bool {
    *config == PldConfig::default()
}
