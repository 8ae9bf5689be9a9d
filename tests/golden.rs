//! Golden files: the bytes a fit writes, compared with files committed under `tests/golden/`.
//!
//! For a fixed `seed` and a fixed (dangerous) `noise_seed`, small private CTGAN and TVAE fits
//! and their non-private twins must produce exactly the committed ledger JSON, saved model
//! (every file of the directory and the byte blob), privacy report (JSON, Markdown, HTML) and
//! first synthetic rows; `validate` must print exactly the committed plans. Any change of
//! behaviour — a draw consumed in another order, a default changed, a rounding moved — shows
//! up here as a byte difference.
//!
//! Regenerating is an explicit act, never automatic: run
//! `TABVEIL_UPDATE_GOLDEN=1 cargo test --test golden`, review the diff of `tests/golden/`
//! (`git diff --stat tests/golden`), and commit it with the change that explains it. The
//! numbers depend on floating-point results of the matrix kernels, so regenerate on the
//! machine class CI runs on (x86-64; see CONTRIBUTING.md).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions panic on failure"
)]

use std::path::{Path, PathBuf};

use tabveil::models::{Privacy, TvaeConfig};
use tabveil::prelude::*;
use tabveil::validate::{ValidateOptions, validate_with};

/// Set to regenerate the golden files instead of comparing with them.
const UPDATE: &str = "TABVEIL_UPDATE_GOLDEN";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with `tests/golden/<name>`, or writes it there when [`UPDATE`] is set.
fn golden(name: &str, actual: &[u8]) {
    let path = golden_dir().join(name);
    if std::env::var_os(UPDATE).is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate the golden files with {UPDATE}=1 (see the module docs)",
            path.display()
        )
    });
    if expected != actual {
        let (e, a) = (
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual),
        );
        let line = e
            .lines()
            .zip(a.lines())
            .position(|(x, y)| x != y)
            .map_or_else(
                || "a trailing difference".to_owned(),
                |i| format!("line {}", i + 1),
            );
        panic!(
            "{} differs from what the code produces now ({} bytes expected, {} produced; first difference at {line}).\nBehaviour changed: find out why; regenerate with {UPDATE}=1 only if the change is intended.",
            path.display(),
            expected.len(),
            actual.len(),
        );
    }
}

fn schema() -> Schema {
    Schema::new(
        "golden",
        vec![
            ColumnSchema::integer("age", Some(18.0), Some(90.0)),
            ColumnSchema::continuous("income", Some(0.0), Some(200.0)).nullable(),
            ColumnSchema::categorical("smoker", ["no", "yes"]),
            ColumnSchema::categorical("region", ["north", "south", "east", "west"]).nullable(),
        ],
    )
    .unwrap()
}

