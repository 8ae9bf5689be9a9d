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
use tabveil_data::DiscoveryConfig;
use tabveil_models::{
    CtganConfig, DpConfig, MarginalConfig, ModelKind, ModelSettings, Privacy, TvaeConfig,
};

use crate::discovery::{DiscoverySettings, invalid_setting};
use crate::error::Result;
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
    memory_limit: MemoryLimit,
}

/// The memory limit the validator checks a plan against (see
/// [`SynthesizerBuilder::memory_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum MemoryLimit {
    /// Three quarters of the machine's physical memory, where it can be read.
    #[default]
    Machine,
    /// This many bytes.
    Bytes(u64),
    /// No memory check.
    Unlimited,
}

impl MemoryLimit {
    /// The limit in bytes, or `None` for no check.
    pub(crate) fn bytes(self) -> Option<u64> {
        match self {
            MemoryLimit::Machine => tabveil_validate::default_memory_limit(),
            MemoryLimit::Bytes(b) => Some(b),
            MemoryLimit::Unlimited => None,
        }
    }
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
    row_estimate: Option<f64>,
    discovery: Option<f64>,
    discovery_config: Option<DiscoveryConfig>,
}

/// Privacy state of a build that opted out of differential privacy.
#[derive(Debug, Clone, Copy)]
pub struct NonPrivate(());

