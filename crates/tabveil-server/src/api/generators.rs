//! Generators (fit jobs): `POST /datasets/{id}/generators` and the seed product's
//! `POST /generators/dataset/{id}/generate`, `GET /datasets/{id}/generators`,
//! `GET /generators/{id}`, `POST /generators/{id}/cancel`, `GET /generators/{id}/events` (SSE).
//!
//! A fit request is checked, planned at the dataset's released row estimate N̂ (its whole
//! ledger known before anything touches the table), charged to the dataset's budget or
//! refused with 409, and only then queued.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tabveil::accountant::PrivacyLedger;
use tabveil::data::Schema;
use tabveil::models::{ModelKind, ModelSettings, Privacy};
use tabveil::{Delta, Epsilon, Synthesizer};

use super::datasets::{accountant, budget_view};
use super::views::{CreatedGenerator, FitRequest, GeneratorView, RefusalView};
use super::{ApiError, AppState, Checked};
use crate::auth::{Caller, new_id};
use crate::budget::{Charged, Refusal, charge_plan, subject_of};
use crate::chain::{charges, check_links};
use crate::jobs::{FitJob, start};
use crate::store::{DatasetRow, GeneratorRow, LiveProgress, NewGenerator};

/// The view of a stored generator, with live progress when it is running here.
pub(crate) fn view(
    state: &AppState,
    g: &GeneratorRow,
    d: &DatasetRow,
    caller: &Caller,
) -> GeneratorView {
    let settings: FitRequest =
        serde_json::from_str(&g.settings_json).unwrap_or_else(|_| FitRequest {
            generator_type: g.model.clone(),
            num_rows: None,
            epochs: None,
            batch_size: None,
            target_epsilon: Some(g.target_epsilon),
            target_delta: Some(g.delta),
            max_grad_norm: None,
            seed: None,
            hidden_dims: None,
            embedding_dim: None,
            preprocessing_share: None,
        });
    let mut v = GeneratorView {
        id: g.id.clone(),
        dataset_id: g.dataset_id.clone(),
        generator_type: g.model.clone(),
        progress: g.progress.clone(),
        target_epsilon: g.target_epsilon,
        target_delta: g.delta,
        planned_entry: g.planned_seq,
        settled_entry: g.settled_seq,
        error_code: g.error_code.clone(),
        // Library messages may name settings or values of the table: the owner's only.
        error: if d.owner_id == caller.id() {
            g.error.clone()
        } else {
            None
        },
        settings,
        created_at_ms: g.created_at,
        updated_at_ms: g.updated_at,
    };
    if !g.progress.is_final()
        && let Some(job) = state.jobs.get(&g.id)
    {
        let p = job.progress.borrow().clone();
        // The stored final state wins over a live one not yet settled.
        let stored_state = std::mem::take(&mut v.progress.state);
        v.progress = LiveProgress {
            state: if p.is_final() { stored_state } else { p.state },
            ..p
        };
    }
    v
}

/// The prefix of the seed product's model names: `dp-` and the registry's name
/// (`dp-ctgan`, `dp-tvae`, and every model registered later).
const GENERATOR_PREFIX: &str = "dp-";

/// Every `generator_type` the server accepts: one per registered model, in registry order
/// (the OpenAPI document lists these).
pub(crate) fn generator_types() -> Vec<String> {
    ModelKind::all()
        .map(|k| format!("{GENERATOR_PREFIX}{}", k.as_str()))
        .collect()
}

/// The registered model a `generator_type` names.
pub(crate) fn model_kind(generator_type: &str) -> Result<ModelKind, ApiError> {
    generator_type
        .strip_prefix(GENERATOR_PREFIX)
        .and_then(ModelKind::from_name)
        .ok_or_else(|| {
            let known = generator_types();
            ApiError::unprocessable(
                "bad-generator-type",
                format!(
                    "unknown generator_type `{generator_type}`: expected one of {}",
                    known.join(", ")
                ),
            )
        })
}

