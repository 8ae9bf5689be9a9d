//! The HTTP handlers: requests are checked, heavy work runs on blocking workers, errors are
//! JSON with a status that says whose fault it is.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tabveil::data::{CsvOptions, Schema, read_csv, write_csv};
use tabveil::models::{Condition, ModelKind, ModelSettings, Privacy, StopReason};
use tabveil::validate::Finding;
use tabveil::{Delta, Epsilon, Synthesizer};

use crate::jobs::{Job, JobProgress, JobState, JobStatus, Jobs};

/// The body of `POST /jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// The table, as CSV text with a header line.
    pub csv: String,
    /// The schema (the JSON format of `tabveil_data::Schema`).
    pub schema: serde_json::Value,
    /// Private with a budget, or explicitly not private.
    pub privacy: PrivacyRequest,
    /// A registered model's name: `ctgan` (default), `tvae`, `marginal`.
    #[serde(default = "default_model")]
    pub model: String,
    /// Epochs (default: the model's, 300).
    #[serde(default)]
    pub epochs: Option<usize>,
    /// Batch size (default: the model's, 500).
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Seed of everything but the privacy noise.
    #[serde(default)]
    pub seed: u64,
    /// Small networks (32-wide), for quick demonstrations and tests.
    #[serde(default)]
    pub small: bool,
}

/// The privacy settings of a fit: there is no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum PrivacyRequest {
    /// Differentially private: the whole pipeline spends at most (ε, δ).
    Dp {
        /// ε.
        epsilon: f64,
        /// δ.
        delta: f64,
    },
    /// No differential privacy: no guarantee.
    None,
}

/// The query of `GET /jobs/{id}/sample`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleQuery {
    /// Number of rows (1 to 1 000 000).
    pub rows: usize,
    /// Seed of the generation (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Conditions `col=value`, comma-separated.
    #[serde(default)]
    pub condition: Option<String>,
}

/// The query of `GET /jobs/{id}/report`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    format: Option<String>,
}

const MAX_SAMPLE_ROWS: usize = 1_000_000;

fn default_model() -> String {
    "ctgan".to_owned()
}

/// A JSON error response.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    findings: Vec<Finding>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            findings: Vec::new(),
        }
    }

    fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.message,
            "code": self.code,
            "findings": self.findings,
        });
        (self.status, Json(body)).into_response()
    }
}

/// `POST /jobs`.
pub(crate) async fn create(
    State(jobs): State<Arc<Jobs>>,
    body: Result<Json<FitRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
    let Json(request) = body.map_err(|e| ApiError::unprocessable("bad-request", e.body_text()))?;
    // Parsing and validation read the whole upload: off the async threads.
    let prepared = tokio::task::spawn_blocking(move || prepare(request))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let Prepared {
        synth,
        schema,
        table,
        model,
        target_epsilon,
        warnings,
    } = prepared;
    let job = jobs.insert(|id| {
        Job::new(JobStatus {
            id,
            model,
            state: JobState::Queued,
            epoch: 0,
            epochs: synth.training_config().epochs() as usize,
            steps: 0,
            epsilon_spent: None,
            target_epsilon,
            error: None,
            warnings,
        })
    });
    let worker = Arc::clone(&job);
    tokio::task::spawn_blocking(move || run_fit(&worker, &synth, &table, &schema));
    let status = job.status().clone();
    Ok((StatusCode::ACCEPTED, Json(status)))
}

struct Prepared {
    synth: Synthesizer,
    schema: Schema,
    table: tabveil::data::Table,
    model: String,
    target_epsilon: Option<f64>,
    warnings: Vec<String>,
}

