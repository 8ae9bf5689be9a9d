//! A marginal-matching term for the generator: for every softmax block of the output (a
//! categorical column, the modes of a continuous column, a null indicator), the cross-entropy
//! between the block's target frequencies p and the batch's mean softmax q̄ = mean_r
//! softmax(logits_r), i.e. KL(p ‖ q̄) up to a constant.
//!
//! The categories generated at sampling time are drawn from softmax(logits) (the gumbel-max
//! trick), so q̄ is the generator's marginal of the block. In private mode the targets are the
//! differentially private frequencies the model keeps anyway (noisy category counts, the modes'
//! weights of the mixtures fitted from noisy histograms, noisy null rates): the term touches no
//! real row, costs no privacy, and gives the generator a noise-free signal about every column's
//! shape where the discriminator's is noisy. SDV has no such term; non-private fits leave it off
//! by default.

use tabveil_data::{
    ConditionLayout, DataTransformer, GenerationSampler, PrivateStatistics, SoftmaxRole, SpanKind,
    Table,
};

/// The target frequencies of the output's softmax blocks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MarginalTargets {
    blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
struct Block {
    start: usize,
    target: Vec<f64>,
}

/// Where the null rate of a nullable continuous column comes from.
pub(crate) enum NullRates<'a> {
    /// Exact, from the table (non-private).
    Table(&'a Table),
    /// Differentially private, from the noisy counts.
    Private(&'a PrivateStatistics),
}

impl MarginalTargets {
    /// Targets for every softmax block of `transformer`'s layout: categories from `generation`'s
    /// frequencies, modes from the mixtures' kept weights, null indicators from `nulls`.
    pub(crate) fn new(
        transformer: &DataTransformer,
        conditions: &ConditionLayout,
        generation: &GenerationSampler,
        nulls: &NullRates<'_>,
    ) -> Self {
        let layout = transformer.layout();
        let names = layout.column_names();
        let mut blocks = Vec::new();
        for span in layout.spans() {
            let name = names.get(span.column).map_or("", String::as_str);
            let target = match span.kind {
                SpanKind::Tanh => None,
                SpanKind::Softmax(SoftmaxRole::Category) => conditions
                    .columns()
                    .iter()
                    .position(|c| c.span_start == span.start)
                    .and_then(|i| generation.frequencies(i)),
                SpanKind::Softmax(SoftmaxRole::Mode) => transformer
                    .modes(name)
                    .map(|m| m.iter().map(|(w, _, _)| *w).collect()),
                SpanKind::Softmax(SoftmaxRole::NullIndicator) => {
                    null_rate(name, nulls).map(|r| vec![1.0 - r, r])
                }
            };
            if let Some(target) = target
                && target.len() == span.width
                && target.iter().all(|p| p.is_finite() && *p >= 0.0)
            {
                let total: f64 = target.iter().sum();
                if total > 0.0 {
                    blocks.push(Block {
                        start: span.start,
                        target: target.iter().map(|p| p / total).collect(),
                    });
                }
            }
        }
        MarginalTargets { blocks }
    }

    /// Σ over blocks of −Σₖ pₖ log q̄ₖ for the raw `logits` (`rows × width`), times `weight`;
    /// adds its gradient into `grad`. Returns the (weighted) loss.
    pub(crate) fn loss(&self, logits: &[f32], width: usize, weight: f64, grad: &mut [f32]) -> f64 {
        let rows = logits.len() / width.max(1);
        if rows == 0 || weight == 0.0 {
            return 0.0;
        }
        let n = rows as f64;
        let mut total = 0.0;
        let mut soft = Vec::new();
        for b in &self.blocks {
            let w = b.target.len();
            // Row softmaxes and their mean.
            soft.clear();
            soft.resize(rows * w, 0.0f64);
            let mut mean = vec![0.0f64; w];
            for r in 0..rows {
                let block = &logits[r * width + b.start..r * width + b.start + w];
                let max = block
                    .iter()
                    .fold(f64::NEG_INFINITY, |m, v| m.max(f64::from(*v)));
                let s = &mut soft[r * w..(r + 1) * w];
                let mut sum = 0.0;
                for (o, v) in s.iter_mut().zip(block) {
                    *o = (f64::from(*v) - max).exp();
                    sum += *o;
                }
                for (o, m) in s.iter_mut().zip(&mut mean) {
                    *o /= sum;
                    *m += *o / n;
                }
            }
            // −Σ p log q̄, and ∂/∂logit_{r,j} = −(1/n) s_{r,j} (p_j/q̄_j − Σ_k (p_k/q̄_k) s_{r,k}).
            let ratio: Vec<f64> = b
                .target
                .iter()
                .zip(&mean)
                .map(|(p, q)| p / q.max(1e-12))
                .collect();
            total -= b
                .target
                .iter()
                .zip(&mean)
                .map(|(p, q)| if *p > 0.0 { p * q.max(1e-12).ln() } else { 0.0 })
                .sum::<f64>();
            for r in 0..rows {
                let s = &soft[r * w..(r + 1) * w];
                let dot: f64 = s.iter().zip(&ratio).map(|(a, b)| a * b).sum();
                let g = &mut grad[r * width + b.start..r * width + b.start + w];
                for j in 0..w {
                    g[j] -= (weight * s[j] * (ratio[j] - dot) / n) as f32;
                }
            }
        }
        weight * total
    }
}

fn null_rate(name: &str, nulls: &NullRates<'_>) -> Option<f64> {
    match nulls {
        NullRates::Table(table) => {
            let col = table.column(name)?;
            let n = table.n_rows();
            (n > 0).then(|| col.null_count() as f64 / n as f64)
        }
        NullRates::Private(stats) => {
            let col = stats.column(name)?;
            let null = col.null_count?;
            let total: f64 = col.counts.iter().sum::<f64>() + null;
            (total > 0.0).then(|| null / total)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient matches central finite differences.
    #[test]
    fn gradient_matches_finite_differences() {
        let targets = MarginalTargets {
            blocks: vec![
                Block {
                    start: 1,
                    target: vec![0.2, 0.5, 0.3],
                },
                Block {
                    start: 4,
                    target: vec![0.9, 0.1],
                },
            ],
        };
        let width = 6;
        let logits: Vec<f32> = vec![
            0.3, 0.1, -0.4, 0.2, 1.0, -1.0, -0.7, 0.5, 0.5, -0.2, 0.0, 0.3, 0.0, 1.5, -0.5, 0.7,
            -0.3, 0.2,
        ];
        let mut grad = vec![0.0f32; logits.len()];
        targets.loss(&logits, width, 1.7, &mut grad);
        for i in 0..logits.len() {
            let h = 1e-3f32;
            let mut p = logits.clone();
            p[i] += h;
            let mut m = logits.clone();
            m[i] -= h;
            let mut sink = vec![0.0f32; logits.len()];
            let numeric = (targets.loss(&p, width, 1.7, &mut sink)
                - targets.loss(&m, width, 1.7, &mut sink))
                / (2.0 * f64::from(h));
            assert!(
                (numeric - f64::from(grad[i])).abs() < 1e-3,
                "{i}: numeric {numeric}, analytic {}",
                grad[i]
            );
        }
    }

    /// The loss is smallest when the batch's mean softmax equals the target.
    #[test]
    fn minimum_at_the_target() {
        let targets = MarginalTargets {
            blocks: vec![Block {
                start: 0,
                target: vec![0.25, 0.75],
            }],
        };
        let at = |a: f32| {
            let mut g = vec![0.0f32; 2];
            targets.loss(&[0.0, a], 2, 1.0, &mut g)
        };
        let best = 3f32.ln();
        assert!(at(best) < at(best + 0.2));
        assert!(at(best) < at(best - 0.2));
    }
}
