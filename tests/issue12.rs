//! Issue 12 through the facade: `Fitted::save` never writes into or deletes a folder that is
//! not a tabveil model, and a private fit refuses a schema inferred from the data until the user
//! has reviewed it.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::PathBuf;

use tabveil::data::{infer_schema, read_csv};
use tabveil::models::Privacy;
use tabveil::prelude::*;

fn csv(n: usize) -> String {
    let mut s = String::from("age,region\n");
    for i in 0..n {
        let region = ["north", "south", "east"][i % 3];
        s.push_str(&format!("{},{region}\n", 20 + (i * 7) % 50));
    }
    s
}

fn schema() -> Schema {
    Schema::new(
        "people",
        vec![
            ColumnSchema::integer("age", Some(0.0), Some(100.0)),
            ColumnSchema::categorical("region", ["north", "south", "east"]),
        ],
    )
    .unwrap()
}

fn small() -> CtganConfig {
    CtganConfig::new(Privacy::NonPrivate)
        .with_dims(vec![16], vec![16])
        .with_embedding_dim(8)
}

fn fitted() -> Fitted {
    let (table, _) = read_csv(csv(200).as_bytes(), &schema(), &CsvOptions::default()).unwrap();
    Synthesizer::builder()
        .ctgan_with(small())
        .non_private()
        .epochs(1)
        .batch_size(50)
        .build()
        .unwrap()
        .fit(&table, &schema())
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tabveil-facade-issue12-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn issue12_save_never_writes_into_a_folder_that_is_not_a_model() {
    let fitted = fitted();
    let dir = scratch("foreign");
    let user = dir.join("mine");
    std::fs::create_dir_all(&user).unwrap();
    // Files whose names a model also uses, and one it does not.
    std::fs::write(user.join("config.json"), "my config").unwrap();
    std::fs::write(user.join("model.json"), "my model").unwrap();
    std::fs::write(user.join("thesis.tex"), "precious").unwrap();
    assert!(fitted.save(&user).is_err());
    assert_eq!(
        std::fs::read_to_string(user.join("config.json")).unwrap(),
        "my config"
    );
    assert_eq!(
        std::fs::read_to_string(user.join("model.json")).unwrap(),
        "my model"
    );
    assert_eq!(
        std::fs::read_to_string(user.join("thesis.tex")).unwrap(),
        "precious"
    );
    assert_eq!(std::fs::read_dir(&user).unwrap().count(), 3);

    // A model is replaced whole, and only a model.
    let model = dir.join("model");
    fitted.save(&model).unwrap();
    fitted.save(&model).unwrap();
    assert!(Fitted::load(&model).is_ok());
    std::fs::write(model.join("notes.txt"), "mine").unwrap();
    assert!(fitted.save(&model).is_err());
    assert_eq!(
        std::fs::read_to_string(model.join("notes.txt")).unwrap(),
        "mine"
    );
    // Nothing temporary is left beside it.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn issue12_a_private_fit_refuses_an_inferred_schema_until_reviewed() {
    let text = csv(400);
    let inferred = infer_schema(text.as_bytes(), "people", &CsvOptions::default()).unwrap();
    let schema = inferred.schema;
    let (table, _) = read_csv(text.as_bytes(), &schema, &CsvOptions::default()).unwrap();
    let private = Synthesizer::builder()
        .ctgan_with(small())
        .private(Epsilon(3.0), Delta(1e-5))
        .epochs(1)
        .batch_size(50)
        .dangerous_noise_seed(1)
        .build()
        .unwrap();
    let err = private.fit(&table, &schema).unwrap_err();
    let findings = err
        .findings()
        .expect("refused by the validator, before any release");
    assert!(
        findings
            .iter()
            .any(|f| f.code.as_str() == "E-DP-SCHEMA-INFERRED"),
        "{err}"
    );
    // Without privacy it may be used.
    let plain = Synthesizer::builder()
        .ctgan_with(small())
        .non_private()
        .epochs(1)
        .batch_size(50)
        .build()
        .unwrap();
    assert!(plain.fit(&table, &schema).is_ok());
}

/// Issue 12, item 7: the true row count N does not decide whether a private fit runs. With
/// δ = 1e-6, N = 999 999 and N = 1 000 000 differ in the validator's findings (δ ≥ 1/N at the
/// second), but the decision a private fit takes on them — the blocking findings — is the same.
#[test]
fn private_refusals_do_not_depend_on_the_row_count() {
    let synth = Synthesizer::builder()
        .ctgan_with(small())
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(1)
        .batch_size(500)
        .build()
        .unwrap();
    let below = synth.validate(&schema(), 999_999);
    let at = synth.validate(&schema(), 1_000_000);
    let codes =
        |r: &tabveil::validate::ValidationReport| r.errors().map(|f| f.code).collect::<Vec<_>>();
    assert_ne!(codes(&below), codes(&at), "the findings themselves differ");
    let blocking =
        |r: &tabveil::validate::ValidationReport| r.blocking(true).cloned().collect::<Vec<_>>();
    assert_eq!(blocking(&below), blocking(&at));
    assert!(blocking(&at).is_empty());
    // Without privacy there is no δ, and n is not protected: every error blocks.
    assert_eq!(at.blocking(false).count(), at.errors().count());
}

/// Issue 12, item 7 through the facade: a batch larger than the table is not refused on the
/// true N in private mode (that refusal would release a bit about N); the fit checks the batch
/// against its estimate N̂ after the preprocessing and returns the releases with its error.
#[test]
fn private_fit_checks_the_batch_on_the_estimate_not_on_n() {
    let (table, _) = read_csv(csv(60).as_bytes(), &schema(), &CsvOptions::default()).unwrap();
    let synth = Synthesizer::builder()
        .ctgan_with(small())
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(1)
        .batch_size(1_000)
        .dangerous_noise_seed(4)
        .build()
        .unwrap();
    let err = synth.fit(&table, &schema()).unwrap_err();
    assert!(err.findings().is_none(), "refused on the true N: {err}");
    let tabveil::Error::Model(e) = &err else {
        panic!("{err}");
    };
    assert!(e.spent_ledger().is_some(), "{e}");
    assert!(
        matches!(
            e,
            tabveil::models::ModelError::SpentThenFailed { error, .. }
                if matches!(**error, tabveil::models::ModelError::BatchLargerThanTable { estimated: true, .. })
        ),
        "{e}"
    );
}
