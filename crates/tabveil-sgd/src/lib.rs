//! DP-SGD on Candle.
//!
//! Work in progress (issue 5).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod adam;
mod error;
mod ghost;
mod gradients;
mod kernels;
mod mlp;
mod probe;

pub use adam::{Adam, ParamsAdam};
pub use error::{Result, SgdError};
pub use ghost::{ClippedGradients, GhostBatch};
pub use gradients::Gradients;
pub use mlp::{
    Activation, GradientPenalty, Mlp, MlpBackward, MlpConfig, MlpTape, gradient_penalty,
};
pub use probe::ProbedLinear;
