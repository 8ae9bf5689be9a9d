//! [`PrivacyRng`]: the one source of privacy randomness.

use rand::SeedableRng;
use rand::distr::{Bernoulli, Distribution};
use rand_chacha::ChaCha20Rng;

use crate::discrete_gaussian::DiscreteGaussian;
use crate::error::{NoiseError, Result};
use crate::gaussian::{BlockBuffered, mitigated_standard_normal};

/// Number of values each independently keyed chunk of a bulk fill produces. Fixed, so that a
/// seeded fill gives the same values whatever the number of threads.
const CHUNK: usize = 1 << 16;

/// The source of all privacy randomness: a ChaCha20 CSPRNG, seeded from the operating system
/// unless a test or study fixed its seed with [`PrivacyRng::dangerous_seeded`].
///
/// # Example
/// ```
/// use tabveil_noise::PrivacyRng;
///
/// // Reproducible noise, for a test: the guarantee then rests on the seed staying secret.
/// let mut a = PrivacyRng::dangerous_seeded(7);
/// let mut b = PrivacyRng::dangerous_seeded(7);
/// assert_eq!(a.gaussian(1.0)?, b.gaussian(1.0)?);
/// assert!(a.is_seeded());
/// # Ok::<(), tabveil_noise::NoiseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PrivacyRng {
    inner: ChaCha20Rng,
    seeded: bool,
    /// Upper bound on the threads of a bulk fill (None: all available cores).
    max_threads: Option<usize>,
}

impl PrivacyRng {
    /// A CSPRNG seeded from the operating system's entropy source. This is the default for
    /// every private computation.
    ///
    /// # Errors
    /// [`NoiseError::EntropyUnavailable`] if the OS cannot provide entropy.
    pub fn secure() -> Result<Self> {
        let inner = ChaCha20Rng::try_from_os_rng().map_err(|e| NoiseError::EntropyUnavailable {
            message: e.to_string(),
        })?;
        Ok(PrivacyRng {
            inner,
            seeded: false,
            max_threads: None,
        })
    }

    /// A generator whose output is fixed by `seed`: for tests and research only.
    ///
    /// Anyone who knows the seed can subtract the noise and recover the exact statistics, so a
    /// privacy guarantee computed for a seeded run holds only while the seed stays secret.
    /// Callers must record the use on the privacy ledger
    /// (`PrivacyLedger::mark_noise_seeded`) so that the report says so.
    pub fn dangerous_seeded(seed: u64) -> Self {
        PrivacyRng {
            inner: ChaCha20Rng::seed_from_u64(seed),
            seeded: true,
            max_threads: None,
        }
    }

    /// True when this generator was created by [`PrivacyRng::dangerous_seeded`] (or derived from
    /// one).
    pub fn is_seeded(&self) -> bool {
        self.seeded
    }

    /// One N(0, `std`²) draw.
    ///
    /// # Errors
    /// [`NoiseError::InvalidStd`] unless `std` is finite and ≥ 0.
    pub fn gaussian(&mut self, std: f64) -> Result<f64> {
        check_std(std)?;
        Ok(std * mitigated_standard_normal(&mut self.inner))
    }

    /// Fills `out` with independent N(0, `std`²) draws, computed in f64 and rounded to f32.
    /// Large fills run on all available cores; the values depend only on the generator's state,
    /// not on the number of threads.
    ///
    /// # Errors
    /// [`NoiseError::InvalidStd`] unless `std` is finite and ≥ 0.
    pub fn fill_gaussian_f32(&mut self, std: f64, out: &mut [f32]) -> Result<()> {
        check_std(std)?;
        self.fill_chunks(out, |rng, chunk| {
            let mut rng = BlockBuffered::new(rng);
            for v in chunk {
                *v = (std * mitigated_standard_normal(&mut rng)) as f32;
            }
        });
        Ok(())
    }