/// Builds the synthesizer of a request, planned at the released row estimate.
pub(crate) fn synthesizer(
    r: &FitRequest,
    row_estimate: f64,
    epsilon: f64,
    delta: f64,
) -> Result<Synthesizer, ApiError> {
    let invalid = |e: tabveil::Error| ApiError::unprocessable("invalid-parameter", e.to_string());
    let kind = model_kind(&r.generator_type)?;
    let builder = if r.hidden_dims.is_none() && r.embedding_dim.is_none() {
        Synthesizer::builder().model(kind)
    } else {
        // The network shape through the model's own answers (a model without hidden layers or
        // an embedding refuses them with a named parameter).
        let mut settings = ModelSettings::defaults(kind, Privacy::NonPrivate);
        let spec = settings.spec_mut();
        if let Some(dims) = &r.hidden_dims {
            spec.set_hidden_dims(dims.clone())
                .map_err(|e| invalid(e.into()))?;
        }
        if let Some(e) = r.embedding_dim {
            spec.set_embedding_dim(e).map_err(|e| invalid(e.into()))?;
        }
        Synthesizer::builder().model_with(settings)
    };
    let mut b = builder
        .private(Epsilon(epsilon), Delta(delta))
        .row_estimate(row_estimate)
        .seed(r.seed.unwrap_or(0));
    if let Some(e) = r.epochs {
        b = b.epochs(usize::try_from(e).unwrap_or(usize::MAX));
    }
    if let Some(s) = r.batch_size {
        b = b.batch_size(usize::try_from(s).unwrap_or(usize::MAX));
    }
    if let Some(c) = r.max_grad_norm {
        b = b.clipping_norm(c);
    }
    if let Some(s) = r.preprocessing_share {
        b = b.preprocessing_share(s);
    }
    b.build().map_err(invalid)
}

/// The whole planned ledger of a request, or the validator's refusal (computed at N̂).
fn plan(synth: &Synthesizer, schema: &Schema, rows: u64) -> Result<PrivacyLedger, ApiError> {
    match synth.planned_ledger(schema, rows) {
        Ok(Some(ledger)) => Ok(crate::chain::charge_bound(ledger)),
        Ok(None) => Err(ApiError::unprocessable(
            "not-private",
            "only private fits are served",
        )),
        Err(tabveil::Error::Rejected { findings }) => {
            let errors = findings.iter().filter(|f| f.is_error()).count();
            Err(ApiError::unprocessable(
                "plan-rejected",
                format!("the training plan has {errors} blocking problem(s) for this dataset (checked at its released row estimate N̂)"),
            )
            .with("findings", findings))
        }
        Err(e) => Err(ApiError::unprocessable("plan-failed", e.to_string())),
    }
}

/// `POST /datasets/{id}/generators`: plans, charges the dataset's budget, queues the fit.
#[utoipa::path(post, path = "/datasets/{id}/generators", security(("bearer" = [])), request_body = FitRequest,
    params(("id" = String, Path, description = "The dataset")),
    responses((status = 202, body = CreatedGenerator),
        (status = 409, body = RefusalView, description = "Over the dataset's lifetime budget: nothing was released"),
        (status = 422, description = "Bad settings, `target_delta` missing, or a plan the validator refuses")))]
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Checked(Json(request)): Checked<Json<FitRequest>>,
) -> Response {
    create_fit(state, caller, id, request).await
}

/// The seed product's route, same fields and semantics (except that `target_delta` is
/// required: see the 422).
#[utoipa::path(post, path = "/generators/dataset/{id}/generate", security(("bearer" = [])), request_body = FitRequest,
    params(("id" = String, Path, description = "The dataset")),
    responses((status = 202, body = CreatedGenerator), (status = 409, body = RefusalView), (status = 422, description = "As `POST /datasets/{id}/generators`")))]
pub(crate) async fn create_legacy(
    state: State<Arc<AppState>>,
    caller: Caller,
    id: Path<String>,
    body: Checked<Json<FitRequest>>,
) -> Response {
    create(state, caller, id, body).await
}

async fn create_fit(state: Arc<AppState>, caller: Caller, id: String, r: FitRequest) -> Response {
    match try_create(&state, &caller, &id, r).await {
        Ok(created) => (StatusCode::ACCEPTED, Json(created)).into_response(),
        Err(Refused::Api(e)) => e.into_response(),
        Err(Refused::Budget(v)) => (StatusCode::CONFLICT, Json(v)).into_response(),
    }
}

enum Refused {
    Api(ApiError),
    Budget(RefusalView),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused::Api(e)
    }
}

