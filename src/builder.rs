//! [`Synthesizer::builder`]: one typestate builder for the whole job — pick a model, then
//! privacy (a budget, or an explicit opt-out: there is no default), then the optional
//! settings, then [`build`](SynthesizerBuilder::build).
//!
//! ```
//! use tabveil::{Delta, Epsilon, Synthesizer};
//!
//! let synth = Synthesizer::builder()
//!     .ctgan()
//!     .private(Epsilon(3.0), Delta(1e-6))
//!     .epochs(300)
//!     .batch_size(500)
//!     .seed(7)
//!     .build()?;
//! assert!(synth.is_private());
//! # Ok::<(), tabveil::Error>(())
//! ```
//!
//! Privacy is a required step: without `.private(..)` or `.non_private()` there is no `build`.
//!
//! ```compile_fail
//! use tabveil::Synthesizer;
//!
//! let synth = Synthesizer::builder().ctgan().epochs(300).build(); // no privacy choice
//! ```

use candle_core::Device;
use tabveil_accountant::AccountantSpec;
use tabveil_models::{CtganConfig, DpTraining, MarginalConfig, ModelError, Privacy, TvaeConfig};

use crate::error::Result;
use crate::model::ModelConfig;
use crate::privacy::{Delta, Epsilon};
use crate::synthesizer::Synthesizer;

/// The builder of a [`Synthesizer`]; `S` is the step it is at ([`WantsModel`],
/// [`WantsPrivacy`], [`Ready`]).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct SynthesizerBuilder<S> {
    state: S,
}

/// First step: choose the model.
#[derive(Debug, Clone, Default)]
pub struct WantsModel(());

/// Second step: choose privacy, a budget or an explicit opt-out.
#[derive(Debug, Clone)]
pub struct WantsPrivacy {
    model: ModelChoice,
}

/// Last step: optional settings, then [`build`](SynthesizerBuilder::build). `P` is
/// [`Private`] or [`NonPrivate`].
#[derive(Debug, Clone)]
pub struct Ready<P> {
    model: ModelChoice,
    privacy: P,
    epochs: Option<usize>,
    batch_size: Option<usize>,
    seed: Option<u64>,
    target: Option<String>,
    device: Device,
}

/// Privacy state of a private build: the budget and the private settings.
#[derive(Debug, Clone)]
pub struct Private {
    epsilon: Epsilon,
    delta: Delta,
    clipping_norm: Option<f64>,
    preprocessing_share: Option<f64>,
    accountant: Option<AccountantSpec>,
    noise_seed: Option<u64>,
}

/// Privacy state of a build that opted out of differential privacy.
#[derive(Debug, Clone, Copy)]
pub struct NonPrivate(());

#[derive(Debug, Clone)]
enum ModelChoice {
    Ctgan(Option<CtganConfig>),
    Tvae(Option<TvaeConfig>),
    Marginal(Option<MarginalConfig>),
}

impl Synthesizer {
    /// The builder (see the [module docs](crate::builder)).
    pub fn builder() -> SynthesizerBuilder<WantsModel> {
        SynthesizerBuilder {
            state: WantsModel(()),
        }
    }
}

impl SynthesizerBuilder<WantsModel> {
    /// CTGAN with SDV's defaults (300 epochs of batches of 500, networks 256-256; pac 10
    /// without privacy, 1 with).
    pub fn ctgan(self) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Ctgan(None))
    }

    /// CTGAN with these hyper-parameters. The privacy step that follows replaces the config's
    /// `privacy`; in private mode a `pac` of 10 (the non-private default) becomes 1, any other
    /// value is kept and checked (private CTGAN needs pac = 1). The builder's `epochs`,
    /// `batch_size` and `seed`, when set, replace the config's.
    pub fn ctgan_with(self, config: CtganConfig) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Ctgan(Some(config)))
    }

    /// TVAE with SDV's defaults (300 epochs of batches of 500, encoder and decoder 128-128,
    /// softmax decoding of categories).
    pub fn tvae(self) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Tvae(None))
    }

    /// TVAE with these hyper-parameters. The privacy step that follows replaces the config's
    /// `privacy`; the builder's `epochs`, `batch_size` and `seed`, when set, replace the
    /// config's.
    pub fn tvae_with(self, config: TvaeConfig) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Tvae(Some(config)))
    }

    /// The marginal model (select–measure–generate: noisy marginals chosen adaptively, a
    /// graphical model fitted to them) with its defaults — the best choice for small tables.
    /// Epochs, batch size, clipping norm and preprocessing share do not apply to it (`build`
    /// refuses them); [`target`](SynthesizerBuilder::target) names the column whose
    /// relationships matter most.
    pub fn marginal(self) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Marginal(None))
    }

    /// The marginal model with these settings. The privacy step that follows replaces the
    /// config's `privacy`; the builder's `seed` and `target`, when set, replace the config's.
    pub fn marginal_with(self, config: MarginalConfig) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Marginal(Some(config)))
    }

    fn with_model(self, model: ModelChoice) -> SynthesizerBuilder<WantsPrivacy> {
        SynthesizerBuilder {
            state: WantsPrivacy { model },
        }
    }
}

