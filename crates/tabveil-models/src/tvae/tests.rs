use std::ops::ControlFlow;

use candle_core::{DType, Device, Tensor, Var};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tabveil_data::{ColumnSchema, DataTransformer, DataTransformerConfig, Schema, Table, Value};

use super::networks::{SIGMA, VaeNets, standard_normal};
use super::*;
use crate::error::ModelError;
use crate::nn::activation::SpanAct;
use crate::privacy::DpConfig;
use crate::privacy::Privacy;
use crate::progress::{EpochReport, NoProgress, Progress, StepReport, StopReason};
use crate::synthesizer::{Condition, Synthesizer};

/// 240 rows: a bimodal continuous column tied to a categorical one, a nullable categorical, a
/// nullable continuous column (nulls in a continuous column) and a nullable categorical that
/// is never null.
fn tiny() -> (Schema, Table) {
    let schema = Schema::new(
        "tiny",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
            ColumnSchema::categorical("c", ["a", "b", "c"]),
            ColumnSchema::categorical("d", ["u", "v"]).nullable(),
            ColumnSchema::continuous("y", Some(-5.0), Some(5.0)).nullable(),
            ColumnSchema::categorical("k", ["p", "q"]).nullable(),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..240)
        .map(|i| {
            let c = ["a", "b", "c"][i % 3];
            let x = if c == "a" { 10.0 } else { 80.0 } + (i % 7) as f64;
            let d = if i % 5 == 0 {
                Value::Null
            } else {
                Value::from(if i % 2 == 0 { "u" } else { "v" })
            };
            let y = if i % 4 == 0 {
                Value::Null
            } else {
                Value::Number((i % 9) as f64 - 4.0)
            };
            let k = Value::from(if i % 3 == 1 { "q" } else { "p" });
            vec![Value::Number(x), Value::from(c), d, y, k]
        })
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    (schema, table)
}

fn small(privacy: Privacy) -> ValidTvaeConfig {
    TvaeConfig::new(privacy)
        .with_epochs(4)
        .with_batch_size(50)
        .with_dims(vec![16, 16], vec![16, 16])
        .with_embedding_dim(8)
        .with_seed(5)
        .check()
        .unwrap()
}

/// SDV's epochs on the tiny table with small networks: long enough to learn its links.
fn trained_config() -> ValidTvaeConfig {
    TvaeConfig::new(Privacy::NonPrivate)
        .with_epochs(300)
        .with_batch_size(50)
        .with_dims(vec![32, 32], vec![32, 32])
        .with_embedding_dim(8)
        .with_seed(5)
        .check()
        .unwrap()
}

fn dp(noise_seed: u64) -> Privacy {
    Privacy::Dp(DpConfig::new(3.0, 1e-6).dangerous_noise_seed(noise_seed))
}

/// Records epoch reports.
#[derive(Default)]
struct Record {
    epochs: Vec<EpochReport>,
    steps: Vec<StepReport>,
    stop_after_steps: Option<u64>,
}

impl Progress for Record {
    fn step(&mut self, report: &StepReport) -> ControlFlow<()> {
        self.steps.push(report.clone());
        match self.stop_after_steps {
            Some(s) if report.step >= s => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }

    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        self.epochs.push(report.clone());
        ControlFlow::Continue(())
    }
}