async fn try_create(
    state: &Arc<AppState>,
    caller: &Caller,
    id: &str,
    r: FitRequest,
) -> Result<CreatedGenerator, Refused> {
    if state.is_shutting_down() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting-down",
            "the server is stopping",
        )
        .into());
    }
    let dataset = state.visible_dataset(caller, id).await?;
    let Some(row_estimate) = dataset.row_estimate.filter(|_| dataset.state == "ready") else {
        return Err(
            ApiError::conflict("no-table", "the dataset's table has not been uploaded").into(),
        );
    };
    let Some(epsilon) = r.target_epsilon else {
        return Err(ApiError::unprocessable(
            "epsilon-required",
            "target_epsilon is required: the fit's ε, within the dataset's budget",
        )
        .into());
    };
    let Some(delta) = r.target_delta else {
        return Err(ApiError::unprocessable(
            "delta-required",
            "target_delta is required. A null δ used to mean 1/n, which is unsafe: at δ = 1/n a mechanism may publish one person's row outright and still meet the guarantee, and n is the private row count",
        )
        .with("fix", format!("set target_delta to at most the dataset's δ = {:e} (it must be well below 1/n)", dataset.delta))
        .into());
    };
    let schema = Schema::from_json(&dataset.schema_json).map_err(|e| state.internal(e))?;
    let rows = row_estimate.round().max(1.0) as u64;
    let request = r.clone();
    let plan_schema = schema.clone();
    let planned = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let synth = synthesizer(&request, row_estimate, epsilon, delta)?;
        let ledger = plan(&synth, &plan_schema, rows)?;
        let warnings: Vec<String> = synth
            .validate(&plan_schema, rows)
            .warnings()
            .map(|f| format!("[{}] {}", f.code, f.reason))
            .collect();
        Ok((synth, ledger, warnings))
    })
    .await
    .map_err(|e| state.internal(e))?;
    let (synth, planned, warnings) = planned?;
    let generator_id = new_id("gen_").map_err(|e| state.internal(e))?;
    let settings_json = serde_json::to_string(&r).map_err(|e| state.internal(e))?;
    let new = NewGenerator {
        id: &generator_id,
        dataset_id: &dataset.id,
        requested_by: caller.id(),
        model: &r.generator_type,
        settings_json: &settings_json,
        epochs: synth.training_config().epochs(),
        target_epsilon: epsilon,
        delta,
        planned_seq: 0,
    };
    match charge_plan(state, &new, &planned).await {
        Ok(Charged::Yes) => {}
        Ok(Charged::Refused(refusal)) => {
            let max = max_target_epsilon(state, &dataset, &r, &schema, rows, delta).await;
            return Err(Refused::Budget(refusal_view(refusal, max)));
        }
        Err(crate::ServerError::Chain { source, .. }) => {
            state.log(&format!(
                "dataset {}: ledger chain does not verify: {source}",
                dataset.id
            ));
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ledger-broken",
                format!("this dataset's ledger chain does not verify ({source}); no fit is charged until the operator restores it"),
            )
            .into());
        }
        Err(e) => return Err(state.internal(e).into()),
    }
    let generator = state
        .store
        .generator(&generator_id)
        .await
        .map_err(|e| state.internal(e))?
        .ok_or_else(|| state.internal("the new generator vanished"))?;
    let budget = budget_view(state, &dataset).await?;
    let accountant_spec =
        accountant(&dataset.accountant).unwrap_or_else(tabveil::accountant::AccountantSpec::rdp);
    let planned_epsilon =
        tabveil::accountant::epsilon_of(&planned, &accountant_spec, dataset.delta)
            .map(|g| g.epsilon)
            .unwrap_or(f64::NAN);
    start(
        Arc::clone(state),
        FitJob {
            generator: generator.clone(),
            dataset: dataset.clone(),
            schema,
            synth,
        },
    );
    Ok(CreatedGenerator {
        generator: view(state, &generator, &dataset, caller),
        warnings,
        planned_epsilon,
        budget,
    })
}

fn refusal_view(refusal: Refusal, max: Option<f64>) -> RefusalView {
    let fix = match max {
        Some(m) => format!(
            "lower target_epsilon to at most {m:.4} (with the same other settings), or ask the dataset's owner for a new dataset"
        ),
        None => "no fit with these settings fits what remains of this dataset's budget".to_owned(),
    };
    RefusalView {
        error: format!(
            "this fit would bring the dataset's lifetime spending to ε = {:.4} at δ = {:e}, over its budget ε = {}; nothing was released",
            refusal.epsilon_with_this_fit, refusal.delta, refusal.epsilon_total
        ),
        code: "budget-exceeded".to_owned(),
        budget: refusal,
        max_target_epsilon: max,
        fix,
    }
}

