//! Test helpers: a server on loopback over a fresh SQLite file — and over a fresh PostgreSQL
//! database when `TABVEIL_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`;
//! each test creates its own database there) — a real HTTP client, a small table.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "test helpers"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tabveil_server::{ADMIN_TOKEN_FILE, Server, ServerConfig};

pub const SCHEMA: &str = r#"{
  "name": "people",
  "columns": [
    {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
    {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"]},
    {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}
  ]
}"#;

/// A table of `n` rows of the schema above, as CSV.
pub fn csv(n: usize) -> String {
    let cities = ["north", "south", "east"];
    let mut s = String::from("age,city,paid\n");
    for i in 0..n {
        let age = 20 + (i * 7) % 50;
        let paid = if age > 45 { "yes" } else { "no" };
        s.push_str(&format!("{age},{},{paid}\n", cities[i % 3]));
    }
    s
}

/// `csv` of `schema` (JSON) as a Parquet file, written by the data crate.
pub fn parquet(csv: &str, schema: &str) -> Vec<u8> {
    let schema = tabveil::data::Schema::from_json(schema).unwrap();
    let (table, _) = tabveil::data::read_csv(
        csv.as_bytes(),
        &schema,
        &tabveil::data::CsvOptions::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    tabveil::data::write_parquet(&table, &schema, &mut out).unwrap();
    out
}

/// Which database a test runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres(String),
}

/// SQLite always; PostgreSQL too when `TABVEIL_TEST_POSTGRES_URL` is set.
pub fn backends() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    if let Ok(url) = std::env::var("TABVEIL_TEST_POSTGRES_URL")
        && !url.is_empty()
    {
        v.push(Db::Postgres(url));
    }
    v
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh data directory (removed by [`Env`]'s drop).
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("tabveil-server-test"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The database URL of a fresh database on `db`.
pub async fn database_url(db: &Db, dir: &Path) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("tabveil.db").display()),
        Db::Postgres(admin_url) => {
            sqlx::any::install_default_drivers();
            let name = unique("tabveil_test");
            let pool = sqlx::AnyPool::connect(admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let (base, query) = match admin_url.split_once('?') {
                Some((b, q)) => (b, format!("?{q}")),
                None => (admin_url.as_str(), String::new()),
            };
            let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
            format!("{base}/{name}{query}")
        }
    }
}

/// A test environment: a data directory, a database URL and the admin token once a server has
/// run.
pub struct Env {
    pub dir: PathBuf,
    pub url: String,
    pub db: Db,
}

impl Env {
    pub async fn new(db: &Db) -> Self {
        let dir = temp_dir();
        let url = database_url(db, &dir).await;
        Env {
            dir,
            url,
            db: db.clone(),
        }
    }

    pub fn config(&self) -> ServerConfig {
        let mut c = ServerConfig::new(&self.dir);
        c.database_url = Some(self.url.clone());
        c.bind = "127.0.0.1:0".parse().unwrap();
        c.max_upload_bytes = 256 << 10;
        c.drain_timeout = Duration::from_secs(60);
        c
    }

    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.join(ADMIN_TOKEN_FILE))
            .unwrap()
            .trim()
            .to_owned()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server running in this process until the returned sender is dropped or fired.
pub struct Running {
    pub base: String,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops the server (draining) and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.done).await;
    }
}

pub async fn start_in_process(config: ServerConfig) -> Running {
    let server = Server::start(config).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        server
            .run(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        base,
        stop: Some(tx),
        done,
    }
}

/// A client acting with one token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: Client,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        Api {
            base: base.to_owned(),
            token: token.to_owned(),
            http: Client::new(),
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.http
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Sends and returns the status and the JSON body (Null when the body is not JSON).
    pub async fn send(req: RequestBuilder) -> (StatusCode, Value) {
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a dataset of [`SCHEMA`] with a budget (no table yet); returns its id.
    pub async fn new_dataset(&self, epsilon_total: f64) -> String {
        let (status, d) = Api::send(self.post("/datasets").json(&json!({
            "name": "people",
            "schema": serde_json::from_str::<Value>(SCHEMA).unwrap(),
            "epsilon_total": epsilon_total,
            "delta": 1e-5,
        })))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        d["id"].as_str().unwrap().to_owned()
    }

    /// Uploads a dataset's table as `content_type`; returns the status and body.
    pub async fn upload(
        &self,
        dataset: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        Api::send(
            self.put(&format!("/datasets/{dataset}/table"))
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Creates a dataset with a budget and uploads `rows` rows; returns its id.
    pub async fn dataset(&self, epsilon_total: f64, rows: usize) -> String {
        let id = self.new_dataset(epsilon_total).await;
        let (status, d) = self.upload(&id, "text/csv", csv(rows)).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["state"], "ready");
        id
    }

    /// Requests a fit; returns the status and body.
    pub async fn fit(&self, dataset: &str, body: Value) -> (StatusCode, Value) {
        Api::send(
            self.post(&format!("/datasets/{dataset}/generators"))
                .json(&body),
        )
        .await
    }

    /// Polls a generator until it is finished (at most 180 s).
    pub async fn wait(&self, generator: &str) -> Value {
        self.wait_for(generator, |g| {
            matches!(g["state"].as_str(), Some("done" | "failed" | "cancelled"))
        })
        .await
    }

    pub async fn wait_for(&self, generator: &str, until: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (status, g) = Api::send(self.get(&format!("/generators/{generator}"))).await;
            assert_eq!(status, StatusCode::OK, "{g}");
            if until(&g) {
                return g;
            }
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "generator {generator} stuck: {g}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A tiny private fit: 1 epoch of batches of 100 on 16-wide networks.
pub fn tiny_fit(epsilon: f64) -> Value {
    json!({
        "generator_type": "dp-ctgan",
        "epochs": 1,
        "batch_size": 100,
        "target_epsilon": epsilon,
        "target_delta": 1e-5,
        "hidden_dims": [16],
        "embedding_dim": 8,
        "seed": 1,
    })
}

/// A fit that runs for many seconds (to be cancelled or interrupted).
pub fn long_fit() -> Value {
    json!({
        "generator_type": "dp-ctgan",
        "epochs": 300,
        "batch_size": 100,
        "target_epsilon": 4.0,
        "target_delta": 1e-5,
        "hidden_dims": [256, 256],
        "embedding_dim": 64,
        "seed": 1,
    })
}

/// Fetches and verifies a dataset's chain export.
pub async fn verified_chain(api: &Api, dataset: &str) -> tabveil_server::chain::ChainSummary {
    let export: tabveil_server::chain::ChainExport = api
        .get(&format!("/datasets/{dataset}/ledger"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tabveil_server::chain::verify(&export).unwrap()
}