    /// Fills `out` with independent N(0, `std`²) draws in f64.
    ///
    /// # Errors
    /// [`NoiseError::InvalidStd`] unless `std` is finite and ≥ 0.
    pub fn fill_gaussian_f64(&mut self, std: f64, out: &mut [f64]) -> Result<()> {
        check_std(std)?;
        self.fill_chunks(out, |rng, chunk| {
            let mut rng = BlockBuffered::new(rng);
            for v in chunk {
                *v = std * mitigated_standard_normal(&mut rng);
            }
        });
        Ok(())
    }

    /// One exact draw from the discrete Gaussian `dist` (see [`DiscreteGaussian`]): integer
    /// noise for an integer release, with no floating-point decision.
    pub fn discrete_gaussian(&mut self, dist: &DiscreteGaussian) -> i64 {
        dist.sample(&mut self.inner)
    }

    /// `len` independent exact draws from N_ℤ(0, σ²) (σ² rounded up to a rational, see
    /// [`DiscreteGaussian::new`]).
    ///
    /// # Errors
    /// [`NoiseError::InvalidDiscreteGaussianScale`] unless σ is finite, > 0 and ≤ 2³⁰.
    pub fn fill_discrete_gaussian(&mut self, sigma: f64, len: usize) -> Result<Vec<i64>> {
        let dist = DiscreteGaussian::new(sigma)?;
        Ok((0..len).map(|_| dist.sample(&mut self.inner)).collect())
    }

    /// A Bernoulli(`p`) draw: true with probability `p`. Used for Poisson sampling, where each
    /// row is included independently with probability q.
    ///
    /// # Errors
    /// [`NoiseError::InvalidProbability`] unless `p` ∈ [0, 1].
    pub fn bernoulli(&mut self, p: f64) -> Result<bool> {
        let dist = bernoulli(p)?;
        Ok(dist.sample(&mut self.inner))
    }

    /// The indices in `0..n` selected by independent Bernoulli(`q`) draws, in increasing order:
    /// one Poisson-sampled batch.
    ///
    /// # Errors
    /// [`NoiseError::InvalidProbability`] unless `q` ∈ [0, 1].
    pub fn poisson_subset(&mut self, n: usize, q: f64) -> Result<Vec<usize>> {
        let dist = bernoulli(q)?;
        let expected = (n as f64 * q).ceil() as usize;
        let mut selected = Vec::with_capacity(expected + expected / 4 + 16);
        for i in 0..n {
            if dist.sample(&mut self.inner) {
                selected.push(i);
            }
        }
        Ok(selected)
    }

    /// Limits bulk fills to `threads` threads (at least 1), e.g. for a fill running in the
    /// background of other work. The values drawn do not depend on it.
    pub fn set_max_threads(&mut self, threads: usize) {
        self.max_threads = Some(threads.max(1));
    }

    /// An independent generator keyed from this one's output (same seeded/secure status).
    pub fn fork(&mut self) -> PrivacyRng {
        PrivacyRng {
            inner: ChaCha20Rng::from_rng(&mut self.inner),
            seeded: self.seeded,
            max_threads: self.max_threads,
        }
    }

    /// Splits `out` into fixed-size chunks, keys one child generator per chunk from `self` (in
    /// order, so the result is reproducible), and fills the chunks on up to
    /// `available_parallelism` threads.
    fn fill_chunks<T: Send>(
        &mut self,
        out: &mut [T],
        fill: impl Fn(&mut ChaCha20Rng, &mut [T]) + Sync,
    ) {
        if out.len() <= CHUNK {
            fill(&mut self.inner, out);
            return;
        }
        let mut jobs: Vec<(ChaCha20Rng, &mut [T])> = out
            .chunks_mut(CHUNK)
            .map(|chunk| (ChaCha20Rng::from_rng(&mut self.inner), chunk))
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(self.max_threads.unwrap_or(usize::MAX))
            .min(jobs.len());
        if threads <= 1 {
            for (rng, chunk) in &mut jobs {
                fill(rng, chunk);
            }
            return;
        }
        let per_thread = jobs.len().div_ceil(threads);
        let fill = &fill;
        std::thread::scope(|scope| {
            for group in jobs.chunks_mut(per_thread) {
                scope.spawn(move || {
                    for (rng, chunk) in group {
                        fill(rng, chunk);
                    }
                });
            }
        });
    }
}

