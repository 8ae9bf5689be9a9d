//! [`Adam`]: PyTorch's `torch.optim.Adam`, with *coupled* L2 weight decay, as a Candle

use candle_core::backprop::GradStore;
use candle_core::{DType, Tensor, Var};
use candle_nn::Optimizer;
use serde::{Deserialize, Serialize};

use crate::error::SgdError;
use crate::kernels::Real;

/// Hyper-parameters of [`Adam`], named as in PyTorch.
///
/// # Defaults
/// PyTorch's: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8, `weight_decay` 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParamsAdam {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
    /// Coupled L2 penalty: λθ is added to the gradient.
    pub weight_decay: f64,
}

impl Default for ParamsAdam {
    fn default() -> Self {
        ParamsAdam {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl ParamsAdam {
    /// The settings `lr`, `betas` = (β₁, β₂) and `weight_decay`, with PyTorch's default ε.
    pub fn new(lr: f64, betas: (f64, f64), weight_decay: f64) -> Self {
        ParamsAdam {
            lr,
            beta1: betas.0,
            beta2: betas.1,
            weight_decay,
            ..Self::default()
        }
    }

    /// CTGAN's optimizer for both networks: lr 2e-4, betas (0.5, 0.9), weight decay 1e-6.
    pub fn ctgan() -> Self {
        ParamsAdam {
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.9,
            weight_decay: 1e-6,
            ..Self::default()
        }
    }

    /// TVAE's optimizer: lr 1e-3, default betas, weight decay (`l2scale`) 1e-5.
    pub fn tvae() -> Self {
        ParamsAdam {
            weight_decay: 1e-5,
            ..Self::default()
        }
    }

    /// Checks the values (PyTorch's own checks).
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] unless lr ≥ 0, β₁, β₂ ∈ [0, 1), ε ≥ 0 and
    /// weight_decay ≥ 0, all finite.
    pub fn check(&self) -> Result<(), SgdError> {
        let checks: [(&'static str, f64, bool, &'static str); 5] = [
            ("lr", self.lr, self.lr >= 0.0, "finite and ≥ 0"),
            (
                "beta1",
                self.beta1,
                (0.0..1.0).contains(&self.beta1),
                "in [0, 1)",
            ),
            (
                "beta2",
                self.beta2,
                (0.0..1.0).contains(&self.beta2),
                "in [0, 1)",
            ),
            ("eps", self.eps, self.eps >= 0.0, "finite and ≥ 0"),
            (
                "weight_decay",
                self.weight_decay,
                self.weight_decay >= 0.0,
                "finite and ≥ 0",
            ),
        ];
        for (parameter, value, ok, expected) in checks {
            if !(ok && value.is_finite()) {
                return Err(SgdError::InvalidParameter {
                    parameter,
                    value,
                    expected,
                });
            }
        }
        Ok(())
    }
}

/// PyTorch's Adam with coupled L2 weight decay.
///
/// optimizer.
///
/// Candle's `AdamW` applies decoupled decay only; CTGAN and TVAE use PyTorch's `Adam` with
/// `weight_decay`, which adds λθ to the gradient before the moments. This implementation
/// follows `torch.optim.adam._single_tensor_adam` operation by operation (same order, scalars
/// computed in f64 as Python does, element arithmetic in the parameter's dtype):
///
/// ```text
/// g ← g + λθ;  m ← lerp(m, g, 1 − β₁);  v ← β₂v + (1 − β₂)g²
/// θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// with a step count t per parameter (a parameter without a gradient in a step is skipped, as
/// in PyTorch). The update is one fused host loop per parameter instead of Candle's dozen
/// tensor ops (`notes/candle.md` §3); on a GPU the parameter and gradient are copied to the
/// host and back.
///
/// # Example
/// ```
/// use candle_core::backprop::GradStore;
/// use candle_core::{Device, Tensor, Var};
/// use candle_nn::Optimizer;
/// use tabveil_sgd::{Adam, ParamsAdam};
///
/// let w = Var::from_tensor(&Tensor::new(&[1.0f64, -2.0], &Device::Cpu)?)?;
/// let mut adam = Adam::new(vec![w.clone()], ParamsAdam::ctgan())?;
/// let mut grads = GradStore::default();
/// grads.insert(w.as_tensor(), Tensor::new(&[0.5f64, 0.5], &Device::Cpu)?);
/// adam.step(&grads)?;
/// // The first Adam step moves each coordinate by about lr against the gradient's sign.
/// let v = w.to_vec1::<f64>()?;
/// assert!((v[0] - (1.0 - 2e-4)).abs() < 1e-8);
/// # Ok::<(), candle_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Adam {
    vars: Vec<Var>,
    state: Vec<AdamState>,
    params: ParamsAdam,
}

#[derive(Debug)]
struct AdamState {
    step: u64,
    moments: Moments,
}

#[derive(Debug)]
enum Moments {
    F32 { m: Vec<f32>, v: Vec<f32> },
    F64 { m: Vec<f64>, v: Vec<f64> },
}

impl Adam {
    /// The hyper-parameters.
    pub fn params(&self) -> &ParamsAdam {
        &self.params
    }

