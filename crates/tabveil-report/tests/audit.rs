//! The audit section (issue 15): rendered in Markdown and in well-formed HTML with its SVG,
//! round-tripped through JSON, checked on the way in, and absent from reports without one.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure"
)]

mod common;

use common::{N, ledger_of, private_config, schema};
use tabveil_report::{AuditSection, PrivacyReport};

fn section(bound: f64) -> AuditSection {
    AuditSection {
        kind: "white-box".into(),
        target: "DP-CTGAN <test>".into(),
        epsilon_lower_bound: bound,
        confidence: 0.95,
        delta: 1e-6,
        claimed_epsilon: Some(1.0),
        audited_epsilon: Some(0.9),
        canaries: 1_000,
        guesses: 70,
        correct: 60,
        k_plus: 50,
        k_minus: 20,
        threshold_in: Some(1.25),
        threshold_out: None,
        rules_tried: 1,
        canary_description: "Dirac gradients".into(),
        score_description: "log-likelihood ratio".into(),
        combined_epsilon: Some(1.7),
    }
}

fn report(bound: f64) -> PrivacyReport {
    let config = private_config(false);
    PrivacyReport::from_fit(&ledger_of(&config, 1.0, false), &config, &schema(), N)
        .unwrap()
        .with_audit(section(bound))
        .unwrap()
}

#[test]
fn the_audit_section_renders_everywhere() {
    let r = report(0.4567);
    let md = r.to_markdown();
    assert!(md.contains("## Empirical audit"));
    // A lower bound is rounded down; the upper bounds up.
    assert!(md.contains("ε ≥ 0.456"), "{md}");
    assert!(md.contains("within the accountant's ε ≤ 0.9"));
    assert!(md.contains("not a proof of privacy"));
    assert!(md.contains("spends the combined ε"));
    let html = r.to_html().unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.attribute("id") == Some("audit"))
    );
    assert!(
        html.contains("<figure id=\"audit-bounds\"><svg role=\"img\" aria-label=\"The accountant")
    );
    assert!(html.contains("DP-CTGAN &lt;test&gt;"));
    let back = PrivacyReport::from_json(&r.to_json().unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn a_bound_above_the_claim_is_flagged() {
    let md = report(1.5).to_markdown();
    assert!(md.contains("ABOVE the accountant's ε ≤ 0.9"), "{md}");
}

#[test]
fn reports_without_an_audit_have_no_audit_key() {
    let config = private_config(false);
    let r =
        PrivacyReport::from_fit(&ledger_of(&config, 1.0, false), &config, &schema(), N).unwrap();
    let json = r.to_json().unwrap();
    assert!(!json.contains("\"audit\""));
    assert!(!r.to_markdown().contains("Empirical audit"));
    assert_eq!(PrivacyReport::from_json(&json).unwrap(), r);
}

#[test]
fn inconsistent_sections_are_refused() {
    let config = private_config(false);
    let base =
        PrivacyReport::from_fit(&ledger_of(&config, 1.0, false), &config, &schema(), N).unwrap();
    let mut s = section(0.1);
    s.correct = 71;
    assert!(base.clone().with_audit(s).is_err());
    let mut s = section(0.1);
    s.k_minus = 0;
    assert!(base.clone().with_audit(s).is_err());
    assert!(base.clone().with_audit(section(f64::NAN)).is_err());
    let mut s = section(0.1);
    s.confidence = 1.0;
    assert!(base.with_audit(s).is_err());
}
