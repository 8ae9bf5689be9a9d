//! Saving and loading fitted models: round trips through a directory and through bytes, and
//! typed errors (never a panic, never a silently different model) for damaged files.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use tabveil_models::{Ctgan, ModelError, ModelKind, NoProgress, Synthesizer, saved_model_kind};

use common::{dp, small, tiny};

fn fitted(privacy: tabveil_models::Privacy) -> Ctgan {
    let (schema, table) = tiny();
    let mut m = Ctgan::new(small(privacy));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    m
}

#[test]
fn directory_and_bytes_round_trips_sample_identically() {
    for privacy in [tabveil_models::Privacy::NonPrivate, dp(4)] {
        let m = fitted(privacy);
        let expected = m.sample(77, 3).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "tabveil-models-roundtrip-{}-{}",
            std::process::id(),
            m.config().privacy.is_private()
        ));
        m.save(&dir).unwrap();
        for file in [
            "model.json",
            "config.json",
            "schema.json",
            "transformer.json",
            "conditions.json",
            "training.json",
            "parameters.safetensors",
        ] {
            assert!(dir.join(file).exists(), "{file}");
        }
        assert_eq!(
            dir.join("ledger.json").exists(),
            m.config().privacy.is_private()
        );
        let from_dir = Ctgan::load(&dir).unwrap();
        assert_eq!(from_dir.sample(77, 3).unwrap(), expected);
        assert_eq!(from_dir.ledger(), m.ledger());
        assert_eq!(from_dir.schema(), m.schema());
        assert_eq!(from_dir.summary(), m.summary());
        let bytes = m.to_bytes().unwrap();
        assert_eq!(saved_model_kind(&bytes).unwrap(), ModelKind::Ctgan);
        let from_bytes = Ctgan::from_bytes(&bytes).unwrap();
        assert_eq!(from_bytes.sample(77, 3).unwrap(), expected);
        assert!(
            from_bytes.to_bytes().unwrap() == bytes,
            "re-saving changes the bytes"
        );
        // The directory's parameters file and the blob carry the same checksum.
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn an_unfitted_model_cannot_be_saved() {
    let m = Ctgan::new(small(tabveil_models::Privacy::NonPrivate));
    assert!(matches!(m.to_bytes(), Err(ModelError::NotFitted)));
    assert!(matches!(
        m.save(&std::env::temp_dir().join("tabveil-never-written")),
        Err(ModelError::NotFitted)
    ));
}

/// A saved model holds no real row: with continuous values that have distinctive decimals,
/// none of them appears in the saved bytes (private and non-private), and a private model does
/// not save its noise seed.
#[test]
fn a_saved_model_holds_no_rows_and_no_noise_seed() {
    use tabveil_data::{ColumnSchema, Schema, Table, Value};
    let schema = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
            ColumnSchema::categorical("c", ["a", "b"]),
        ],
    )
    .unwrap();
    let values: Vec<f64> = (0..240)
        .map(|i| 41.271_828_182 + f64::from(i) * 0.013_579)
        .collect();
    let rows: Vec<Vec<Value>> = values
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            vec![
                Value::Number(x),
                Value::from(if i % 3 == 0 { "a" } else { "b" }),
            ]
        })
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    for privacy in [tabveil_models::Privacy::NonPrivate, dp(987_654_321)] {
        let mut m = Ctgan::new(small(privacy));
        m.fit(&table, &schema, &mut NoProgress).unwrap();
        let bytes = m.to_bytes().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for x in &values {
            assert!(!text.contains(&x.to_string()), "row value {x} was saved");
        }
        assert!(!text.contains("987654321"), "the noise seed was saved");
    }
}

#[test]
fn truncated_files_are_corrupt() {
    let bytes = fitted(tabveil_models::Privacy::NonPrivate)
        .to_bytes()
        .unwrap();
    for len in [0, 4, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(
            Ctgan::from_bytes(&bytes[..len]),
            Err(ModelError::CorruptModel { .. })
        ));
    }
}

#[test]
fn a_damaged_directory_is_a_typed_error() {
    let m = fitted(tabveil_models::Privacy::NonPrivate);
    let dir = std::env::temp_dir().join(format!("tabveil-models-damaged-{}", std::process::id()));
    m.save(&dir).unwrap();
    let params = dir.join("parameters.safetensors");
    let mut p = std::fs::read(&params).unwrap();
    let last = p.len() - 1;
    p[last] ^= 0x40;
    std::fs::write(&params, &p).unwrap();
    assert!(matches!(
        Ctgan::load(&dir),
        Err(ModelError::ChecksumMismatch { .. })
    ));
    std::fs::write(&params, &p[..p.len() - 4]).unwrap();
    assert!(matches!(
        Ctgan::load(&dir),
        Err(ModelError::CorruptModel { .. })
    ));
    std::fs::write(
        dir.join("model.json"),
        "{\"format\": \"tabveil-model\", \"format_version\": 2}",
    )
    .unwrap();
    assert!(matches!(
        Ctgan::load(&dir),
        Err(ModelError::UnsupportedFormat { found: 2, .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: RngSeed::Fixed(1201), ..ProptestConfig::default() })]

    /// Random byte changes, insertions and deletions of a real saved model either fail with a
    /// typed error or load a model identical to the original (a harmless change of header
    /// whitespace): never a panic, never a silently different model.
    #[test]
    fn mutated_models_fail_cleanly(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4)
    ) {
        let original = saved_bytes();
        let mut bytes = original.clone();
        for (at, value, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if !bytes.is_empty() => bytes[i] = value,
                1 => bytes.insert(i, value),
                _ if !bytes.is_empty() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(model) = Ctgan::from_bytes(&bytes) {
            prop_assert!(model.to_bytes().unwrap() == original);
        }
    }
}

fn saved_bytes() -> Vec<u8> {
    use std::sync::OnceLock;
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES
        .get_or_init(|| {
            fitted(tabveil_models::Privacy::NonPrivate)
                .to_bytes()
                .unwrap()
        })
        .clone()
}

#[test]
fn issue12_save_never_writes_into_a_folder_that_is_not_a_model() {
    let m = fitted(tabveil_models::Privacy::NonPrivate);
    let dir = std::env::temp_dir().join(format!("tabveil-models-issue12-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("schema.json"), "my schema").unwrap();
    std::fs::write(dir.join("thesis.tex"), "precious").unwrap();
    assert!(m.save(&dir).is_err());
    assert_eq!(
        std::fs::read_to_string(dir.join("schema.json")).unwrap(),
        "my schema"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    // Into an absent folder, then over the model it wrote: fine.
    let model = dir.join("model");
    m.save(&model).unwrap();
    m.save(&model).unwrap();
    assert!(Ctgan::load(&model).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