#[test]
fn non_private_fit_samples_is_reproducible_and_learns() {
    let (schema, table) = tiny();
    let config = trained_config();
    let mut m = Tvae::new(config.clone());
    let mut record = Record::default();
    let summary = m.fit(&table, &schema, &mut record).unwrap();
    assert_eq!(summary.stop, StopReason::Completed);
    assert_eq!(summary.epochs, 300);
    // 240 rows in batches of 50: 4 full batches and one of 40 (drop_last = false).
    assert_eq!(summary.steps, 300 * 5);
    assert_eq!(record.steps.len(), 1500);
    let first = record.epochs[0].losses.get("loss").unwrap();
    let last = record.epochs[299].losses.get("loss").unwrap();
    assert!(last < first - 1.0, "loss {first} → {last}");
    let rec = record.epochs[299].losses.get("reconstruction").unwrap();
    let kld = record.epochs[299].losses.get("kld").unwrap();
    assert!((rec + kld - last).abs() < 1e-9 * last.abs().max(1.0));
    // σ stays within its bounds.
    assert!(
        m.sigma()
            .unwrap()
            .iter()
            .all(|s| (f64::from(0.01f32)..=1.0).contains(s))
    );

    let s = m.sample(300, 1).unwrap();
    assert_eq!(s.n_rows(), 300);
    // Nulls of the continuous column and of the nullable categorical survive.
    let y = s.column("y").unwrap();
    let nulls = (0..300).filter(|&i| y.is_null(i)).count();
    assert!(nulls > 20 && nulls < 150, "{nulls} nulls in y");
    // `c` = "a" goes with x near 10, the others with x near 80: the model learned the link.
    let c = s.column("c").unwrap().as_categorical().unwrap().to_vec();
    let x = s.column("x").unwrap().as_continuous().unwrap().to_vec();
    let agree = c
        .iter()
        .zip(&x)
        .filter(|(c, x)| (**c == 0) == (**x < 45.0))
        .count();
    assert!(agree > 240, "{agree} of 300 rows keep the c–x link");

    // Same seeds: bit-identical fit and samples; sampling is a prefix.
    let mut again = Tvae::new(config);
    again.fit(&table, &schema, &mut NoProgress).unwrap();
    assert_eq!(again.to_bytes().unwrap(), m.to_bytes().unwrap());
    assert_eq!(again.sample(300, 1).unwrap(), s);
    let longer = m.sample(700, 1).unwrap();
    let prefix: Vec<usize> = (0..300).collect();
    assert_eq!(longer.select_rows(&prefix).unwrap(), s);
    assert_ne!(m.sample(300, 2).unwrap(), s);
}

#[test]
fn argmax_and_softmax_sampling_differ_on_the_same_model() {
    let (schema, table) = tiny();
    let mut m = Tvae::new(small(Privacy::NonPrivate));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    let soft = m.sample(400, 3).unwrap();
    let mut arg = m.clone().with_sampling(TvaeSampling::Argmax);
    let hard = arg.sample(400, 3).unwrap();
    assert_ne!(soft, hard);
    // Argmax decoding is a function of z alone for the blocks: categories are the decoder's
    // argmax. Switching back gives the softmax draws again.
    arg.set_sampling(TvaeSampling::Softmax);
    assert_eq!(arg.sample(400, 3).unwrap(), soft);
}

#[test]
fn conditional_sampling_honours_every_condition() {
    let (schema, table) = tiny();
    let mut m = Tvae::new(trained_config());
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    // Argmax decoding rarely yields a minority value (20 % nulls in `d`): ask it for the
    // majority one.
    for (mode, d_value) in [
        (TvaeSampling::Softmax, None),
        (TvaeSampling::Argmax, Some("v")),
    ] {
        m.set_sampling(mode);
        let conditions = [
            Condition::new("c", "b"),
            Condition {
                column: "d".into(),
                value: d_value.map(str::to_owned),
            },
        ];
        let s = m.sample_conditional(50, &conditions, 9).unwrap();
        assert_eq!(s.n_rows(), 50);
        let c = s.column("c").unwrap();
        let d = s.column("d").unwrap();
        for i in 0..50 {
            assert_eq!(c.as_categorical().unwrap()[i], 1);
            match d_value {
                None => assert!(d.is_null(i)),
                Some(_) => assert_eq!(d.as_categorical().unwrap()[i], 1),
            }
        }
        // Reproducible.
        assert_eq!(m.sample_conditional(50, &conditions, 9).unwrap(), s);
    }
}

