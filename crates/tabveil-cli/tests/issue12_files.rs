//! Issue 12, "files and budgets that are lost": `fit --out` never deletes what tabveil did not
//! write, writes go through FIFOs, devices and symbolic links, `-` is stdin/stdout, nothing is
//! spent before the output is known to be writable, stale staging folders are cleaned, and
//! `sample` streams its rows.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{Fixture, error_line, is_root, read, started_fitting, stderr, stdout};

/// What tabveil writes into a folder while it saves a model there (see the models crate's
/// `persist` module): the marker that makes a leftover folder recognisably its own.
const STAGING_MARKER: &str = ".tabveil-staging";
const STAGING_MARKER_TEXT: &str =
    "tabveil: a model being saved; safe to delete when no tabveil process is running\n";

#[test]
fn issue12_fit_out_never_deletes_what_tabveil_did_not_write() {
    let f = Fixture::new("wipe");
    // A user's folder that happens to hold a `model.json`.
    std::fs::create_dir_all(f.path("thesis/src")).unwrap();
    std::fs::write(f.path("thesis/model.json"), r#"{"mine": true}"#).unwrap();
    std::fs::write(f.path("thesis/thesis.tex"), "precious").unwrap();
    std::fs::write(f.path("thesis/src/main.rs"), "fn main() {}").unwrap();
    let o = f.fit("thesis", &["--no-privacy"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        error_line(&o).contains("not a tabveil model"),
        "{}",
        stderr(&o)
    );
    assert!(
        !started_fitting(&o),
        "refused before fitting: {}",
        stderr(&o)
    );
    assert_eq!(read(&f.path("thesis/model.json")), r#"{"mine": true}"#);
    assert_eq!(read(&f.path("thesis/thesis.tex")), "precious");
    assert_eq!(read(&f.path("thesis/src/main.rs")), "fn main() {}");

    // A symbolic link named model.json.
    std::fs::create_dir_all(f.path("linked")).unwrap();
    std::fs::write(f.path("precious.json"), "keep").unwrap();
    std::os::unix::fs::symlink("../precious.json", f.path("linked/model.json")).unwrap();
    let o = f.fit("linked", &["--no-privacy"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(f.path("linked/model.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(&f.path("precious.json")), "keep");

    // A real model with a file of the user's added: not replaced either.
    let ok = f.fit("model", &["--no-privacy"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    std::fs::write(f.path("model/notes.txt"), "mine").unwrap();
    let o = f.fit("model", &["--no-privacy"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(error_line(&o).contains("notes.txt"), "{}", stderr(&o));
    assert_eq!(read(&f.path("model/notes.txt")), "mine");

    // A damaged model (its checksum no longer matches) is not replaced: it may not be ours.
    std::fs::remove_file(f.path("model/notes.txt")).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&read(&f.path("model/model.json"))).unwrap();
    let checksum = manifest["checksum"].as_str().unwrap().to_owned();
    let flipped = if checksum.starts_with('0') { "1" } else { "0" };
    manifest["checksum"] = format!("{flipped}{}", &checksum[1..]).into();
    let damaged = serde_json::to_string_pretty(&manifest).unwrap();
    std::fs::write(f.path("model/model.json"), &damaged).unwrap();
    let o = f.fit("model", &["--no-privacy"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(read(&f.path("model/model.json")), damaged);
}

#[test]
fn issue12_outputs_write_through_fifos_symlinks_and_devices() {
    let f = Fixture::new("special");
    assert!(f.fit("model", &["--no-privacy"]).status.success());

    // A FIFO: a reader must receive the rows, and the FIFO must stay a FIFO.
    let fifo = f.path("pipe.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (tx, rx) = mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(reader_path));
    });
    let o = f.run(&[
        "sample", "--model", "model", "--rows", "50", "--out", "pipe.csv",
    ]);
    let received = rx.recv_timeout(Duration::from_secs(30));
    assert!(o.status.success(), "{}", stderr(&o));
    let received = received
        .expect("the FIFO's reader received nothing: the FIFO was replaced")
        .unwrap();
    assert_eq!(received.lines().count(), 51, "{received}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    // A symbolic link: the file it points to is written, the link stays.
    std::fs::write(f.path("target.csv"), "old").unwrap();
    std::os::unix::fs::symlink("target.csv", f.path("link.csv")).unwrap();
    let o = f.run(&[
        "sample", "--model", "model", "--rows", "20", "--out", "link.csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(f.path("link.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(&f.path("target.csv")).lines().count(), 21);
    std::os::unix::fs::symlink("report-target.md", f.path("report-link.md")).unwrap();
    let o = f.run(&["report", "--model", "model", "--out", "report-link.md"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(&f.path("report-target.md")).contains("Privacy report"));
    assert!(
        std::fs::symlink_metadata(f.path("report-link.md"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A character device: /dev/null stays /dev/null (checked after the FIFO and the link, so
    // a build that renames over special files fails above without touching /dev/null).
    let o = f.run(&[
        "sample",
        "--model",
        "model",
        "--rows",
        "20",
        "--out",
        "/dev/null",
    ]);
    let still_device = std::fs::symlink_metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device();
    if !still_device && is_root() {
        // Never leave the machine without /dev/null.
        let _ = std::fs::remove_file("/dev/null");
        let _ = Command::new("mknod")
            .args(["-m", "666", "/dev/null", "c", "1", "3"])
            .status();
    }
    assert!(still_device, "/dev/null was replaced");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn issue12_dash_means_stdin_and_stdout() {
    let f = Fixture::new("dash");
    let train = read(&f.path("train.csv"));
    // fit --data - reads the rows from stdin.
    let o = f.run_with_stdin(
        &[
            "fit",
            "--data",
            "-",
            "--schema",
            "schema.json",
            "--no-privacy",
            "--epochs",
            "1",
            "--batch-size",
            "100",
            "--out",
            "model",
        ],
        train.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(f.path("model/model.json").is_file());
    // sample --out - writes the CSV to stdout, and no file named `-`.
    let o = f.run(&["sample", "--model", "model", "--rows", "30", "--out", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    assert!(csv.starts_with("age,city,paid\n"), "{csv}");
    assert_eq!(csv.lines().count(), 31);
    assert!(!f.path("-").exists());
    // report --out -.
    let o = f.run(&[
        "report", "--model", "model", "--format", "json", "--out", "-",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let _: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!f.path("-").exists());
    // schema infer --data -.
    let o = f.run_with_stdin(&["schema", "infer", "--data", "-"], train.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let _: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // evaluate --synthetic -.
    let o = f.run_with_stdin(
        &[
            "evaluate",
            "--real",
            "train.csv",
            "--synthetic",
            "-",
            "--schema",
            "schema.json",
            "--json",
        ],
        csv.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // A model is a folder: `fit --out -` is a usage error.
    let o = f.fit("-", &["--no-privacy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(error_line(&o).contains("--out"));
}

#[test]
fn issue12_an_unwritable_out_fails_before_any_privacy_is_spent() {
    let f = Fixture::new("unwritable");
    let private = ["--epsilon", "3", "--delta", "1e-5", "--noise-seed", "1"];
    // The parent of --out is a regular file: nothing can be created there.
    std::fs::write(f.path("blocker"), "a file").unwrap();
    let o = f.fit("blocker/model", &private);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!started_fitting(&o), "{}", stderr(&o));
    assert!(error_line(&o).contains("blocker"), "{}", stderr(&o));
    assert_eq!(read(&f.path("blocker")), "a file");

    // A directory the user cannot write to (as another uid: root writes anywhere).
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if is_root() && setpriv {
        std::fs::set_permissions(&f.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(f.path("readonly")).unwrap();
        std::fs::set_permissions(f.path("readonly"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_tabveil"))
            .args([
                "fit",
                "--data",
                "train.csv",
                "--schema",
                "schema.json",
                "--epochs",
                "2",
                "--batch-size",
                "100",
                "--out",
                "readonly/model",
            ])
            .args(private)
            .current_dir(&f.dir)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(!started_fitting(&o), "{}", stderr(&o));
        assert!(error_line(&o).contains("readonly"), "{}", stderr(&o));
    } else {
        eprintln!("skipped the other-uid case: needs root and setpriv");
    }

    // Not enough space for the model: a 64 KiB file system.
    let small = f.path("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = is_root()
        && Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&small)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if mounted {
        let o = f.run(&[
            "fit",
            "--data",
            "train.csv",
            "--schema",
            "schema.json",
            "--epochs",
            "2",
            "--batch-size",
            "100",
            "--out",
            "small/model",
            "--epsilon",
            "3",
            "--delta",
            "1e-5",
        ]);
        let _ = Command::new("umount").arg(&small).status();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(!started_fitting(&o), "{}", stderr(&o));
        assert!(error_line(&o).contains("space"), "{}", stderr(&o));
    } else {
        eprintln!("skipped the disk-space case: needs root to mount a small tmpfs");
    }
}

#[test]
fn issue12_stale_staging_folders_are_cleaned_and_nothing_else() {
    let f = Fixture::new("stale");
    // A pid above Linux's PID_MAX_LIMIT (2^22): no such process can be running.
    let dead = 4_194_399;
    let ours = f.path(&format!(".model.tmp-tabveil-{dead}-1"));
    std::fs::create_dir(&ours).unwrap();
    std::fs::write(ours.join(STAGING_MARKER), STAGING_MARKER_TEXT).unwrap();
    std::fs::write(ours.join("parameters.safetensors"), "half written").unwrap();
    // Lookalikes that tabveil cannot prove are its own stay.
    let unmarked = f.path(&format!(".model.tmp-tabveil-{dead}-2"));
    std::fs::create_dir(&unmarked).unwrap();
    std::fs::write(unmarked.join("x"), "mine").unwrap();
    let wrong_marker = f.path(&format!(".model.tmp-tabveil-{dead}-3"));
    std::fs::create_dir(&wrong_marker).unwrap();
    std::fs::write(wrong_marker.join(STAGING_MARKER), "something else").unwrap();
    let other_name = f.path(&format!(".other.tmp-tabveil-{dead}-4"));
    std::fs::create_dir(&other_name).unwrap();
    std::fs::write(other_name.join(STAGING_MARKER), STAGING_MARKER_TEXT).unwrap();

    let o = f.fit("model", &["--no-privacy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!ours.exists(), "the stale staging folder is removed");
    assert!(unmarked.join("x").is_file());
    assert!(wrong_marker.join(STAGING_MARKER).is_file());
    assert!(other_name.join(STAGING_MARKER).is_file());
    // Nothing of tabveil's own is left either.
    let leftovers: Vec<String> = std::fs::read_dir(&f.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".model.tmp-") && !n.ends_with("-2") && !n.ends_with("-3"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!f.path("model").join(STAGING_MARKER).exists());
}

#[test]
fn issue12_sample_streams_rows_to_the_writer() {
    let f = Fixture::new("stream");
    assert!(f.fit("model", &["--no-privacy"]).status.success());
    // Ten billion rows: the first thousand must arrive at once, not after all were generated.
    let mut child = f
        .command(&[
            "sample",
            "--model",
            "model",
            "--rows",
            "10000000000",
            "--out",
            "-",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(out).lines();
        let first: Vec<String> = lines.by_ref().take(1001).map_while(Result::ok).collect();
        let _ = tx.send(first);
        // Dropping the reader closes the pipe: the writer stops (broken pipe).
    });
    let first = rx.recv_timeout(Duration::from_secs(60));
    let exited = (0..300).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
    }
    let first = first.expect("no rows within a minute: the rows are not streamed");
    assert_eq!(first.len(), 1001);
    assert_eq!(first[0], "age,city,paid");
    assert!(exited, "the writer did not stop when its reader went away");
}
