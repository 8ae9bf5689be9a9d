//! Datasets: `POST /datasets` (schema and budget), `PUT /datasets/{id}/table` (the table, once),
//! `GET /datasets`, `GET /datasets/{id}`, `GET /datasets/{id}/table` (owner only),
//! `GET /datasets/{id}/budget`, `GET /datasets/{id}/ledger` (the chain export).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tabveil::accountant::AccountantSpec;
use tabveil::data::Schema;

use super::views::{BudgetView, ChargeView, DatasetView, NewDatasetRequest};
use super::{ApiError, AppState, Checked, checked_name};
use crate::auth::{Caller, new_id};
use crate::budget::{open_chain, release_row_estimate};
use crate::chain::{CHAIN_FORMAT, CHAIN_VERSION, ChainExport, summarise};
use crate::files::Kind;
use crate::formats::{self, Format};
use crate::store::{DatasetRow, NewDataset, Role};

/// The accountant named in a request.
pub(crate) fn accountant(name: &str) -> Option<AccountantSpec> {
    match name {
        "rdp" => Some(AccountantSpec::rdp()),
        "pld" => Some(AccountantSpec::pld()),
        _ => None,
    }
}

pub(crate) fn view(d: &DatasetRow, caller: &Caller) -> DatasetView {
    DatasetView {
        id: d.id.clone(),
        name: d.name.clone(),
        state: if d.state == "ready" {
            "ready"
        } else {
            "awaiting_table"
        }
        .to_owned(),
        owned: d.owner_id == caller.id(),
        schema: serde_json::from_str(&d.schema_json).unwrap_or(serde_json::Value::Null),
        epsilon_total: d.epsilon_total,
        delta: d.delta,
        accountant: d.accountant.clone(),
        row_estimate: d.row_estimate,
        format: d.format.clone(),
        created_at_ms: d.created_at,
    }
}

/// Creates a dataset: its public schema and its lifetime budget (ε_total, δ), which opens its
/// ledger chain. Upload the table next.
#[utoipa::path(post, path = "/datasets", security(("bearer" = [])), request_body = NewDatasetRequest,
    responses((status = 201, body = DatasetView), (status = 403, description = "Analysts cannot create datasets"),
        (status = 422, description = "A bad schema or budget")))]
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Checked(Json(r)): Checked<Json<NewDatasetRequest>>,
) -> Result<(StatusCode, Json<DatasetView>), ApiError> {
    if caller.role() != Role::Owner {
        return Err(ApiError::forbidden("only owners create datasets"));
    }
    let name = checked_name(&r.name)?;
    let schema = Schema::from_json(&r.schema.to_string())
        .map_err(|e| ApiError::unprocessable("bad-schema", e.to_string()))?;
    if !(r.epsilon_total.is_finite() && r.epsilon_total > 0.0) {
        return Err(ApiError::unprocessable(
            "bad-budget",
            "epsilon_total must be finite and > 0",
        ));
    }
    if !(r.delta > 0.0 && r.delta < 1.0) {
        return Err(ApiError::unprocessable(
            "bad-budget",
            "delta must be in (0, 1)",
        ));
    }
    let accountant_name = r.accountant.as_deref().unwrap_or("rdp");
    let spec = accountant(accountant_name).ok_or_else(|| {
        ApiError::unprocessable("bad-accountant", "accountant must be `rdp` or `pld`")
    })?;
    let share = r
        .row_estimate_share
        .unwrap_or(state.config.row_estimate_share);
    if !(share > 0.0 && share < 1.0) {
        return Err(ApiError::unprocessable(
            "bad-share",
            "row_estimate_share must be in (0, 1)",
        ));
    }
    let schema_json = serde_json::to_string(&schema).map_err(|e| state.internal(e))?;
    let id = new_id("ds_").map_err(|e| state.internal(e))?;
    let mut tx = state.begin().await?;
    state
        .store
        .insert_dataset(
            &mut tx,
            &NewDataset {
                id: &id,
                owner_id: caller.id(),
                name,
                schema_json: &schema_json,
                epsilon_total: r.epsilon_total,
                delta: r.delta,
                accountant: accountant_name,
                row_estimate_share: share,
            },
        )
        .await
        .map_err(|e| state.internal(e))?;
    open_chain(&state, &mut tx, &id, r.epsilon_total, r.delta, spec)
        .await
        .map_err(|e| state.internal(e))?;
    tx.commit().await.map_err(|e| state.internal(e))?;
    let row = state.visible_dataset(&caller, &id).await?;
    Ok((StatusCode::CREATED, Json(view(&row, &caller))))
}

