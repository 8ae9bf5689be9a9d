//! The white-box audit seam (issue 15): separate examples are clipped exactly as a batch of
//! all examples would be, canaries are split off the sampler's indices, and an observer sees
//! each release — the noisy mean plus public terms — once per step taken, never for a refused
//! step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failure should abort the test"
)]

use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Tensor};
use tabveil_accountant::{AccountantSpec, PrivacyLedger};
use tabveil_sgd::{
    Adam, DiracCanaries, DpOptimizer, DpSgdConfig, GhostBatch, Gradients, ParamsAdam,
    PrivacyBudget, Release, ReleaseObserver, SgdError, StepOutcome,
};

fn t(v: &[f64], rows: usize, cols: usize) -> Tensor {
    Tensor::from_vec(v.to_vec(), (rows, cols), &Device::Cpu).unwrap()
}

/// Two shared examples on a weight, two separate ones on their own parameter: the norms are
/// those of four examples with disjoint supports, and each sum is Σ min(1, C/‖gᵢ‖) gᵢ.
#[test]
fn separate_examples_clip_like_the_union() {
    let mut batch = GhostBatch::new();
    // Weight (1 × 2): per-example gradient gᵢ aᵢ; norms 5 and 1.
    batch
        .add_weight_use("w", &t(&[3.0, 4.0, 0.0, 1.0], 2, 2), &t(&[1.0, 1.0], 2, 1))
        .unwrap();
    // Separate parameter of 3 coordinates, recorded as two terms that add up: norms 4 and 0.5.
    batch
        .add_separate_examples("c", &t(&[2.0, 0.0, 0.0, 0.0, 0.25, 0.0], 2, 3))
        .unwrap();
    batch
        .add_separate_examples("c", &t(&[2.0, 0.0, 0.0, 0.0, 0.25, 0.0], 2, 3))
        .unwrap();
    assert_eq!(batch.batch_size().unwrap(), Some(4));
    let norms = batch.per_example_norms().unwrap().to_vec1::<f64>().unwrap();
    assert_eq!(norms, vec![5.0, 1.0, 4.0, 0.5]);
    let clipped = batch.clip(2.0).unwrap();
    assert_eq!(clipped.batch_size(), 4);
    let w = clipped
        .private_sums()
        .get("w")
        .unwrap()
        .to_vec2::<f64>()
        .unwrap();
    // 2/5·(3, 4) + (0, 1).
    assert!((w[0][0] - 1.2).abs() < 1e-12 && (w[0][1] - 2.6).abs() < 1e-12);
    let c = clipped
        .private_sums()
        .get("c")
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    // Clipped to norm 2 (the factor is rounded down by a few units of f64: never above 2).
    assert!(c[0] <= 2.0 && (c[0] - 2.0).abs() < 1e-12);
    assert_eq!(&c[1..], &[0.5, 0.0]);
    // The unclipped sum holds them too.
    let plain = batch.sum().unwrap();
    assert_eq!(
        plain.get("c").unwrap().to_vec1::<f64>().unwrap(),
        vec![4.0, 0.5, 0.0]
    );
}

#[test]
fn separate_examples_alone_or_none() {
    let mut only = GhostBatch::new();
    only.add_separate_examples("c", &t(&[3.0, 4.0], 1, 2))
        .unwrap();
    let c = only.clip(1.0).unwrap();
    let v = c.private_sums().get("c").unwrap().to_vec1::<f64>().unwrap();
    assert!((v[0] - 0.6).abs() < 1e-12 && (v[1] - 0.8).abs() < 1e-12);
    // No separate example drawn this step: a zero sum, so the coordinates still get noise.
    let mut none = GhostBatch::new();
    none.add_weight_use("w", &t(&[1.0, 1.0], 1, 2), &t(&[1.0], 1, 1))
        .unwrap();
    none.add_separate_examples(
        "c",
        &Tensor::zeros((0, 2), DType::F64, &Device::Cpu).unwrap(),
    )
    .unwrap();
    let c = none.clip(1.0).unwrap();
    assert_eq!(c.batch_size(), 1);
    assert_eq!(
        c.private_sums().get("c").unwrap().to_vec1::<f64>().unwrap(),
        vec![0.0, 0.0]
    );
}

#[test]
fn separate_parameters_take_no_other_contribution() {
    let mut batch = GhostBatch::new();
    batch
        .add_separate_examples("c", &t(&[1.0, 0.0], 1, 2))
        .unwrap();
    assert!(matches!(
        batch.add_per_example("c", &t(&[1.0, 0.0], 1, 2)),
        Err(SgdError::MixedContributions { .. })
    ));
    assert!(matches!(
        batch.add_bias_use("c", &t(&[1.0, 0.0], 1, 2)),
        Err(SgdError::MixedContributions { .. })
    ));
    batch.add_bias_use("b", &t(&[1.0], 1, 1)).unwrap();
    assert!(matches!(
        batch.add_separate_examples("b", &t(&[1.0], 1, 1)),
        Err(SgdError::MixedContributions { .. })
    ));
    // Every separate parameter belongs to the same k examples.
    assert!(matches!(
        batch.add_separate_examples("d", &t(&[1.0, 0.0, 0.0, 1.0], 2, 2)),
        Err(SgdError::BatchSizeMismatch { .. })
    ));
}