    /// The variables, in the order given at construction.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }
}

impl Optimizer for Adam {
    type Config = ParamsAdam;

    /// Adam over `vars` (floating-point f32/f64 variables; others are ignored, as by Candle's
    /// optimizers).
    fn new(vars: Vec<Var>, config: ParamsAdam) -> candle_core::Result<Self> {
        config.check().map_err(candle_core::Error::wrap)?;
        let vars: Vec<Var> = vars
            .into_iter()
            .filter(|v| matches!(v.dtype(), DType::F32 | DType::F64))
            .collect();
        let state = vars
            .iter()
            .map(|v| {
                let n = v.elem_count();
                AdamState {
                    step: 0,
                    moments: match v.dtype() {
                        DType::F32 => Moments::F32 {
                            m: vec![0.0; n],
                            v: vec![0.0; n],
                        },
                        _ => Moments::F64 {
                            m: vec![0.0; n],
                            v: vec![0.0; n],
                        },
                    },
                }
            })
            .collect();
        Ok(Adam {
            vars,
            state,
            params: config,
        })
    }

    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        for (var, state) in self.vars.iter().zip(self.state.iter_mut()) {
            let Some(grad) = grads.get(var.as_tensor()) else {
                continue;
            };
            if grad.dims() != var.dims() {
                return Err(candle_core::Error::wrap(SgdError::ShapeMismatch {
                    what: "gradient given to Adam".to_owned(),
                    expected: var.dims().to_vec(),
                    actual: grad.dims().to_vec(),
                }));
            }
            state.step += 1;
            let scalars = Scalars::new(&self.params, state.step);
            let updated = match &mut state.moments {
                Moments::F32 { m, v } => update::<f32>(var, grad, m, v, &scalars)?,
                Moments::F64 { m, v } => update::<f64>(var, grad, m, v, &scalars)?,
            };
            var.set(&updated)?;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }
}

/// The per-step scalars, computed in f64 as PyTorch computes them in Python.
struct Scalars {
    weight_decay: f64,
    lerp_weight: f64,
    beta2: f64,
    one_minus_beta2: f64,
    step_size: f64,
    bias_correction2_sqrt: f64,
    eps: f64,
}

impl Scalars {
    fn new(p: &ParamsAdam, step: u64) -> Self {
        let t = step as f64;
        let bias_correction1 = 1.0 - p.beta1.powf(t);
        let bias_correction2 = 1.0 - p.beta2.powf(t);
        Scalars {
            weight_decay: p.weight_decay,
            lerp_weight: 1.0 - p.beta1,
            beta2: p.beta2,
            one_minus_beta2: 1.0 - p.beta2,
            step_size: p.lr / bias_correction1,
            bias_correction2_sqrt: bias_correction2.sqrt(),
            eps: p.eps,
        }
    }
}

/// One fused Adam update of `var`; returns the new value.
fn update<T: Real>(
    var: &Var,
    grad: &Tensor,
    m: &mut [T],
    v: &mut [T],
    s: &Scalars,
) -> candle_core::Result<Tensor> {
    let mut theta = var.as_tensor().flatten_all()?.to_vec1::<T>()?;
    let g = grad.to_dtype(var.dtype())?.flatten_all()?.to_vec1::<T>()?;
    let wd = T::from_f64(s.weight_decay);
    let w = T::from_f64(s.lerp_weight);
    let one_minus_w = T::from_f64(1.0 - s.lerp_weight);
    let small_weight = s.lerp_weight.abs() < 0.5;
    let beta2 = T::from_f64(s.beta2);
    let one_minus_beta2 = T::from_f64(s.one_minus_beta2);
    let neg_step = T::from_f64(-s.step_size);
    let bc2 = T::from_f64(s.bias_correction2_sqrt);
    let eps = T::from_f64(s.eps);
    let decay = s.weight_decay != 0.0;
    for (((th, &gi), mi), vi) in theta.iter_mut().zip(&g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let gi = if decay { gi + wd * *th } else { gi };
        // torch.lerp(m, g, w): m + w(g − m) for |w| < 0.5, else g − (g − m)(1 − w).
        let diff = gi - *mi;
        *mi = if small_weight {
            *mi + w * diff
        } else {
            gi - diff * one_minus_w
        };
        *vi = *vi * beta2 + one_minus_beta2 * gi * gi;
        let denom = vi.sqrt() / bc2 + eps;
        *th += neg_step * (*mi / denom);
    }
    Tensor::from_vec(theta, var.shape(), var.device())
}
