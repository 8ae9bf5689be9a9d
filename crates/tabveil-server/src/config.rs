//! [`ServerConfig`]: where the server listens, stores and how much it accepts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where log lines go (the server library never prints; the binary passes stderr).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The settings of a server.
///
/// # Defaults
/// - `database_url`: `None`, a SQLite file `tabveil.db` in the data directory;
/// - `bind`: `127.0.0.1:8080` (loopback: put a TLS-terminating reverse proxy in front to serve
///   other hosts, see the crate docs);
/// - `max_upload_bytes`: 256 MiB (a dataset's table); `max_json_bytes`: 1 MiB (every other
///   body); larger bodies are answered 413;
/// - `max_sample_rows`: 1 000 000 rows per sample request;
/// - `max_concurrent_fits`: 1 (fits use every core; more run one after the other);
/// - `drain_timeout`: 60 s for running fits to stop and settle their charge at shutdown;
/// - `row_estimate_share`: 0.02, the default share of a dataset's ε_total its noisy row count
///   may spend (owners can choose another at upload).
#[derive(Clone)]
pub struct ServerConfig {
    /// `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DB`; `None` for the default SQLite file.
    pub database_url: Option<String>,
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory of the SQLite file (by default), the uploaded tables, the saved models and the
    /// first owner's token file.
    pub data_dir: PathBuf,
    /// Largest table upload, in bytes.
    pub max_upload_bytes: usize,
    /// Largest other request body, in bytes.
    pub max_json_bytes: usize,
    /// Most rows one sample request may ask for.
    pub max_sample_rows: usize,
    /// Fits running at once.
    pub max_concurrent_fits: usize,
    /// How long shutdown waits for cancelled fits to settle.
    pub drain_timeout: Duration,
    /// Default share of ε_total spent on a dataset's noisy row count.
    pub row_estimate_share: f64,
    /// Log lines (startup, internal errors with their incident id, recovery).
    pub log: Option<LogSink>,
}

impl ServerConfig {
    /// The defaults above, storing under `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            database_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            max_upload_bytes: 256 << 20,
            max_json_bytes: 1 << 20,
            max_sample_rows: 1_000_000,
            max_concurrent_fits: 1,
            drain_timeout: Duration::from_secs(60),
            row_estimate_share: 0.02,
            log: None,
        }
    }

    /// The database URL in use.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tabveil.db").display()
            ),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: only its scheme is shown.
        let scheme = self
            .database_url
            .as_deref()
            .and_then(|u| u.split(':').next())
            .unwrap_or("sqlite");
        f.debug_struct("ServerConfig")
            .field("database", &scheme)
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("max_json_bytes", &self.max_json_bytes)
            .field("max_sample_rows", &self.max_sample_rows)
            .field("max_concurrent_fits", &self.max_concurrent_fits)
            .field("drain_timeout", &self.drain_timeout)
            .field("row_estimate_share", &self.row_estimate_share)
            .finish_non_exhaustive()
    }
}
