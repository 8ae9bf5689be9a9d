//! The privacy and training flags shared by `fit` and `validate`: raw clap values
//! ([`TrainingFlags`]) checked into a [`Synthesizer`] before any library call.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use tabveil::accountant::AccountantSpec;
use tabveil::models::{ConfigError, ModelKind};
use tabveil::validate::{DpConfig, ModelSettings, Privacy, TrainingConfig, min_batch_size};
use tabveil::{Delta, Epsilon, Error, Synthesizer};

use super::UsageError;

/// A setting the builder refuses, as a usage error naming the flag when there is one.
fn usage(e: Error) -> anyhow::Error {
    if let Error::Config(ConfigError::InvalidParameter {
        parameter,
        value,
        expected,
    }) = &e
    {
        let flag = match *parameter {
            "epochs" => Some("--epochs"),
            "batch_size" => Some("--batch-size"),
            "clipping_norm" => Some("--clipping-norm"),
            "epsilon" => Some("--epsilon"),
            "delta" => Some("--delta"),
            "discover_schema" => Some("--discover-schema"),
            _ => None,
        };
        if let Some(flag) = flag {
            return UsageError::new(flag, format!("{value}: expected {expected}")).into();
        }
    }
    e.into()
}

/// The `--model` values: every registered model, by name, with its one-line description.
fn model_parser() -> impl TypedValueParser<Value = ModelKind> {
    let values: Vec<PossibleValue> = ModelKind::all()
        .map(|k| PossibleValue::new(k.as_str()).help(k.description()))
        .collect();
    PossibleValuesParser::new(values)
        .try_map(|name| ModelKind::from_name(&name).ok_or("not a registered model"))
}

/// The accountant that calibrates the noise and enforces the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AccountantArg {
    /// Rényi DP (fast, slightly loose upper bound).
    Rdp,
    /// Privacy loss distributions (tightest upper bound, slower).
    Pld,
}

/// Privacy and training flags.
#[derive(Debug, Clone, Args)]
pub(crate) struct TrainingFlags {
    /// The model.
    #[arg(long, value_parser = model_parser(), default_value = "ctgan")]
    pub(crate) model: ModelKind,
    /// Privacy budget ε of the whole pipeline (with --delta).
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    pub(crate) epsilon: Option<f64>,
    /// δ of the guarantee (with --epsilon); well below 1/rows.
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub(crate) delta: Option<f64>,
    /// Train without differential privacy: NO privacy guarantee for the model or its samples.
    #[arg(long, conflicts_with_all = ["epsilon", "delta", "noise_seed", "clipping_norm", "accountant"])]
    pub(crate) no_privacy: bool,
    /// Passes over the data [default: 300].
    #[arg(long, allow_hyphen_values = true, value_name = "N")]
    pub(crate) epochs: Option<usize>,
    /// Rows per batch (the expected Poisson batch in private mode) [default: 500].
    #[arg(long, allow_hyphen_values = true, value_name = "B")]
    pub(crate) batch_size: Option<usize>,
    /// Seed of initialisation, dropout and generation (not of the privacy noise).
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "K",
        default_value_t = 0
    )]
    pub(crate) seed: u64,
    /// DANGEROUS, for tests and research only: fixes the privacy randomness (row sampling and
    /// every noise draw) with this seed. Anyone who learns the seed can remove the noise, so
    /// the guarantee then rests on the seed staying secret; the report says so. Never saved.
    #[arg(long, allow_hyphen_values = true, value_name = "K")]
    pub(crate) noise_seed: Option<u64>,
    /// Per-example clipping norm C [default: 1].
    #[arg(long, value_name = "C", allow_hyphen_values = true)]
    pub(crate) clipping_norm: Option<f64>,
    /// The accountant [default: rdp].
    #[arg(long, value_enum)]
    pub(crate) accountant: Option<AccountantArg>,
    /// The column whose relationships matter most, e.g. a prediction target, for a model that
    /// weighs one (marginal) [default: the schema's `target`].
    #[arg(long, value_name = "COL")]
    pub(crate) target: Option<String>,
    /// Discover the schema privately before the fit with this share of ε and δ [default when
    /// given without a value: 0.3]: the schema then needs only column names and kinds;
    /// categories (rare values go to an `other` category), bounds and nullability are released
    /// and the fit composes those releases first, so the whole run spends at most --epsilon.
    /// Every model supports it (ctgan, tvae: the training noise pays for the discovery;
    /// marginal: the rounds spend what it leaves). Composition is sub-additive: at ε = 3 a
    /// share of 0.3 raises the training noise by about 5 %, or costs the marginal model about
    /// 10 % of its zCDP budget (`tabveil validate … --discover-schema` shows the joint plan).
    /// CSV data only.
    #[arg(
        long,
        value_name = "SHARE",
        conflicts_with = "no_privacy",
        num_args = 0..=1,
        default_missing_value = "0.3"
    )]
    pub(crate) discover_schema: Option<f64>,
    /// The memory a fit may use: the plan is refused before any data is read when the model
    /// needs more whatever the data (the marginal model on a table too wide for its domain
    /// sizes: E-MODEL-TOO-WIDE). Bytes with an optional unit (`512MiB`, `4GiB`, `8GB`), or
    /// `none` for no check [default: three quarters of this machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    pub(crate) memory_limit: Option<MemoryLimitArg>,
}

