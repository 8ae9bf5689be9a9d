//! [`Tvae`]: the tabular variational autoencoder of Xu et al. (2019) as SDV's TVAE 0.12
//! implements it, and its differentially private variant.
//!
//! - **Non-private** ([`Privacy::NonPrivate`](crate::Privacy::NonPrivate)): SDV's algorithm —
//!   mode-specific normalisation; an encoder (ReLU layers, then μ and log σ² heads) and a
//!   decoder (ReLU layers) with a learned per-column scale σ clamped to [0.01, 1] after every
//!   step; the loss f·(Gaussian log-likelihood of each continuous scalar under tanh(x̂) with
//!   scale σ, plus the cross-entropy of every softmax block) + KL divergence, averaged over the
//!   batch; shuffled batches without replacement, the last one smaller (`drop_last = false`);
//!   Adam 1e-3 with coupled L2 1e-5.
//! - **Sampling**: z ~ N(0, I) → decoder; each continuous scalar is tanh(x̂) plus N(0, σ²)
//!   noise (as SDV); each softmax block (category, mode, null indicator) is *drawn from the
//!   decoder's softmax* by default ([`TvaeSampling::Softmax`]) or decoded as SDV does, by
//!   argmax ([`TvaeSampling::Argmax`]), which collapses high-entropy columns to their modes.
//!   [`Tvae::with_sampling`] switches a fitted model (post-processing).
//! - **Conditional sampling**: TVAE has no condition vector, so every condition is enforced by
//!   rejection: rows are generated in chunks and those meeting all conditions kept, up to a cap
//!   (200 rows generated per row asked, at least 20 000), after which the call fails with
//!   [`ModelError::ConditionTooRare`](crate::ModelError::ConditionTooRare). The rows kept are
//!   exact draws from the model's distribution given the conditions.
//! - **Private** ([`Privacy::Dp`](crate::Privacy::Dp)): the private preprocessing, then DP-SGD
//!   on Poisson batches with every parameter — encoder, decoder and σ — clipped per example
//!   (flat clipping), joint calibration of the whole pipeline to (ε, δ). The privacy argument
//!   is written beside the private training loop.
//!
//! Randomness: the config's `seed` fixes initialisation, batch order, the reparameterisation
//! noise of non-private training and generation; in private mode the privacy randomness (row
//! sampling, every noise draw, and the per-example randomness inside the clipped terms: the
//! reparameterisation noise and the transformer's mode draws) comes from the operating system
//! unless the dangerous noise seed is set. With both seeds a CPU run is bit-reproducible.
//!
//! # Example
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{Condition, NoProgress, Privacy, Synthesizer, Tvae, TvaeConfig, TvaeSampling};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
//!     ColumnSchema::categorical("c", ["a", "b"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..200)
//!     .map(|i| vec![Value::Number((i % 10) as f64), Value::from(if i % 4 == 0 { "a" } else { "b" })])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//!
//! // A small, quick configuration (SDV's defaults are 300 epochs of batches of 500).
//! let config = TvaeConfig::new(Privacy::NonPrivate)
//!     .with_epochs(3)
//!     .with_batch_size(50)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8)
//!     .check()?;
//! let mut model = Tvae::new(config);
//! model.fit(&table, &schema, &mut NoProgress)?;
//! let synthetic = model.sample(100, 7)?;
//! assert_eq!(synthetic.n_rows(), 100);
//! let only_a = model.sample_conditional(10, &[Condition::new("c", "a")], 7)?;
//! assert!(only_a.column("c").unwrap().as_categorical().unwrap().iter().all(|&v| v == 0));
//! let again = Tvae::from_bytes(&model.to_bytes()?)?;
//! assert_eq!(again.sample(100, 7)?, synthetic);
//! // SDV's argmax decoding, on the same fitted model.
//! let argmax = model.with_sampling(TvaeSampling::Argmax).sample(100, 7)?;
//! assert_eq!(argmax.n_rows(), 100);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod loss;
mod networks;
mod private;
mod sample;
mod saved;
mod spec;
mod train;

use tabveil_data::{DataTransformer, Schema};

pub use config::{TvaeConfig, TvaeSampling, ValidTvaeConfig};
pub(crate) use spec::REGISTRATION;

use crate::error::Result;
use crate::shell::{Basis, Parts, Shell, folder_parts, synthesizer_shell};
use networks::VaeNets;

/// A TVAE model: built from a checked configuration, then fitted or loaded (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct Tvae {
    shell: Shell<TvaeParts>,
}

synthesizer_shell!(Tvae, ValidTvaeConfig, TvaeParts);

impl Tvae {
    /// The same model decoding softmax blocks with `sampling` from now on (fitted or not:
    /// sampling is post-processing and does not change training).
    #[must_use]
    pub fn with_sampling(mut self, sampling: TvaeSampling) -> Self {
        self.set_sampling(sampling);
        self
    }

    /// Decodes softmax blocks with `sampling` from now on (see [`Tvae::with_sampling`]).
    pub fn set_sampling(&mut self, sampling: TvaeSampling) {
        self.shell.config.set_sampling(sampling);
    }

    /// The decoder's learned per-column scale σ (one entry per column of the transformed
    /// matrix; only the continuous scalars use theirs).
    ///
    /// # Errors
    /// [`ModelError::NotFitted`](crate::ModelError::NotFitted); Candle errors.
    pub fn sigma(&self) -> Result<Vec<f64>> {
        self.shell.fitted()?.nets.sigma_host()
    }
}

/// The state of a fitted model: everything sampling needs (the decoder and σ are what is
/// saved; the encoder is kept in memory only).
#[derive(Debug, Clone)]
pub(crate) struct Trained {
    basis: Basis,
    nets: VaeNets,
}

impl Trained {
    pub(crate) fn new(
        schema: Schema,
        transformer: DataTransformer,
        nets: VaeNets,
        ledger: Option<tabveil_accountant::PrivacyLedger>,
    ) -> Self {
        Trained {
            basis: Basis::new(schema, transformer, ledger),
            nets,
        }
    }
}

/// TVAE's own parts of the shell.
#[derive(Debug, Clone)]
pub(crate) struct TvaeParts;

impl Parts for TvaeParts {
    type Settings = TvaeConfig;
    type Config = ValidTvaeConfig;
    type State = Trained;

    folder_parts!(ValidTvaeConfig, Trained);

    type Generator<'a> = sample::Decoding<'a>;

    fn generator<'a>(config: &'a ValidTvaeConfig, state: &'a Trained) -> sample::Decoding<'a> {
        sample::Decoding {
            trained: state,
            mode: config.sampling,
        }
    }
}

#[cfg(test)]
mod tests;
