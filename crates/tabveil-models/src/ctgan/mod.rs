//! [`Ctgan`]: the conditional tabular GAN of Xu et al. (2019) as SDV's CTGAN 0.12 implements
//! it, and its differentially private variant.
//!
//! - **Non-private** ([`Privacy::NonPrivate`](crate::Privacy::NonPrivate)): SDV's algorithm —
//!   mode-specific normalisation, training-by-sampling with log-frequency conditions, a
//!   residual generator with BatchNorm and a soft gumbel-softmax (τ = 0.2), a pac-10
//!   discriminator with LeakyReLU 0.2 and dropout 0.5, WGAN-GP (λ = 10), the conditional
//!   cross-entropy, Adam 2e-4 (0.5, 0.9) with coupled L2 1e-6. Differences, on purpose:
//!   generation draws conditions from the true frequencies (SDV uses the log-frequency table),
//!   conditional sampling works for every categorical column (SDV's offsets are all zero), and
//!   BatchNorm runs in evaluation mode when sampling.
//! - **Private** ([`Privacy::Dp`](crate::Privacy::Dp)): the private preprocessing, DP-SGD on
//!   the discriminator with Poisson batches and per-example clipping of the real-data term
//!   together with its gradient penalty, pac = 1, conditions from DP-noisy frequencies, joint
//!   calibration of the whole pipeline to (ε, δ). The privacy argument is written beside the
//!   code of the private training loop.
//!
//! Randomness: the config's `seed` fixes initialisation, dropout, gumbel noise, condition draws
//! and generation; in private mode the privacy randomness (row sampling, every noise draw, the
//! per-example randomness of the clipped terms) comes from the operating system unless the
//! dangerous noise seed is set. With both seeds a CPU run is bit-reproducible.
//!
//! # Example
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{Condition, Ctgan, CtganConfig, NoProgress, Privacy, Synthesizer};
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
//! let config = CtganConfig::new(Privacy::NonPrivate)
//!     .with_epochs(2)
//!     .with_batch_size(50)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8)
//!     .check()?;
//! let mut model = Ctgan::new(config);
//! model.fit(&table, &schema, &mut NoProgress)?;
//! let synthetic = model.sample(100, 7)?;
//! assert_eq!(synthetic.n_rows(), 100);
//! let only_a = model.sample_conditional(10, &[Condition::new("c", "a")], 7)?;
//! assert!(only_a.column("c").unwrap().as_categorical().unwrap().iter().all(|&v| v == 0));
//! let again = Ctgan::from_bytes(&model.to_bytes()?)?;
//! assert_eq!(again.sample(100, 7)?, synthetic);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch_norm;
mod config;
mod generator;
mod marginals;
mod networks;
mod output;
mod private;
mod sample;
mod saved;
mod spec;
mod train;

use tabveil_data::{DataTransformer, GenerationSampler, Schema};

pub use config::{CtganConfig, DpFakeTerm, ValidCtganConfig};
pub(crate) use spec::REGISTRATION;

use crate::error::Result;
use crate::shell::{Basis, Parts, Shell, folder_parts, synthesizer_shell};
use networks::Networks;

/// A CTGAN model: built from a checked configuration, then fitted or loaded (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct Ctgan {
    shell: Shell<CtganParts>,
}

synthesizer_shell!(Ctgan, ValidCtganConfig, CtganParts);

/// The state of a fitted model: everything sampling needs, nothing else.
#[derive(Debug, Clone)]
pub(crate) struct Trained {
    basis: Basis,
    generation: GenerationSampler,
    nets: Networks,
}

impl Trained {
    pub(crate) fn new(
        schema: Schema,
        transformer: DataTransformer,
        generation: GenerationSampler,
        nets: Networks,
        ledger: Option<tabveil_accountant::PrivacyLedger>,
    ) -> Result<Self> {
        Ok(Trained {
            basis: Basis::new(schema, transformer, ledger),
            generation,
            nets,
        })
    }
}

/// CTGAN's own parts of the shell.
#[derive(Debug, Clone)]
pub(crate) struct CtganParts;

impl Parts for CtganParts {
    type Settings = CtganConfig;
    type Config = ValidCtganConfig;
    type State = Trained;

    folder_parts!(ValidCtganConfig, Trained);

    type Generator<'a> = &'a Trained;

    fn generator<'a>(_: &'a ValidCtganConfig, state: &'a Trained) -> &'a Trained {
        state
    }
}

#[cfg(test)]
mod tests;