/// `--memory-limit`: a size in bytes, or no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemoryLimitArg {
    /// This many bytes.
    Bytes(u64),
    /// `none`: no memory check.
    Unlimited,
}

/// Reads `--memory-limit`: `none`, or a positive number with an optional unit: B, KB/MB/GB/TB
/// (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024), case-insensitive.
fn parse_memory_limit(text: &str) -> Result<MemoryLimitArg, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(MemoryLimitArg::Unlimited);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?}: use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB or `none`"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 512MiB, 4GiB or none"))?;
    let bytes = value * factor;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!(
            "{text:?} is not a positive size that fits in 64 bits"
        ));
    }
    Ok(MemoryLimitArg::Bytes(bytes.round() as u64))
}

impl TrainingFlags {
    /// The checked synthesizer.
    ///
    /// # Errors
    /// A [`UsageError`] naming the flag for a missing or out-of-range value.
    pub(crate) fn synthesizer(&self) -> anyhow::Result<Synthesizer> {
        if let Some(e) = self.epochs
            && e == 0
        {
            return Err(UsageError::new("--epochs", "must be at least 1").into());
        }
        self.check_batch_size()?;
        let builder = Synthesizer::builder().model(self.model);
        // The settings both builders (private and not) take.
        macro_rules! with_common_flags {
            ($builder:expr) => {{
                let mut b = $builder.seed(self.seed);
                if let Some(t) = &self.target {
                    b = b.target(t.clone());
                }
                if let Some(e) = self.epochs {
                    b = b.epochs(e);
                }
                if let Some(s) = self.batch_size {
                    b = b.batch_size(s);
                }
                match self.memory_limit {
                    Some(MemoryLimitArg::Bytes(bytes)) => b = b.memory_limit(bytes),
                    Some(MemoryLimitArg::Unlimited) => b = b.no_memory_limit(),
                    None => {}
                }
                b
            }};
        }
        let synth = if self.no_privacy {
            with_common_flags!(builder.non_private())
                .build()
                .map_err(usage)?
        } else {
            let (epsilon, delta) = self.budget()?;
            let mut b = with_common_flags!(builder.private(Epsilon(epsilon), Delta(delta)));
            if let Some(c) = self.clipping_norm {
                if !(c.is_finite() && c > 0.0) {
                    return Err(UsageError::new("--clipping-norm", "must be finite and > 0").into());
                }
                b = b.clipping_norm(c);
            }
            if let Some(a) = self.accountant {
                b = b.accountant(match a {
                    AccountantArg::Rdp => AccountantSpec::rdp(),
                    AccountantArg::Pld => AccountantSpec::pld(),
                });
            }
            if let Some(k) = self.noise_seed {
                b = b.dangerous_noise_seed(k);
            }
            if let Some(s) = self.discover_schema {
                b = b.discover_schema(s);
            }
            b.build().map_err(usage)?
        };
        Ok(synth)
    }

