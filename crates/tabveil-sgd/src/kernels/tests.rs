use super::*;

fn sample(rows: usize, cols: usize, dtype: DType, seed: f64) -> Tensor {
    let v: Vec<f64> = (0..rows * cols)
        .map(|i| ((i as f64 + seed) * 0.7).sin())
        .collect();
    Tensor::from_vec(v, (rows, cols), &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

fn assert_close(a: &Tensor, b: &Tensor) {
    let a: Vec<f64> = a
        .flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap();
    let b: Vec<f64> = b
        .flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

#[test]
fn zero_factors_give_exact_zero_rows() {
    for dtype in [DType::F32, DType::F64] {
        let g = Tensor::new(&[[f64::NAN, 1.0], [2.0, f64::INFINITY]], &Device::Cpu)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let c = Tensor::new(&[0.0f64, 0.0], &Device::Cpu)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        for out in [
            scale_rows(&g, &c).unwrap(),
            scale_rows_generic(&g, &c).unwrap(),
        ] {
            let v: Vec<f64> = out
                .flatten_all()
                .unwrap()
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec1()
                .unwrap();
            assert_eq!(v, vec![0.0; 4]);
        }
        let s: Vec<f64> = column_sums(&g, Some(&c))
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(s, vec![0.0, 0.0]);
    }
}

#[test]
fn fused_kernels_match_candle_ops() {
    for dtype in [DType::F32, DType::F64] {
        for (rows, cols) in [(0, 3), (1, 1), (7, 13), (4, 0)] {
            let a = sample(rows, cols, dtype, 0.0);
            let b = sample(rows, cols, dtype, 1.0);
            let c = sample(rows, 1, dtype, 2.0).reshape(rows).unwrap();
            assert_close(
                &row_dots(&a, &b).unwrap(),
                &row_dots_generic(&a, &b).unwrap(),
            );
            assert_close(
                &scale_rows(&a, &c).unwrap(),
                &scale_rows_generic(&a, &c).unwrap(),
            );
            // A transposed (non-contiguous) operand goes through a copy first.
            let at = sample(cols, rows, dtype, 3.0).t().unwrap();
            assert_close(
                &row_dots(&at, &b).unwrap(),
                &row_dots_generic(&at, &b).unwrap(),
            );
            let bias = sample(1, cols, dtype, 4.0).reshape(cols).unwrap();
            let mask = sample(rows, cols, dtype, 5.0)
                .gt(0.0)
                .unwrap()
                .to_dtype(dtype)
                .unwrap()
                .affine(2.0, 0.0)
                .unwrap();
            for slope in [
                Slope::Identity,
                Slope::Piecewise { negative: 0.2 },
                Slope::Piecewise { negative: 0.0 },
            ] {
                for m in [None, Some(&mask)] {
                    let (h, f) = bias_activation(&a, &bias, slope, m).unwrap();
                    let (hg, fg) = bias_activation_generic(&a, &bias, slope, m).unwrap();
                    assert_close(&h, &hg);
                    match f {
                        Some(f) => assert_close(&f, &fg),
                        None => assert_close(&fg, &fg.ones_like().unwrap()),
                    }
                }
            }
        }
    }
}
