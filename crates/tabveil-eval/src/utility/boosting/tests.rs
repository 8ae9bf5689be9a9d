use super::binning::{BinMapper, MISSING_BIN};
use super::*;

fn features(columns: &[Vec<f64>]) -> Features {
    Features {
        n_rows: columns.first().map_or(0, Vec::len),
        n_columns: columns.len(),
        values: columns.concat(),
    }
}

/// A deterministic pseudo-random stream (SplitMix64), so the tests need no RNG crate.
fn uniform(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn few_distinct_values_bin_at_midpoints() {
    let f = features(&[vec![3.0, 1.0, 2.0, 2.0, f64::NAN]]);
    let mapper = BinMapper::fit(&f);
    assert_eq!(mapper.n_value_bins(0), 3);
    assert!(mapper.has_missing(0));
    let binned = mapper.transform(&features(&[vec![
        0.0,
        1.0,
        1.5,
        1.6,
        2.5,
        9.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]]));
    // Thresholds 1.5 and 2.5; x ≤ threshold goes to the lower bin.
    assert_eq!(binned.columns[0], [0, 0, 0, 1, 1, 2, MISSING_BIN, 2, 0]);
}

#[test]
fn many_distinct_values_bin_at_quantiles() {
    // 0, 1, …, 999: NumPy's percentile(midpoint) at k/255 of index 999.
    let values: Vec<f64> = (0..1000).map(f64::from).collect();
    let mapper = BinMapper::fit(&features(std::slice::from_ref(&values)));
    assert_eq!(mapper.n_value_bins(0), MAX_BINS);
    assert!(!mapper.has_missing(0));
    let binned = mapper.transform(&features(&[values]));
    // k = 1: index 999/255 = 3.92 → (3 + 4)/2 = 3.5, so 0…3 in bin 0 and 4 in bin 1.
    assert_eq!(&binned.columns[0][..6], &[0, 0, 0, 0, 1, 1]);
    assert_eq!(binned.columns[0][999], (MAX_BINS - 1) as u8);
    // Every bin is used and the bins are ordered like the values.
    assert!(binned.columns[0].windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn learns_a_threshold_and_an_interaction() {
    // y = (x0 > 0.5) xor (x1 > 0.5); x2 is noise.
    let n = 2000;
    let (x0, x1, x2) = (uniform(1, n), uniform(2, n), uniform(3, n));
    let y: Vec<bool> = (0..n).map(|i| (x0[i] > 0.5) != (x1[i] > 0.5)).collect();
    let train = features(&[x0, x1, x2]);
    let (t0, t1, t2) = (uniform(4, 500), uniform(5, 500), uniform(6, 500));
    let truth: Vec<bool> = (0..500).map(|i| (t0[i] > 0.5) != (t1[i] > 0.5)).collect();
    let p = fit_predict(&train, &y, &features(&[t0, t1, t2]));
    let correct = p
        .iter()
        .zip(&truth)
        .filter(|(p, t)| (**p >= 0.5) == **t)
        .count();
    assert!(correct >= 480, "{correct} of 500");
}

#[test]
fn missing_values_carry_signal() {
    // The label is "x is missing": only the missing-value bin can tell.
    let n = 400;
    let u = uniform(7, n);
    let x: Vec<f64> = u
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 3 == 0 { f64::NAN } else { *v })
        .collect();
    let y: Vec<bool> = x.iter().map(|v| v.is_nan()).collect();
    let p = fit_predict(&features(&[x]), &y, &features(&[vec![f64::NAN, 0.2, 0.9]]));
    assert!(p[0] > 0.9 && p[1] < 0.1 && p[2] < 0.1, "{p:?}");
}

#[test]
fn unseen_missing_values_follow_the_larger_child() {
    // No missing value in training: a missing test value goes where most rows went.
    let n = 300;
    let x: Vec<f64> = (0..n).map(|i| f64::from(i) / f64::from(n)).collect();
    let y: Vec<bool> = x.iter().map(|v| *v > 0.8).collect();
    let p = fit_predict(&features(&[x]), &y, &features(&[vec![f64::NAN]]));
    assert!(p[0] < 0.1, "{p:?}");
}

#[test]
fn trees_respect_the_leaf_limits() {
    let n = 5000;
    let x0 = uniform(8, n);
    let x1 = uniform(9, n);
    let noise = uniform(10, n);
    let y: Vec<bool> = (0..n)
        .map(|i| x0[i] * x1[i] + 0.3 * noise[i] > 0.4)
        .collect();
    let train = features(&[x0, x1]);
    let booster = Booster::fit(&train, &y);
    assert_eq!(booster.trees.len(), ITERATIONS);
    assert!(booster.trees.iter().all(|t| t.n_leaves() <= MAX_LEAVES));
    assert!(booster.trees.iter().any(|t| t.n_leaves() == MAX_LEAVES));
}

#[test]
fn tiny_or_constant_inputs_give_the_base_rate() {
    // Fewer rows than two leaves need: no split, every prediction is the training mean.
    let p = fit_predict(
        &features(&[vec![1.0, 2.0, 3.0, 4.0]]),
        &[true, false, false, false],
        &features(&[vec![0.0, 10.0]]),
    );
    assert!(p.iter().all(|p| (p - 0.25).abs() < 1e-12), "{p:?}");
    // A constant feature cannot split either.
    let y: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
    let p = fit_predict(&features(&[vec![5.0; 100]]), &y, &features(&[vec![5.0]]));
    assert!((p[0] - 0.25).abs() < 1e-12, "{p:?}");
    // No feature at all.
    let p = fit_predict(&features(&[]), &[], &features(&[]));
    assert!(p.is_empty());
}

#[test]
fn a_fit_is_deterministic() {
    let n = 3000;
    let x0 = uniform(11, n);
    let x1: Vec<f64> = uniform(12, n).iter().map(|v| (v * 7.0).floor()).collect();
    let y: Vec<bool> = (0..n).map(|i| x0[i] + x1[i] / 7.0 > 0.9).collect();
    let train = features(&[x0, x1]);
    let a = fit_predict(&train, &y, &train);
    let b = fit_predict(&train, &y, &train);
    assert_eq!(a, b);
}
