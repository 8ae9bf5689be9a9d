//! [`CtganConfig`]: CTGAN's hyper-parameters with SDV's defaults, and [`ValidCtganConfig`], the
//! checked form a model is built from.

use serde::{Deserialize, Serialize};
use tabveil_data::DataTransformerConfig;

use crate::check::{Valid, at_least_one, betas, finite_non_negative, widths};
use crate::error::{ConfigError, ConfigResult};
use crate::privacy::Privacy;
use crate::spec::{DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DpSgdSchedule, dp_sgd_setters};

dp_sgd_setters!(CtganConfig);

/// CTGAN's settings.
///
/// # Defaults
/// SDV CTGAN 0.12's: `embedding_dim` 128, `generator_dims` [256, 256], `discriminator_dims`
/// [256, 256], `pac` 10 (1 in private mode: packing mixes people), `discriminator_steps` 1,
/// `epochs` 300, `batch_size` 500 (the *expected* Poisson batch in private mode), Adam with
/// `generator_lr` = `discriminator_lr` = 2e-4, `betas` (0.5, 0.9), `generator_decay` =
/// `discriminator_decay` = 1e-6 (coupled L2, as PyTorch's `Adam(weight_decay=…)`),
/// `gradient_penalty` λ = 10, `gumbel_tau` 0.2, `dropout` 0.5, `leaky_slope` 0.2,
/// `log_frequency` true (non-private training-by-sampling draws conditions ∝ log(1 + count)),
/// `marginal_loss` 0 without DP and 1 with DP, `dp_fake_term` [`DpFakeTerm::Paired`], `seed` 0, the transformer of
/// [`DataTransformerConfig::default`]. `privacy` has no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtganConfig {
    /// Width of the generator's latent noise.
    pub embedding_dim: usize,
    /// Widths of the generator's residual blocks.
    pub generator_dims: Vec<usize>,
    /// Widths of the discriminator's hidden layers.
    pub discriminator_dims: Vec<usize>,
    /// Rows packed into one discriminator input (PacGAN). Must be 1 in private mode.
    pub pac: usize,
    /// Discriminator updates per generator update.
    pub discriminator_steps: usize,
    /// Passes over the data (in private mode, expected passes of Poisson batches).
    pub epochs: usize,
    /// Rows per batch (in private mode the expected size B of a Poisson batch, q = B/N̂).
    pub batch_size: usize,
    /// Generator learning rate.
    pub generator_lr: f64,
    /// Generator coupled L2 weight decay.
    pub generator_decay: f64,
    /// Discriminator learning rate.
    pub discriminator_lr: f64,
    /// Discriminator coupled L2 weight decay.
    pub discriminator_decay: f64,
    /// Adam's (β₁, β₂) for both networks.
    pub betas: (f64, f64),
    /// Weight λ of the WGAN-GP gradient penalty.
    pub gradient_penalty: f64,
    /// Temperature of the soft gumbel-softmax.
    pub gumbel_tau: f64,
    /// Dropout probability of the discriminator's hidden layers.
    pub dropout: f64,
    /// Negative slope of the discriminator's LeakyReLU.
    pub leaky_slope: f64,
    /// Non-private training: draw conditions ∝ log(1 + count) (SDV) rather than ∝ count.
    pub log_frequency: bool,
    /// Weight of the generator's marginal-matching term (defaults above): the cross-entropy between each softmax block's kept frequencies and the
    /// batch's mean output. In private mode those frequencies are the DP ones the model keeps,
    /// so the term is free. 0 turns it off (SDV has none).
    pub marginal_loss: f64,
    /// Private mode: how the discriminator's fake term enters a step.
    pub dp_fake_term: DpFakeTerm,
    /// Seeds all non-privacy randomness: initialisation, dropout, gumbel noise, condition
    /// draws, mode sampling of the transformer.
    pub seed: u64,
    /// The transformer (mixture settings, thresholds, threads).
    pub transformer: DataTransformerConfig,
    /// Private or not.
    pub privacy: Privacy,
}

impl CtganConfig {
    /// SDV's CTGAN with the given privacy (pac 10 without DP, 1 with DP).
    pub fn new(privacy: Privacy) -> Self {
        CtganConfig {
            embedding_dim: 128,
            generator_dims: vec![256, 256],
            discriminator_dims: vec![256, 256],
            pac: if privacy.is_private() { 1 } else { 10 },
            discriminator_steps: 1,
            epochs: DEFAULT_EPOCHS,
            batch_size: DEFAULT_BATCH_SIZE,
            generator_lr: 2e-4,
            generator_decay: 1e-6,
            discriminator_lr: 2e-4,
            discriminator_decay: 1e-6,
            betas: (0.5, 0.9),
            gradient_penalty: 10.0,
            gumbel_tau: 0.2,
            dropout: 0.5,
            leaky_slope: 0.2,
            log_frequency: true,
            marginal_loss: if privacy.is_private() { 1.0 } else { 0.0 },
            dp_fake_term: DpFakeTerm::Paired,
            seed: 0,
            transformer: DataTransformerConfig::default(),
            privacy,
        }
    }

    /// Sets the pac size.
    #[must_use]
    pub fn with_pac(mut self, pac: usize) -> Self {
        self.pac = pac;
        self
    }

    /// Sets the widths of the generator's residual blocks and of the discriminator's layers.
    #[must_use]
    pub fn with_dims(mut self, generator: Vec<usize>, discriminator: Vec<usize>) -> Self {
        self.generator_dims = generator;
        self.discriminator_dims = discriminator;
        self
    }

