//! [`GaussianBlocks`]: blocks of Gaussian noise, the next one drawn ahead on a background
//! thread while the caller works.
//!
//! ```
//! use tabveil_noise::{GaussianBlocks, PrivacyRng};
//!
//! let mut blocks = GaussianBlocks::new(PrivacyRng::dangerous_seeded(1));
//! let first = blocks.draw(2.0, 1_000, 10)?; // 1 000 f32 and 10 f64 draws of N(0, 4)
//! assert_eq!((first.f32s.len(), first.f64s.len()), (1_000, 10));
//! // The next block of the same shape was started in the background.
//! let second = blocks.draw(2.0, 1_000, 10)?;
//! assert_ne!(first.f32s, second.f32s);
//! # Ok::<(), tabveil_noise::NoiseError>(())
//! ```

use std::sync::{Mutex, mpsc};

use crate::error::{NoiseError, Result};
use crate::rng::PrivacyRng;

/// One block of N(0, std²) draws: the f32 values first, then the f64 values, in the order the
/// generator produced them.
#[derive(Debug, Default)]
pub struct GaussianBlock {
    std: f64,
    /// The f32 draws.
    pub f32s: Vec<f32>,
    /// The f64 draws.
    pub f64s: Vec<f64>,
}

impl GaussianBlock {
    fn fits(&self, std: f64, n32: usize, n64: usize) -> bool {
        self.std.to_bits() == std.to_bits() && self.f32s.len() == n32 && self.f64s.len() == n64
    }

    fn draw(rng: &mut PrivacyRng, std: f64, n32: usize, n64: usize) -> Result<GaussianBlock> {
        let mut block = GaussianBlock {
            std,
            f32s: vec![0.0; n32],
            f64s: vec![0.0; n64],
        };
        rng.fill_gaussian_f32(std, &mut block.f32s)?;
        rng.fill_gaussian_f64(std, &mut block.f64s)?;
        Ok(block)
    }
}

/// Blocks of Gaussian noise from one [`PrivacyRng`], drawn ahead.
///
/// After each [`draw`](GaussianBlocks::draw) with a positive standard deviation, a background
/// thread starts drawing the next block of the same shape. The next call uses it only if it
/// asks for exactly that shape; otherwise the block drawn ahead is discarded unused and a fresh
/// one is drawn. So with a fixed shape (a training run) the values are those of drawing every
/// block in turn, with or without prefetching; when the shape changes between calls they
/// differ, but stay deterministic for a seeded generator.
///
/// Not `Clone`: a copy would repeat the same noise.
#[derive(Debug)]
pub struct GaussianBlocks {
    /// `None` while a prefetch job owns the generator.
    rng: Option<PrivacyRng>,
    /// The background thread (started on the first prefetch).
    worker: Option<Worker>,
    /// True while the worker holds the generator.
    pending: bool,
    prefetch: bool,
}

impl GaussianBlocks {
    /// Blocks drawn from `rng`, prefetching on.
    pub fn new(rng: PrivacyRng) -> Self {
        GaussianBlocks {
            rng: Some(rng),
            worker: None,
            pending: false,
            prefetch: true,
        }
    }

    /// Whether the next block is drawn ahead on a background thread (on by default).
    pub fn set_prefetch(&mut self, prefetch: bool) {
        self.prefetch = prefetch;
    }

    /// `n32` f32 and `n64` f64 draws of N(0, `std`²) (see the type's documentation for when
    /// a block drawn ahead is used).
    ///
    /// # Errors
    /// [`NoiseError::InvalidStd`] unless `std` is finite and ≥ 0;
    /// [`NoiseError::Worker`] if the background thread failed.
    pub fn draw(&mut self, std: f64, n32: usize, n64: usize) -> Result<GaussianBlock> {
        let block = match self.settle()? {
            Some(block) if block.fits(std, n32, n64) => block,
            // Noise drawn for another shape is discarded unused.
            _ => GaussianBlock::draw(self.rng_mut()?, std, n32, n64)?,
        };
        if self.prefetch && std > 0.0 {
            if self.worker.is_none() {
                self.worker = Some(Worker::start()?);
            }
            let rng = self.rng.take().ok_or(NoiseError::Worker {
                what: "the privacy generator is missing",
            })?;
            let jobs =
                self.worker
                    .as_ref()
                    .and_then(|w| w.jobs.as_ref())
                    .ok_or(NoiseError::Worker {
                        what: "the noise thread has no job channel",
                    })?;
            jobs.send(Job { rng, std, n32, n64 })
                .map_err(|_| NoiseError::Worker {
                    what: "the noise thread stopped",
                })?;
            self.pending = true;
        }
        Ok(block)
    }