    /// `--batch-size` against what the model accepts, in the flags' terms: CTGAN needs two
    /// rows, and without privacy a multiple of the rows its discriminator packs (pac, a knob
    /// this command does not show: it is 1 in private mode).
    fn check_batch_size(&self) -> Result<(), UsageError> {
        let Some(b) = self.batch_size else {
            return Ok(());
        };
        let config = |privacy: Privacy| {
            TrainingConfig::new(
                ModelSettings::defaults(self.model, privacy.clone()),
                privacy,
            )
        };
        let private = config(Privacy::Dp(DpConfig::new(1.0, 1e-6)));
        let config = if self.no_privacy {
            config(Privacy::NonPrivate)
        } else {
            private.clone()
        };
        let model = self.model.display_name();
        let min = min_batch_size(&config);
        let pack = config.model.spec().batch_sizes().multiple_of.max(1) as u64;
        let b = b as u64;
        if pack > 1 && !b.is_multiple_of(pack) {
            let lower = b / pack * pack;
            let nearest = if lower >= pack {
                format!("{lower} or {}", lower + pack)
            } else {
                pack.to_string()
            };
            let private_min = min_batch_size(&private);
            return Err(UsageError::new(
                "--batch-size",
                format!(
                    "{b}: without privacy {model} takes batch sizes that are a multiple of {pack} (e.g. {nearest}); private fits (--epsilon/--delta) take any size from {private_min}"
                ),
            ));
        }
        if b < min {
            return Err(UsageError::new(
                "--batch-size",
                format!("{b}: {model} takes batches of at least {min}"),
            ));
        }
        Ok(())
    }

    /// The target ε, if private.
    pub(crate) fn target_epsilon(&self) -> Option<f64> {
        if self.no_privacy { None } else { self.epsilon }
    }

    fn budget(&self) -> anyhow::Result<(f64, f64)> {
        let (epsilon, delta) = match (self.epsilon, self.delta) {
            (Some(e), Some(d)) => (e, d),
            (None, None) => {
                return Err(UsageError::missing(
                    "--epsilon",
                    "choose a privacy budget with --epsilon E --delta D (e.g. --epsilon 3 --delta 1e-6), or --no-privacy",
                )
                .into());
            }
            (Some(_), None) => {
                return Err(UsageError::missing(
                    "--delta",
                    "--epsilon needs --delta (well below 1/rows, e.g. 1e-6)",
                )
                .into());
            }
            (None, Some(_)) => {
                return Err(UsageError::missing("--epsilon", "--delta needs --epsilon").into());
            }
        };
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(
                UsageError::new("--epsilon", format!("{epsilon}: must be finite and > 0")).into(),
            );
        }
        if !(delta > 0.0 && delta < 1.0) {
            return Err(UsageError::new("--delta", format!("{delta}: must be in (0, 1)")).into());
        }
        Ok((epsilon, delta))
    }
}

#[cfg(test)]
mod tests {
    use super::{MemoryLimitArg, parse_memory_limit};

    #[test]
    fn memory_limits_read_units_and_none() {
        assert_eq!(parse_memory_limit("none"), Ok(MemoryLimitArg::Unlimited));
        assert_eq!(parse_memory_limit("NONE"), Ok(MemoryLimitArg::Unlimited));
        assert_eq!(parse_memory_limit("1000"), Ok(MemoryLimitArg::Bytes(1000)));
        assert_eq!(
            parse_memory_limit("512MiB"),
            Ok(MemoryLimitArg::Bytes(512 << 20))
        );
        assert_eq!(
            parse_memory_limit("4 GiB"),
            Ok(MemoryLimitArg::Bytes(4 << 30))
        );
        assert_eq!(
            parse_memory_limit("1.5GB"),
            Ok(MemoryLimitArg::Bytes(1_500_000_000))
        );
        assert_eq!(parse_memory_limit("2k"), Ok(MemoryLimitArg::Bytes(2000)));
    }

    #[test]
    fn memory_limits_refuse_nonsense() {
        for bad in ["", "0", "-5", "12 parsecs", "GiB", "1e99", "0.2", "1.2.3MB"] {
            assert!(parse_memory_limit(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
