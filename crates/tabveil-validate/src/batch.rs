//! The batch sizes a model accepts (its [`ModelSpec::batch_sizes`]), so that every fix and
//! range the validator prints names sizes that work.

use crate::config::TrainingConfig;

/// The smallest batch size `config`'s model accepts: for CTGAN 2 (its generator's BatchNorm
/// needs two rows) and, without privacy, a multiple of pac (10 by default: the discriminator
/// packs pac rows per input); for TVAE 1.
///
/// ```
/// use tabveil_validate::{DpConfig, Privacy, TrainingConfig, min_batch_size};
///
/// assert_eq!(min_batch_size(&TrainingConfig::ctgan(Privacy::NonPrivate)), 10);
/// assert_eq!(min_batch_size(&TrainingConfig::ctgan(Privacy::Dp(DpConfig::new(1.0, 1e-6)))), 2);
/// assert_eq!(min_batch_size(&TrainingConfig::tvae(Privacy::NonPrivate)), 1);
/// ```
pub fn min_batch_size(config: &TrainingConfig) -> u64 {
    (config.model.spec().batch_sizes().smallest as u64).max(1)
}

/// Batch sizes must be multiples of this (pac for CTGAN without privacy, else 1).
fn batch_step(config: &TrainingConfig) -> u64 {
    (config.model.spec().batch_sizes().multiple_of as u64).max(1)
}

/// The largest accepted batch size at most `max`, if there is one.
pub(crate) fn largest_batch_at_most(config: &TrainingConfig, max: u64) -> Option<u64> {
    let step = batch_step(config);
    let hi = max / step * step;
    (hi >= min_batch_size(config)).then_some(hi)
}
