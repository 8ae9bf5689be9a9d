//! The compatibility promise of `docs/compatibility.md`, tested on files written by an earlier
//! release: a model saved with model format 1 (tabveil 0.1.0), its ledger (ledger format 1) and
//! its privacy report (report schema 1) must keep loading in every later release.
//!
//! The fixtures under `tests/fixtures/format-1/` are frozen copies of what tabveil 0.1.0 wrote
//! for the seeded fits of `tests/golden.rs` (a private CTGAN and a non-private TVAE). Unlike the
//! golden files they are never regenerated: a change that makes them unreadable breaks the
//! promise. Only `samples.csv` (the first rows the loaded model draws with seed 3) is an
//! expectation rather than a frozen input; an intentional change of how a model samples may
//! update it, with the reason in the commit message and in CHANGELOG.md.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions panic on failure"
)]

use std::path::{Path, PathBuf};

use tabveil::accountant::PrivacyLedger;
use tabveil::prelude::*;

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/format-1")
        .join(relative)
}

fn read(relative: &str) -> String {
    let path = fixture(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn samples(fitted: &Fitted) -> String {
    let mut csv = Vec::new();
    tabveil::data::write_csv(&fitted.sample(40, 3).unwrap(), fitted.schema(), &mut csv).unwrap();
    String::from_utf8(csv).unwrap()
}

/// The directory and the byte blob load to the same model, which samples the expected rows.
fn load_both(name: &str) -> Fitted {
    let from_dir = Fitted::load(&fixture(&format!("{name}/model"))).unwrap();
    let bytes = std::fs::read(fixture(&format!("{name}/model.bin"))).unwrap();
    let from_bytes = Fitted::from_bytes(&bytes).unwrap();
    let expected = read(&format!("{name}/samples.csv"));
    assert_eq!(
        samples(&from_dir),
        expected,
        "{name}: rows of the loaded model"
    );
    assert_eq!(
        samples(&from_bytes),
        expected,
        "{name}: rows of the loaded blob"
    );
    from_dir
}

#[test]
fn a_private_ctgan_saved_with_model_format_1_loads_with_its_guarantee() {
    let fitted = load_both("ctgan_private");
    assert_eq!(fitted.schema().n_columns(), 4);

    // The ledger saved beside the model and the one in the fixture are the same ledger, and
    // the guarantee they give is the report's.
    let ledger = PrivacyLedger::from_json(&read("ctgan_private/ledger.json")).unwrap();
    assert_eq!(fitted.ledger(), Some(&ledger));
    let report = PrivacyReport::from_json(&read("ctgan_private/report.json")).unwrap();
    let spent = fitted.epsilon_spent().unwrap().unwrap();
    let reported = report.epsilon.unwrap();
    assert!(
        (spent - reported).abs() <= 1e-9 * reported,
        "ε {spent} from the loaded ledger vs {reported} in the saved report"
    );
    assert!(spent <= 3.0, "the fit was allowed ε = 3, spent {spent}");
    assert_eq!(report.delta, Some(1e-6));
}

#[test]
fn a_non_private_tvae_saved_with_model_format_1_loads_without_a_guarantee() {
    let fitted = load_both("tvae_non_private");
    assert!(fitted.ledger().is_none());
    assert_eq!(fitted.epsilon_spent().unwrap(), None);
    let report = PrivacyReport::from_json(&read("tvae_non_private/report.json")).unwrap();
    assert_eq!(report.epsilon, None);
}