impl SynthesizerBuilder<WantsPrivacy> {
    /// Differentially private training: the whole pipeline — the private preprocessing and
    /// every DP-SGD step — spends at most (ε, δ) under add/remove-one-row neighbouring.
    pub fn private(self, epsilon: Epsilon, delta: Delta) -> SynthesizerBuilder<Ready<Private>> {
        self.ready(Private {
            epsilon,
            delta,
            clipping_norm: None,
            preprocessing_share: None,
            accountant: None,
            noise_seed: None,
        })
    }

    /// Training **without** differential privacy, as SDV does: no privacy guarantee holds for
    /// the model, its samples or its report (the report says so on its first line).
    pub fn non_private(self) -> SynthesizerBuilder<Ready<NonPrivate>> {
        self.ready(NonPrivate(()))
    }

    fn ready<P>(self, privacy: P) -> SynthesizerBuilder<Ready<P>> {
        SynthesizerBuilder {
            state: Ready {
                model: self.state.model,
                privacy,
                epochs: None,
                batch_size: None,
                seed: None,
                target: None,
                device: Device::Cpu,
            },
        }
    }
}

impl<P> SynthesizerBuilder<Ready<P>> {
    /// Passes over the data (in private mode, expected passes of Poisson batches).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.state.epochs = Some(epochs);
        self
    }

    /// Rows per batch (in private mode the expected size of a Poisson batch).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.state.batch_size = Some(batch_size);
        self
    }

    /// Seed of every random choice that is not privacy randomness: initialisation, dropout,
    /// gumbel noise, condition draws, the transformer's mode sampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.state.seed = Some(seed);
        self
    }

    /// The column whose relationships with the others matter most (a prediction target): the
    /// marginal model weighs the marginals that contain it up (default: the schema's
    /// `target`). Other models refuse it.
    pub fn target(mut self, column: impl Into<String>) -> Self {
        self.state.target = Some(column.into());
        self
    }

    /// The device to train and sample on (default: the CPU).
    pub fn device(mut self, device: Device) -> Self {
        self.state.device = device;
        self
    }

    fn model_config(&self, privacy: Privacy) -> Result<ModelConfig> {
        let private = privacy.is_private();
        if let (Some(t), false) = (
            &self.state.target,
            matches!(self.state.model, ModelChoice::Marginal(_)),
        ) {
            return Err(ModelError::invalid_setting("target", t, "the marginal model only").into());
        }
        match &self.state.model {
            ModelChoice::Ctgan(config) => {
                let mut c = match config {
                    Some(c) => {
                        let mut c = c.clone();
                        if private && c.pac == 10 {
                            c.pac = 1;
                        }
                        c.privacy = privacy;
                        c
                    }
                    None => CtganConfig::new(privacy),
                };
                if let Some(e) = self.state.epochs {
                    c.epochs = e;
                }
                if let Some(b) = self.state.batch_size {
                    c.batch_size = b;
                }
                if let Some(s) = self.state.seed {
                    c.seed = s;
                }
                Ok(ModelConfig::Ctgan(c.check()?))
            }
            ModelChoice::Tvae(config) => {
                let mut c = match config {
                    Some(c) => TvaeConfig {
                        privacy,
                        ..c.clone()
                    },
                    None => TvaeConfig::new(privacy),
                };
                if let Some(e) = self.state.epochs {
                    c.epochs = e;
                }
                if let Some(b) = self.state.batch_size {
                    c.batch_size = b;
                }
                if let Some(s) = self.state.seed {
                    c.seed = s;
                }
                Ok(ModelConfig::Tvae(c.check()?))
            }
            ModelChoice::Marginal(config) => {
                for (name, set) in [
                    ("epochs", self.state.epochs.map(|e| e.to_string())),
                    ("batch_size", self.state.batch_size.map(|b| b.to_string())),
                ] {
                    if let Some(v) = set {
                        return Err(ModelError::invalid_setting(
                            name,
                            v,
                            "not set: the marginal model has no epochs or batches",
                        )
                        .into());
                    }
                }
                let mut c = match config {
                    Some(c) => MarginalConfig {
                        privacy,
                        ..c.clone()
                    },
                    None => MarginalConfig::new(privacy),
                };
                if let Some(s) = self.state.seed {
                    c.seed = s;
                }
                if let Some(t) = &self.state.target {
                    c.target = Some(t.clone());
                }
                Ok(ModelConfig::Marginal(c.check()?))
            }
        }
    }
}

