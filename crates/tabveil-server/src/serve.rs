//! [`Server`]: start-up (database, migrations, data directory, the first owner, recovery of
//! interrupted fits), serving, and a draining shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

use crate::api::{AppState, router};
use crate::auth::{new_id, new_token};
use crate::config::ServerConfig;
use crate::error::{Result, ServerError};
use crate::files::Files;
use crate::jobs::recover;
use crate::store::{NewPrincipal, Role, Store};

/// The file, in the data directory, that receives the first owner's token when a new database
/// is set up.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// A started server: the database is migrated, interrupted fits are settled and the address is
/// bound; [`run`](Server::run) serves.
#[derive(Debug)]
pub struct Server {
    state: Arc<AppState>,
    listener: TcpListener,
    admin_token: Option<PathBuf>,
    recovered: usize,
}

impl Server {
    /// Opens the data directory and the database (applying migrations), creates the first
    /// owner (the admin) when there is none — its token goes to [`ADMIN_TOKEN_FILE`] in the data
    /// directory, readable by its owner only — settles the fits a previous run left unfinished,
    /// and binds the address.
    ///
    /// # Errors
    /// [`ServerError`] for a bad setting, an unreachable database, a failed migration, an
    /// unwritable data directory or an address in use.
    pub async fn start(config: ServerConfig) -> Result<Self> {
        let files = Files::open(&config.data_dir)?;
        let store = Store::open(&config.database_url()).await?;
        let bind = config.bind;
        let state = Arc::new(AppState::new(store, files, config));
        let admin_token = bootstrap(&state).await?;
        let recovered = recover(&state).await?;
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|e| ServerError::Config {
                setting: "bind",
                reason: format!("cannot listen on {bind}: {e}"),
            })?;
        Ok(Server {
            state,
            listener,
            admin_token,
            recovered,
        })
    }

    /// The bound address.
    ///
    /// # Errors
    /// [`ServerError::Io`] if the socket cannot say.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| ServerError::io(std::path::Path::new("socket"), &e))
    }

    /// Where the first owner's token was written, if this start created it.
    pub fn admin_token_file(&self) -> Option<&std::path::Path> {
        self.admin_token.as_deref()
    }

    /// How many unfinished fits of a previous run were settled at start-up.
    pub fn recovered_fits(&self) -> usize {
        self.recovered
    }

    /// Serves until `shutdown` resolves, then drains: new connections are refused, running
    /// requests finish, running fits are cancelled and settle their charge (at most the
    /// configured drain timeout), and the database is closed.
    ///
    /// # Errors
    /// [`ServerError::Io`] if serving fails.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let state = Arc::clone(&self.state);
        let signal_state = Arc::clone(&state);
        let app = router(Arc::clone(&state));
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                signal_state.shutting_down.store(true, Ordering::SeqCst);
                signal_state
                    .log("shutting down: refusing new connections, cancelling running fits");
                signal_state.jobs.cancel_all();
            })
            .await;
        state.shutting_down.store(true, Ordering::SeqCst);
        state.jobs.cancel_all();
        let start = Instant::now();
        while !state.jobs.is_empty() && start.elapsed() < state.config.drain_timeout {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !state.jobs.is_empty() {
            state.log("drain timeout: fits still running keep their planned charge (settled at the next start)");
        }
        state.store.close().await;
        served.map_err(|e| ServerError::io(std::path::Path::new("socket"), &e))
    }
}

/// Creates the admin owner of a new database and writes its token file.
async fn bootstrap(state: &AppState) -> Result<Option<PathBuf>> {
    if state.store.principal_count().await? > 0 {
        return Ok(None);
    }
    let id = new_id("usr_")?;
    let (token, hash) = new_token()?;
    let path = state.files.root().join(ADMIN_TOKEN_FILE);
    write_secret(&path, &token)?;
    let mut conn = state.store.pool().acquire().await?;
    state
        .store
        .insert_principal(
            &mut conn,
            &NewPrincipal {
                id: &id,
                name: "admin",
                role: Role::Owner,
                is_admin: true,
                created_by: None,
                token_hash: &hash,
            },
        )
        .await?;
    state.log(&format!(
        "new database: the admin owner's token is in {}",
        path.display()
    ));
    Ok(Some(path))
}

fn write_secret(path: &std::path::Path, secret: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| ServerError::io(path, &e))?;
    f.write_all(secret.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .map_err(|e| ServerError::io(path, &e))
}

/// Resolves at SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Starts a server with `config` and serves until SIGTERM or Ctrl-C.
///
/// # Errors
/// As [`Server::start`] and [`Server::run`].
pub async fn serve(config: ServerConfig) -> Result<()> {
    let log = config.log.clone();
    let server = Server::start(config).await?;
    if let Some(log) = &log {
        log(&format!(
            "tabveil-server listening on http://{}",
            server.local_addr()?
        ));
    }
    server.run(shutdown_signal()).await
}

/// The OpenAPI document of the server, as pretty JSON.
pub fn openapi_json() -> String {
    crate::api::openapi_spec()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}