    /// Sets the width of the latent noise.
    #[must_use]
    pub fn with_embedding_dim(mut self, embedding_dim: usize) -> Self {
        self.embedding_dim = embedding_dim;
        self
    }

    /// The DP-SGD schedule of these settings (CTGAN: one private release per discriminator
    /// step; TVAE: one per step).
    pub(crate) fn dp_sgd_schedule(&self) -> DpSgdSchedule {
        DpSgdSchedule {
            epochs: self.epochs,
            batch_size: self.batch_size,
            releases_per_step: self.discriminator_steps,
        }
    }

    /// Checks every value once; a model is built only from the result.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`] naming the first bad value (including pac ≠ 1 in
    /// private mode and a batch size that pac does not divide).
    pub fn check(self) -> ConfigResult<ValidCtganConfig> {
        at_least_one(&[
            ("embedding_dim", self.embedding_dim),
            ("pac", self.pac),
            ("discriminator_steps", self.discriminator_steps),
            ("epochs", self.epochs),
        ])?;
        widths("generator_dims", &self.generator_dims)?;
        widths("discriminator_dims", &self.discriminator_dims)?;
        if self.batch_size < 2 {
            return Err(ConfigError::invalid(
                "batch_size",
                self.batch_size,
                "≥ 2 (the generator's BatchNorm needs two rows)",
            ));
        }
        if !self.batch_size.is_multiple_of(self.pac) {
            return Err(ConfigError::invalid(
                "batch_size",
                self.batch_size,
                "a multiple of pac",
            ));
        }
        finite_non_negative(&[
            ("generator_lr", self.generator_lr),
            ("generator_decay", self.generator_decay),
            ("discriminator_lr", self.discriminator_lr),
            ("discriminator_decay", self.discriminator_decay),
            ("gradient_penalty", self.gradient_penalty),
            ("marginal_loss", self.marginal_loss),
        ])?;
        betas(self.betas)?;
        if !(self.gumbel_tau.is_finite() && self.gumbel_tau > 0.0) {
            return Err(ConfigError::invalid(
                "gumbel_tau",
                self.gumbel_tau,
                "finite and > 0",
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ConfigError::invalid("dropout", self.dropout, "in [0, 1)"));
        }
        if !self.leaky_slope.is_finite() {
            return Err(ConfigError::invalid(
                "leaky_slope",
                self.leaky_slope,
                "finite",
            ));
        }
        self.transformer.check()?;
        if let Privacy::Dp(dp) = &self.privacy {
            dp.check()?;
            if self.pac != 1 {
                return Err(ConfigError::invalid(
                    "pac",
                    self.pac,
                    "1 in private mode (a pack would mix several people in one example)",
                ));
            }
        }
        Ok(Valid::checked(self))
    }
}

/// How the discriminator's fake term enters a private step.
///
/// Both are private (the fakes are made from public randomness by a generator that is
/// post-processing); they differ in how the step's gradient is balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DpFakeTerm {
    /// Each real row is paired with a fake of the step's public batch (a secret uniform
    /// index), and its clipped term is D(fake) − D(real) + λ·GP: real and fake parts are
    /// clipped together, so clipping scales them alike. The default.
    Paired,
    /// The fake term mean D(fake) over the B public fakes, unclipped, outside the clipped sum
    /// (the cheapest route). Measured on adult at ε = 3 it lets D(fake) run to −∞: the clipped
    /// real term cannot balance it.
    Public,
}

/// A [`CtganConfig`] that passed [`CtganConfig::check`].
pub type ValidCtganConfig = Valid<CtganConfig>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::DpConfig;

    #[test]
    fn defaults_are_sdvs() {
        let c = CtganConfig::new(Privacy::NonPrivate);
        assert_eq!(c.embedding_dim, 128);
        assert_eq!(c.generator_dims, vec![256, 256]);
        assert_eq!(c.discriminator_dims, vec![256, 256]);
        assert_eq!(c.pac, 10);
        assert_eq!((c.epochs, c.batch_size), (300, 500));
        assert_eq!(c.betas, (0.5, 0.9));
        assert_eq!((c.generator_lr, c.generator_decay), (2e-4, 1e-6));
        assert!(c.check().is_ok());
        let dp = CtganConfig::new(Privacy::Dp(DpConfig::new(3.0, 1e-6)));
        assert_eq!(dp.pac, 1);
    }

    #[test]
    fn private_mode_refuses_packing() {
        let c = CtganConfig::new(Privacy::Dp(DpConfig::new(3.0, 1e-6))).with_pac(10);
        match c.check() {
            Err(ConfigError::InvalidParameter { parameter, .. }) => assert_eq!(parameter, "pac"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_values_are_named() {
        let base = CtganConfig::new(Privacy::NonPrivate);
        let cases: Vec<(CtganConfig, &str)> = vec![
            (base.clone().with_epochs(0), "epochs"),
            (base.clone().with_batch_size(505), "batch_size"),
            (base.clone().with_batch_size(1).with_pac(1), "batch_size"),
            (base.clone().with_dims(vec![0], vec![1]), "generator_dims"),
            (
                CtganConfig {
                    gumbel_tau: 0.0,
                    ..base.clone()
                },
                "gumbel_tau",
            ),
            (
                CtganConfig {
                    dropout: 1.0,
                    ..base.clone()
                },
                "dropout",
            ),
            (
                CtganConfig {
                    betas: (0.5, 1.0),
                    ..base
                },
                "betas.1",
            ),
        ];
        for (c, name) in cases {
            match c.check() {
                Err(ConfigError::InvalidParameter { parameter, .. }) => assert_eq!(parameter, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