/// The caller's datasets (an analyst's: those granted).
#[utoipa::path(get, path = "/datasets", security(("bearer" = [])), responses((status = 200, body = Vec<DatasetView>)))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<DatasetView>>, ApiError> {
    let rows = state
        .store
        .datasets_visible_to(caller.id())
        .await
        .map_err(|e| state.internal(e))?;
    Ok(Json(rows.iter().map(|d| view(d, &caller)).collect()))
}

/// One dataset (404 for a dataset the caller may not see).
#[utoipa::path(get, path = "/datasets/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset")),
    responses((status = 200, body = DatasetView), (status = 404, description = "Unknown or not visible")))]
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DatasetView>, ApiError> {
    let d = state.visible_dataset(&caller, &id).await?;
    Ok(Json(view(&d, &caller)))
}

/// Uploads the dataset's table (once; owner only), in the format its `Content-Type` names:
/// CSV (`text/csv`) or Parquet (`application/vnd.apache.parquet`). The table is checked
/// against the schema, stored as uploaded with its SHA-256, the noisy row count N̂ is released
/// (charged to the budget) and the dataset becomes `ready`. A table that does not fit the
/// schema is refused with a typed code (`table-columns`, `table-column-type`, `bad-table`,
/// `bad-format`) and the schema's column, never a value of the table.
#[utoipa::path(put, path = "/datasets/{id}/table", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset")),
    request_body(content(
        (String = "text/csv"), (Vec<u8> = "application/vnd.apache.parquet")),
        description = "The table: CSV with a header line, or Parquet (`application/x-parquet` is accepted too)"),
    responses((status = 200, body = DatasetView), (status = 409, description = "The table was already uploaded"),
        (status = 413, description = "Larger than the upload limit"), (status = 415, description = "Unsupported format"),
        (status = 422, description = "The table does not match the schema")))]
pub(crate) async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Checked<Bytes>, ApiError>,
) -> Result<Json<DatasetView>, ApiError> {
    // Who may upload is answered before the body's size.
    let dataset = state.owned_dataset(&caller, &id).await?;
    let Checked(body) = body?;
    if dataset.state != "awaiting_data" {
        return Err(ApiError::conflict(
            "table-exists",
            "this dataset's table was uploaded already; create a new dataset for another table",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::from_content_type(content_type)
        .filter(|f| Format::sniff(&body).is_none_or(|s| s == *f))
        .ok_or_else(|| formats::unsupported(content_type, &body))?;
    let schema = Schema::from_json(&dataset.schema_json).map_err(|e| state.internal(e))?;
    let files = state.files.clone();
    let file_name = format!(
        "{}-{}.{}",
        id,
        new_id("").map_err(|e| state.internal(e))?,
        format.as_str()
    );
    let stored_name = file_name.clone();
    // Parse (a table that does not match the schema is refused before anything is stored),
    // then store: off the async threads.
    let parsed = tokio::task::spawn_blocking(move || -> Result<(usize, String, u64), ApiError> {
        let table = format
            .read(body.clone(), &schema)
            .map_err(|e| formats::refusal(format, &e))?;
        let sha = files.write(Kind::Table, &stored_name, &body).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", e.to_string())
        })?;
        Ok((table.n_rows(), sha, body.len() as u64))
    })
    .await
    .map_err(|e| state.internal(e))?;
    let (rows, sha, bytes) = match parsed {
        Ok(p) => p,
        Err(e) if e.code == "storage" => return Err(state.internal(e.message)),
        Err(e) => return Err(e),
    };
    let released = release_row_estimate(
        &state,
        &id,
        rows,
        dataset.row_estimate_share,
        format.as_str(),
        &file_name,
        &sha,
        bytes,
    )
    .await;
    match released {
        Ok(Some(_)) => {}
        Ok(None) => {
            state.files.remove(Kind::Table, &file_name);
            return Err(ApiError::conflict(
                "table-exists",
                "this dataset's table was uploaded already",
            ));
        }
        Err(e) => {
            state.files.remove(Kind::Table, &file_name);
            return Err(state.internal(e));
        }
    }
    let d = state.visible_dataset(&caller, &id).await?;
    Ok(Json(view(&d, &caller)))
}

/// The dataset's table as uploaded (the owner only: 403 for analysts), checked against its
/// checksum.
#[utoipa::path(get, path = "/datasets/{id}/table", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset")),
    responses((status = 200, description = "The table as uploaded, with the `Content-Type` of its format", content(
            (String = "text/csv"), (Vec<u8> = "application/vnd.apache.parquet"))),
        (status = 403, description = "Not the owner")))]
