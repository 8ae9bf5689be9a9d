//! The service over loopback with a real HTTP client: the whole round trip, bad uploads, a
//! cancellation and ten concurrent sample requests on one model.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const SCHEMA: &str = r#"{
  "name": "people",
  "columns": [
    {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
    {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"]},
    {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}
  ]
}"#;

fn csv(n: usize) -> String {
    let cities = ["north", "south", "east"];
    let mut s = String::from("age,city,paid\n");
    for i in 0..n {
        let age = 20 + (i * 7) % 50;
        let paid = if age > 45 { "yes" } else { "no" };
        s.push_str(&format!("{age},{},{paid}\n", cities[i % 3]));
    }
    s
}

/// Starts the service on a free loopback port; it stops with the test's runtime.
async fn start() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, tabveil_service::router())
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

fn upload(epochs: usize, privacy: Value) -> Value {
    json!({
        "csv": csv(600),
        "schema": serde_json::from_str::<Value>(SCHEMA).unwrap(),
        "privacy": privacy,
        "epochs": epochs,
        "batch_size": 100,
        "seed": 1,
        "small": true,
    })
}

/// Polls the job until `done(state)`, at most 120 s.
async fn wait_for(client: &Client, base: &str, id: u64, done: impl Fn(&str) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let status: Value = client
            .get(format!("{base}/jobs/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(status["state"].as_str().unwrap()) {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "job {id} stuck: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post_job(client: &Client, base: &str, body: &Value) -> (StatusCode, Value) {
    let response = client
        .post(format!("{base}/jobs"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_and_ten_concurrent_samples() {
    let base = start().await;
    let client = Client::new();
    let (status, job) = post_job(
        &client,
        &base,
        &upload(3, json!({"mode": "dp", "epsilon": 3.0, "delta": 1e-5})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_u64().unwrap();
    assert_eq!(job["target_epsilon"], json!(3.0));
    let done = wait_for(&client, &base, id, |s| {
        !matches!(s, "queued" | "preprocessing" | "training")
    })
    .await;
    assert_eq!(done["state"], "done", "{done}");
    let spent = done["epsilon_spent"].as_f64().unwrap();
    assert!(spent > 0.0 && spent <= 3.0, "{done}");
    assert_eq!(done["epoch"], 3);

    // The report, as JSON and HTML.
    let report: Value = client
        .get(format!("{base}/jobs/{id}/report"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!((report["epsilon"].as_f64().unwrap() - spent).abs() < 1e-9);
    let html = client
        .get(format!("{base}/jobs/{id}/report?format=html"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    assert!(html.text().await.unwrap().contains("<svg"));

    // Conditional samples.
    let east = client
        .get(format!(
            "{base}/jobs/{id}/sample?rows=25&seed=2&condition=city=east"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(east.status(), StatusCode::OK);
    let east = east.text().await.unwrap();
    assert_eq!(east.lines().count(), 26);
    assert!(
        east.lines()
            .skip(1)
            .all(|l| l.split(',').nth(1) == Some("east")),
        "{east}"
    );

    // Ten requests at once on the same model; each seed gives its own reproducible rows.
    let requests = (0..10u64).map(|k| {
        let client = client.clone();
        let url = format!("{base}/jobs/{id}/sample?rows=200&seed={}", k % 5);
        tokio::spawn(async move {
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        })
    });
    let mut bodies = Vec::new();
    for r in requests.collect::<Vec<_>>() {
        bodies.push(r.await.unwrap());
    }
    for (k, body) in bodies.iter().enumerate() {
        assert_eq!(body.lines().count(), 201, "request {k}");
        assert_eq!(
            body,
            &bodies[k % 5],
            "seed {} twice gave different rows",
            k % 5
        );
    }
    assert_ne!(bodies[0], bodies[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_at_once() {
    let base = start().await;
    let client = Client::new();
    // δ ≥ 1/n in private mode: n is private, so the job is not refused on it (that would
    // release a bit about n), and its status quotes no finding computed on n; the fit checks
    // δ against its DP estimate N̂ instead (issue 12, item 7).
    let (status, body) = post_job(
        &client,
        &base,
        &upload(3, json!({"mode": "dp", "epsilon": 3.0, "delta": 0.01})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let warnings = body["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .all(|w| !w.as_str().unwrap().contains("DELTA")),
        "{body}"
    );
    // Without privacy, n is no secret: a batch above n is refused at once.
    let mut too_big = upload(3, json!({"mode": "none"}));
    too_big["batch_size"] = json!(1000);
    let (status, body) = post_job(&client, &base, &too_big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "plan-rejected");
    let codes: Vec<&str> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"E-BATCH-RANGE"), "{body}");
    // A CSV that does not match the schema.
    let mut bad = upload(3, json!({"mode": "none"}));
    bad["csv"] = json!("age,city,paid\n30,west,no\n");
    let (status, body) = post_job(&client, &base, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "bad-csv");
    assert!(body["error"].as_str().unwrap().contains("west"), "{body}");
    // No privacy choice at all is not a default: it is refused.
    let mut missing = upload(3, json!({"mode": "dp", "epsilon": 3.0, "delta": 1e-6}));
    missing.as_object_mut().unwrap().remove("privacy");
    let (status, body) = post_job(&client, &base, &missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // ε out of range is named.
    let (status, body) = post_job(
        &client,
        &base,
        &upload(3, json!({"mode": "dp", "epsilon": -1.0, "delta": 1e-6})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap().contains("epsilon"),
        "{body}"
    );
    // Unknown jobs and bad sample requests.
    let r = client.get(format!("{base}/jobs/99")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client
        .get(format!("{base}/jobs/99/sample?rows=5"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_fit_can_be_cancelled() {
    let base = start().await;
    let client = Client::new();
    let (status, job) = post_job(
        &client,
        &base,
        &upload(10_000, json!({"mode": "dp", "epsilon": 8.0, "delta": 1e-5})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_u64().unwrap();
    wait_for(&client, &base, id, |s| s == "training").await;
    let r = client
        .post(format!("{base}/jobs/{id}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let done = wait_for(&client, &base, id, |s| {
        !matches!(s, "queued" | "preprocessing" | "training")
    })
    .await;
    assert_eq!(done["state"], "cancelled", "{done}");
    // No model is kept, and a second cancel is a conflict.
    let r = client
        .get(format!("{base}/jobs/{id}/sample?rows=5"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = client
        .post(format!("{base}/jobs/{id}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_model_is_served_the_marginal_one_included() {
    let base = start().await;
    let client = Client::new();
    // The marginal model has no epochs nor batches: its request names neither.
    let mut body = upload(1, json!({"mode": "dp", "epsilon": 2.0, "delta": 1e-5}));
    let fields = body.as_object_mut().unwrap();
    fields.remove("epochs");
    fields.remove("batch_size");
    fields.insert("model".to_owned(), json!("marginal"));
    let (status, job) = post_job(&client, &base, &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_u64().unwrap();
    let done = wait_for(&client, &base, id, |s| {
        !matches!(s, "queued" | "preprocessing" | "training")
    })
    .await;
    assert_eq!(done["state"], "done", "{done}");
    let spent = done["epsilon_spent"].as_f64().unwrap();
    assert!(spent > 0.0 && spent <= 2.0 + 1e-9, "{done}");
    let rows = client
        .get(format!("{base}/jobs/{id}/sample?rows=20&seed=4"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rows.lines().count(), 21, "{rows}");
    // An unknown name lists the registry's models.
    body["model"] = json!("gan");
    let (status, answer) = post_job(&client, &base, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], "bad-model");
    let message = answer["error"].as_str().unwrap();
    assert!(
        ["ctgan", "tvae", "marginal"]
            .iter()
            .all(|m| message.contains(m)),
        "{message}"
    );
}