#[test]
fn canaries_validate_and_split() {
    let dev = Device::Cpu;
    assert!(DiracCanaries::new("c", 0, vec![], 1.0, DType::F32, &dev).is_err());
    assert!(DiracCanaries::new("c", 3, vec![3], 1.0, DType::F32, &dev).is_err());
    assert!(DiracCanaries::new("c", 3, vec![1, 1], 1.0, DType::F32, &dev).is_err());
    assert!(DiracCanaries::new("c", 3, vec![1], f64::NAN, DType::F32, &dev).is_err());
    let c = DiracCanaries::new("c", 5, vec![4, 1], 2.0, DType::F64, &dev).unwrap();
    assert_eq!(c.extra_rows(), 2);
    let (real, canaries) = c.split(vec![0, 3, 5, 6], 5);
    assert_eq!(real, vec![0, 3]);
    assert_eq!(canaries, vec![0, 1]);
    let mut batch = GhostBatch::new();
    c.record(&canaries, 0.5, &mut batch).unwrap();
    let sum = batch.sum().unwrap();
    // Sorted ids: position 0 is canary 1, position 1 canary 4; 0.5 · 2.0 each.
    assert_eq!(
        sum.get("c").unwrap().to_vec1::<f64>().unwrap(),
        vec![0.0, 1.0, 0.0, 0.0, 1.0]
    );
    assert!(c.record(&[2], 1.0, &mut GhostBatch::new()).is_err());
}

/// (step, canary coordinates, q·N) of each release.
type Log = Arc<Mutex<Vec<(u64, Vec<f64>, f64)>>>;

#[derive(Debug, Default)]
struct Seen(Log);

impl ReleaseObserver for Seen {
    fn observe(&mut self, release: &Release<'_>) -> tabveil_sgd::Result<()> {
        let c = release.gradients.get("c").unwrap().to_vec1::<f64>()?;
        self.0
            .lock()
            .unwrap()
            .push((release.step, c, release.expected_batch_size));
        Ok(())
    }
}

/// Without noise (an unaccounted budget) the observer sees exactly clipped sum / (q·N); with a
/// budget it sees one release per step taken and none for the refused step.
#[test]
fn observer_sees_each_release_once() {
    let dev = Device::Cpu;
    let canaries = DiracCanaries::new("c", 3, vec![0, 2], 4.0, DType::F64, &dev).unwrap();
    let config = DpSgdConfig::new(1.0, 0.0, 0.5, 8); // q·N = 4
    let mut opt = DpOptimizer::<Adam>::new(
        config,
        vec![canaries.parameter()],
        ParamsAdam::default(),
        PrivacyBudget::dangerous_unaccounted(),
    )
    .unwrap();
    let seen = Seen::default();
    let log = Arc::clone(&seen.0);
    opt.set_release_observer(Box::new(seen));
    let mut batch = GhostBatch::new();
    canaries.record(&[0, 1], 1.0, &mut batch).unwrap();
    let mut public = Gradients::new();
    public.insert("c", Tensor::new(&[0.0f64, 1.0, 0.0], &dev).unwrap());
    assert!(
        opt.step(&batch.clip(1.0).unwrap(), Some(&public))
            .unwrap()
            .is_applied()
    );
    let got = log.lock().unwrap().clone();
    // Clipped to 1 each (to a few units of f64, never above), over q·N = 4, plus the public
    // term.
    assert_eq!(got.len(), 1);
    let (step, gradient, normaliser) = &got[0];
    assert_eq!((*step, *normaliser), (1, 4.0));
    for (g, want) in gradient.iter().zip([0.25, 1.0, 0.25]) {
        assert!((g - want).abs() < 1e-12, "{gradient:?}");
    }

    // An accounted budget that allows a few steps: releases numbered 1..=k, then a refusal.
    let canaries = DiracCanaries::new("c", 3, vec![1], 1.0, DType::F64, &dev).unwrap();
    let budget =
        PrivacyBudget::new(PrivacyLedger::new(), 4.0, 1e-5, AccountantSpec::rdp()).unwrap();
    let config = DpSgdConfig::new(1.0, 2.0, 0.5, 8);
    let mut opt = DpOptimizer::<Adam>::new(
        config,
        vec![canaries.parameter()],
        ParamsAdam::default(),
        budget,
    )
    .unwrap();
    let seen = Seen::default();
    let log = Arc::clone(&seen.0);
    opt.set_release_observer(Box::new(seen));
    let mut taken = 0;
    loop {
        let mut batch = GhostBatch::new();
        canaries.record(&[0], 1.0, &mut batch).unwrap();
        match opt.step(&batch.clip(1.0).unwrap(), None).unwrap() {
            StepOutcome::Applied { steps_taken } => taken = steps_taken,
            StepOutcome::BudgetExhausted { .. } => break,
        }
    }
    let got = log.lock().unwrap();
    assert!(taken >= 1);
    assert_eq!(got.len() as u64, taken);
    assert!(got.iter().enumerate().all(|(i, r)| r.0 == i as u64 + 1));
    assert!(opt.take_release_observer().is_some());
}
