//! `tabveil accountant` end to end: the numbers against the reference vectors of
//! `crates/tabveil-accountant/tests/data/accountant_reference.json` (Opacus 1.6.0,
//! dp_accounting 0.6.0), and bad arguments (exit status 2, one line naming the flag).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]

use std::process::{Command, Output};

use serde_json::Value;

fn tabveil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabveil"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs a command that must succeed with `--json` and returns the object it prints.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = tabveil(&all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a command that must fail with a usage error; returns its one line of stderr.
fn usage_error(args: &[&str]) -> String {
    let out = tabveil(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tabveil-accountant/tests/data/accountant_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// The reference cases with a given id, as `--segment` arguments.
fn case(r: &Value, id: u64) -> (&Value, Vec<String>) {
    let c = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    let segments = c["segments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            let s = s.as_array().unwrap();
            [
                "--segment".to_owned(),
                format!("{},{},{}", num(&s[0]), num(&s[1]), s[2].as_u64().unwrap()),
            ]
        })
        .collect();
    (c, segments)
}

#[test]
fn epsilon_matches_the_reference_libraries() {
    let r = reference();
    // MNIST (60 epochs), a two-phase run, decreasing noise, stats then SGD.
    for id in [302, 303, 316, 319, 320] {
        let (c, segments) = case(&r, id);
        let delta = num(&c["delta"]).to_string();
        let mut base: Vec<&str> = vec!["accountant", "epsilon", "--delta", &delta];
        base.extend(segments.iter().map(String::as_str));

        let mut rdp = base.clone();
        rdp.extend(["--accountant", "rdp", "--rdp-orders", "opacus"]);
        let out = json(&rdp);
        assert!(
            rel(num(&out["epsilon"]), num(&c["eps"]["opacus_rdp"])) <= 1e-9,
            "{id}: {out}"
        );
        assert_eq!(out["accountant"], "rdp");
        assert_eq!(out["bound"], "upper_bound");
        assert_eq!(out["neighbouring"], "add_remove_one");
        assert_eq!(out["rdp_orders"], "opacus");

        let mut pld = base.clone();
        pld.extend(["--accountant", "pld"]);
        let out = json(&pld);
        assert!(
            rel(num(&out["epsilon"]), num(&c["eps"]["dpacc_pld"])) <= 1e-5,
            "{id}: {out}"
        );
        assert_eq!(out["accountant"], "pld");
        assert_eq!(out["bound"], "upper_bound");

        // The default grid is never worse than Opacus'.
        let out = json(&base);
        assert!(num(&out["epsilon"]) <= num(&c["eps"]["opacus_rdp"]) * (1.0 + 1e-9));
    }
}

#[test]
fn single_segment_flags_and_gdp() {
    let r = reference();
    let (c, _) = case(&r, 302);
    let out = json(&[
        "accountant",
        "epsilon",
        "--sample-rate",
        "0.004266666666666667",
        "--noise-multiplier",
        "1.1",
        "--steps",
        "14063",
        "--delta",
        "1e-5",
        "--accountant",
        "gdp",
    ]);
    assert!(rel(num(&out["epsilon"]), num(&c["eps"]["opacus_gdp"])) <= 1e-9);
    assert_eq!(out["accountant"], "gdp");
    assert_eq!(out["bound"], "approximation");
    assert_eq!(out["segments"][0]["steps"], 14063);
}

#[test]
fn text_output_names_accountant_bound_and_relation() {
    let out = tabveil(&[
        "accountant",
        "epsilon",
        "--sample-rate",
        "0.01",
        "--noise-multiplier",
        "1",
        "--steps",
        "1e3",
        "--delta",
        "1e-5",
        "--accountant",
        "gdp",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("gdp"), "{text}");
    assert!(text.contains("NOT an upper bound"), "{text}");
    assert!(text.contains("add/remove one row"), "{text}");
}

#[test]
fn sigma_matches_the_precise_roots() {
    let r = reference();
    for c in r["noise_multiplier"].as_array().unwrap().iter().take(4) {
        let args = [
            "accountant".to_owned(),
            "sigma".to_owned(),
            "--epsilon".to_owned(),
            num(&c["target_epsilon"]).to_string(),
            "--delta".to_owned(),
            num(&c["delta"]).to_string(),
            "--sample-rate".to_owned(),
            num(&c["q"]).to_string(),
            "--steps".to_owned(),
            c["steps"].as_u64().unwrap().to_string(),
            "--rdp-orders".to_owned(),
            "opacus".to_owned(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = json(&args);
        let want = num(&c["opacus_rdp"]["sigma_precise"]);
        assert!(
            rel(num(&out["noise_multiplier"]), want) <= 1e-5,
            "{out} vs {want}"
        );
        assert!(num(&out["epsilon"]) <= num(&c["target_epsilon"]));
        assert_eq!(out["accountant"], "rdp");
        assert_eq!(out["bound"], "upper_bound");
        assert_eq!(out["neighbouring"], "add_remove_one");
    }
    let c = &r["noise_multiplier"][0];
    let out = json(&[
        "accountant",
        "sigma",
        "--epsilon",
        "0.5",
        "--delta",
        "1e-5",
        "--sample-rate",
        &num(&c["q"]).to_string(),
        "--steps",
        "1000",
        "--accountant",
        "pld",
    ]);
    let want = num(&c["dpacc_calibrate_pld"]["sigma"]);
    assert!(
        (num(&out["noise_multiplier"]) - want).abs() <= 1e-3,
        "{out} vs {want}"
    );
}

#[test]
fn rdp_matches_the_ground_truth() {
    let r = reference();
    for g in r["rdp_ground_truth"].as_array().unwrap().iter().step_by(13) {
        let order = num(&g["order"]).to_string();
        let out = json(&[
            "accountant",
            "rdp",
            "--sample-rate",
            &num(&g["q"]).to_string(),
            "--noise-multiplier",
            &num(&g["sigma"]).to_string(),
            "--orders",
            &format!("{order},2"),
        ]);
        assert_eq!(num(&out["orders"][0]), num(&g["order"]));
        assert!(
            rel(num(&out["rdp"][0]), num(&g["rdp_true"])) <= 1e-7,
            "{out}"
        );
        assert_eq!(out["rdp"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn bad_arguments_are_one_line_errors_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "2",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
            ],
            "--sample-rate",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "NaN",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
            ],
            "--sample-rate",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "-1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
            ],
            "--noise-multiplier",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "inf",
                "--steps",
                "3",
                "--delta",
                "1e-5",
            ],
            "--noise-multiplier",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "0",
                "--delta",
                "1e-5",
            ],
            "--steps",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "2.5",
                "--delta",
                "1e-5",
            ],
            "--steps",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "0",
            ],
            "--delta",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
            ],
            "--delta",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
            ],
            "--noise-multiplier",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "abc",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
            ],
            "--sample-rate",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--segment",
                "0.1,1",
                "--delta",
                "1e-5",
            ],
            "--segment",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--segment",
                "0.1,1,3",
                "--segment",
                "0.1,0,3",
                "--delta",
                "1e-5",
            ],
            "--segment",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--segment",
                "0.1,1,3",
                "--sample-rate",
                "0.1",
                "--delta",
                "1e-5",
            ],
            "--sample-rate",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
                "--accountant",
                "prv",
            ],
            "--accountant",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
                "--rdp-orders",
                "all",
            ],
            "--rdp-orders",
        ),
        (
            &[
                "accountant",
                "epsilon",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--steps",
                "3",
                "--delta",
                "1e-5",
                "--pld-interval",
                "0",
            ],
            "--pld-interval",
        ),
        (
            &[
                "accountant",
                "sigma",
                "--epsilon",
                "0",
                "--delta",
                "1e-5",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
            ],
            "--epsilon",
        ),
        (
            &[
                "accountant",
                "sigma",
                "--epsilon",
                "1",
                "--delta",
                "1e-5",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
                "--accountant",
                "gdp",
            ],
            "--accountant",
        ),
        (
            &[
                "accountant",
                "sigma",
                "--epsilon",
                "1",
                "--delta",
                "1e-5",
                "--sample-rate",
                "1.5",
                "--steps",
                "10",
            ],
            "--sample-rate",
        ),
        (
            &[
                "accountant",
                "rdp",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--orders",
                "1",
            ],
            "--orders",
        ),
        (
            &[
                "accountant",
                "rdp",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
                "--orders",
                "2,x",
            ],
            "--orders",
        ),
        (
            &[
                "accountant",
                "rdp",
                "--sample-rate",
                "0.1",
                "--noise-multiplier",
                "1",
            ],
            "--orders",
        ),
    ];
    for (args, flag) in cases {
        let err = usage_error(args);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn unrepresentable_requests_fail_cleanly() {
    // A PLD grid that would not fit: a runtime error (status 1), one line, no panic.
    let out = tabveil(&[
        "accountant",
        "epsilon",
        "--sample-rate",
        "0.5",
        "--noise-multiplier",
        "0.01",
        "--steps",
        "1e9",
        "--delta",
        "1e-5",
        "--accountant",
        "pld",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("grid points"), "{err}");
    // Enormous but valid inputs stay finite or are refused, never a panic.
    for args in [
        [
            "--sample-rate",
            "1e-300",
            "--noise-multiplier",
            "1e300",
            "--steps",
            "18446744073709551615",
        ],
        [
            "--sample-rate",
            "1",
            "--noise-multiplier",
            "1e-300",
            "--steps",
            "1",
        ],
        [
            "--sample-rate",
            "0.999999",
            "--noise-multiplier",
            "0.001",
            "--steps",
            "9007199254740992",
        ],
    ] {
        let mut all = vec!["accountant", "epsilon", "--delta", "1e-5"];
        all.extend(args);
        let out = tabveil(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{all:?}: {err}");
        assert!(matches!(out.status.code(), Some(0..=2)), "{all:?}: {err}");
    }
}

/// An independent lower bound on the true ε of T steps of the Poisson-subsampled Gaussian with
/// a tiny σ: the event "some step's output exceeds ½" has probability ≥ 1 − (1 − q)^T (Φ(½/σ)
/// rounds to 1 here) with the row and ≤ T e^{−1/(8σ²)} without it, so (ε, δ)-DP needs
/// ε ≥ 1/(8σ²) − ln T + ln(1 − (1 − q)^T − δ).
fn tiny_noise_lower_bound(q: f64, sigma: f64, steps: i32, delta: f64) -> f64 {
    1.0 / (8.0 * sigma * sigma) - f64::from(steps).ln() + (1.0 - (1.0 - q).powi(steps) - delta).ln()
}

/// Issue 12: `accountant epsilon --sample-rate 0.01 --noise-multiplier 2e-6 --steps 1000
/// --delta 1e-5` printed ε = 0.000536 (the per-step RDP underflowed to ~1e-308).
#[test]
fn issue_12_tiny_noise_prints_a_true_epsilon() {
    for sigma in ["2e-6", "5e-6"] {
        let args = [
            "accountant",
            "epsilon",
            "--sample-rate",
            "0.01",
            "--noise-multiplier",
            sigma,
            "--steps",
            "1000",
            "--delta",
            "1e-5",
        ];
        let out = json(&args);
        let eps = num(&out["epsilon"]);
        let lower = tiny_noise_lower_bound(0.01, sigma.parse().unwrap(), 1000, 1e-5);
        assert!(eps >= lower, "σ = {sigma}: ε = {eps:e} < {lower:e}");
        assert_eq!(out["unbounded"], false);
        // In text: a short number and a plain statement that this protects nobody.
        let text = tabveil(&args);
        assert!(text.status.success());
        let text = String::from_utf8(text.stdout).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.starts_with("ε = ") && first.contains('e'), "{first}");
        assert!(first.len() < 60, "{first}");
        assert!(text.contains("no meaningful protection"), "{text}");
    }
    // Noise below what f64 can account for: ε = ∞, said plainly, and null in JSON.
    let args = [
        "accountant",
        "epsilon",
        "--sample-rate",
        "0.01",
        "--noise-multiplier",
        "1e-160",
        "--steps",
        "1000",
        "--delta",
        "1e-5",
    ];
    let out = json(&args);
    assert!(out["epsilon"].is_null(), "{out}");
    assert_eq!(out["unbounded"], true);
    let text = tabveil(&args);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("ε = ∞"), "{text}");
}

/// Issue 12: `accountant sigma --epsilon 1e50 …` printed "σ = 6.1e-5 spends ε = 0".
#[test]
fn issue_12_absurd_targets_answer_truthfully_or_refuse() {
    let base = [
        "accountant",
        "sigma",
        "--delta",
        "1e-5",
        "--sample-rate",
        "0.01",
        "--steps",
        "1000",
    ];
    let mut args = base.to_vec();
    args.extend(["--epsilon", "1e50"]);
    let out = json(&args);
    let sigma = num(&out["noise_multiplier"]);
    let eps = num(&out["epsilon"]);
    assert!(eps <= 1e50 && eps > 0.99e50, "{out}");
    // The ε printed is what `accountant epsilon` says at that σ, and the truth is below it.
    let spent = |s: f64| {
        num(&json(&[
            "accountant",
            "epsilon",
            "--sample-rate",
            "0.01",
            "--noise-multiplier",
            &s.to_string(),
            "--steps",
            "1000",
            "--delta",
            "1e-5",
        ])["epsilon"])
    };
    assert_eq!(spent(sigma).to_bits(), eps.to_bits());
    assert!(tiny_noise_lower_bound(0.01, sigma, 1000, 1e-5) <= eps);
    // And it is the smallest such σ: a little less noise spends more than the target.
    assert!(spent(sigma * (1.0 - 1e-5)) > 1e50);
    let text = tabveil(&args[..args.len()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(!text.contains("ε = 0 "), "{text}");
    assert!(text.contains("no meaningful protection"), "{text}");

    // A target that every σ down to 1e-150 meets bounds nothing: a usage error naming the flag.
    let mut args = base.to_vec();
    args.extend(["--epsilon", "1e305"]);
    let err = usage_error(&args);
    assert!(err.contains("--epsilon"), "{err}");
    assert!(err.contains("bounds nothing"), "{err}");
    assert!(err.len() < 300, "{err}");
}
