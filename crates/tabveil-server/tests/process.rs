//! The server binary as a child process: `kill -9` in the middle of a fit, then a restart,
//! keeps the fit's whole planned charge (nothing lost, nothing charged twice) and the chain
//! verifies; SIGTERM drains: the running fit is cancelled and charged what it released.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Api, Db, Env, backends, long_fit, verified_chain};
use reqwest::StatusCode;
use tabveil_server::chain::ChargePhase;

/// A free loopback port (bound, then released for the child).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Spawned {
    child: Child,
    base: String,
}

async fn spawn(env: &Env, port: u16) -> Spawned {
    let child = Command::new(env!("CARGO_BIN_EXE_tabveil-server"))
        .args([
            "--database",
            &env.url,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--data-dir")
        .arg(&env.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/health")).await
            && r.status() == StatusCode::OK
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Spawned { child, base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_fit_keeps_the_planned_charge_and_the_chain_verifies() {
    for db in backends() {
        kill_9(&db).await;
    }
}

async fn kill_9(db: &Db) {
    let env = Env::new(db).await;
    let port = free_port();
    let mut server = spawn(&env, port).await;
    let api = Api::new(&server.base, &env.admin_token());
    let ds = api.dataset(10.0, 1000).await;
    let (status, created) = api.fit(&ds, long_fit()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let planned = created["planned_epsilon"].as_f64().unwrap();
    api.wait_for(&id, |g| g["steps"].as_u64().unwrap_or(0) > 2)
        .await;
    let spent_before = verified_chain(&api, &ds).await.epsilon_spent;
    // SIGKILL: no chance to settle.
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let mut server = spawn(&env, port).await;
    let g = api.wait(&id).await;
    assert_eq!(g["state"], "failed", "{g}");
    assert_eq!(g["error_code"], "interrupted", "{g}");
    let chain = verified_chain(&api, &ds).await;
    assert_eq!(chain.entries, 4, "budget, row count, planned, interrupted");
    let charge = chain
        .charges
        .iter()
        .find(|c| c.subject == format!("generator:{id}"))
        .unwrap();
    assert_eq!(charge.phase, ChargePhase::Interrupted);
    // The whole plan stays charged (at least what the fit released), once.
    assert!(
        (charge.epsilon_alone - planned).abs() < 1e-9,
        "{charge:?} vs {planned}"
    );
    assert!((chain.epsilon_spent - spent_before).abs() < 1e-9);
    // Another restart changes nothing.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut server = spawn(&env, port).await;
    let again = verified_chain(&api, &ds).await;
    assert_eq!(again.entries, 4);
    assert_eq!(again.epsilon_spent, chain.epsilon_spent);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_charges_the_running_fit_what_it_released() {
    for db in backends() {
        sigterm(&db).await;
    }
}

async fn sigterm(db: &Db) {
    let env = Env::new(db).await;
    let port = free_port();
    let mut server = spawn(&env, port).await;
    let api = Api::new(&server.base, &env.admin_token());
    let ds = api.dataset(10.0, 1000).await;
    let (_, created) = api.fit(&ds, long_fit()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let planned = created["planned_epsilon"].as_f64().unwrap();
    api.wait_for(&id, |g| g["steps"].as_u64().unwrap_or(0) > 2)
        .await;
    let pid = server.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "SIGTERM did not stop the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");

    let mut server = spawn(&env, port).await;
    let g = api.wait(&id).await;
    assert_eq!(g["state"], "cancelled", "{g}");
    let chain = verified_chain(&api, &ds).await;
    let charge = chain
        .charges
        .iter()
        .find(|c| c.subject == format!("generator:{id}"))
        .unwrap();
    assert_eq!(charge.phase, ChargePhase::Cancelled);
    assert!(charge.epsilon_alone > 0.0 && charge.epsilon_alone < planned);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
