//! The grid of Rényi orders an [`RdpAccountant`](super::RdpAccountant) tracks.
//!
//! ```
//! use tabveil_accountant::RdpOrders;
//!
//! let opacus = RdpOrders::opacus();
//! assert_eq!(opacus.orders().len(), 151);
//! let default = RdpOrders::default();
//! assert!(default.orders().contains(&11.0) && default.orders().contains(&4096.0));
//! let custom = RdpOrders::custom(vec![1.5, 2.0, 32.0])?;
//! assert_eq!(custom.orders(), &[1.5, 2.0, 32.0]);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::sampled_gaussian::check_order;
use crate::error::{AccountantError, Result};

/// A validated, non-empty list of RDP orders α > 1.
///
/// The RDP bound holds at every order; converting to (ε, δ) takes the best one, so more
/// orders never give a larger ε — they only cost time (integer orders cost one term per unit
/// of α, fractional orders a short series each).
///
/// # Defaults
/// [`RdpOrders::default`]: Opacus' 151 orders (1.1, 1.2, …, 10.9 and 12, …, 63) plus 11 and a
/// geometric ladder of integer orders `round(64 · 2^{k/4})`, k = 0…24 (64, 76, 91, 108, 128,
/// …, 256, …, 512, …, 4096), 177 orders in all. The large orders matter when ε is small (weak
/// mechanisms, tiny δ); with ratio 2^{1/4} between them the conversion loses at most ~0.4 % of
/// ε against the best order in that range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRdpOrders", into = "RawRdpOrders")]
pub struct RdpOrders {
    preset: Option<RdpOrdersPreset>,
    orders: Arc<[f64]>,
}

/// The named order grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RdpOrdersPreset {
    /// Opacus 1.6.0's default: 1.1, 1.2, …, 10.9, 12, 13, …, 63 (151 orders).
    Opacus,
    /// tabveil's default: Opacus' orders plus 11 and integer orders from 64 to 4096.
    Default,
}

impl RdpOrdersPreset {
    /// The preset's name on the command line and in JSON (`opacus`, `default`).
    pub fn name(self) -> &'static str {
        match self {
            RdpOrdersPreset::Opacus => "opacus",
            RdpOrdersPreset::Default => "default",
        }
    }
}

impl RdpOrders {
    /// Opacus 1.6.0's default orders, bit for bit: `1 + x / 10` for x = 1…99, then 12…63.
    pub fn opacus() -> Self {
        RdpOrders {
            preset: Some(RdpOrdersPreset::Opacus),
            orders: opacus_orders().into(),
        }
    }

    /// The named preset.
    pub fn preset(preset: RdpOrdersPreset) -> Self {
        match preset {
            RdpOrdersPreset::Opacus => RdpOrders::opacus(),
            RdpOrdersPreset::Default => RdpOrders::default(),
        }
    }

    /// Orders of your choice, kept in the given order (duplicates are allowed and harmless).
    ///
    /// # Errors
    /// [`AccountantError::EmptyRdpOrders`] for an empty list,
    /// [`AccountantError::InvalidRdpOrder`] for any order that is not finite or outside
    /// (1, [`crate::MAX_RDP_ORDER`]].
    pub fn custom(orders: Vec<f64>) -> Result<Self> {
        if orders.is_empty() {
            return Err(AccountantError::EmptyRdpOrders);
        }
        for &order in &orders {
            check_order(order)?;
        }
        Ok(RdpOrders {
            preset: None,
            orders: orders.into(),
        })
    }

    /// The orders.
    pub fn orders(&self) -> &[f64] {
        &self.orders
    }

    /// Which preset this is, if any.
    pub fn preset_name(&self) -> Option<RdpOrdersPreset> {
        self.preset
    }

    pub(crate) fn shared(&self) -> Arc<[f64]> {
        Arc::clone(&self.orders)
    }
}

impl Default for RdpOrders {
    fn default() -> Self {
        let mut orders = opacus_orders();
        orders.push(11.0);
        for k in 0..=24 {
            orders.push((64.0 * 2f64.powf(f64::from(k) / 4.0)).round());
        }
        orders.sort_by(f64::total_cmp);
        orders.dedup();
        RdpOrders {
            preset: Some(RdpOrdersPreset::Default),
            orders: orders.into(),
        }
    }
}

fn opacus_orders() -> Vec<f64> {
    (1..100)
        .map(|x| 1.0 + f64::from(x) / 10.0)
        .chain((12..64).map(f64::from))
        .collect()
}

/// Serialised form: a preset name or a list of orders.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawRdpOrders {
    Preset(RdpOrdersPreset),
    Custom(Vec<f64>),
}

impl TryFrom<RawRdpOrders> for RdpOrders {
    type Error = AccountantError;

    fn try_from(raw: RawRdpOrders) -> Result<Self> {
        match raw {
            RawRdpOrders::Preset(p) => Ok(RdpOrders::preset(p)),
            RawRdpOrders::Custom(orders) => RdpOrders::custom(orders),
        }
    }
}

impl From<RdpOrders> for RawRdpOrders {
    fn from(orders: RdpOrders) -> Self {
        match orders.preset {
            Some(p) => RawRdpOrders::Preset(p),
            None => RawRdpOrders::Custom(orders.orders.to_vec()),
        }
    }
}
