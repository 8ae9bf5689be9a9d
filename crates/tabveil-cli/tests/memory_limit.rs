//! `--memory-limit`: a plan whose model needs more memory than the limit, whatever the data,
//! is refused by `validate` and by `fit` before anything is read or released; `none` lifts the
//! check; a nonsense size is a usage error naming the flag.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use common::{Fixture, started_fitting, stderr, stdout};

/// The marginal model on the tests' schema at ε = 3, with `extra` flags.
fn validate(f: &Fixture, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "validate",
        "--model",
        "marginal",
        "--schema",
        "schema.json",
        "--rows",
        "600",
        "--epsilon",
        "3",
        "--delta",
        "1e-6",
    ];
    args.extend_from_slice(extra);
    f.run(&args)
}

#[test]
fn a_tiny_limit_refuses_the_plan_and_none_lifts_it() {
    let f = Fixture::new("memory-limit");
    // 1 KiB is less than any marginal model needs.
    let tiny = validate(&f, &["--memory-limit", "1KiB"]);
    assert_eq!(tiny.status.code(), Some(1), "{}", stderr(&tiny));
    assert!(
        stdout(&tiny).contains("E-MODEL-TOO-WIDE"),
        "{}",
        stdout(&tiny)
    );
    for ok in [
        &["--memory-limit", "none"][..],
        &["--memory-limit", "4GiB"][..],
        &[][..],
    ] {
        let o = validate(&f, ok);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{ok:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(!stdout(&o).contains("E-MODEL-TOO-WIDE"));
    }
    // fit refuses the same plan before reading the data: nothing is written.
    let fit = f.run(&[
        "fit",
        "--model",
        "marginal",
        "--data",
        "train.csv",
        "--schema",
        "schema.json",
        "--epsilon",
        "3",
        "--delta",
        "1e-6",
        "--memory-limit",
        "1KiB",
        "--out",
        "m",
    ]);
    assert_eq!(fit.status.code(), Some(1));
    assert!(
        stderr(&fit).contains("E-MODEL-TOO-WIDE"),
        "{}",
        stderr(&fit)
    );
    assert!(!started_fitting(&fit));
    assert!(!f.path("m").exists());
}

#[test]
fn a_nonsense_limit_is_a_usage_error() {
    let f = Fixture::new("memory-limit-bad");
    let o = validate(&f, &["--memory-limit", "12 parsecs"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--memory-limit"), "{}", stderr(&o));
}
