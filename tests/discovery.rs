//! Private schema discovery inside a fit (issue 16): the schema gives names and kinds only;
//! the discovery's releases open the model's ledger and the whole run stays within the target
//! by the run's accountant; nothing rare or extreme of the data reaches the saved model.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use tabveil::accountant::{AccountantSpec, epsilon_of};
use tabveil::data::{ColumnOrigin, DISCOVERY_LABEL, RawTable};
use tabveil::models::{ModelKind, Privacy};
use tabveil::prelude::*;
use tabveil::{Error, Fitted};

/// Names and kinds: public; nothing else.
fn declared() -> Schema {
    Schema::from_json(
        r#"{"name": "people", "columns": [
            {"name": "age", "kind": "continuous", "integer": true},
            {"name": "region", "kind": "categorical"}
        ]}"#,
    )
    .unwrap()
}

const UNIQUE: &str = "Zz-held-by-one-row";
const EXTREME: &str = "987654";

/// 4 000 rows; one row holds a unique region and an extreme age.
fn raw() -> RawTable {
    let regions = ["north", "south", "east", "west"];
    let n = 4_000;
    let mut age: Vec<Option<String>> = (0..n)
        .map(|i| Some((18 + (i * 7) % 70).to_string()))
        .collect();
    let mut region: Vec<Option<String>> = (0..n).map(|i| Some(regions[i % 4].to_owned())).collect();
    age[17] = Some(EXTREME.to_owned());
    region[17] = Some(UNIQUE.to_owned());
    RawTable::new(vec!["age".into(), "region".into()], vec![age, region]).unwrap()
}

fn synth(share: f64, accountant: AccountantSpec) -> Result<Synthesizer, Error> {
    Synthesizer::builder()
        .tvae_with(TvaeConfig::new(Privacy::NonPrivate).with_dims(vec![16], vec![16]))
        .private(Epsilon(3.0), Delta(1e-6))
        .accountant(accountant)
        .discover_schema(share)
        .epochs(1)
        .batch_size(400)
        .seed(3)
        .build()
}

fn fit(accountant: AccountantSpec) -> Fitted {
    synth(0.2, accountant)
        .unwrap()
        .fit_discovering(&raw(), Some(&declared()))
        .unwrap()
}

#[test]
fn issue16_one_ledger_within_the_target_for_both_accountants() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let fitted = fit(spec.clone());
        let ledger = fitted.ledger().unwrap();
        // The discovery's releases come first, then the model's.
        let discovery = ledger
            .entries()
            .iter()
            .take_while(|e| e.label().starts_with(DISCOVERY_LABEL))
            .count();
        assert_eq!(discovery, 2, "one release per undeclared column");
        assert!(ledger.entries().len() > discovery);
        assert!(
            ledger.entries()[discovery..]
                .iter()
                .all(|e| !e.label().starts_with(DISCOVERY_LABEL))
        );
        // Replayed by a fresh accountant: the whole run within the target, and tight (the
        // training was calibrated for what the discovery left).
        let total = epsilon_of(ledger, &spec, 1e-6).unwrap().epsilon;
        assert!(total <= 3.0, "{:?}: {total}", spec.kind);
        assert!(
            total > 2.9,
            "{:?}: calibration should be tight: {total}",
            spec.kind
        );
        assert_eq!(fitted.epsilon_spent().unwrap(), Some(total));
    }
}

#[test]
fn issue16_no_rare_category_or_exact_extreme_in_the_saved_model() {
    let fitted = fit(AccountantSpec::rdp());
    let json = fitted.schema().to_json().unwrap();
    assert!(!json.contains(UNIQUE), "{json}");
    let region = fitted.schema().column("region").unwrap();
    assert_eq!(
        region.categories().unwrap().len(),
        5,
        "four regions and `other`"
    );
    let (lo, hi) = fitted.schema().column("age").unwrap().bounds();
    assert!(
        hi.unwrap() < 987_654.0 && lo.unwrap() > 0.0,
        "{lo:?} {hi:?}"
    );
    // The saved model holds the same schema and ledger.
    let bytes = fitted.to_bytes().unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(UNIQUE));
    let again = Fitted::from_bytes(&bytes).unwrap();
    assert_eq!(again.ledger(), fitted.ledger());
    assert!(matches!(
        again.schema().column("region").unwrap().origin(),
        ColumnOrigin::Private(_)
    ));
    let sample = again.sample(50, 1).unwrap();
    assert_eq!(sample.n_rows(), 50);
}

#[test]
fn issue16_settings_that_cannot_work_are_refused_before_any_release() {
    // A share that leaves the preprocessing (10 % by default) no room, or none at all.
    for share in [0.0, 0.95, 1.0, f64::NAN] {
        assert!(matches!(
            synth(share, AccountantSpec::rdp()),
            Err(Error::Config(_))
        ));
    }
    // A model whose fit does not compose prior releases (yet).
    let marginal = Synthesizer::builder()
        .model(ModelKind::Marginal)
        .private(Epsilon(3.0), Delta(1e-6))
        .discover_schema(0.2)
        .build();
    assert!(matches!(marginal, Err(Error::Config(_))));
    // Without discover_schema, fit_discovering refuses.
    let plain = Synthesizer::builder()
        .tvae()
        .private(Epsilon(3.0), Delta(1e-6))
        .build()
        .unwrap();
    assert!(matches!(
        plain.fit_discovering(&raw(), Some(&declared())),
        Err(Error::Config(_))
    ));
}

/// `validate` with discovery shows the joint plan: the discovery's planned releases composed
/// before the training, whose noise is calibrated for what they leave (more noise than
/// without them, the whole plan still at the target).
#[test]
fn issue16_validate_shows_the_joint_plan() {
    let with = synth(0.3, AccountantSpec::rdp()).unwrap();
    let report = with.validate(&declared(), 4_000);
    assert!(!report.has_errors(), "{report}");
    let plan = report.plan.as_ref().unwrap();
    let joint = plan.private.as_ref().unwrap();
    assert!(joint.epsilon <= 3.0 + 1e-9, "{}", joint.epsilon);
    // The same run with the schema declared in full and no discovery.
    let full = Schema::from_json(
        r#"{"name": "people", "columns": [
            {"name": "age", "kind": "continuous", "integer": true, "min": 0, "max": 120},
            {"name": "region", "kind": "categorical", "categories": ["north", "south", "east", "west"]}
        ]}"#,
    )
    .unwrap();
    let without = Synthesizer::builder()
        .tvae_with(TvaeConfig::new(Privacy::NonPrivate).with_dims(vec![16], vec![16]))
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(1)
        .batch_size(400)
        .build()
        .unwrap()
        .validate(&full, 4_000);
    let alone = without.plan.as_ref().unwrap().private.as_ref().unwrap();
    assert!(joint.training_noise_multiplier > alone.training_noise_multiplier);
}
