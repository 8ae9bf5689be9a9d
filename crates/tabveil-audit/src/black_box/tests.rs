//! Black-box audits on a small table: the method has power against a non-private fit, stays
//! within the claim of a private one, and catches preprocessing released without noise.

use rand::Rng;
use tabveil_accountant::{AccountantSpec, PrivacyLedger};
use tabveil_data::{ColumnSchema, PrivateConfig, fit_private, planned_preprocessing};
use tabveil_models::{Ctgan, CtganConfig, DpConfig, Privacy, Tvae, TvaeConfig};
use tabveil_noise::PrivacyRng;

use super::*;

/// A public schema with a 200-category code column of which the data use 10 (the auditor does
/// not know which), a 3-category column and two bounded numbers the data keep away from
/// their bounds.
fn data(n: usize) -> (Table, Schema) {
    let codes: Vec<String> = (0..200).map(|i| format!("k{i:03}")).collect();
    let schema = Schema::new(
        "audit",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
            ColumnSchema::integer("y", Some(0.0), Some(50.0)),
            ColumnSchema::categorical("code", codes.clone()),
            ColumnSchema::categorical("c", ["a", "b", "c"]),
        ],
    )
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|_| {
            let k = rng.random_range(0..10);
            vec![
                Value::Number(rng.random_range(20.0..60.0)),
                Value::Number(rng.random_range(10..40) as f64),
                Value::from(codes[k * 7].as_str()),
                Value::from(["a", "b", "c"][k % 3]),
            ]
        })
        .collect();
    (Table::from_rows(&schema, &rows).unwrap(), schema)
}

fn config(seed: u64) -> BlackBoxConfig {
    BlackBoxConfig::default()
        .with_canaries(200)
        .with_synthetic_rows(20_000)
        .with_dangerous_noise_seed(seed)
}

fn ctgan(privacy: Privacy, epochs: usize) -> Ctgan {
    Ctgan::new(
        CtganConfig::new(privacy)
            .with_epochs(epochs)
            .with_batch_size(100)
            .with_dims(vec![32], vec![32])
            .with_embedding_dim(16)
            .check()
            .unwrap(),
    )
}

#[test]
fn a_non_private_ctgan_fit_gives_a_bound_well_above_zero() {
    let (table, schema) = data(600);
    let mut target = ModelTarget {
        model: ctgan(Privacy::NonPrivate, 100),
        name: "CTGAN (no privacy)".into(),
        claim: None,
        noise_seeded: false,
        sample_seed: 1,
    };
    let report = audit_black_box(&mut target, &table, &schema, &config(1)).unwrap();
    eprintln!("{}", report.to_text());
    assert!(report.claimed_epsilon.is_none());
    assert!(
        report.bound.epsilon_lower_bound > 0.5,
        "{}",
        report.to_text()
    );
}

#[test]
fn a_private_ctgan_fit_at_epsilon_3_stays_within_its_claim() {
    let (table, schema) = data(600);
    let dp = DpConfig::new(3.0, 1e-6).dangerous_noise_seed(9);
    let mut target = ModelTarget {
        model: ctgan(Privacy::Dp(dp.clone()), 30),
        name: "DP-CTGAN ε = 3".into(),
        claim: Some((dp.accountant.clone(), dp.delta)),
        noise_seeded: true,
        sample_seed: 1,
    };
    let report = audit_black_box(&mut target, &table, &schema, &config(2)).unwrap();
    eprintln!("{}", report.to_text());
    assert!(report.claimed_epsilon.unwrap() <= 3.0);
    assert!(!report.exceeds_claim(), "{}", report.to_text());
}

#[test]
fn a_non_private_tvae_fit_gives_a_bound_well_above_zero() {
    let (table, schema) = data(600);
    let model = Tvae::new(
        TvaeConfig::new(Privacy::NonPrivate)
            .with_epochs(30)
            .with_batch_size(100)
            .check()
            .unwrap(),
    );
    let mut target = ModelTarget {
        model,
        name: "TVAE (no privacy)".into(),
        claim: None,
        noise_seeded: false,
        sample_seed: 1,
    };
    let report = audit_black_box(&mut target, &table, &schema, &config(3)).unwrap();
    eprintln!("{}", report.to_text());
    assert!(
        report.bound.epsilon_lower_bound > 0.5,
        "{}",
        report.to_text()
    );
}

