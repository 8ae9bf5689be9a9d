//! [`Epsilon`] and [`Delta`]: the privacy budget of a private fit, as two distinct types so
//! they cannot be swapped by mistake.
//!
//! ```
//! use tabveil::{Delta, Epsilon};
//!
//! let (eps, delta) = (Epsilon(3.0), Delta(1e-6));
//! assert!(eps.0 > 0.0 && delta.0 < 1.0);
//! ```

use serde::{Deserialize, Serialize};

/// The ε of an (ε, δ) guarantee: the whole pipeline (preprocessing and training) spends at most
/// this much. Checked when the synthesizer is built (finite and > 0).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Epsilon(pub f64);

/// The δ of an (ε, δ) guarantee. Checked when the synthesizer is built (in (0, 1)) and against
/// the table when it is fitted (δ must be well below 1/n).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Delta(pub f64);
