//! [`PoissonSampler`]: the row sampling the privacy accountant assumes.

use tabveil_noise::PrivacyRng;

use crate::error::{Result, SgdError};

/// Poisson sampling of row indices `0..dataset_size` with rate q.
///
/// Not `Clone`: a copy would repeat the same batches.
///
/// The subsampled-Gaussian accounting of DP-SGD assumes Poisson sampling: in every step each
/// row is included independently with probability q, so the batch size varies from step to
/// step. This sampler does exactly that, one Bernoulli(q) draw per row from a [`PrivacyRng`]
/// (privacy randomness: OS-seeded unless a `noise_seed` fixed it). Gradients are then
/// normalised by the expected batch size q·N, not by the realised one.
///
/// # Example
/// ```
/// use tabveil_noise::PrivacyRng;
/// use tabveil_sgd::PoissonSampler;
///
/// let mut sampler = PoissonSampler::new(10_000, 0.05, PrivacyRng::secure()?)?;
/// let batch = sampler.sample()?; // sorted row indices, about 500 of them
/// assert!(batch.windows(2).all(|w| w[0] < w[1]));
/// assert_eq!(sampler.expected_batch_size(), 500.0);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct PoissonSampler {
    dataset_size: usize,
    sample_rate: f64,
    rng: PrivacyRng,
}

impl PoissonSampler {
    /// A sampler over `dataset_size` rows with inclusion probability `sample_rate`.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] unless `dataset_size` ≥ 1 and q ∈ (0, 1].
    pub fn new(dataset_size: usize, sample_rate: f64, rng: PrivacyRng) -> Result<Self> {
        if dataset_size == 0 {
            return Err(SgdError::InvalidParameter {
                parameter: "dataset_size",
                value: 0.0,
                expected: "≥ 1",
            });
        }
        if !(sample_rate > 0.0 && sample_rate <= 1.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "sample_rate",
                value: sample_rate,
                expected: "in (0, 1]",
            });
        }
        Ok(PoissonSampler {
            dataset_size,
            sample_rate,
            rng,
        })
    }

    /// One batch: the indices of the rows drawn, in increasing order (possibly none).
    ///
    /// # Errors
    /// Errors of the privacy randomness (none for a valid sampler).
    pub fn sample(&mut self) -> Result<Vec<usize>> {
        Ok(self
            .rng
            .poisson_subset(self.dataset_size, self.sample_rate)?)
    }

    /// q.
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// N.
    pub fn dataset_size(&self) -> usize {
        self.dataset_size
    }

    /// q·N, the normaliser of the noisy gradient.
    pub fn expected_batch_size(&self) -> f64 {
        self.sample_rate * self.dataset_size as f64
    }

    /// True when the generator was fixed by a `noise_seed`.
    pub fn is_seeded(&self) -> bool {
        self.rng.is_seeded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Acceptance (issue 5): the empirical inclusion rate matches q.
    ///
    /// 200 batches of N = 2 000 rows at q = 0.03: each row's inclusion count is
    /// Binomial(200, q), and the total over all rows Binomial(400 000, q) with mean 12 000 and
    /// sd 107.9. The test allows 6 sd (false alarm < 2e-9). Row-level uniformity: for each of 20
    /// blocks of 100 rows the count is Binomial(20 000, q) (sd 24.1); a χ² over the 20 blocks
    /// with 19 degrees of freedom must stay below 58.6 (p = 1e-5 upper tail).
    #[test]
    fn empirical_inclusion_rate_matches_q() {
        let (n, q, steps) = (2_000usize, 0.03, 200usize);
        let mut sampler = PoissonSampler::new(n, q, PrivacyRng::dangerous_seeded(17)).unwrap();
        let mut counts = vec![0u32; n];
        let mut sizes = Vec::new();
        for _ in 0..steps {
            let batch = sampler.sample().unwrap();
            sizes.push(batch.len());
            for i in batch {
                counts[i] += 1;
            }
        }
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        let trials = (n * steps) as f64;
        let sd = (trials * q * (1.0 - q)).sqrt();
        assert!(
            (total as f64 - trials * q).abs() < 6.0 * sd,
            "total {total}, expected {}",
            trials * q
        );
        let expected_block = 100.0 * steps as f64 * q;
        let var_block = expected_block * (1.0 - q);
        let chi2: f64 = counts
            .chunks(100)
            .map(|b| {
                let c: f64 = b.iter().map(|&x| f64::from(x)).sum();
                (c - expected_block).powi(2) / var_block
            })
            .sum();
        assert!(chi2 < 58.6, "chi2 {chi2}");
        // The batch size varies (it is not fixed at q·N).
        assert!(sizes.iter().min() != sizes.iter().max());
    }

    #[test]
    fn invalid_parameters_and_edge_rates() {
        let rng = PrivacyRng::dangerous_seeded(0);
        assert!(PoissonSampler::new(0, 0.5, PrivacyRng::dangerous_seeded(0)).is_err());
        for q in [0.0, -0.1, 1.1, f64::NAN] {
            assert!(PoissonSampler::new(5, q, PrivacyRng::dangerous_seeded(0)).is_err());
        }
        let mut all = PoissonSampler::new(5, 1.0, rng).unwrap();
        assert_eq!(all.sample().unwrap(), vec![0, 1, 2, 3, 4]);
        assert!(all.is_seeded());
    }
}