#[test]
fn conditional_sampling_errors_are_typed() {
    let (schema, table) = tiny();
    let config = TvaeConfig::new(Privacy::NonPrivate)
        .with_epochs(40)
        .with_batch_size(60)
        .with_dims(vec![16], vec![16])
        .with_embedding_dim(4)
        .with_sampling(TvaeSampling::Argmax)
        .check()
        .unwrap();
    let mut m = Tvae::new(config);
    assert!(matches!(
        m.sample_conditional(1, &[Condition::new("c", "a")], 0),
        Err(ModelError::NotFitted)
    ));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    assert!(matches!(
        m.sample_conditional(1, &[], 0),
        Err(ModelError::NoConditions)
    ));
    assert!(matches!(
        m.sample_conditional(1, &[Condition::new("c", "a"), Condition::new("c", "b")], 0),
        Err(ModelError::DuplicateCondition { .. })
    ));
    for bad in [
        Condition::new("nope", "a"),
        Condition::new("x", "a"),
        Condition::new("c", "zzz"),
        Condition::missing("c"),
    ] {
        assert!(
            matches!(
                m.sample_conditional(1, std::slice::from_ref(&bad), 0),
                Err(ModelError::Data(_))
            ),
            "{bad:?}"
        );
    }
    // `k` is nullable but never null in the data: its decoder never puts the null slot first,
    // so argmax sampling cannot meet the condition.
    match m.sample_conditional(5, &[Condition::missing("k")], 0) {
        Err(ModelError::ConditionTooRare {
            requested,
            accepted,
            generated,
        }) => {
            assert_eq!((requested, accepted), (5, 0));
            assert_eq!(generated, 20_000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_before_and_after_fitting() {
    let (schema, table) = tiny();
    let m = Tvae::new(small(Privacy::NonPrivate));
    assert!(matches!(m.sample(1, 0), Err(ModelError::NotFitted)));
    assert!(matches!(m.to_bytes(), Err(ModelError::NotFitted)));
    assert!(m.sigma().is_err());
    let empty = table.select_rows(&[]).unwrap();
    let mut m = Tvae::new(small(Privacy::NonPrivate));
    assert!(matches!(
        m.fit(&empty, &schema, &mut NoProgress),
        Err(ModelError::EmptyTable)
    ));
}

#[test]
fn private_fit_stays_within_budget_records_everything_and_reports_no_loss() {
    let (schema, table) = tiny();
    let mut m = Tvae::new(small(dp(11)));
    let mut record = Record::default();
    let summary = m.fit(&table, &schema, &mut record).unwrap();
    let private = summary.private.clone().unwrap();
    assert!(private.epsilon_spent <= 3.0, "{}", private.epsilon_spent);
    assert_eq!(private.releases, summary.steps);
    assert_eq!(private.releases, private.planned_releases);
    assert_eq!(summary.stop, StopReason::Completed);
    assert_eq!(summary.epochs, 4);
    let ledger = m.ledger().unwrap();
    let training: u64 = ledger
        .entries()
        .iter()
        .filter(|e| e.label().contains("TVAE step"))
        .map(|e| e.event().steps())
        .sum();
    assert_eq!(training, summary.steps);
    assert!(
        ledger.entries().len() > 1,
        "preprocessing releases recorded"
    );
    // Private progress: no loss on real rows, ε after each epoch, non-decreasing.
    assert!(record.steps.iter().all(|s| s.losses.iter().count() == 0));
    assert_eq!(record.epochs.len(), 4);
    let eps: Vec<f64> = record
        .epochs
        .iter()
        .map(|e| e.epsilon_spent.unwrap())
        .collect();
    assert!(eps.windows(2).all(|w| w[0] <= w[1]));
    for e in &record.epochs {
        let names: Vec<&str> = e.losses.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["sigma_mean"]);
    }
    assert_eq!(m.sample(50, 0).unwrap().n_rows(), 50);
}

#[test]
fn private_fit_is_bit_reproducible_with_both_seeds() {
    let (schema, table) = tiny();
    let fit = |noise_seed| {
        let mut m = Tvae::new(small(dp(noise_seed)));
        m.fit(&table, &schema, &mut NoProgress).unwrap();
        m
    };
    let (a, b, c) = (fit(21), fit(21), fit(22));
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    assert_eq!(a.sample(100, 4).unwrap(), b.sample(100, 4).unwrap());
    assert_ne!(a.sample(100, 4).unwrap(), c.sample(100, 4).unwrap());
}

#[test]
fn private_fit_can_be_cancelled_and_the_ledger_stays_true() {
    let (schema, table) = tiny();
    let mut m = Tvae::new(small(dp(3)));
    let mut record = Record {
        stop_after_steps: Some(2),
        ..Record::default()
    };
    let summary = m.fit(&table, &schema, &mut record).unwrap();
    assert_eq!(summary.stop, StopReason::Cancelled);
    assert_eq!(summary.steps, 2);
    let training: u64 = m
        .ledger()
        .unwrap()
        .entries()
        .iter()
        .filter(|e| e.label().contains("TVAE step"))
        .map(|e| e.event().steps())
        .sum();
    assert_eq!(training, 2);
}

#[test]
fn private_mode_needs_public_bounds() {
    let schema = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::categorical("c", ["a", "b"]),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..200)
        .map(|i| vec![Value::Number(i as f64), Value::from("a")])
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    let mut m = Tvae::new(small(dp(1)));
    assert!(matches!(
        m.fit(&table, &schema, &mut NoProgress),
        Err(ModelError::Data(_))
    ));
    assert!(!m.is_fitted());
}

// ----- per-example gradients against a materialised reference --------------------------------

/// The DP-TVAE step's per-example gradient norms and clipped sum (book-keeping over the
/// encoder and decoder, σ's rows materialised) equal those of B separate autograd passes, one
/// per example, of the loss written independently with Candle ops (f64, tiny networks, a layout
/// with scalars, mode blocks, a null indicator and categories).
#[test]
fn per_example_gradients_match_separate_backward_passes() {
    let (schema, table) = tiny();
    let transformer =
        DataTransformer::fit(&table, &schema, &DataTransformerConfig::default()).unwrap();
    let layout = transformer.layout();
    assert!(layout.width() > 10);
    let b = 7;
    let rows: Vec<usize> = (0..b).map(|i| i * 31 + 2).collect();
    let encoded = transformer.transform(&table, 3).unwrap();
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&r| encoded.row(r).iter().map(|v| f64::from(*v)))
        .collect();
    for (compress, decompress) in [(vec![5, 4], vec![6]), (vec![], vec![])] {
        let config = TvaeConfig::new(Privacy::NonPrivate)
            .with_dims(compress.clone(), decompress)
            .with_embedding_dim(3);
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let nets = VaeNets::new(&config, layout, DType::F64, &Device::Cpu, &mut rng).unwrap();
        // A σ that is not constant, so each entry's gradient is distinct.
        let d = layout.width();
        let sig: Vec<f64> = (0..d).map(|j| 0.05 + 0.03 * (j % 5) as f64).collect();
        nets.sigma
            .set(&Tensor::from_vec(sig, d, &Device::Cpu).unwrap())
            .unwrap();
        let eps = standard_normal::<f64, _>(b * 3, &mut rng);
        let factor = 2.0;
        let (record, _) = nets.batch_gradients(&x, &eps, b, factor, 1.0).unwrap();
        let norms = record
            .per_example_norms()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();

        let params = nets.parameters();
        let per_example: Vec<Vec<(String, Vec<f64>)>> = (0..b)
            .map(|i| {
                reference_gradients(
                    &nets,
                    &params,
                    &compress,
                    &x[i * d..(i + 1) * d],
                    &eps[i * 3..(i + 1) * 3],
                    factor,
                )
            })
            .collect();
        let ref_norms: Vec<f64> = per_example
            .iter()
            .map(|g| {
                g.iter()
                    .flat_map(|(_, v)| v.iter())
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        for (i, (a, r)) in norms.iter().zip(&ref_norms).enumerate() {
            assert!((a - r).abs() <= 1e-10 * r, "example {i}: {a} vs {r}");
        }
        // Clip at the median norm so that some examples are clipped and some not.
        let mut sorted = ref_norms.clone();
        sorted.sort_by(f64::total_cmp);
        let c = sorted[b / 2];
        let clipped = record.clip(c).unwrap();
        for (k, (name, _)) in params.iter().enumerate() {
            let got = clipped
                .private_sums()
                .get(name)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f64>()
                .unwrap();
            let mut want = vec![0.0; got.len()];
            for (i, g) in per_example.iter().enumerate() {
                let f = (c / ref_norms[i]).min(1.0);
                for (w, v) in want.iter_mut().zip(&g[k].1) {
                    *w += f * v;
                }
            }
            let scale = want.iter().map(|v| v.abs()).fold(1e-12, f64::max);
            for (j, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= 1e-10 * scale, "{name}[{j}]: {g} vs {w}");
            }
        }
    }
}

/// ∇ℓᵢ for one example by Candle autograd on copies of the parameters, the loss written out
/// with tensor ops (SDV's formula), in `params` order.
fn reference_gradients(
    nets: &VaeNets,
    params: &[(String, Var)],
    compress: &[usize],
    x: &[f64],
    eps: &[f64],
    factor: f64,
) -> Vec<(String, Vec<f64>)> {
    let dev = Device::Cpu;
    let vars: Vec<(String, Var)> = params
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                Var::from_tensor(&v.as_tensor().copy().unwrap()).unwrap(),
            )
        })
        .collect();
    let get = |name: &str| {
        vars.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_tensor().clone())
            .unwrap()
    };
    let linear = |h: &Tensor, prefix: &str| {
        h.matmul(&get(&format!("{prefix}.weight")).t().unwrap())
            .unwrap()
            .broadcast_add(&get(&format!("{prefix}.bias")))
            .unwrap()
    };
    let d = x.len();
    let e = eps.len();
    let xt = Tensor::from_slice(x, (1, d), &dev).unwrap();
    let mut h = xt.clone();
    for k in 0..compress.len() {
        h = linear(&h, &format!("encoder.{k}")).relu().unwrap();
    }
    let out = linear(&h, "encoder.head.0");
    let mu = out.narrow(1, 0, e).unwrap();
    let lv = out.narrow(1, e, e).unwrap();
    let epst = Tensor::from_slice(eps, (1, e), &dev).unwrap();
    let z = (&mu + (epst * (&lv * 0.5).unwrap().exp().unwrap()).unwrap()).unwrap();
    let n_dec = nets.decoder.parameters().len() / 2;
    let mut h = z;
    for k in 0..n_dec {
        h = linear(&h, &format!("decoder.{k}"));
        if k + 1 < n_dec {
            h = h.relu().unwrap();
        }
    }
    let xhat = h;
    let sigma = get(SIGMA);
    let mut terms = Vec::new();
    for span in &nets.spans {
        match *span {
            SpanAct::Tanh { start } => {
                let t = xhat.narrow(1, start, 1).unwrap().tanh().unwrap();
                let s = sigma.narrow(0, start, 1).unwrap().unsqueeze(0).unwrap();
                let diff = (xt.narrow(1, start, 1).unwrap() - t).unwrap();
                let term = (diff
                    .sqr()
                    .unwrap()
                    .broadcast_div(&(s.sqr().unwrap() * 2.0).unwrap())
                    .unwrap()
                    + s.log().unwrap())
                .unwrap();
                terms.push(term.sum_all().unwrap());
            }
            SpanAct::Softmax { start, width } => {
                let block = xhat.narrow(1, start, width).unwrap();
                let target = x[start..start + width]
                    .iter()
                    .position(|v| *v == 1.0)
                    .unwrap();
                let lse = block.exp().unwrap().sum_all().unwrap().log().unwrap();
                let pick = block.narrow(1, target, 1).unwrap().sum_all().unwrap();
                terms.push((lse - pick).unwrap());
            }
        }
    }
    let mut rec = terms[0].clone();
    for t in &terms[1..] {
        rec = (rec + t).unwrap();
    }
    let kld = ((lv.exp().unwrap() + mu.sqr().unwrap()).unwrap() - (lv + 1.0).unwrap())
        .unwrap()
        .sum_all()
        .unwrap()
        * 0.5;
    let loss = ((rec * factor).unwrap() + kld.unwrap()).unwrap();
    let grads = loss.backward().unwrap();
    vars.iter()
        .map(|(n, v)| {
            let g = grads
                .get(v.as_tensor())
                .map(|g| g.flatten_all().unwrap().to_vec1::<f64>().unwrap())
                .unwrap_or_else(|| vec![0.0; v.elem_count()]);
            (n.clone(), g)
        })
        .collect()
}
