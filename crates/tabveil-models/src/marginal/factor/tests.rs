use super::*;

/// The sub-cell of every cell, computed the slow way (unravel, pick, ravel).
fn naive_map(attrs: &[usize], shape: &[usize], sub: &[usize]) -> Vec<u32> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut i| {
            let mut idx = vec![0; attrs.len()];
            for k in (0..attrs.len()).rev() {
                idx[k] = i % shape[k];
                i /= shape[k];
            }
            let mut j = 0;
            for (k, a) in attrs.iter().enumerate() {
                if sub.contains(a) {
                    j = j * shape[k] + idx[k];
                }
            }
            j as u32
        })
        .collect()
}

#[test]
fn projection_maps_match_the_slow_computation() {
    let attrs = [1, 3, 4, 7];
    let shape = [2, 3, 1, 4];
    for sub in [
        vec![],
        vec![1],
        vec![3],
        vec![7],
        vec![1, 4],
        vec![3, 7],
        vec![1, 3, 4, 7],
    ] {
        assert_eq!(
            projection_map(&attrs, &shape, &sub),
            naive_map(&attrs, &shape, &sub),
            "{sub:?}"
        );
    }
    assert_eq!(projection_map(&[], &[], &[]), vec![0]);
}

#[test]
fn sums_and_log_sums_agree() {
    let sizes = [2, 3, 4];
    let values: Vec<f64> = (0..24).map(|i| (i as f64 * 0.37).sin()).collect();
    let f = Factor::from_values(&[0, 1, 2], &sizes, values.clone()).unwrap();
    for sub in [vec![0], vec![1], vec![0, 2], vec![]] {
        let summed = f.sum_onto(&sub, &sizes);
        let map = projection_map(&f.attrs, &f.shape, &sub);
        let mut slow = vec![0.0; summed.values.len()];
        for (v, &j) in values.iter().zip(&map) {
            slow[j as usize] += v;
        }
        for (a, b) in summed.values.iter().zip(&slow) {
            assert!((a - b).abs() < 1e-12);
        }
        let mut log = vec![0.0; summed.values.len()];
        logsumexp_onto(&values, &map, &mut log);
        let mut slow = vec![0.0; summed.values.len()];
        for (v, &j) in values.iter().zip(&map) {
            slow[j as usize] += v.exp();
        }
        for (a, b) in log.iter().zip(&slow) {
            assert!((a - b.ln()).abs() < 1e-12);
        }
    }
    assert!((logsumexp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-9);
    assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
}

#[test]
fn products_divisions_and_slices() {
    let sizes = [2, 3];
    let a = Factor::from_values(&[0], &sizes, vec![1.0, 2.0]).unwrap();
    let b = Factor::from_values(&[1], &sizes, vec![1.0, 10.0, 100.0]).unwrap();
    let ab = a.product(&b, &sizes);
    assert_eq!(ab.attrs, vec![0, 1]);
    assert_eq!(ab.values, vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
    let mut back = ab.clone();
    back.divide_by(&b);
    assert_eq!(back.values, vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    let s = ab.slice(1, 2);
    assert_eq!(s.shape, vec![2, 1]);
    assert_eq!(s.values, vec![100.0, 200.0]);
    let s = ab.slice(0, 1);
    assert_eq!(s.values, vec![2.0, 20.0, 200.0]);
    let zero = Factor::from_values(&[1], &sizes, vec![0.0, 1.0, 1.0]).unwrap();
    let mut q = ab.clone();
    q.divide_by(&zero);
    assert_eq!(q.values[0], 0.0);
    assert!(Factor::from_values(&[0], &sizes, vec![1.0]).is_none());
}

#[test]
fn set_operations() {
    assert_eq!(union(&[1, 4, 6], &[2, 4, 7]), vec![1, 2, 4, 6, 7]);
    assert_eq!(intersection(&[1, 4, 6], &[2, 4, 6]), vec![4, 6]);
    assert!(is_subset(&[4], &[1, 4]));
    assert!(!is_subset(&[3], &[1, 4]));
    assert_eq!(cells(&[0, 2], &[3, 5, 7]), 21);
    assert_eq!(cells(&[], &[3]), 1);
}