/// The largest target ε (to 0.1 %) whose planned ledger still fits the dataset's budget with the
/// same other settings, by bisection with the accountant; `None` when none does.
async fn max_target_epsilon(
    state: &AppState,
    dataset: &DatasetRow,
    r: &FitRequest,
    schema: &Schema,
    rows: u64,
    delta: f64,
) -> Option<f64> {
    let links = state.store.chain(&dataset.id).await.ok()?;
    let (r, schema, id, row_estimate) = (
        r.clone(),
        schema.clone(),
        dataset.id.clone(),
        dataset.row_estimate?,
    );
    tokio::task::spawn_blocking(move || {
        let bodies = check_links(&id, &links).ok()?;
        let charges = charges(&bodies).ok()?;
        let subject = subject_of("candidate");
        let fits = |t: f64| -> bool {
            let Ok(synth) = synthesizer(&r, row_estimate, t, delta) else {
                return false;
            };
            let Ok(ledger) = plan(&synth, &schema, rows) else {
                return false;
            };
            charges
                .composed_with(Some((&subject, &ledger)))
                .and_then(|l| charges.epsilon(&l))
                .is_ok_and(|e| charges.within(e))
        };
        // Halve until a target fits (very small ones fail too: the validator refuses a plan
        // whose noise would drown the gradients), then bisect.
        let mut high = r.target_epsilon?;
        let mut low = None;
        let mut t = high / 2.0;
        for _ in 0..12 {
            if fits(t) {
                low = Some(t);
                break;
            }
            high = t;
            t /= 2.0;
        }
        let mut low = low?;
        while (high - low) > 1e-3 * low {
            let mid = 0.5 * (low + high);
            if fits(mid) {
                low = mid;
            } else {
                high = mid;
            }
        }
        Some(low)
    })
    .await
    .ok()
    .flatten()
}

/// The generators of a dataset.
#[utoipa::path(get, path = "/datasets/{id}/generators", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset")), responses((status = 200, body = Vec<GeneratorView>)))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<GeneratorView>>, ApiError> {
    let d = state.visible_dataset(&caller, &id).await?;
    let rows = state
        .store
        .generators_of(&id)
        .await
        .map_err(|e| state.internal(e))?;
    Ok(Json(
        rows.iter().map(|g| view(&state, g, &d, &caller)).collect(),
    ))
}

/// A generator: state, progress, ε spent, the chain entries of its charge.
#[utoipa::path(get, path = "/generators/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "The generator")),
    responses((status = 200, body = GeneratorView), (status = 404, description = "Unknown or not visible")))]
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<GeneratorView>, ApiError> {
    let (g, d) = state.visible_generator(&caller, &id).await?;
    Ok(Json(view(&state, &g, &d, &caller)))
}

/// Cancels a queued or running fit (its requester or the dataset's owner). The fit stops after
/// its current step and is charged what it released.
#[utoipa::path(post, path = "/generators/{id}/cancel", security(("bearer" = [])),
    params(("id" = String, Path, description = "The generator")),
    responses((status = 202, body = GeneratorView), (status = 409, description = "Already finished")))]
pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<GeneratorView>), ApiError> {
    let (g, d) = state.visible_generator(&caller, &id).await?;
    if g.requested_by != caller.id() && d.owner_id != caller.id() {
        return Err(ApiError::forbidden(
            "only the fit's requester or the dataset's owner may cancel it",
        ));
    }
    let job = state
        .jobs
        .get(&id)
        .filter(|_| !g.progress.is_final())
        .ok_or_else(|| {
            ApiError::conflict("finished", format!("generator {id} has already finished"))
        })?;
    job.cancel.store(true, Ordering::SeqCst);
    Ok((StatusCode::ACCEPTED, Json(view(&state, &g, &d, &caller))))
}

/// Progress as server-sent events: one `progress` event (JSON) at each change, the last one
/// with the final state.
#[utoipa::path(get, path = "/generators/{id}/events", security(("bearer" = [])),
    params(("id" = String, Path, description = "The generator")),
    responses((status = 200, description = "text/event-stream of `progress` events", body = LiveProgress)))]
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (g, _) = state.visible_generator(&caller, &id).await?;
    let stored = g.progress.clone();
    let rx = state
        .jobs
        .get(&id)
        .filter(|_| !stored.is_final())
        .map(|job| job.progress.subscribe());
    let event = |p: &LiveProgress| {
        Event::default()
            .event("progress")
            .json_data(p)
            .unwrap_or_else(|_| Event::default().event("progress").data("{}"))
    };
    let stream = match rx {
        None => stream::iter(vec![Ok(event(&stored))]).boxed(),
        Some(rx) => stream::unfold(Some((rx, true)), move |st| async move {
            let (mut rx, first) = st?;
            if !first && rx.changed().await.is_err() {
                return None;
            }
            let p = rx.borrow_and_update().clone();
            let next = (!p.is_final()).then_some((rx, false));
            Some((Ok(event(&p)), next))
        })
        .boxed(),
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