/// The model a request names, from the model registry (every registered model: `ctgan`,
/// `tvae`, `marginal`, …), with small networks when asked for and the model has networks.
fn model_settings(request: &FitRequest) -> Result<ModelSettings, ApiError> {
    let kind = ModelKind::from_name(&request.model).ok_or_else(|| {
        let known: Vec<&str> = ModelKind::all().map(ModelKind::as_str).collect();
        ApiError::unprocessable(
            "bad-model",
            format!(
                "unknown model `{}`: expected one of {}",
                request.model,
                known.join(", ")
            ),
        )
    })?;
    let mut settings = ModelSettings::defaults(kind, Privacy::NonPrivate);
    if request.small {
        let spec = settings.spec_mut();
        // A model without hidden layers (the marginal model) refuses a width: its defaults are
        // already small. One with them gets an embedding to match.
        if spec.set_hidden_dims(vec![32]).is_ok() {
            spec.set_embedding_dim(16).map_err(|e| {
                ApiError::unprocessable("invalid-parameter", tabveil::Error::from(e).to_string())
            })?;
        }
    }
    Ok(settings)
}

/// Checks the upload and validates the plan: everything that can be refused is refused here,
/// before the job exists.
fn prepare(request: FitRequest) -> Result<Prepared, ApiError> {
    let schema = Schema::from_json(&request.schema.to_string())
        .map_err(|e| ApiError::unprocessable("bad-schema", e.to_string()))?;
    let (table, _) = read_csv(request.csv.as_bytes(), &schema, &CsvOptions::default())
        .map_err(|e| ApiError::unprocessable("bad-csv", e.to_string()))?;
    let invalid = |e: tabveil::Error| ApiError::unprocessable("invalid-parameter", e.to_string());
    let builder = Synthesizer::builder().model_with(model_settings(&request)?);
    let (synth, target_epsilon) = match request.privacy {
        PrivacyRequest::Dp { epsilon, delta } => {
            let mut b = builder
                .private(Epsilon(epsilon), Delta(delta))
                .seed(request.seed);
            if let Some(e) = request.epochs {
                b = b.epochs(e);
            }
            if let Some(s) = request.batch_size {
                b = b.batch_size(s);
            }
            (b.build().map_err(invalid)?, Some(epsilon))
        }
        PrivacyRequest::None => {
            let mut b = builder.non_private().seed(request.seed);
            if let Some(e) = request.epochs {
                b = b.epochs(e);
            }
            if let Some(s) = request.batch_size {
                b = b.batch_size(s);
            }
            (b.build().map_err(invalid)?, None)
        }
    };
    // The same validation `fit` runs, answered at once with the validator's codes. In private
    // mode the row count N is private: only the findings that do not depend on it may refuse
    // the job or appear in its status (the fit re-checks the others on its DP estimate N̂, and
    // the job's warnings are the fitted model's, computed on N̂).
    let private = synth.is_private();
    let report = synth.validate(&schema, table.n_rows() as u64);
    let public = |f: &Finding| !(private && f.code.depends_on_rows());
    if report.blocking(private).next().is_some() {
        let errors = report.blocking(private).count();
        return Err(ApiError {
            findings: report.findings.into_iter().filter(|f| public(f)).collect(),
            ..ApiError::unprocessable(
                "plan-rejected",
                format!("the training plan has {errors} blocking problem(s)"),
            )
        });
    }
    Ok(Prepared {
        synth,
        schema,
        table,
        model: request.model,
        target_epsilon,
        warnings: report
            .warnings()
            .filter(|f| public(f))
            .map(warning_line)
            .collect(),
    })
}

/// A warning as the job status shows it.
fn warning_line(f: &Finding) -> String {
    format!("[{}] {}", f.code, f.reason)
}

/// The worker: fits, then records the outcome on the job.
fn run_fit(job: &Arc<Job>, synth: &Synthesizer, table: &tabveil::data::Table, schema: &Schema) {
    if job.cancel.load(Ordering::Relaxed) {
        job.status().state = JobState::Cancelled;
        return;
    }
    let mut progress = JobProgress(Arc::clone(job));
    let result = synth.fit_with_progress(table, schema, &mut progress);
    match result {
        Ok(fitted) if fitted.summary().stop == StopReason::Cancelled => {
            job.status().state = JobState::Cancelled;
        }
        Ok(fitted) => {
            let spent = fitted.epsilon_spent().ok().flatten();
            let summary = fitted.summary().clone();
            // The model's warnings: on N̂ in private mode (post-processing of a release).
            let warnings: Vec<String> = fitted.warnings().iter().map(warning_line).collect();
            job.set_fitted(fitted);
            let mut status = job.status();
            status.warnings = warnings;
            status.epoch = summary.epochs;
            status.steps = summary.steps;
            status.epsilon_spent = spent;
            status.state = JobState::Done;
        }
        Err(tabveil::Error::Model(e)) if e.is_cancelled() => {
            job.status().state = JobState::Cancelled;
        }
        Err(e) => {
            let mut status = job.status();
            status.error = Some(e.to_string());
            status.state = JobState::Failed;
        }
    }
}

