//! White-box audits of the models' private training loops as written (DP-CTGAN, DP-TVAE) on a
//! small table: the audit observes every DP-SGD release, and the bound stays within the claim.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use candle_core::Device;
use tabveil_audit::{WhiteBoxConfig, audit_white_box};
use tabveil_data::{ColumnSchema, Schema, Table, Value};
use tabveil_models::{
    Ctgan, CtganConfig, DpConfig, NoProgress, Privacy, Synthesizer, Tvae, TvaeConfig,
};

fn table() -> (Table, Schema) {
    let schema = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
            ColumnSchema::categorical("c", ["a", "b", "c"]),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..1_000)
        .map(|i| {
            let c = ["a", "b", "c"][i % 3];
            vec![Value::Number((i * 37 % 100) as f64), Value::from(c)]
        })
        .collect();
    (Table::from_rows(&schema, &rows).unwrap(), schema)
}

fn dp() -> DpConfig {
    DpConfig::new(3.0, 1e-6).dangerous_noise_seed(5)
}

#[test]
fn dp_ctgan_under_white_box_audit() {
    let (table, schema) = table();
    let config = CtganConfig::new(Privacy::Dp(dp()))
        .with_epochs(2)
        .with_batch_size(100)
        .with_dims(vec![16], vec![16])
        .with_embedding_dim(8)
        .check()
        .unwrap();
    let mut model = Ctgan::new(config);
    let audit = WhiteBoxConfig::default()
        .with_canaries(200)
        .with_dangerous_noise_seed(1);
    let report = audit_white_box(
        &mut model,
        "DP-CTGAN",
        &Device::Cpu,
        &table,
        &schema,
        &audit,
        &mut NoProgress,
    )
    .unwrap();
    eprintln!("{}", report.to_text());
    let run = model.summary().unwrap().private.clone().unwrap();
    assert_eq!(report.releases_observed, run.releases);
    assert!(run.releases > 0);
    assert!(report.audited_epsilon.unwrap() <= report.claimed_epsilon.unwrap());
    assert!(!report.exceeds_claim());
    assert!(report.noise_seeded);
}

#[test]
fn dp_tvae_under_white_box_audit() {
    let (table, schema) = table();
    let config = TvaeConfig::new(Privacy::Dp(dp()))
        .with_epochs(2)
        .with_batch_size(100)
        .check()
        .unwrap();
    let mut model = Tvae::new(config);
    let audit = WhiteBoxConfig::default()
        .with_canaries(200)
        .with_dangerous_noise_seed(2);
    let report = audit_white_box(
        &mut model,
        "DP-TVAE",
        &Device::Cpu,
        &table,
        &schema,
        &audit,
        &mut NoProgress,
    )
    .unwrap();
    eprintln!("{}", report.to_text());
    assert_eq!(
        report.releases_observed,
        model.summary().unwrap().private.as_ref().unwrap().releases
    );
    assert!(!report.exceeds_claim());
}

#[test]
fn a_non_private_model_cannot_be_audited_white_box() {
    let (table, schema) = table();
    let config = CtganConfig::new(Privacy::NonPrivate)
        .with_epochs(1)
        .with_batch_size(100)
        .check()
        .unwrap();
    let mut model = Ctgan::new(config);
    let err = audit_white_box(
        &mut model,
        "CTGAN",
        &Device::Cpu,
        &table,
        &schema,
        &WhiteBoxConfig::default().with_canaries(10),
        &mut NoProgress,
    );
    assert!(err.is_err());
}
