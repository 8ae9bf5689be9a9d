//! [`TvaeConfig`]: TVAE's hyper-parameters with SDV's defaults, [`TvaeSampling`] (how generated
//! categories are decoded) and [`ValidTvaeConfig`], the checked form a model is built from.

use serde::{Deserialize, Serialize};
use tabveil_data::DataTransformerConfig;

use crate::check::{Valid, at_least_one, betas, finite_non_negative, widths};
use crate::error::{ConfigError, ConfigResult};
use crate::privacy::Privacy;
use crate::spec::{DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DpSgdSchedule, dp_sgd_setters};

/// How sampling turns the decoder's logits of a softmax block (a categorical column, the mode
/// of a continuous column, a null indicator) into one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TvaeSampling {
    /// Draw the category from softmax(logits): the decoder's distribution. Keeps the spread of
    /// high-entropy columns.
    #[default]
    Softmax,
    /// SDV's decoding: tanh of the logits, then the first maximum. Deterministic given z, it
    /// collapses high-entropy columns towards their most likely values.
    Argmax,
}

dp_sgd_setters!(TvaeConfig);

/// TVAE's settings.
///
/// # Defaults
/// SDV TVAE 0.12's: `embedding_dim` 128, `compress_dims` [128, 128] (encoder),
/// `decompress_dims` [128, 128] (decoder), `loss_factor` 2, a learned per-column decoder scale
/// σ initialised to `sigma_init` 0.1 and clamped to `sigma_bounds` [0.01, 1] after every step,
/// Adam with `learning_rate` 1e-3, `betas` (0.9, 0.999) and coupled L2 `l2scale` 1e-5 (as
/// PyTorch's `Adam(weight_decay=…)`), `batch_size` 500 (the *expected* Poisson batch in private
/// mode), `epochs` 300, `seed` 0, `sampling` [`TvaeSampling::Softmax`] (SDV decodes with
/// [`TvaeSampling::Argmax`]), the transformer of [`DataTransformerConfig::default`].
/// `privacy` has no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TvaeConfig {
    /// Width of the latent code z.
    pub embedding_dim: usize,
    /// Widths of the encoder's hidden layers (ReLU).
    pub compress_dims: Vec<usize>,
    /// Widths of the decoder's hidden layers (ReLU).
    pub decompress_dims: Vec<usize>,
    /// Weight of the reconstruction term against the KL divergence.
    pub loss_factor: f64,
    /// Initial value of every entry of the decoder's scale σ.
    pub sigma_init: f64,
    /// σ is clamped to `[lo, hi]` after every optimiser step.
    pub sigma_bounds: (f64, f64),
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Adam's (β₁, β₂).
    pub betas: (f64, f64),
    /// Coupled L2 weight decay of every parameter (σ included, as in SDV).
    pub l2scale: f64,
    /// Rows per batch (in private mode the expected size B of a Poisson batch, q = B/N̂).
    pub batch_size: usize,
    /// Passes over the data (in private mode, expected passes of Poisson batches).
    pub epochs: usize,
    /// How sampling decodes softmax blocks.
    pub sampling: TvaeSampling,
    /// Seeds all non-privacy randomness: initialisation, batch order and reparameterisation
    /// noise of non-private training, mode sampling of the transformer (non-private), and
    /// generation.
    pub seed: u64,
    /// The transformer (mixture settings, thresholds, threads).
    pub transformer: DataTransformerConfig,
    /// Private or not.
    pub privacy: Privacy,
}

impl TvaeConfig {
    /// SDV's TVAE with the given privacy.
    pub fn new(privacy: Privacy) -> Self {
        TvaeConfig {
            embedding_dim: 128,
            compress_dims: vec![128, 128],
            decompress_dims: vec![128, 128],
            loss_factor: 2.0,
            sigma_init: 0.1,
            sigma_bounds: (0.01, 1.0),
            learning_rate: 1e-3,
            betas: (0.9, 0.999),
            l2scale: 1e-5,
            batch_size: DEFAULT_BATCH_SIZE,
            epochs: DEFAULT_EPOCHS,
            sampling: TvaeSampling::Softmax,
            seed: 0,
            transformer: DataTransformerConfig::default(),
            privacy,
        }
    }

    /// Sets the widths of the encoder's and the decoder's hidden layers.
    #[must_use]
    pub fn with_dims(mut self, compress: Vec<usize>, decompress: Vec<usize>) -> Self {
        self.compress_dims = compress;
        self.decompress_dims = decompress;
        self
    }

    /// Sets the width of the latent code.
    #[must_use]
    pub fn with_embedding_dim(mut self, embedding_dim: usize) -> Self {
        self.embedding_dim = embedding_dim;
        self
    }

