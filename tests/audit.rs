//! Auditing through the facade (issue 15): white-box and black-box audits of the facade's own
//! fit, an audit saved with a model and shown in its privacy report with the combined ε.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use tabveil::audit::{AuditKind, BlackBoxConfig, WhiteBoxConfig};
use tabveil::models::Privacy;
use tabveil::prelude::*;
use tabveil::{AUDIT_FILE, Error, save_audit_into};

fn schema() -> Schema {
    Schema::new(
        "people",
        vec![
            ColumnSchema::integer("age", Some(18.0), Some(90.0)),
            ColumnSchema::categorical("smoker", ["no", "yes"]),
            ColumnSchema::categorical("region", ["north", "south", "east", "west"]),
        ],
    )
    .unwrap()
}

fn table(n: usize) -> Table {
    let regions = ["north", "south", "east", "west"];
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            vec![
                Value::Number((18 + (i * 7) % 70) as f64),
                Value::from(if i % 5 == 0 { "yes" } else { "no" }),
                Value::from(regions[i % 4]),
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

fn private(model: &str) -> Synthesizer {
    let builder = match model {
        "tvae" => Synthesizer::builder()
            .tvae_with(TvaeConfig::new(Privacy::NonPrivate).with_dims(vec![16], vec![16])),
        _ => Synthesizer::builder().ctgan_with(
            CtganConfig::new(Privacy::NonPrivate)
                .with_dims(vec![16], vec![16])
                .with_embedding_dim(8),
        ),
    };
    builder
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(2)
        .batch_size(100)
        .dangerous_noise_seed(3)
        .build()
        .unwrap()
}

#[test]
fn white_box_audits_of_both_models_through_the_facade() {
    for model in ["ctgan", "tvae"] {
        let config = WhiteBoxConfig::default()
            .with_canaries(100)
            .with_dangerous_noise_seed(1);
        let audit = private(model)
            .audit_white_box(&table(600), &schema(), &config, &mut NoProgress)
            .unwrap();
        assert_eq!(audit.kind, AuditKind::WhiteBox);
        assert!(audit.releases_observed > 0);
        assert!(audit.target.starts_with("DP-"), "{}", audit.target);
        assert!(!audit.exceeds_claim(), "{}", audit.to_text());
    }
}

#[test]
fn a_non_private_configuration_has_no_white_box_audit() {
    let synth = Synthesizer::builder()
        .ctgan()
        .non_private()
        .build()
        .unwrap();
    let err = synth
        .audit_white_box(
            &table(600),
            &schema(),
            &WhiteBoxConfig::default(),
            &mut NoProgress,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Audit(_)), "{err}");
}

#[test]
fn a_rejected_plan_is_rejected_before_any_audit() {
    // 50 rows are fewer than a batch of 100: the validator refuses, nothing is fitted.
    let err = private("ctgan")
        .audit_black_box(
            &table(50),
            &schema(),
            &BlackBoxConfig::default(),
            &mut NoProgress,
        )
        .unwrap_err();
    assert!(err.findings().is_some(), "{err}");
}

#[test]
fn an_audit_saved_with_a_model_appears_in_its_report() {
    let synth = private("ctgan");
    let data = table(600);
    let fitted = synth.fit(&data, &schema()).unwrap();
    let dir = std::env::temp_dir().join(format!("tabveil-audit-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    fitted.save(&dir).unwrap();
    let config = BlackBoxConfig::default()
        .with_canaries(50)
        .with_synthetic_rows(1_000)
        .with_dangerous_noise_seed(2);
    let audit = synth
        .audit_black_box(&data, &schema(), &config, &mut NoProgress)
        .unwrap();
    assert_eq!(audit.kind, AuditKind::BlackBox);
    save_audit_into(&dir, &audit).unwrap();
    assert!(dir.join(AUDIT_FILE).exists());
    let loaded = Fitted::load(&dir).unwrap();
    assert_eq!(loaded.audit(), Some(&audit));
    let report = loaded.report().unwrap();
    let section = report.audit.as_ref().unwrap();
    // The model and the audit run are two runs at ε ≤ 3 on the same data: together more.
    let model_eps = loaded.epsilon_spent().unwrap().unwrap();
    let combined = section.combined_epsilon.unwrap();
    assert!(combined > model_eps && combined <= 6.0 + 1e-9, "{combined}");
    assert!(report.to_markdown().contains("## Empirical audit"));
    // Saving the model again keeps the audit.
    let again = dir.join("again");
    loaded.save(&again).unwrap();
    assert_eq!(Fitted::load(&again).unwrap().audit(), Some(&audit));
    // Not a model directory: refused, nothing written.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(save_audit_into(&empty, &audit).is_err());
    assert!(!empty.join(AUDIT_FILE).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
