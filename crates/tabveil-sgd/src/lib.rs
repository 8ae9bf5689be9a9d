//! DP-SGD on Candle.
//!
//! Work in progress (issue 5).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod adam;
mod budget;
mod error;
mod ghost;
mod gradients;
mod kernels;
mod mlp;
mod noise;
mod optimizer;
mod probe;
mod sampler;

pub use adam::{Adam, ParamsAdam};
pub use budget::{PrivacyBudget, StepOutcome};
pub use error::{Result, SgdError};
pub use ghost::{ClippedGradients, GhostBatch};
pub use gradients::Gradients;
pub use mlp::{
    Activation, GradientPenalty, Mlp, MlpBackward, MlpConfig, MlpTape, gradient_penalty,
};
pub use noise::GaussianNoise;
pub use optimizer::{DpOptimizer, DpSgdConfig};
pub use probe::ProbedLinear;
pub use sampler::PoissonSampler;