    /// Sets how sampling decodes softmax blocks.
    #[must_use]
    pub fn with_sampling(mut self, sampling: TvaeSampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Sets Adam's learning rate.
    #[must_use]
    pub fn with_learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// The DP-SGD schedule of these settings (CTGAN: one private release per discriminator
    /// step; TVAE: one per step).
    pub(crate) fn dp_sgd_schedule(&self) -> DpSgdSchedule {
        DpSgdSchedule {
            epochs: self.epochs,
            batch_size: self.batch_size,
            releases_per_step: 1,
        }
    }

    /// Checks every value once; a model is built only from the result.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`] naming the first bad value.
    pub fn check(self) -> ConfigResult<ValidTvaeConfig> {
        at_least_one(&[
            ("embedding_dim", self.embedding_dim),
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
        ])?;
        widths("compress_dims", &self.compress_dims)?;
        widths("decompress_dims", &self.decompress_dims)?;
        finite_non_negative(&[
            ("loss_factor", self.loss_factor),
            ("learning_rate", self.learning_rate),
            ("l2scale", self.l2scale),
        ])?;
        betas(self.betas)?;
        let (lo, hi) = self.sigma_bounds;
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi) {
            return Err(ConfigError::invalid(
                "sigma_bounds",
                format!("({lo}, {hi})"),
                "finite with 0 < lo ≤ hi",
            ));
        }
        if !(self.sigma_init.is_finite() && self.sigma_init > 0.0) {
            return Err(ConfigError::invalid(
                "sigma_init",
                self.sigma_init,
                "finite and > 0",
            ));
        }
        self.transformer.check()?;
        if let Privacy::Dp(dp) = &self.privacy {
            dp.check()?;
        }
        Ok(Valid::checked(self))
    }
}

/// A [`TvaeConfig`] that passed [`TvaeConfig::check`].
pub type ValidTvaeConfig = Valid<TvaeConfig>;

impl Valid<TvaeConfig> {
    /// Changes the sampling mode (every mode is valid; it does not affect training).
    pub(crate) fn set_sampling(&mut self, sampling: TvaeSampling) {
        self.get_mut_unchecked().sampling = sampling;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::DpConfig;

    #[test]
    fn defaults_are_sdvs() {
        let c = TvaeConfig::new(Privacy::NonPrivate);
        assert_eq!(c.embedding_dim, 128);
        assert_eq!(c.compress_dims, vec![128, 128]);
        assert_eq!(c.decompress_dims, vec![128, 128]);
        assert_eq!((c.loss_factor, c.sigma_init), (2.0, 0.1));
        assert_eq!(c.sigma_bounds, (0.01, 1.0));
        assert_eq!((c.learning_rate, c.l2scale), (1e-3, 1e-5));
        assert_eq!(c.betas, (0.9, 0.999));
        assert_eq!((c.batch_size, c.epochs), (500, 300));
        assert_eq!(c.sampling, TvaeSampling::Softmax);
        assert!(c.check().is_ok());
        let dp = TvaeConfig::new(Privacy::Dp(DpConfig::new(3.0, 1e-6)));
        assert!(dp.check().is_ok());
    }

    #[test]
    fn bad_values_are_named() {
        let base = TvaeConfig::new(Privacy::NonPrivate);
        let cases: Vec<(TvaeConfig, &str)> = vec![
            (base.clone().with_epochs(0), "epochs"),
            (base.clone().with_batch_size(0), "batch_size"),
            (base.clone().with_embedding_dim(0), "embedding_dim"),
            (base.clone().with_dims(vec![0], vec![1]), "compress_dims"),
            (
                base.clone().with_dims(vec![1], vec![4, 0]),
                "decompress_dims",
            ),
            (base.clone().with_learning_rate(f64::NAN), "learning_rate"),
            (
                TvaeConfig {
                    loss_factor: -1.0,
                    ..base.clone()
                },
                "loss_factor",
            ),
            (
                TvaeConfig {
                    sigma_bounds: (0.5, 0.1),
                    ..base.clone()
                },
                "sigma_bounds",
            ),
            (
                TvaeConfig {
                    sigma_bounds: (0.0, 1.0),
                    ..base.clone()
                },
                "sigma_bounds",
            ),
            (
                TvaeConfig {
                    sigma_init: 0.0,
                    ..base.clone()
                },
                "sigma_init",
            ),
            (
                TvaeConfig {
                    betas: (1.0, 0.9),
                    ..base
                },
                "betas.0",
            ),
        ];
        for (c, name) in cases {
            match c.check() {
                Err(ConfigError::InvalidParameter { parameter, .. }) => assert_eq!(parameter, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn sampling_serialises_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&TvaeSampling::Argmax).unwrap(),
            "\"argmax\""
        );
        let c = TvaeConfig::new(Privacy::NonPrivate).with_sampling(TvaeSampling::Argmax);
        let back: TvaeConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