fn table(n: usize) -> Table {
    let regions = ["north", "south", "east", "west"];
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let age = 18 + (i * 7) % 70;
            let income = if i % 11 == 0 {
                Value::Null
            } else {
                Value::Number((age as f64 * 1.5 + (i % 13) as f64).min(200.0))
            };
            let region = if i % 17 == 0 {
                Value::Null
            } else {
                Value::from(regions[(i / 3) % 4])
            };
            vec![
                Value::Number(age as f64),
                income,
                Value::from(if i % 5 == 0 { "yes" } else { "no" }),
                region,
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

fn small_ctgan() -> CtganConfig {
    CtganConfig::new(Privacy::NonPrivate)
        .with_dims(vec![32], vec![32])
        .with_embedding_dim(16)
}

fn small_tvae() -> TvaeConfig {
    TvaeConfig::new(Privacy::NonPrivate)
        .with_dims(vec![32], vec![32])
        .with_embedding_dim(8)
}

/// Every file of a saved model, the byte blob, the ledger, the report in its three renderings
/// and 40 synthetic rows, each compared with `tests/golden/<name>/…`.
fn check_fit(name: &str, fitted: &Fitted) {
    let dir = std::env::temp_dir().join(format!("tabveil-golden-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    fitted.save(&dir).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let listing: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    golden(
        &format!("{name}/model/FILES"),
        listing.join("\n").as_bytes(),
    );
    for (path, file) in files.iter().zip(&listing) {
        golden(
            &format!("{name}/model/{file}"),
            &std::fs::read(path).unwrap(),
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    golden(&format!("{name}/model.bin"), &fitted.to_bytes().unwrap());
    let ledger = match fitted.ledger() {
        Some(ledger) => ledger.to_json().unwrap(),
        None => "no ledger (non-private fit)\n".to_owned(),
    };
    golden(&format!("{name}/ledger.json"), ledger.as_bytes());
    let report = fitted.report().unwrap();
    golden(
        &format!("{name}/report.json"),
        report.to_json().unwrap().as_bytes(),
    );
    golden(
        &format!("{name}/report.md"),
        report.to_markdown().as_bytes(),
    );
    golden(
        &format!("{name}/report.html"),
        report.to_html().unwrap().as_bytes(),
    );
    let mut csv = Vec::new();
    tabveil::data::write_csv(&fitted.sample(40, 3).unwrap(), fitted.schema(), &mut csv).unwrap();
    golden(&format!("{name}/samples.csv"), &csv);
}

#[test]
fn private_ctgan() {
    let fitted = Synthesizer::builder()
        .ctgan_with(small_ctgan())
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(2)
        .batch_size(100)
        .seed(7)
        .dangerous_noise_seed(11)
        .build()
        .unwrap()
        .fit(&table(600), &schema())
        .unwrap();
    check_fit("ctgan_private", &fitted);
}

#[test]
fn private_tvae() {
    let fitted = Synthesizer::builder()
        .tvae_with(small_tvae())
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(2)
        .batch_size(100)
        .seed(7)
        .dangerous_noise_seed(11)
        .build()
        .unwrap()
        .fit(&table(600), &schema())
        .unwrap();
    check_fit("tvae_private", &fitted);
}

#[test]
fn non_private_ctgan() {
    let fitted = Synthesizer::builder()
        .ctgan_with(small_ctgan())
        .non_private()
        .epochs(2)
        .batch_size(100)
        .seed(7)
        .build()
        .unwrap()
        .fit(&table(600), &schema())
        .unwrap();
    check_fit("ctgan_non_private", &fitted);
}

#[test]
fn non_private_tvae() {
    let fitted = Synthesizer::builder()
        .tvae_with(small_tvae())
        .non_private()
        .epochs(2)
        .batch_size(100)
        .seed(7)
        .build()
        .unwrap()
        .fit(&table(600), &schema())
        .unwrap();
    check_fit("tvae_non_private", &fitted);
}

/// What `tabveil validate` prints (text and JSON), for plans that exercise the planner:
/// SDV's CTGAN on the bundled adult schema with its ranges, TVAE with the PLD accountant, a
/// plan too small for its ε (fixes computed by the accountant), and a non-private plan.
#[test]
fn validate_plans() {
    let adult =
        Schema::from_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/adult/schema.json"))
            .unwrap();
    let options = ValidateOptions {
        ranges: true,
        memory_limit_bytes: None,
    };
    let ctgan = Synthesizer::builder()
        .ctgan()
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(30)
        .build()
        .unwrap();
    let tvae_pld = Synthesizer::builder()
        .tvae()
        .private(Epsilon(1.0), Delta(1e-6))
        .accountant(tabveil::accountant::AccountantSpec::pld())
        .epochs(5)
        .batch_size(200)
        .build()
        .unwrap();
    let too_small = Synthesizer::builder()
        .tvae()
        .private(Epsilon(0.5), Delta(1e-6))
        .epochs(3_000)
        .build()
        .unwrap();
    let plain = Synthesizer::builder()
        .ctgan()
        .non_private()
        .build()
        .unwrap();
    for (name, synth, schema, rows) in [
        ("ctgan_adult", &ctgan, &adult, 26_049),
        ("tvae_pld", &tvae_pld, &schema(), 20_000),
        ("too_small", &too_small, &schema(), 2_000),
        ("non_private", &plain, &schema(), 10_000),
    ] {
        let report = validate_with(&synth.training_config(), schema, rows, &options);
        golden(
            &format!("validate/{name}.txt"),
            report.to_string().as_bytes(),
        );
        golden(
            &format!("validate/{name}.json"),
            serde_json::to_string_pretty(&report).unwrap().as_bytes(),
        );
    }
}