fn check_std(std: f64) -> Result<()> {
    if std.is_finite() && std >= 0.0 {
        Ok(())
    } else {
        Err(NoiseError::InvalidStd { value: std })
    }
}

fn bernoulli(p: f64) -> Result<Bernoulli> {
    Bernoulli::new(p).map_err(|_| NoiseError::InvalidProbability { value: p })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_generators_repeat_and_secure_ones_differ() {
        let mut a = PrivacyRng::dangerous_seeded(1);
        let mut b = PrivacyRng::dangerous_seeded(1);
        // The thread count does not change the values.
        b.set_max_threads(1);
        let mut va = vec![0.0f32; 3 * CHUNK + 5];
        let mut vb = vec![0.0f32; 3 * CHUNK + 5];
        a.fill_gaussian_f32(1.5, &mut va).unwrap();
        b.fill_gaussian_f32(1.5, &mut vb).unwrap();
        assert_eq!(va, vb);

        let mut s1 = PrivacyRng::secure().unwrap();
        let mut s2 = PrivacyRng::secure().unwrap();
        assert!(!s1.is_seeded());
        assert_ne!(s1.gaussian(1.0).unwrap(), s2.gaussian(1.0).unwrap());
    }

    #[test]
    fn invalid_parameters_are_typed_errors() {
        let mut rng = PrivacyRng::dangerous_seeded(0);
        for s in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                rng.gaussian(s),
                Err(NoiseError::InvalidStd { .. })
            ));
        }
        for p in [-0.1, 1.1, f64::NAN] {
            assert!(matches!(
                rng.bernoulli(p),
                Err(NoiseError::InvalidProbability { .. })
            ));
            assert!(matches!(
                rng.poisson_subset(10, p),
                Err(NoiseError::InvalidProbability { .. })
            ));
        }
        assert_eq!(rng.gaussian(0.0).unwrap(), 0.0);
    }

    /// Moments of 400 000 draws. With n = 4e5 the standard error of the sample variance of a unit
    /// normal is √(2/n) ≈ 2.2e-3, so the 0.015 tolerance is ~6.7 standard errors
    /// (false-alarm probability < 1e-10); the mean's tolerance 0.01 is 6.3 standard errors.
    #[test]
    fn mitigated_draws_are_unit_normal() {
        let mut rng = PrivacyRng::dangerous_seeded(12345);
        let mut v = vec![0.0f64; 400_000];
        rng.fill_gaussian_f64(1.0, &mut v).unwrap();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let kurt = v.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n / (var * var);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        // Kurtosis of a normal is 3; its standard error is √(24/n) ≈ 7.7e-3.
        assert!((kurt - 3.0).abs() < 0.06, "kurtosis {kurt}");
    }

    /// Inclusion rate of Poisson sampling: n·q = 20 000 expected, binomial standard deviation
    /// ≈ 139; a 7-sd tolerance has a false-alarm probability below 1e-11.
    #[test]
    fn poisson_subset_includes_each_row_with_probability_q() {
        let mut rng = PrivacyRng::dangerous_seeded(99);
        let (n, q) = (1_000_000usize, 0.02);
        let picked = rng.poisson_subset(n, q).unwrap();
        let sd = (n as f64 * q * (1.0 - q)).sqrt();
        assert!(
            (picked.len() as f64 - n as f64 * q).abs() < 7.0 * sd,
            "{}",
            picked.len()
        );
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        assert!(rng.poisson_subset(5, 0.0).unwrap().is_empty());
        assert_eq!(rng.poisson_subset(5, 1.0).unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
