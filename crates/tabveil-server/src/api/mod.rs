//! The HTTP API: the router, the shared state, access checks and the OpenAPI document.

mod datasets;
mod error;
mod generators;
mod openapi;
mod page;
mod reports;
mod samples;
mod users;
pub(crate) mod views;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use sqlx::pool::PoolConnection;
use sqlx::{Any, Transaction};
use tabveil::Fitted;
use tokio::sync::Semaphore;

pub(crate) use error::{ApiError, Checked};
pub(crate) use openapi::spec as openapi_spec;

use crate::auth::Caller;
use crate::chain::ChainLink;
use crate::config::{LogSink, ServerConfig};
use crate::error::ServerError;
use crate::files::{Files, Kind};
use crate::jobs::Jobs;
use crate::store::{DatasetRow, GeneratorRow, Role, Store};

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) files: Files,
    pub(crate) config: ServerConfig,
    pub(crate) jobs: Jobs,
    pub(crate) fit_slots: Arc<Semaphore>,
    pub(crate) shutting_down: AtomicBool,
    models: Mutex<HashMap<String, Arc<Fitted>>>,
    dataset_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    log: Option<LogSink>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AppState {
    pub(crate) fn new(store: Store, files: Files, config: ServerConfig) -> Self {
        let slots = config.max_concurrent_fits.max(1);
        AppState {
            store,
            files,
            log: config.log.clone(),
            config,
            jobs: Jobs::default(),
            fit_slots: Arc::new(Semaphore::new(slots)),
            shutting_down: AtomicBool::new(false),
            models: Mutex::new(HashMap::new()),
            dataset_locks: Mutex::new(HashMap::new()),
        }
    }

    /// Writes a log line.
    pub(crate) fn log(&self, line: &str) {
        if let Some(log) = &self.log {
            log(line);
        }
    }

    /// Logs an internal error in full and answers 500 with an incident id only.
    pub(crate) fn internal(&self, e: impl std::fmt::Display) -> ApiError {
        let incident = crate::auth::new_id("inc_").unwrap_or_else(|_| "inc_unknown".to_owned());
        self.log(&format!("internal error {incident}: {e}"));
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error (incident {incident}); the operator's log has the details"),
        )
    }

    /// A transaction on the database (500 when none can be had).
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>, ApiError> {
        self.store
            .pool()
            .begin()
            .await
            .map_err(|e| self.internal(e))
    }

    /// A pooled connection (500 when none can be had).
    pub(crate) async fn conn(&self) -> Result<PoolConnection<Any>, ApiError> {
        self.store
            .pool()
            .acquire()
            .await
            .map_err(|e| self.internal(e))
    }

    /// The dataset's ledger chain as stored (not verified).
    pub(crate) async fn chain(&self, dataset: &str) -> Result<Vec<ChainLink>, ApiError> {
        self.store
            .chain(dataset)
            .await
            .map_err(|e| self.internal(e))
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// The in-process lock of a dataset's charges (the database lock is taken too; this one
    /// keeps concurrent requests of this process from queueing on the database).
    pub(crate) fn dataset_lock(&self, dataset: &str) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(
            lock(&self.dataset_locks)
                .entry(dataset.to_owned())
                .or_default(),
        )
    }

    /// A dataset the caller may see: its owner's, or granted to the analyst. Anything else is
    /// 404, so ids of other owners' datasets say nothing.
    pub(crate) async fn visible_dataset(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<DatasetRow, ApiError> {
        let dataset = self
            .store
            .dataset(id)
            .await
            .map_err(|e| self.internal(e))?
            .ok_or_else(|| ApiError::not_found("dataset"))?;
        let visible = match caller.role() {
            Role::Owner => dataset.owner_id == caller.id(),
            Role::Analyst => self
                .store
                .is_granted(id, caller.id())
                .await
                .map_err(|e| self.internal(e))?,
        };
        if visible {
            Ok(dataset)
        } else {
            Err(ApiError::not_found("dataset"))
        }
    }

    /// A dataset the caller owns (an analyst who was granted it gets 403: they know it exists).
    pub(crate) async fn owned_dataset(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<DatasetRow, ApiError> {
        let dataset = self.visible_dataset(caller, id).await?;
        if dataset.owner_id == caller.id() {
            Ok(dataset)
        } else {
            Err(ApiError::forbidden("only the dataset's owner may do this"))
        }
    }

    /// A generator whose dataset the caller may see, with that dataset.
    pub(crate) async fn visible_generator(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(GeneratorRow, DatasetRow), ApiError> {
        let generator = self
            .store
            .generator(id)
            .await
            .map_err(|e| self.internal(e))?
            .ok_or_else(|| ApiError::not_found("generator"))?;
        let dataset = self
            .visible_dataset(caller, &generator.dataset_id)
            .await
            .map_err(|_| ApiError::not_found("generator"))?;
        Ok((generator, dataset))
    }

    /// The fitted model of a finished generator (loaded once, checked against its checksum).
    pub(crate) async fn fitted(&self, generator: &GeneratorRow) -> Result<Arc<Fitted>, ApiError> {
        if let Some(f) = lock(&self.models).get(&generator.id) {
            return Ok(Arc::clone(f));
        }
        let (Some(file), Some(sha)) = (&generator.model_file, &generator.model_sha256) else {
            return Err(ApiError::conflict(
                "not-done",
                format!(
                    "generator {} has no fitted model (state: {})",
                    generator.id, generator.progress.state
                ),
            ));
        };
        let files = self.files.clone();
        let (file, sha) = (file.clone(), sha.clone());
        let fitted = tokio::task::spawn_blocking(move || -> Result<Fitted, ServerError> {
            let bytes = files.read(Kind::Model, &file, &sha)?;
            Ok(Fitted::from_bytes(&bytes)?)
        })
        .await
        .map_err(|e| self.internal(e))?
        .map_err(|e| self.internal(e))?;
        let fitted = Arc::new(fitted);
        lock(&self.models).insert(generator.id.clone(), Arc::clone(&fitted));
        Ok(fitted)
    }

    /// Keeps a freshly fitted model in memory.
    pub(crate) fn cache_model(&self, id: &str, fitted: Arc<Fitted>) {
        lock(&self.models).insert(id.to_owned(), fitted);
    }
}

/// A display name: trimmed, 1 to 200 characters.
pub(crate) fn checked_name(name: &str) -> Result<&str, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::unprocessable(
            "bad-name",
            "name must have 1 to 200 characters",
        ));
    }
    Ok(name)
}

