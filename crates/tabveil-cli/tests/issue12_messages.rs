//! Issue 12, "messages and exit codes" and the false privacy claims of the CLI: usage errors
//! exit 2 naming the flag and a range that works; no Rust debug text, 300-digit numbers or
//! megabyte names; `schema infer` agrees with the reader and its output is refused by private
//! fits until reviewed; bounds that fit cannot handle fail before any release; `--quiet` and
//! `--json` everywhere; the demo never prints nor samples the true row count.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{Fixture, error_line, longest_digit_run, read, started_fitting, stderr, stdout};

/// Checks the one-line error of `o`: exit status, no debug text, no huge number or name.
fn clean_error(o: &std::process::Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
    let line = error_line(o);
    assert!(!line.contains("Some("), "{line}");
    assert!(!line.contains("None"), "{line}");
    assert!(!line.contains("ExtraColumns"), "{line}");
    assert!(!line.contains(":0:0"), "{line}");
    assert!(longest_digit_run(&line) < 20, "{line}");
    assert!(
        line.chars().count() < 1000,
        "{} chars",
        line.chars().count()
    );
    line
}

fn fit_no_privacy(f: &Fixture, data: &str, schema: &str) -> std::process::Output {
    f.run(&[
        "fit",
        "--data",
        data,
        "--schema",
        schema,
        "--no-privacy",
        "--epochs",
        "1",
        "--batch-size",
        "10",
        "--out",
        "m",
    ])
}

