//! The networks' building blocks shared by the models: CTGAN's generator with its manual
//! backward pass, the output activations and the host kernels behind them.

pub(crate) mod activation;
pub(crate) mod generator;
pub(crate) mod kernels;
