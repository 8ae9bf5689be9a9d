//! `tabveil ledger verify`: a chain as the server exports it verifies (exit 0, the head and
//! the composed ε printed); the same chain with one entry edited does not (exit 1, the entry
//! named).

#![allow(clippy::unwrap_used, reason = "tests")]

use std::process::Command;

use tabveil::accountant::{AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
use tabveil_server::chain::{Chain, ChargePhase, EntryBody};

fn chain() -> Chain {
    let mut c = Chain::new("ds_test");
    c.append(EntryBody::budget(
        "ds_test",
        3.0,
        1e-6,
        AccountantSpec::rdp(),
        0,
    ))
    .unwrap();
    let mut planned = PrivacyLedger::new();
    planned
        .record(
            LedgerEntry::new(
                "steps",
                Stage::Training,
                PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.5, 500).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    c.append(EntryBody::charge(
        "ds_test",
        "generator:g1",
        ChargePhase::Planned,
        planned,
        1,
    ))
    .unwrap();
    c
}

fn verify(json: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("tabveil-ledger-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("chain-{}.json", json.len()));
    std::fs::write(&file, json).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tabveil"))
        .args(["ledger", "verify"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir(&dir);
    out
}

#[test]
fn an_exported_chain_verifies_and_an_edited_one_does_not() {
    let c = chain();
    let json = serde_json::to_string_pretty(&c.export()).unwrap();
    let out = verify(&json);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&c.links()[1].hash), "{stdout}");
    assert!(stdout.contains("generator:g1"), "{stdout}");

    let mut forged = c.export();
    forged.entries[1].body = forged.entries[1]
        .body
        .replace("\"steps\":500", "\"steps\":50");
    let out = verify(&serde_json::to_string(&forged).unwrap());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("entry 2 was modified"), "{stderr}");

    let out = verify("{\"not\": \"a chain\"}");
    assert_eq!(out.status.code(), Some(1));
}