/// The model chosen: a kind with its defaults (which depend on the privacy choice), or
/// settings given in full.
#[derive(Debug, Clone)]
enum ModelChoice {
    Defaults(ModelKind),
    With(Box<ModelSettings>),
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
    /// Model `kind` with its defaults for the privacy choice that follows (the registered
    /// kinds: [`ModelKind::all`]).
    pub fn model(self, kind: ModelKind) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::Defaults(kind))
    }

    /// A model with these settings. The privacy step that follows replaces their privacy
    /// choice (with the model's privacy-dependent defaults, see `ModelSpec::adopt_privacy`);
    /// the builder's `epochs`, `batch_size` and `seed`, when set, replace theirs.
    pub fn model_with(
        self,
        settings: impl Into<ModelSettings>,
    ) -> SynthesizerBuilder<WantsPrivacy> {
        self.with_model(ModelChoice::With(Box::new(settings.into())))
    }

    /// CTGAN with SDV's defaults (300 epochs of batches of 500, networks 256-256; pac 10
    /// without privacy, 1 with).
    pub fn ctgan(self) -> SynthesizerBuilder<WantsPrivacy> {
        self.model(ModelKind::Ctgan)
    }

    /// CTGAN with these hyper-parameters. The privacy step that follows replaces the config's
    /// `privacy`; in private mode a `pac` of 10 (the non-private default) becomes 1, any other
    /// value is kept and checked (private CTGAN needs pac = 1). The builder's `epochs`,
    /// `batch_size` and `seed`, when set, replace the config's.
    pub fn ctgan_with(self, config: CtganConfig) -> SynthesizerBuilder<WantsPrivacy> {
        self.model_with(config)
    }

    /// TVAE with SDV's defaults (300 epochs of batches of 500, encoder and decoder 128-128,
    /// softmax decoding of categories).
    pub fn tvae(self) -> SynthesizerBuilder<WantsPrivacy> {
        self.model(ModelKind::Tvae)
    }

    /// TVAE with these hyper-parameters. The privacy step that follows replaces the config's
    /// `privacy`; the builder's `epochs`, `batch_size` and `seed`, when set, replace the
    /// config's.
    pub fn tvae_with(self, config: TvaeConfig) -> SynthesizerBuilder<WantsPrivacy> {
        self.model_with(config)
    }

    /// The marginal model with its defaults (select–measure–generate: noisy marginals chosen
    /// adaptively, a graphical model fitted to them). It has no epochs, batches or clipping:
    /// `build` refuses them; [`target`](SynthesizerBuilder::target) names the column whose
    /// relationships matter most (default: the schema's `target`).
    pub fn marginal(self) -> SynthesizerBuilder<WantsPrivacy> {
        self.model(ModelKind::Marginal)
    }

    /// The marginal model with these settings. The privacy step that follows replaces the
    /// config's `privacy`; the builder's `seed` and `target`, when set, replace the config's.
    pub fn marginal_with(self, config: MarginalConfig) -> SynthesizerBuilder<WantsPrivacy> {
        self.model_with(config)
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
            row_estimate: None,
            discovery: None,
            discovery_config: None,
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
                memory_limit: MemoryLimit::default(),
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

    /// The column whose relationships with the others matter most (a prediction target), for
    /// a model that weighs one (the marginal model; default: the schema's `target`). `build`
    /// refuses it for a model that does not.
    pub fn target(mut self, column: impl Into<String>) -> Self {
        self.state.target = Some(column.into());
        self
    }

    /// The device to train and sample on (default: the CPU).
    pub fn device(mut self, device: Device) -> Self {
        self.state.device = device;
        self
    }

    /// The memory a fit may need, in bytes: the validator refuses a plan whose model needs
    /// more whatever the data (`E-MODEL-TOO-WIDE`: the marginal model's junction tree for the
    /// schema's public domain sizes), before anything is read or released. Default: three
    /// quarters of the machine's physical memory (no check where it cannot be read).
    ///
    /// ```
    /// use tabveil::prelude::*;
    ///
    /// let schema = Schema::new("survey", (0..12).map(|i| {
    ///     ColumnSchema::categorical(format!("q{i}"), (0..40).map(|v| v.to_string()))
    /// }).collect())?;
    /// let synth = Synthesizer::builder()
    ///     .marginal()
    ///     .private(Epsilon(1.0), Delta(1e-6))
    ///     .memory_limit(1 << 10) // 1 KiB: less than this table's model needs
    ///     .build()?;
    /// let report = synth.validate(&schema, 10_000);
    /// assert!(report.errors().any(|f| f.code.as_str() == "E-MODEL-TOO-WIDE"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.state.memory_limit = MemoryLimit::Bytes(bytes);
        self
    }

    /// No memory check (see [`memory_limit`](Self::memory_limit)): a plan too wide for the
    /// machine then fails during the fit, or is killed by the operating system.
    pub fn no_memory_limit(mut self) -> Self {
        self.state.memory_limit = MemoryLimit::Unlimited;
        self
    }

    /// The checked settings of the model with `privacy` and the builder's overrides.
    fn settings(&self, privacy: Privacy) -> Result<ModelSettings> {
        let mut settings = match &self.state.model {
            ModelChoice::Defaults(kind) => ModelSettings::defaults(*kind, privacy),
            ModelChoice::With(settings) => {
                let mut settings = (**settings).clone();
                settings.spec_mut().adopt_privacy(privacy);
                settings
            }
        };
        let spec = settings.spec_mut();
        if let Some(e) = self.state.epochs {
            spec.set_epochs(e)?;
        }
        if let Some(b) = self.state.batch_size {
            spec.set_batch_size(b)?;
        }
        if let Some(s) = self.state.seed {
            spec.set_seed(s);
        }
        if let Some(t) = &self.state.target {
            spec.set_target(t)?;
        }
        spec.check()?;
        Ok(settings)
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

    /// Plans the DP-SGD schedule with `rows` — a row count that is public or was released by
    /// a differentially private mechanism accounted elsewhere — instead of the fit's own
    /// private estimate, so the fit's whole ledger is known before its first release
    /// ([`Synthesizer::planned_ledger`]). The validation at fit time uses it too. Never pass
    /// the true row count of a private table: the schedule, the model and the report reveal
    /// it.
    pub fn row_estimate(mut self, rows: f64) -> Self {
        self.state.privacy.row_estimate = Some(rows);
        self
    }

    /// Discovers the schema privately before the fit, with `share` of the run's ε and δ
    /// ([`Synthesizer::fit_discovering`]): categories by Gaussian thresholding, bounds by noisy
    /// tail quantiles, nullability by noisy counts, for what the declared schema leaves out.
    /// The fit composes the discovery's releases first, so the whole run — discovery,
    /// preprocessing, training — spends at most (ε, δ) by the accountant. `build` refuses a
    /// share outside (0, 1), a share that leaves the preprocessing share no room
    /// (share + preprocessing share ≥ 1), and a model whose fit cannot compose prior releases.
    pub fn discover_schema(mut self, share: f64) -> Self {
        self.state.privacy.discovery = Some(share);
        self
    }

    /// The settings of the discovery besides its budget (default: [`DiscoveryConfig::default`]);
    /// only with [`discover_schema`](Self::discover_schema).
    pub fn discovery_config(mut self, config: DiscoveryConfig) -> Self {
        self.state.privacy.discovery_config = Some(config);
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
    /// [`Error::Config`](crate::Error::Config) with `InvalidParameter` naming the first bad
    /// value (ε not finite and > 0, δ outside (0, 1), a zero batch size…).
    pub fn build(self) -> Result<Synthesizer> {
        let p = &self.state.privacy;
        let mut dp = DpConfig::new(p.epsilon.0, p.delta.0);
        if let Some(c) = p.clipping_norm {
            dp = dp.with_clipping_norm(c);
        }
        if let Some(s) = p.preprocessing_share {
            dp = dp.with_preprocessing_share(s);
        }
        if let Some(a) = &p.accountant {
            dp = dp.with_accountant(a.clone());
        }
        if let Some(seed) = p.noise_seed {
            dp = dp.dangerous_noise_seed(seed);
        }
        if let Some(rows) = p.row_estimate {
            dp = dp.with_row_estimate(rows);
        }
        dp.check()?;
        let share = dp.preprocessing_share;
        let discovery = p.discovery;
        let discovery_config = p.discovery_config.clone();
        let settings = self.settings(Privacy::Dp(dp))?;
        let composes = settings.spec().composes_prior_releases();
        let mut synth =
            Synthesizer::from_parts(settings, self.state.device, self.state.memory_limit);
        match (discovery, discovery_config) {
            (Some(s), config) => {
                if !(s > 0.0 && s < 1.0 && s + share < 1.0) {
                    return Err(invalid_setting(
                        "discover_schema",
                        s,
                        "in (0, 1), below 1 − the preprocessing share",
                    )
                    .into());
                }
                if !composes {
                    return Err(invalid_setting(
                        "discover_schema",
                        synth.kind().as_str(),
                        "a model whose fit composes prior releases (ctgan, tvae, marginal)",
                    )
                    .into());
                }
                synth.discovery = Some(DiscoverySettings {
                    share: s,
                    config: config.unwrap_or_default(),
                });
            }
            (None, Some(_)) => {
                return Err(invalid_setting(
                    "discovery_config",
                    "set",
                    "only with discover_schema(share)",
                )
                .into());
            }
            (None, None) => {}
        }
        Ok(synth)
    }
}

impl SynthesizerBuilder<Ready<NonPrivate>> {
    /// Checks every setting and builds the synthesizer (see the private
    /// [`build`](SynthesizerBuilder::<Ready<Private>>::build)).
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) with `InvalidParameter` naming the first bad
    /// value.
    pub fn build(self) -> Result<Synthesizer> {
        let settings = self.settings(Privacy::NonPrivate)?;
        Ok(Synthesizer::from_parts(
            settings,
            self.state.device,
            self.state.memory_limit,
        ))
    }
}