/// A broken pipeline: the private preprocessing of `tabveil-data` released with (almost) no
/// noise while the ledger claims σ; synthetic rows drawn column by column from the released
/// counts (numbers uniform within the public bounds).
#[derive(Debug)]
struct NoiselessPreprocessing {
    claimed_sigma: f64,
}

impl BlackBoxTarget for NoiselessPreprocessing {
    fn describe(&self) -> String {
        "marginal sampler on preprocessing released without noise".into()
    }

    fn fit_and_sample(
        &mut self,
        table: &Table,
        schema: &Schema,
        rows: usize,
    ) -> Result<BlackBoxRun> {
        // The release: noise 1e-9 instead of σ.
        let mut scratch = PrivacyLedger::new();
        let mut rng = PrivacyRng::dangerous_seeded(4);
        let (_, stats) = fit_private(
            table,
            schema,
            &PrivateConfig::new(1e-9)?,
            &mut scratch,
            &mut rng,
        )?;
        // The claim: what the same releases cost at the σ the pipeline says it used.
        let mut ledger = PrivacyLedger::new();
        for entry in planned_preprocessing(schema, &PrivateConfig::new(self.claimed_sigma)?)? {
            ledger.record(entry)?;
        }
        let mut draw = ChaCha8Rng::seed_from_u64(8);
        let mut out = Vec::with_capacity(rows);
        for _ in 0..rows {
            let mut row = Vec::new();
            for c in schema.columns() {
                let v = match (c.categories(), c.bounds()) {
                    (Some(cats), _) => {
                        let f = stats.column(c.name()).unwrap().frequencies();
                        let mut u: f64 = draw.random();
                        let mut k = 0;
                        while k + 1 < f.len() && u >= f[k] {
                            u -= f[k];
                            k += 1;
                        }
                        Value::from(cats[k.min(cats.len() - 1)].as_str())
                    }
                    (None, (Some(a), Some(b))) => Value::Number(draw.random_range(a..=b).round()),
                    _ => Value::Null,
                };
                row.push(v);
            }
            out.push(row);
        }
        Ok(BlackBoxRun {
            synthetic: Table::from_rows(schema, &out)?,
            ledger: Some(ledger),
            claim: Some((AccountantSpec::rdp(), 1e-6)),
            noise_seeded: true,
        })
    }
}

#[test]
fn preprocessing_released_without_noise_is_caught() {
    let (table, schema) = data(600);
    // σ = 20 per column: the four releases claim ε ≈ 0.45.
    let mut target = NoiselessPreprocessing {
        claimed_sigma: 20.0,
    };
    let report = audit_black_box(&mut target, &table, &schema, &config(4)).unwrap();
    eprintln!("{}", report.to_text());
    assert!(report.exceeds_claim(), "{}", report.to_text());
}

#[test]
fn canaries_come_from_the_public_schema_only() {
    let (_, schema) = data(1);
    let rows = craft_canaries(&schema, 50, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
    assert_eq!(rows.len(), 50);
    for row in &rows {
        assert!(matches!(row[0], Value::Number(v) if v == 0.0 || v == 100.0));
        assert!(matches!(row[1], Value::Number(v) if v == 0.0 || v == 50.0));
    }
    // They are valid rows of the schema.
    assert_eq!(Table::from_rows(&schema, &rows).unwrap().n_rows(), 50);
    let undeclared = Schema::new("t", vec![ColumnSchema::categorical_undeclared("c")]).unwrap();
    assert!(matches!(
        craft_canaries(&undeclared, 1, &mut ChaCha8Rng::seed_from_u64(0)),
        Err(AuditError::MissingPublicDomain { .. })
    ));
}