impl SynthesizerBuilder<Ready<Private>> {
    /// Per-example L2 clipping norm C (default 1).
    pub fn clipping_norm(mut self, clipping_norm: f64) -> Self {
        self.state.privacy.clipping_norm = Some(clipping_norm);
        self
    }

    /// Share of ε the preprocessing releases alone may spend (default 0.1).
    pub fn preprocessing_share(mut self, share: f64) -> Self {
        self.state.privacy.preprocessing_share = Some(share);
        self
    }

    /// The accountant that calibrates the noise and enforces the budget (default: RDP; PLD is
    /// tighter and slower; the Gaussian-DP approximation is refused).
    pub fn accountant(mut self, accountant: AccountantSpec) -> Self {
        self.state.privacy.accountant = Some(accountant);
        self
    }

    /// **Dangerous.** Fixes all privacy randomness (row sampling, every noise draw) with
    /// `noise_seed`, for tests and research. Anyone who knows the seed can remove the noise:
    /// the guarantee then rests on the seed staying secret, and the ledger and the report say
    /// so. The seed is never saved with the model.
    pub fn dangerous_noise_seed(mut self, noise_seed: u64) -> Self {
        self.state.privacy.noise_seed = Some(noise_seed);
        self
    }

    /// Checks every setting and builds the synthesizer. The plan is validated against the
    /// table when it is fitted ([`Synthesizer::fit`]), or beforehand with
    /// [`Synthesizer::validate`].
    ///
    /// # Errors
    /// [`Error::Model`](crate::Error::Model) with `InvalidParameter` naming the first bad value
    /// (ε not finite and > 0, δ outside (0, 1), a zero batch size…).
    pub fn build(self) -> Result<Synthesizer> {
        let p = &self.state.privacy;
        if matches!(self.state.model, ModelChoice::Marginal(_)) {
            for (name, set) in [
                ("clipping_norm", p.clipping_norm),
                ("preprocessing_share", p.preprocessing_share),
            ] {
                if let Some(v) = set {
                    return Err(ModelError::invalid_setting(
                        name,
                        v,
                        "not set: the marginal model clips no gradients and plans its own releases",
                    )
                    .into());
                }
            }
        }
        let mut dp = DpTraining::new(p.epsilon.0, p.delta.0)?;
        if let Some(c) = p.clipping_norm {
            dp = dp.with_clipping_norm(c)?;
        }
        if let Some(s) = p.preprocessing_share {
            dp = dp.with_preprocessing_share(s)?;
        }
        if let Some(a) = &p.accountant {
            dp = dp.with_accountant(a.clone())?;
        }
        if let Some(seed) = p.noise_seed {
            dp = dp.dangerous_noise_seed(seed);
        }
        let config = self.model_config(Privacy::Dp(dp))?;
        Ok(Synthesizer::from_parts(config, self.state.device))
    }
}

impl SynthesizerBuilder<Ready<NonPrivate>> {
    /// Checks every setting and builds the synthesizer (see the private
    /// [`build`](SynthesizerBuilder::<Ready<Private>>::build)).
    ///
    /// # Errors
    /// [`Error::Model`](crate::Error::Model) with `InvalidParameter` naming the first bad value.
    pub fn build(self) -> Result<Synthesizer> {
        let config = self.model_config(Privacy::NonPrivate)?;
        Ok(Synthesizer::from_parts(config, self.state.device))
    }
}
