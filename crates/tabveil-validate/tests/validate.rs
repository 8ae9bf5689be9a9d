//! Public-API tests of `validate`: every check fires with a usable fix, fixes computed by the
//! accountant work when applied, the plan matches an independent calibration, severities
//! cannot be downgraded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions panic on failure"
)]

use tabveil_accountant::{AccountantSpec, PrivacyEvent, TrainingSchedule, calibrate_jointly};
use tabveil_data::{ColumnSchema, Schema};
use tabveil_models::CtganConfig;
use tabveil_validate::{
    Code, DpConfig, Finding, ModelSettings, Privacy, Severity, TrainingConfig, ValidateOptions,
    ValidationReport, validate_with,
};

fn schema() -> Schema {
    Schema::new(
        "people",
        vec![
            ColumnSchema::integer("age", Some(15.0), Some(90.0)),
            ColumnSchema::categorical("sex", ["F", "M"]),
            ColumnSchema::categorical("job", ["a", "b", "c"]).nullable(),
        ],
    )
    .unwrap()
}

fn dp(eps: f64, delta: f64) -> TrainingConfig {
    TrainingConfig::ctgan(Privacy::Dp(DpConfig::new(eps, delta)))
}

fn run(config: &TrainingConfig, schema: &Schema, n: u64) -> ValidationReport {
    let options = ValidateOptions {
        ranges: false,
        memory_limit_bytes: None,
    };
    validate_with(config, schema, n, &options)
}

fn codes(r: &ValidationReport) -> Vec<Code> {
    r.findings.iter().map(|f| f.code).collect()
}

fn finding(r: &ValidationReport, code: Code) -> &Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{code} not found in:\n{r}"))
}