#[test]
fn issue12_messages_have_no_debug_text_huge_numbers_or_huge_names() {
    let f = Fixture::new("messages");
    // Out of bounds: the bounds as numbers, not `[Some(0.0), Some(100.0)]`.
    std::fs::write(f.path("a.csv"), "age,city,paid\n130,north,no\n").unwrap();
    let line = clean_error(&fit_no_privacy(&f, "a.csv", "schema.json"), 1);
    assert!(line.contains("[0, 100]"), "{line}");
    // A 300-digit value.
    std::fs::write(f.path("b.csv"), "age,city,paid\n1e300,north,no\n").unwrap();
    clean_error(&fit_no_privacy(&f, "b.csv", "schema.json"), 1);
    // A column the schema does not declare: no library setting the CLI cannot set.
    std::fs::write(f.path("c.csv"), "age,city,paid,extra\n1,north,no,3\n").unwrap();
    let line = clean_error(&fit_no_privacy(&f, "c.csv", "schema.json"), 1);
    assert!(line.contains("extra"), "{line}");
    // Valid JSON that is not a schema: no `0:0` position.
    std::fs::write(f.path("noname.json"), r#"{"columns": []}"#).unwrap();
    let line = clean_error(
        &f.run(&[
            "validate",
            "--schema",
            "noname.json",
            "--rows",
            "10",
            "--no-privacy",
        ]),
        1,
    );
    assert!(line.contains("name"), "{line}");
    // A megabyte column name.
    let long = "x".repeat(1 << 20);
    let schema = format!(
        r#"{{"name": "t", "columns": [{{"name": "{long}", "kind": "continuous", "min": 0, "max": 1}}]}}"#
    );
    std::fs::write(f.path("long.json"), schema).unwrap();
    std::fs::write(f.path("long.csv"), "y\n0.5\n").unwrap();
    let line = clean_error(&fit_no_privacy(&f, "long.csv", "long.json"), 1);
    assert!(line.contains('…'), "{}", &line[..200.min(line.len())]);
    // Tiny and huge ε and δ: the findings print short numbers.
    for (eps, delta) in [("1e-320", "1e-6"), ("1e300", "1e-6"), ("1", "1e-320")] {
        let o = f.run(&[
            "validate",
            "--schema",
            "schema.json",
            "--rows",
            "600",
            "--epsilon",
            eps,
            "--delta",
            delta,
        ]);
        assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(longest_digit_run(&all) < 20, "ε {eps} δ {delta}: {all}");
        assert!(!all.contains("Some("), "{all}");
    }
}

#[test]
fn issue12_usage_errors_exit_2_and_name_a_range_that_works() {
    let f = Fixture::new("usage");
    // Non-private CTGAN packs 10 rows: the flag and the multiple are named, not `pac`.
    for cmd in [
        vec![
            "fit",
            "--data",
            "train.csv",
            "--schema",
            "schema.json",
            "--no-privacy",
            "--batch-size",
            "15",
            "--out",
            "m",
        ],
        vec![
            "validate",
            "--schema",
            "schema.json",
            "--rows",
            "600",
            "--no-privacy",
            "--batch-size",
            "15",
        ],
    ] {
        let o = f.run(&cmd);
        let line = clean_error(&o, 2);
        assert!(line.contains("--batch-size"), "{line}");
        assert!(line.contains("multiple of 10"), "{line}");
        assert!(!line.contains("pac"), "{line}");
    }
    // In private mode pac is 1: 15 is fine.
    let o = f.run(&[
        "validate",
        "--schema",
        "schema.json",
        "--rows",
        "600",
        "--epsilon",
        "3",
        "--delta",
        "1e-5",
        "--epochs",
        "3",
        "--batch-size",
        "15",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));

    // Every "use a batch size between A and B" names sizes that are accepted.
    let plans: [&[&str]; 5] = [
        &["--rows", "1", "--no-privacy", "--batch-size", "500"],
        &[
            "--rows",
            "1",
            "--epsilon",
            "3",
            "--delta",
            "1e-6",
            "--batch-size",
            "500",
        ],
        &["--rows", "55", "--no-privacy", "--batch-size", "500"],
        &[
            "--rows",
            "100",
            "--epsilon",
            "1",
            "--delta",
            "1e-6",
            "--batch-size",
            "500",
        ],
        &[
            "--rows",
            "3000",
            "--epsilon",
            "0.5",
            "--delta",
            "1e-6",
            "--batch-size",
            "3000",
            "--epochs",
            "50",
        ],
    ];
    for plan in plans {
        let mut args = vec!["validate", "--schema", "schema.json"];
        args.extend_from_slice(plan);
        let o = f.run(&args);
        let text = stdout(&o);
        let Some((lo, hi)) = batch_range(&text) else {
            continue;
        };
        assert!(lo <= hi, "{plan:?}: {text}");
        for b in [lo, hi] {
            let b = b.to_string();
            let mut again = args.clone();
            let i = again.iter().position(|a| *a == "--batch-size").unwrap();
            again[i + 1] = &b;
            let o = f.run(&again);
            assert_ne!(o.status.code(), Some(2), "{plan:?} → {b}: {}", stderr(&o));
            assert!(
                !stdout(&o).contains("E-BATCH-RANGE") && !stdout(&o).contains("E-BATCH-PAC"),
                "{plan:?} suggested {b}: {}",
                stdout(&o)
            );
        }
    }
}

/// The first "between A and B" of a batch-size fix.
fn batch_range(text: &str) -> Option<(u64, u64)> {
    let at = text.find("batch size between ")?;
    let rest = &text[at + "batch size between ".len()..];
    let lo: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let rest = rest[lo.len()..].strip_prefix(" and ")?;
    let rest = rest.strip_prefix("the table's ").unwrap_or(rest);
    let hi: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((lo.parse().ok()?, hi.parse().ok()?))
}

#[test]
fn issue12_schema_infer_agrees_with_the_reader() {
    let f = Fixture::new("infer");
    let mut csv = String::from("when,paid\n");
    for i in 0..40 {
        // A number first, then only datetimes: the number must not be forgotten.
        let when = if i == 0 { "0" } else { "2001-02-03 04:05:06" };
        csv.push_str(&format!(
            "{when},{}\n",
            if i % 3 == 0 { "yes" } else { "no" }
        ));
    }
    std::fs::write(f.path("mixed.csv"), &csv).unwrap();
    let o = f.run(&["schema", "infer", "--data", "mixed.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(f.path("mixed.json"), stdout(&o)).unwrap();
    let o = fit_no_privacy(&f, "mixed.csv", "mixed.json");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn issue12_private_fits_refuse_an_inferred_schema_until_it_is_reviewed() {
    let f = Fixture::new("inferred");
    let o = f.run(&["schema", "infer", "--data", "train.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut schema: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(schema["inferred_from_data"], serde_json::Value::Bool(true));
    std::fs::write(f.path("inferred.json"), stdout(&o)).unwrap();
    let private = [
        "fit",
        "--data",
        "train.csv",
        "--schema",
        "inferred.json",
        "--epsilon",
        "3",
        "--delta",
        "1e-5",
        "--epochs",
        "2",
        "--batch-size",
        "100",
        "--out",
        "m",
    ];
    let o = f.run(&private);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!started_fitting(&o), "{}", stderr(&o));
    assert!(stderr(&o).contains("inferred_from_data"), "{}", stderr(&o));
    assert!(!f.path("m").exists());
    // `validate` says so too.
    let o = f.run(&[
        "validate",
        "--schema",
        "inferred.json",
        "--rows",
        "600",
        "--epsilon",
        "3",
        "--delta",
        "1e-5",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("inferred_from_data"), "{}", stdout(&o));
    // A non-private fit may use it.
    let o = f.run(&[
        "fit",
        "--data",
        "train.csv",
        "--schema",
        "inferred.json",
        "--no-privacy",
        "--epochs",
        "1",
        "--batch-size",
        "100",
        "--out",
        "np",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Reviewed (the mark removed): the private fit runs.
    schema.as_object_mut().unwrap().remove("inferred_from_data");
    std::fs::write(f.path("inferred.json"), schema.to_string()).unwrap();
    let o = f.run(&private);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn issue12_bounds_fit_cannot_handle_fail_before_any_release() {
    let f = Fixture::new("bounds");
    std::fs::write(
        f.path("huge.json"),
        r#"{"name": "t", "columns": [
            {"name": "x", "kind": "continuous", "min": -1e200, "max": 1e200},
            {"name": "c", "kind": "categorical", "categories": ["a", "b"]}]}"#,
    )
    .unwrap();
    let mut csv = String::from("x,c\n");
    for i in 0..300 {
        csv.push_str(&format!(
            "{}e150,{}\n",
            i % 7,
            if i % 2 == 0 { "a" } else { "b" }
        ));
    }
    std::fs::write(f.path("huge.csv"), csv).unwrap();
    let o = f.run(&[
        "validate",
        "--schema",
        "huge.json",
        "--rows",
        "300",
        "--epsilon",
        "3",
        "--delta",
        "1e-5",
        "--batch-size",
        "50",
        "--epochs",
        "1",
    ]);
    let line = clean_error(&o, 1);
    assert!(line.contains("`x`"), "{line}");
    let o = f.run(&[
        "fit",
        "--data",
        "huge.csv",
        "--schema",
        "huge.json",
        "--epsilon",
        "3",
        "--delta",
        "1e-5",
        "--batch-size",
        "50",
        "--epochs",
        "1",
        "--out",
        "m",
    ]);
    let line = clean_error(&o, 1);
    assert!(!started_fitting(&o), "{}", stderr(&o));
    assert!(!line.contains("ledger"), "{line}");
}

#[test]
fn issue12_quiet_and_json_on_every_command() {
    let f = Fixture::new("quiet");
    std::fs::write(f.path("holdout.csv"), common::csv(120, 3)).unwrap();
    // fit: --quiet prints nothing; --json prints one JSON object.
    let o = f.fit("model", &["--epsilon", "3", "--delta", "1e-5", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).lines().all(|l| l.starts_with("warning")),
        "{}",
        stderr(&o)
    );
    let o = f.fit("model2", &["--no-privacy", "--json", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["out"], "model2");
    let o = f.fit("model3", &["--epsilon", "3", "--delta", "1e-5", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let eps = v["epsilon_spent"].as_f64().unwrap();
    assert!(eps > 0.0 && eps <= 3.0, "{v}");
    // sample.
    let o = f.run(&[
        "sample", "--model", "model", "--rows", "10", "--out", "s.csv", "--quiet",
    ]);
    assert!(o.status.success() && o.stdout.is_empty() && o.stderr.is_empty());
    let o = f.run(&[
        "sample", "--model", "model", "--rows", "10", "--out", "s.csv", "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rows"], 10);
    // report.
    let o = f.run(&["report", "--model", "model", "--out", "r.md", "--quiet"]);
    assert!(o.status.success() && o.stdout.is_empty(), "{}", stderr(&o));
    let o = f.run(&["report", "--model", "model", "--json"]);
    let _: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // validate, schema infer, evaluate, accountant: --quiet accepted, results still printed.
    let o = f.run(&[
        "validate",
        "--schema",
        "schema.json",
        "--rows",
        "600",
        "--no-privacy",
        "--batch-size",
        "100",
        "--quiet",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let _: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let o = f.run(&[
        "schema",
        "infer",
        "--data",
        "train.csv",
        "--quiet",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let _: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let o = f.run(&[
        "evaluate",
        "--real",
        "train.csv",
        "--synthetic",
        "s.csv",
        "--schema",
        "schema.json",
        "--html",
        "e.html",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("written to"), "{}", stdout(&o));
    let o = f.run(&[
        "accountant",
        "epsilon",
        "--sample-rate",
        "0.01",
        "--noise-multiplier",
        "1",
        "--steps",
        "100",
        "--delta",
        "1e-5",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `--quiet` on the demo: its results (privacy, rows, quality) but no timing, and nothing on
/// stderr but warnings.
#[test]
fn issue12_quiet_demo_prints_no_timing() {
    let f = Fixture::new("quiet-demo");
    let o = f.run(&["demo", "--epochs", "1", "--out", "d", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("privacy"), "{out}");
    assert!(!out.contains("done in"), "{out}");
    assert!(
        stderr(&o).lines().all(|l| l.starts_with("warning")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn issue12_demo_prints_and_samples_only_the_estimated_row_count() {
    let f = Fixture::new("demo");
    let o = f.run(&["demo", "--epochs", "1", "--out", "d", "--quiet", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let estimate = v["estimated_rows"].as_u64().unwrap();
    // The bundled table has 26 049 rows: that number is private. The noisy estimate (OS-seeded
    // noise) rounds to it now and then; only then may it appear, as the estimate.
    if estimate != 26_049 {
        assert!(!out.contains("26049") && !out.contains("26 049"), "{out}");
    }
    let report: serde_json::Value = serde_json::from_str(&read(&f.path("d/report.json"))).unwrap();
    assert_eq!(report["model"]["n_rows"].as_u64(), Some(estimate));
    let rows = read(&f.path("d/synthetic.csv")).lines().count() as u64 - 1;
    assert_eq!(rows, estimate);
    assert_eq!(v["synthetic_rows"].as_u64(), Some(estimate));
}