/// The router over `state`.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let upload_limit = DefaultBodyLimit::max(state.config.max_upload_bytes);
    Router::new()
        .route("/", get(page::owner_page))
        .route("/health", get(users::health))
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(users::me))
        .route("/users", post(users::create))
        .route("/users/{id}", axum::routing::delete(users::revoke))
        .route("/datasets", post(datasets::create).get(datasets::list))
        .route("/datasets/{id}", get(datasets::show))
        .route(
            "/datasets/{id}/table",
            put(datasets::upload)
                .layer(upload_limit)
                .get(datasets::download),
        )
        .route("/datasets/{id}/budget", get(datasets::budget))
        .route("/datasets/{id}/ledger", get(datasets::ledger))
        .route(
            "/datasets/{id}/analysts/{user}",
            put(users::grant).delete(users::ungrant),
        )
        .route(
            "/datasets/{id}/generators",
            post(generators::create).get(generators::list),
        )
        .route(
            "/generators/dataset/{id}/generate",
            post(generators::create_legacy),
        )
        .route("/generators/{id}", get(generators::show))
        .route("/generators/{id}/cancel", post(generators::cancel))
        .route("/generators/{id}/events", get(generators::events))
        .route("/generators/{id}/samples", get(samples::sample))
        .route(
            "/generators/{id}/privacy-report",
            get(reports::privacy_report),
        )
        .route("/generators/{id}/evaluation", get(reports::evaluation))
        .fallback(|| async { ApiError::not_found("route") })
        .layer(DefaultBodyLimit::max(state.config.max_json_bytes))
        .with_state(state)
}