pub(crate) async fn download(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = state.owned_dataset(&caller, &id).await?;
    let (Some(file), Some(sha), Some(format)) = (
        d.file_name,
        d.file_sha256,
        d.format.as_deref().and_then(Format::parse),
    ) else {
        return Err(ApiError::conflict(
            "no-table",
            "the table has not been uploaded",
        ));
    };
    let files = state.files.clone();
    let bytes = tokio::task::spawn_blocking(move || files.read(Kind::Table, &file, &sha))
        .await
        .map_err(|e| state.internal(e))?
        .map_err(|e| state.internal(e))?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], bytes).into_response())
}

/// The budget view of a dataset, from its verified chain.
pub(crate) async fn budget_view(state: &AppState, d: &DatasetRow) -> Result<BudgetView, ApiError> {
    let links = state.chain(&d.id).await?;
    let id = d.id.clone();
    let summary = tokio::task::spawn_blocking(move || summarise(&id, &links))
        .await
        .map_err(|e| state.internal(e))?
        .map_err(|e| {
            state.log(&format!("dataset {}: ledger chain does not verify: {e}", d.id));
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ledger-broken",
                format!("this dataset's ledger chain does not verify ({e}); no fit is charged until the operator restores it"),
            )
        })?;
    Ok(BudgetView {
        dataset: d.id.clone(),
        epsilon_total: summary.epsilon_total,
        delta: summary.delta,
        accountant: d.accountant.clone(),
        epsilon_spent: summary.epsilon_spent,
        epsilon_remaining: (summary.epsilon_total - summary.epsilon_spent).max(0.0),
        row_estimate: d.row_estimate,
        charges: summary
            .charges
            .into_iter()
            .map(|c| ChargeView {
                subject: c.subject,
                phase: c.phase,
                seq: c.seq,
                epsilon_alone: c.epsilon_alone,
            })
            .collect(),
        chain_head: summary.head,
    })
}

/// The dataset's lifetime budget: ε_total, δ, every current charge and their composition.
#[utoipa::path(get, path = "/datasets/{id}/budget", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset")),
    responses((status = 200, body = BudgetView), (status = 500, description = "The ledger chain does not verify")))]
pub(crate) async fn budget(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BudgetView>, ApiError> {
    let d = state.visible_dataset(&caller, &id).await?;
    Ok(Json(budget_view(&state, &d).await?))
}

/// The dataset's ledger chain, for `tabveil ledger verify`. It holds only public parameters
/// (noise multipliers, sampling rates, counts) and the released row count.
#[utoipa::path(get, path = "/datasets/{id}/ledger", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset")),
    responses((status = 200, description = "The chain export (tabveil-ledger-chain v1)", body = Object)))]
pub(crate) async fn ledger(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ChainExport>, ApiError> {
    state.visible_dataset(&caller, &id).await?;
    let links = state.chain(&id).await?;
    Ok(Json(ChainExport {
        format: CHAIN_FORMAT.to_owned(),
        version: CHAIN_VERSION,
        dataset: id,
        entries: links,
    }))
}