    /// Waits for a background job and takes the generator back, with its block.
    fn settle(&mut self) -> Result<Option<GaussianBlock>> {
        if !self.pending {
            return Ok(None);
        }
        let worker = self.worker.as_mut().ok_or(NoiseError::Worker {
            what: "noise is pending without a thread",
        })?;
        let done = worker
            .done
            .get_mut()
            .map_err(|_| NoiseError::Worker {
                what: "the noise results are poisoned",
            })?
            .recv()
            .map_err(|_| NoiseError::Worker {
                what: "the noise thread stopped",
            })?;
        self.pending = false;
        self.rng = Some(done.rng);
        Ok(Some(done.block?))
    }

    fn rng_mut(&mut self) -> Result<&mut PrivacyRng> {
        self.rng.as_mut().ok_or(NoiseError::Worker {
            what: "the privacy generator is missing",
        })
    }
}

/// A long-lived thread that draws noise on request (one thread for the whole run, rather
/// than one per block: cheaper, and kinder to per-thread allocators).
#[derive(Debug)]
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    /// In a mutex only so that the blocks stay `Sync` (access is through `&mut`).
    done: Mutex<mpsc::Receiver<Prefetched>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// A request to the worker: draw `n32` f32 and `n64` f64 values with standard deviation
/// `std` from `rng`, and send them back with the generator.
#[derive(Debug)]
struct Job {
    rng: PrivacyRng,
    std: f64,
    n32: usize,
    n64: usize,
}

/// A block drawn ahead of time, with the generator it advanced.
#[derive(Debug)]
struct Prefetched {
    rng: PrivacyRng,
    block: Result<GaussianBlock>,
}

impl Worker {
    fn start() -> Result<Worker> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel::<Prefetched>();
        let handle = std::thread::Builder::new()
            .name("tabveil-noise".to_owned())
            .spawn(move || {
                while let Ok(mut job) = job_rx.recv() {
                    // One thread: the point is to use a core the caller leaves idle, not to
                    // compete with the caller's own threads.
                    job.rng.set_max_threads(1);
                    let block = GaussianBlock::draw(&mut job.rng, job.std, job.n32, job.n64);
                    if done_tx
                        .send(Prefetched {
                            rng: job.rng,
                            block,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .map_err(|_| NoiseError::Worker {
                what: "could not start the noise thread",
            })?;
        Ok(Worker {
            jobs: Some(jobs),
            done: Mutex::new(done),
            handle: Some(handle),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the job channel ends the thread; join it rather than leave it detached (a
        // result still in flight is discarded unused).
        self.jobs.take();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(prefetch: bool) -> Vec<Vec<f32>> {
        let mut blocks = GaussianBlocks::new(PrivacyRng::dangerous_seeded(5));
        blocks.set_prefetch(prefetch);
        (0..3)
            .map(|_| blocks.draw(1.5, 70_000, 2).unwrap().f32s)
            .collect()
    }

    /// Prefetching changes when a block is drawn, never which noise it holds.
    #[test]
    fn prefetching_does_not_change_the_draws() {
        assert_eq!(run(true), run(false));
    }

    #[test]
    fn a_bad_std_is_a_typed_error() {
        let mut blocks = GaussianBlocks::new(PrivacyRng::dangerous_seeded(5));
        assert!(matches!(
            blocks.draw(-1.0, 3, 0),
            Err(NoiseError::InvalidStd { .. })
        ));
    }
}
