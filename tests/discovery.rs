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

/// The marginal model with inline discovery.
fn marginal(share: f64, accountant: AccountantSpec) -> Result<Synthesizer, Error> {
    Synthesizer::builder()
        .model(ModelKind::Marginal)
        .private(Epsilon(3.0), Delta(1e-6))
        .accountant(accountant)
        .discover_schema(share)
        .seed(3)
        .build()
}

fn fit(accountant: AccountantSpec) -> Fitted {
    synth(0.2, accountant)
        .unwrap()
        .fit_discovering(&raw(), Some(&declared()))
        .unwrap()
}

fn fit_marginal(accountant: AccountantSpec) -> Fitted {
    marginal(0.2, accountant)
        .unwrap()
        .fit_discovering(&raw(), Some(&declared()))
        .unwrap()
}

/// The discovery's releases open the ledger (one per undeclared column), the model's follow.
fn assert_discovery_first(ledger: &tabveil::accountant::PrivacyLedger) {
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
}

#[test]
fn issue16_one_ledger_within_the_target_for_both_accountants() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let fitted = fit(spec.clone());
        let ledger = fitted.ledger().unwrap();
        // The discovery's releases come first, then the model's.
        assert_discovery_first(ledger);
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

/// The marginal model plans its rounds for what the discovery leaves: one ledger, replayed by
/// a fresh accountant of the run's kind, within the target; the accountant that binds (the
/// run's, or the RDP guard of a PLD run) ends just under it (the last round spends the rest).
#[test]
fn issue16_marginal_one_ledger_within_the_target_for_both_accountants() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let fitted = fit_marginal(spec.clone());
        let ledger = fitted.ledger().unwrap();
        assert_discovery_first(ledger);
        let total = epsilon_of(ledger, &spec, 1e-6).unwrap().epsilon;
        let rdp = epsilon_of(ledger, &AccountantSpec::rdp(), 1e-6)
            .unwrap()
            .epsilon;
        assert!(total <= 3.0 && rdp <= 3.0, "{:?}: {total} {rdp}", spec.kind);
        assert!(
            total.max(rdp) > 2.99,
            "{:?}: the rounds should end at the target: {total} {rdp}",
            spec.kind
        );
        if spec.kind == tabveil::accountant::AccountantKind::Rdp {
            assert!(total > 2.99, "{total}");
        } else {
            // PLD is tighter than the RDP guard, never looser.
            assert!(total <= rdp + 1e-9 && total > 2.5, "{total} {rdp}");
        }
        assert_eq!(fitted.epsilon_spent().unwrap(), Some(total));
    }
}

#[test]
fn issue16_no_rare_category_or_exact_extreme_in_the_saved_model() {
    no_rare_category_or_exact_extreme(&fit(AccountantSpec::rdp()));
}

#[test]
fn issue16_marginal_no_rare_category_or_exact_extreme_in_the_saved_model() {
    let fitted = fit_marginal(AccountantSpec::rdp());
    no_rare_category_or_exact_extreme(&fitted);
    // Nor in what it samples: the unique region never, the extreme age never.
    let sample = fitted.sample(2_000, 5).unwrap();
    let mut bytes = Vec::new();
    tabveil::data::write_csv(&sample, fitted.schema(), &mut bytes).unwrap();
    let csv = String::from_utf8(bytes).unwrap();
    assert!(!csv.contains(UNIQUE));
    assert!(!csv.contains(EXTREME));
}

fn no_rare_category_or_exact_extreme(fitted: &Fitted) {
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
    // Every model composes prior releases; the share is checked for the marginal model too.
    assert!(marginal(0.2, AccountantSpec::rdp()).is_ok());
    for share in [0.0, 1.0, f64::NAN] {
        assert!(matches!(
            marginal(share, AccountantSpec::rdp()),
            Err(Error::Config(_))
        ));
    }
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
    let full = full_schema();
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

/// The marginal model's `validate` with discovery shows the joint plan: the discovery's
/// planned releases first, then the one-way histograms and rounds planned for what they leave
/// (a smaller ρ than without them), the whole plan at the target.
#[test]
fn issue16_marginal_validate_shows_the_joint_plan() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let with = marginal(0.3, spec.clone()).unwrap();
        let report = with.validate(&declared(), 4_000);
        assert!(!report.has_errors(), "{report}");
        let rounds = report.plan.as_ref().unwrap().rounds.as_ref().unwrap();
        let joint = rounds.private.as_ref().unwrap();
        assert_eq!(joint.prior_releases, 2);
        let prior = joint.prior_epsilon.unwrap();
        assert!(prior > 0.0 && prior < joint.one_way_epsilon, "{prior}");
        assert!(joint.epsilon <= 3.0 + 1e-9, "{}", joint.epsilon);
        assert!(
            joint.ledger.entries()[..2]
                .iter()
                .all(|e| e.label().starts_with(DISCOVERY_LABEL))
        );
        let text = report.to_string();
        assert!(
            text.contains("prior releases (private schema discovery)"),
            "{text}"
        );
        let alone = Synthesizer::builder()
            .model(ModelKind::Marginal)
            .private(Epsilon(3.0), Delta(1e-6))
            .accountant(spec.clone())
            .build()
            .unwrap()
            .validate(&full_schema(), 4_000);
        let alone = alone.plan.unwrap().rounds.unwrap().private.unwrap();
        assert!(joint.zcdp_rho < alone.zcdp_rho);
        assert_eq!(alone.prior_releases, 0);
    }
}

fn full_schema() -> Schema {
    Schema::from_json(
        r#"{"name": "people", "columns": [
            {"name": "age", "kind": "continuous", "integer": true, "min": 0, "max": 120},
            {"name": "region", "kind": "categorical", "categories": ["north", "south", "east", "west"]}
        ]}"#,
    )
    .unwrap()
}
