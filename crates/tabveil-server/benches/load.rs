//! Load: 50 concurrent sample requests against one generator while another fit runs on the
//! same server, over loopback HTTP, on a SQLite file. Prints p50 / p99 / max latency.
//!
//! `cargo bench -p tabveil-server --bench load` (the full run: 50 requests of 1 000 rows);
//! under `cargo test` (no `--bench` argument) a smoke run of 5 requests of 50 rows.
//! `TABVEIL_BENCH_POSTGRES_URL=postgres://…/DB` runs it on PostgreSQL instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    reason = "a bench binary"
)]

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tabveil_server::{ADMIN_TOKEN_FILE, Server, ServerConfig};

const SCHEMA: &str = r#"{"name": "people", "columns": [
  {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
  {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"]},
  {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}]}"#;

fn csv(n: usize) -> String {
    let cities = ["north", "south", "east"];
    let mut s = String::from("age,city,paid\n");
    for i in 0..n {
        let age = 20 + (i * 7) % 50;
        s.push_str(&format!(
            "{age},{},{}\n",
            cities[i % 3],
            if age > 45 { "yes" } else { "no" }
        ));
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (requests, rows) = if full { (50, 1_000) } else { (5, 50) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(requests, rows, full));
}

async fn run(requests: usize, rows: usize, full: bool) {
    let dir = std::env::temp_dir().join(format!("tabveil-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = ServerConfig::new(&dir);
    config.bind = "127.0.0.1:0".parse().unwrap();
    if let Ok(url) = std::env::var("TABVEIL_BENCH_POSTGRES_URL") {
        config.database_url = Some(url);
    }
    let database = if config.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let server = Server::start(config).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let token = std::fs::read_to_string(dir.join(ADMIN_TOKEN_FILE))
        .unwrap()
        .trim()
        .to_owned();
    let http = Client::new();
    let send = |req: reqwest::RequestBuilder| {
        let token = token.clone();
        async move {
            let r = req.bearer_auth(token).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let (_, d) = send(http.post(format!("{base}/datasets")).json(&json!({
        "name": "load", "schema": serde_json::from_str::<Value>(SCHEMA).unwrap(),
        "epsilon_total": 20.0, "delta": 1e-5,
    })))
    .await;
    let ds = d["id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        http.put(format!("{base}/datasets/{ds}/table"))
            .header("content-type", "text/csv")
            .body(csv(2_000)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let fit = |epochs: u64, dims: u64| {
        json!({"generator_type": "dp-ctgan", "epochs": epochs, "batch_size": 100, "target_epsilon": 4.0,
               "target_delta": 1e-5, "hidden_dims": [dims, dims], "embedding_dim": 32, "seed": 1})
    };
    let wait = |id: String, until: fn(&Value) -> bool| {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        async move {
            let start = Instant::now();
            loop {
                let g: Value = http
                    .get(format!("{base}/generators/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if until(&g) {
                    return g;
                }
                assert!(start.elapsed() < Duration::from_secs(600), "stuck: {g}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    // The generator to sample from, fitted first.
    let (status, g) = send(
        http.post(format!("{base}/datasets/{ds}/generators"))
            .json(&fit(2, 128)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{g}");
    let sampled = g["id"].as_str().unwrap().to_owned();
    let done = wait(sampled.clone(), |g| {
        g["state"] != "queued" && g["state"] != "running"
    })
    .await;
    assert_eq!(done["state"], "done", "{done}");
    // Warm the model cache (first load reads and checks the file).
    let (status, _) = send(http.get(format!("{base}/generators/{sampled}/samples?rows=1"))).await;
    assert_eq!(status, StatusCode::OK);
    // A fit that keeps running during the load.
    let (status, g) = send(
        http.post(format!("{base}/datasets/{ds}/generators"))
            .json(&fit(300, 256)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{g}");
    let running = g["id"].as_str().unwrap().to_owned();
    wait(running.clone(), |g| g["steps"].as_u64().unwrap_or(0) > 0).await;

    let start = Instant::now();
    let tasks: Vec<_> = (0..requests)
        .map(|k| {
            let url = format!("{base}/generators/{sampled}/samples?rows={rows}&seed={k}");
            let (http, token) = (http.clone(), token.clone());
            tokio::spawn(async move {
                let t = Instant::now();
                let r = http.get(url).bearer_auth(token).send().await.unwrap();
                let status = r.status();
                let body = r.text().await.unwrap();
                (status, body.lines().count(), t.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(requests);
    for t in tasks {
        let (status, lines, latency) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(lines, rows + 1);
        latencies.push(latency);
    }
    let wall = start.elapsed();
    let (_, g) = send(http.get(format!("{base}/generators/{running}"))).await;
    let still_running = g["state"] == "running";
    latencies.sort_unstable();
    println!(
        "load ({}, {database}): {requests} concurrent requests of {rows} rows, all 200; fit running throughout: {still_running}",
        if full { "full" } else { "smoke" }
    );
    println!(
        "latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; wall {:.1} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e3
    );
    let _ = send(http.post(format!("{base}/generators/{running}/cancel"))).await;
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