/// The first unsigned integer after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> u64 {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` not in `{text}`"))
        + marker.len();
    text[start..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn a_good_plan_has_no_finding_and_matches_an_independent_calibration() {
    let config = dp(3.0, 1e-6).with_epochs(20).with_batch_size(250);
    let r = run(&config, &schema(), 25_000);
    assert!(r.findings.is_empty(), "{r}");
    let p = r.plan.as_ref().unwrap().private.as_ref().unwrap();
    // Independently: three modelled columns, one discrete Gaussian release each.
    let schedule = TrainingSchedule::new(25_000, 250, 20).unwrap();
    let joint = calibrate_jointly(
        3.0,
        1e-6,
        &[PrivacyEvent::discrete_gaussian(1.0, 3).unwrap()],
        0.1,
        &schedule,
        &AccountantSpec::rdp(),
    )
    .unwrap();
    assert_eq!(
        p.training_noise_multiplier.to_bits(),
        joint.training_noise_multiplier.to_bits()
    );
    assert_eq!(
        p.preprocessing_noise_multiplier,
        joint.preprocessing_noise_multiplier
    );
    assert_eq!(p.private_steps, schedule.steps());
    assert_eq!(p.preprocessing_releases, 3);
    assert!((p.sample_rate - 0.01).abs() < 1e-15);
    assert_eq!(p.epsilon_by_epoch.len(), 20);
    for w in p.epsilon_by_epoch.windows(2) {
        assert!(w[1].epsilon > w[0].epsilon);
    }
    assert!((p.epsilon_by_epoch[19].epsilon - p.epsilon).abs() < 1e-12);
    assert!(p.epsilon <= 3.0);
    assert!(r.clone().into_result().is_ok());
}

#[test]
fn every_privacy_parameter_error_is_reported_at_once() {
    let mut d = DpConfig::new(f64::NAN, 1.5);
    d.clipping_norm = 0.0;
    d.preprocessing_share = 1.0;
    d.accountant = AccountantSpec::new(tabveil_accountant::AccountantKind::Gdp);
    let config = TrainingConfig::ctgan(Privacy::Dp(d));
    let r = run(&config, &schema(), 10_000);
    let c = codes(&r);
    for code in [
        Code::EpsilonRange,
        Code::DeltaRange,
        Code::ClippingNorm,
        Code::PreprocessingShare,
        Code::ApproximateAccountant,
    ] {
        assert!(c.contains(&code), "{code} missing:\n{r}");
    }
    assert!(r.has_errors());
    for f in &r.findings {
        assert!(
            !f.field.is_empty() && !f.reason.is_empty() && !f.fix.is_empty(),
            "{f}"
        );
    }
    match r.into_result() {
        Err(tabveil_validate::ValidateError::Rejected { findings }) => assert!(findings.len() >= 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn delta_is_checked_against_the_table_size() {
    let r = run(&dp(3.0, 1e-4), &schema(), 10_000);
    let f = finding(&r, Code::DeltaAtLeastOneOverN);
    assert_eq!(f.severity, Severity::Error);
    assert!(f.fix.contains("1e-5"), "{}", f.fix);
    let r = run(&dp(3.0, 5e-5), &schema(), 10_000);
    let f = finding(&r, Code::DeltaAboveTenthOfOneOverN);
    assert_eq!(f.severity, Severity::Warning);
    assert!(!r.has_errors(), "{r}");
    // The fix states the noise the smaller δ would need, computed by the accountant.
    assert!(f.fix.contains("σ ="), "{}", f.fix);
    assert!(
        !codes(&run(&dp(3.0, 1e-6), &schema(), 10_000)).contains(&Code::DeltaAboveTenthOfOneOverN)
    );
}

#[test]
fn weak_epsilon_warns_with_context() {
    let r = run(&dp(12.0, 1e-6), &schema(), 10_000);
    let f = finding(&r, Code::EpsilonWeak);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.fix.contains("Google") && f.fix.contains("Apple"),
        "{}",
        f.fix
    );
    assert!(
        f.fix.contains("At ε = 10 this plan needs noise σ ="),
        "{}",
        f.fix
    );
    assert!(!r.has_errors());
}

#[test]
fn schedule_errors() {
    let s = schema();
    assert!(codes(&run(&dp(3.0, 1e-7), &s, 0)).contains(&Code::NoRows));
    let r = run(&dp(3.0, 1e-7).with_epochs(0), &s, 10_000);
    let f = finding(&r, Code::EpochsZero);
    assert!(f.fix.contains("between 1 and"), "{}", f.fix);
    for batch in [0, 10_001] {
        let r = run(&dp(3.0, 1e-7).with_batch_size(batch), &s, 10_000);
        assert!(codes(&r).contains(&Code::BatchRange), "{r}");
        assert!(r.plan.is_none());
    }
    let r = run(&dp(3.0, 1e-7).with_epochs(u64::MAX), &s, 10_000);
    assert!(codes(&r).contains(&Code::EpochsOverflow), "{r}");
}

#[test]
fn model_shape_errors() {
    let s = schema();
    let private = |m: CtganConfig| {
        TrainingConfig::new(
            ModelSettings::Ctgan(m),
            Privacy::Dp(DpConfig::new(3.0, 1e-7)),
        )
    };
    let r = run(&private(CtganConfig::new(Privacy::NonPrivate)), &s, 10_000);
    assert!(codes(&r).contains(&Code::DpPac), "{r}");
    let mut m = CtganConfig::new(Privacy::NonPrivate);
    m.pac = 0;
    m.discriminator_steps = 0;
    m.generator_dims = vec![256, 0];
    m.embedding_dim = 0;
    let c = codes(&run(&private(m), &s, 10_000));
    for code in [
        Code::PacRange,
        Code::DiscriminatorStepsZero,
        Code::NetworkShape,
    ] {
        assert!(c.contains(&code), "{code}");
    }
    let plain = TrainingConfig::ctgan(Privacy::NonPrivate).with_batch_size(505);
    let r = run(&plain, &s, 10_000);
    assert!(
        finding(&r, Code::BatchNotMultipleOfPac)
            .fix
            .contains("500 or 510")
    );
}

#[test]
fn private_mode_needs_public_bounds_and_domains() {
    let s = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("income", None, Some(1e6)),
            ColumnSchema::categorical_undeclared("city"),
            ColumnSchema::categorical("constant", ["x"]),
            ColumnSchema::id("id"),
        ],
    )
    .unwrap();
    let r = run(&dp(3.0, 1e-7), &s, 10_000);
    let f = finding(&r, Code::DpBoundsMissing);
    assert_eq!(f.field, "schema.columns.income");
    assert!(f.fix.contains("\"min\""), "{}", f.fix);
    assert_eq!(
        finding(&r, Code::DpCategoriesMissing).field,
        "schema.columns.city"
    );
    assert_eq!(
        finding(&r, Code::SingleCategory).severity,
        Severity::Warning
    );
    // The plan still counts one release per modelled column (three; not the id).
    let p = r.plan.as_ref().unwrap().private.as_ref().unwrap();
    assert_eq!(p.preprocessing_releases, 3);
    // Non-private mode reads them from the data: no error, only the no-privacy warning.
    let plain = TrainingConfig::tvae(Privacy::NonPrivate);
    let r = run(&plain, &s, 10_000);
    assert!(!r.has_errors(), "{r}");
    assert!(codes(&r).contains(&Code::NonPrivate));
}

/// The numbers in the fix of an infeasible plan are accountant-computed and work.
#[test]
fn too_much_noise_is_refused_with_fixes_that_work() {
    let s = schema();
    let n = 2_000;
    let config = TrainingConfig::tvae(Privacy::Dp(DpConfig::new(0.5, 1e-6)))
        .with_epochs(3_000)
        .with_batch_size(500);
    let r = run(&config, &s, n);
    let f = finding(&r, Code::NoiseTooLarge);
    let epochs = number_after(&f.fix, "reduce epochs to at most");
    let batch = number_after(&f.fix, "reduce the batch size to at most");
    assert!(f.fix.contains("raise ε to at least"), "{}", f.fix);
    let ok = |c: &TrainingConfig| !codes(&run(c, &s, n)).contains(&Code::NoiseTooLarge);
    assert!(ok(&config.clone().with_epochs(epochs)), "{epochs} epochs");
    assert!(
        !ok(&config.clone().with_epochs(epochs + 1)),
        "{epochs}+1 epochs"
    );
    assert!(ok(&config.clone().with_batch_size(batch)), "batch {batch}");
    assert!(
        !ok(&config.clone().with_batch_size(batch + 1)),
        "batch {batch}+1"
    );
    let eps_text =
        &f.fix[f.fix.find("raise ε to at least").unwrap() + "raise ε to at least".len()..];
    let eps: f64 = eps_text.trim().trim_end_matches('.').parse().unwrap();
    let mut raised = config.clone();
    raised.set_privacy(Privacy::Dp(DpConfig::new(eps, 1e-6)));
    assert!(ok(&raised), "ε = {eps}");
}

#[test]
fn ranges_hold_at_their_ends() {
    let s = schema();
    let n = 3_000;
    let config = dp(1.0, 1e-6).with_epochs(200).with_batch_size(100);
    let r = validate_with(
        &config,
        &s,
        n,
        &ValidateOptions {
            ranges: true,
            memory_limit_bytes: None,
        },
    );
    let ranges = r.plan.as_ref().unwrap().ranges.clone().unwrap();
    let e = ranges.epochs.unwrap();
    let b = ranges.batch_size.unwrap();
    let eps = ranges.epsilon.unwrap();
    assert!(e.min <= e.recommended && e.recommended <= e.max);
    assert!(b.min <= b.recommended && b.recommended <= b.max);
    assert!(eps.min <= eps.recommended && eps.recommended <= eps.max);
    assert!(!run(&config.clone().with_epochs(e.max), &s, n).has_errors());
    assert!(!run(&config.clone().with_batch_size(b.max), &s, n).has_errors());
    let mut at_min = config.clone();
    at_min.set_privacy(Privacy::Dp(DpConfig::new(eps.min, 1e-6)));
    assert!(!run(&at_min, &s, n).has_errors());
}

#[test]
fn memory_warning_names_the_fix() {
    let config = dp(3.0, 1e-7);
    let small = tabveil_validate::MemoryEstimate::with_batch(&config, &schema(), 10_000, 50);
    let full = tabveil_validate::MemoryEstimate::new(&config, &schema(), 10_000);
    assert!(full.total_bytes > small.total_bytes);
    let options = ValidateOptions {
        ranges: false,
        memory_limit_bytes: Some(small.total_bytes),
    };
    let r = validate_with(&config, &schema(), 10_000, &options);
    let f = finding(&r, Code::Memory);
    assert_eq!(f.severity, Severity::Warning);
    let b = number_after(&f.fix, "reduce the batch size to at most");
    assert!((50..500).contains(&b), "{}", f.fix);
    let r = validate_with(
        &config.clone().with_batch_size(b),
        &schema(),
        10_000,
        &options,
    );
    assert!(!codes(&r).contains(&Code::Memory), "{r}");
}

#[test]
fn seeded_noise_and_no_privacy_warn() {
    let mut d = DpConfig::new(3.0, 1e-7);
    d.noise_seeded = true;
    let r = run(&TrainingConfig::tvae(Privacy::Dp(d)), &schema(), 10_000);
    assert!(finding(&r, Code::NoiseSeeded).reason.contains("secret"));
    let r = run(
        &TrainingConfig::tvae(Privacy::NonPrivate),
        &schema(),
        10_000,
    );
    let f = finding(&r, Code::NonPrivate);
    assert!(f.fix.contains("σ ="), "{}", f.fix);
    let plan = r.plan.unwrap();
    assert!(plan.private.is_none());
    assert_eq!(plan.steps, 300 * 20); // SDV: epochs × ⌊N/B⌋
}

#[test]
fn severity_cannot_be_downgraded_through_json() {
    let r = run(&dp(3.0, 0.5), &schema(), 10_000);
    let json = serde_json::to_string(&r).unwrap();
    let back: ValidationReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let tampered = json.replacen("\"severity\":\"error\"", "\"severity\":\"warning\"", 1);
    assert!(serde_json::from_str::<ValidationReport>(&tampered).is_err());
}

#[test]
fn every_code_is_documented_in_the_crate_table() {
    let docs = include_str!("../src/lib.rs");
    for code in Code::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.severity());
        assert!(docs.contains(&row), "{row} missing from the crate docs");
        assert_eq!(Code::from_code(code.as_str()), Some(*code));
        assert_eq!(
            code.as_str().starts_with("E-"),
            code.severity() == Severity::Error
        );
    }
}

#[test]
fn the_text_rendering_lists_findings_and_plan() {
    let r = run(&dp(3.0, 1e-4), &schema(), 10_000);
    let text = r.to_string();
    assert!(
        text.contains("error[E-DELTA-GE-1-OVER-N] privacy.delta:"),
        "{text}"
    );
    assert!(text.contains("  fix: "));
    assert!(text.contains("nothing will be trained"));
    assert!(text.contains("plan: CTGAN on 10000 rows"));
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TrainingConfig>();
    assert_send_sync::<ValidationReport>();
    assert_send_sync::<tabveil_validate::Validated>();
    assert_send_sync::<tabveil_validate::ValidateError>();
}
