//! The generator's output activations — `tanh` for the scalar of a continuous value, a *soft*
//! gumbel-softmax (τ = 0.2 by default, as `torch.nn.functional.gumbel_softmax(hard=False)`) for
//! every softmax block — with their backward pass, and CTGAN's conditional cross-entropy.
//!
//! Candle's `gumbel_softmax` is hard (an argmax) and draws from the device RNG; this one is
//! soft and takes its gumbel noise from the caller's seeded generator.

use rand::Rng;
use tabveil_data::ConditionLayout;

use crate::nn::activation::SpanAct;

/// Applies the activations in place to each row of `x` (`rows × width`): tanh on scalars,
/// softmax((logits + g)/τ) on blocks with g standard gumbel noise from `rng`.
pub(crate) fn activate<R: Rng + ?Sized>(
    x: &mut [f32],
    width: usize,
    spans: &[SpanAct],
    tau: f64,
    rng: &mut R,
) {
    let inv_tau = (1.0 / tau) as f32;
    for row in x.chunks_exact_mut(width.max(1)) {
        for span in spans {
            match *span {
                SpanAct::Tanh { start } => row[start] = row[start].tanh(),
                SpanAct::Softmax { start, width: w } => {
                    let block = &mut row[start..start + w];
                    for v in block.iter_mut() {
                        *v = (*v + gumbel(rng)) * inv_tau;
                    }
                    softmax_in_place(block);
                }
            }
        }
    }
}

/// The backward pass of [`activate`]: from dL/d(activated) to dL/d(logits), given the
/// activated values `act`.
pub(crate) fn activate_backward(
    dact: &[f32],
    act: &[f32],
    width: usize,
    spans: &[SpanAct],
    tau: f64,
) -> Vec<f32> {
    let inv_tau = (1.0 / tau) as f32;
    let mut out = vec![0.0f32; act.len()];
    for ((drow, arow), orow) in dact
        .chunks_exact(width.max(1))
        .zip(act.chunks_exact(width.max(1)))
        .zip(out.chunks_exact_mut(width.max(1)))
    {
        for span in spans {
            match *span {
                SpanAct::Tanh { start } => {
                    let t = arow[start];
                    orow[start] = drow[start] * (1.0 - t * t);
                }
                SpanAct::Softmax { start, width: w } => {
                    let s = &arow[start..start + w];
                    let d = &drow[start..start + w];
                    let dot: f32 = s.iter().zip(d).map(|(a, b)| a * b).sum();
                    for k in 0..w {
                        orow[start + k] = s[k] * (d[k] - dot) * inv_tau;
                    }
                }
            }
        }
    }
    out
}

/// CTGAN's conditional loss (SDV `_cond_loss`): for each row, the cross-entropy between the
/// raw logits of the conditioned column's block and the conditioned category, summed and
/// divided by the number of rows. Returns the loss and adds its gradient into `grad`
/// (`rows × width`).
pub(crate) fn conditional_cross_entropy(
    logits: &[f32],
    width: usize,
    conditions: &ConditionLayout,
    columns: &[usize],
    categories: &[usize],
    grad: &mut [f32],
) -> f64 {
    let rows = columns.len();
    if rows == 0 {
        return 0.0;
    }
    let scale = 1.0 / rows as f64;
    let mut total = 0.0f64;
    let mut probs = Vec::new();
    for (i, (&c, &k)) in columns.iter().zip(categories).enumerate() {
        let Some(col) = conditions.columns().get(c) else {
            continue;
        };
        let start = i * width + col.span_start;
        let block = &logits[start..start + col.width()];
        let max = block
            .iter()
            .fold(f64::NEG_INFINITY, |m, v| m.max(f64::from(*v)));
        probs.clear();
        let mut sum = 0.0f64;
        for v in block {
            let e = (f64::from(*v) - max).exp();
            probs.push(e);
            sum += e;
        }
        total += max + sum.ln() - f64::from(block[k]);
        for (j, p) in probs.iter().enumerate() {
            let target = if j == k { 1.0 } else { 0.0 };
            grad[start + j] += ((p / sum - target) * scale) as f32;
        }
    }
    total * scale
}

/// A standard gumbel draw −ln(E), E ~ Exp(1), from the caller's generator (in f32, as torch's
/// `gumbel_softmax` on f32 logits).
fn gumbel<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    // u ∈ (0, 1]: 24 random bits, never 0.
    let u = ((rng.next_u32() >> 8) + 1) as f32 * (1.0 / 16_777_216.0);
    // E = −ln(u) ≥ 0, floored so that −ln(E) stays finite.
    let e = (-u.ln()).max(f32::MIN_POSITIVE);
    -e.ln()
}

/// softmax in place (max-shifted for stability).
fn softmax_in_place(v: &mut [f32]) {
    let max = v.iter().fold(f32::NEG_INFINITY, |m, x| m.max(*x));
    let mut sum = 0.0f32;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    let inv = 1.0 / sum;
    for x in v.iter_mut() {
        *x *= inv;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// The analytic backward pass matches central finite differences of Σ w ⊙ act(x), with the
    /// gumbel noise fixed (same seed for every evaluation).
    #[test]
    fn backward_matches_finite_differences() {
        let spans = [
            SpanAct::Tanh { start: 0 },
            SpanAct::Softmax { start: 1, width: 3 },
            SpanAct::Softmax { start: 4, width: 2 },
        ];
        let width = 6;
        let x: Vec<f32> = vec![
            0.3, 0.1, -0.4, 0.2, 1.0, -1.0, -0.7, 0.5, 0.5, -0.2, 0.0, 0.3,
        ];
        let w: Vec<f32> = (0..12).map(|i| ((i * 7) % 5) as f32 - 2.0).collect();
        let tau = 0.7;
        let f = |x: &[f32]| -> f64 {
            let mut a = x.to_vec();
            activate(
                &mut a,
                width,
                &spans,
                tau,
                &mut ChaCha8Rng::seed_from_u64(3),
            );
            a.iter().zip(&w).map(|(a, b)| f64::from(a * b)).sum()
        };
        let mut act = x.clone();
        activate(
            &mut act,
            width,
            &spans,
            tau,
            &mut ChaCha8Rng::seed_from_u64(3),
        );
        let grad = activate_backward(&w, &act, width, &spans, tau);
        for i in 0..x.len() {
            let h = 1e-3f32;
            let mut xp = x.clone();
            xp[i] += h;
            let mut xm = x.clone();
            xm[i] -= h;
            let numeric = (f(&xp) - f(&xm)) / (2.0 * f64::from(h));
            assert!(
                (numeric - f64::from(grad[i])).abs() < 2e-3,
                "coordinate {i}: numeric {numeric}, analytic {}",
                grad[i]
            );
        }
        // Softmax blocks sum to one.
        let s: f32 = act[1..4].iter().sum();
        assert!((s - 1.0).abs() < 1e-6);
    }

    #[test]
    fn gumbel_draws_are_finite_and_centred() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| f64::from(gumbel(&mut rng))).sum::<f64>() / f64::from(n);
        // E[gumbel] = Euler–Mascheroni γ ≈ 0.5772; sd π/√6 ≈ 1.28, so 6 sd of the mean ≈ 0.017.
        assert!((mean - 0.577_215_664_9).abs() < 0.02, "{mean}");
    }
}