fn find(jobs: &Jobs, id: u64) -> Result<Arc<Job>, ApiError> {
    jobs.get(id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no-such-job", format!("no job {id}")))
}

/// `GET /jobs/{id}`.
pub(crate) async fn status(
    State(jobs): State<Arc<Jobs>>,
    Path(id): Path<u64>,
) -> Result<Json<JobStatus>, ApiError> {
    let job = find(&jobs, id)?;
    let status = job.status().clone();
    Ok(Json(status))
}

/// `POST /jobs/{id}/cancel`.
pub(crate) async fn cancel(
    State(jobs): State<Arc<Jobs>>,
    Path(id): Path<u64>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
    let job = find(&jobs, id)?;
    let state = job.status().state;
    if matches!(
        state,
        JobState::Done | JobState::Failed | JobState::Cancelled
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "finished",
            format!("job {id} has already finished"),
        ));
    }
    job.cancel.store(true, Ordering::Relaxed);
    let status = job.status().clone();
    Ok((StatusCode::ACCEPTED, Json(status)))
}

fn fitted(jobs: &Jobs, id: u64) -> Result<Arc<tabveil::Fitted>, ApiError> {
    find(jobs, id)?.fitted().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "not-done",
            format!("job {id} has no fitted model"),
        )
    })
}

/// `GET /jobs/{id}/report?format=json|html|md`.
pub(crate) async fn report(
    State(jobs): State<Arc<Jobs>>,
    Path(id): Path<u64>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let fitted = fitted(&jobs, id)?;
    let format = query.format.unwrap_or_else(|| "json".to_owned());
    let (content_type, body) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let report = fitted
            .report()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let render = |r: Result<String, tabveil::report::ReportError>| {
            r.map_err(|e| ApiError::internal(e.to_string()))
        };
        Ok(match format.as_str() {
            "json" => ("application/json", render(report.to_json())?),
            "html" => ("text/html; charset=utf-8", render(report.to_html())?),
            "md" => ("text/markdown; charset=utf-8", report.to_markdown()),
            other => {
                return Err(ApiError::unprocessable(
                    "bad-format",
                    format!("unknown format `{other}`: expected json, html or md"),
                ));
            }
        })
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// `GET /jobs/{id}/sample?rows=N&seed=K&condition=col=value,…`: CSV.
pub(crate) async fn sample(
    State(jobs): State<Arc<Jobs>>,
    Path(id): Path<u64>,
    query: Result<Query<SampleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::unprocessable("bad-query", e.body_text()))?;
    if query.rows == 0 || query.rows > MAX_SAMPLE_ROWS {
        return Err(ApiError::unprocessable(
            "bad-rows",
            format!("rows must be between 1 and {MAX_SAMPLE_ROWS}"),
        ));
    }
    let conditions = parse_conditions(query.condition.as_deref())?;
    let fitted = fitted(&jobs, id)?;
    // Sampling is post-processing (no privacy cost) and `Fitted` is Sync: many requests can
    // sample one model at once, each on its own blocking worker.
    let csv = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let table = if conditions.is_empty() {
            fitted.sample(query.rows, query.seed)
        } else {
            fitted.sample_conditional(query.rows, &conditions, query.seed)
        }
        .map_err(|e| ApiError::unprocessable("sampling-failed", e.to_string()))?;
        let mut csv = Vec::new();
        write_csv(&table, fitted.schema(), &mut csv)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(csv)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

fn parse_conditions(raw: Option<&str>) -> Result<Vec<Condition>, ApiError> {
    Condition::parse_list(raw.unwrap_or_default()).map_err(|pair| {
        ApiError::unprocessable("bad-condition", format!("`{pair}`: expected col=value"))
    })
}
