//! `GET /generators/{id}/samples`: synthetic rows as CSV or JSON, optionally conditional.
//! Sampling is post-processing of a private model: it costs no privacy and is open to every
//! principal who may see the dataset.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tabveil::data::{Table, Value as Cell, write_csv};
use tabveil::models::Condition;

use super::views::{FitRequest, SampleQuery};
use super::{ApiError, AppState, Checked};
use crate::auth::Caller;

/// Synthetic rows from a finished generator.
#[utoipa::path(get, path = "/generators/{id}/samples", security(("bearer" = [])),
    params(("id" = String, Path, description = "The generator"), SampleQuery),
    responses((status = 200, description = "CSV (text/csv) or JSON (an array of objects)"),
        (status = 409, description = "The generator has no fitted model"), (status = 422, description = "Bad rows, condition or format")))]
pub(crate) async fn sample(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Checked(Query(q)): Checked<Query<SampleQuery>>,
) -> Result<Response, ApiError> {
    let (g, d) = state.visible_generator(&caller, &id).await?;
    let settings: Option<FitRequest> = serde_json::from_str(&g.settings_json).ok();
    // The default count is public: the request's `num_rows`, else the released estimate N̂.
    let default_rows = settings
        .and_then(|s| s.num_rows)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        .or_else(|| d.row_estimate.map(|r| r.round().max(1.0) as usize))
        .unwrap_or(1_000);
    let rows = q.rows.unwrap_or(default_rows);
    let max = state.config.max_sample_rows;
    if rows == 0 || rows > max {
        return Err(ApiError::unprocessable(
            "bad-rows",
            format!("rows must be between 1 and {max}"),
        ));
    }
    let json = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "json" => true,
        other => {
            return Err(ApiError::unprocessable(
                "bad-format",
                format!("unknown format `{other}`: expected csv or json"),
            ));
        }
    };
    let conditions = parse_conditions(q.condition.as_deref())?;
    let fitted = state.fitted(&g).await?;
    let seed = q.seed.unwrap_or(0);
    // `Fitted` is Sync: concurrent requests sample one model at once, each on its own worker.
    let body = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, &'static str), ApiError> {
        let table = if conditions.is_empty() {
            fitted.sample(rows, seed)
        } else {
            fitted.sample_conditional(rows, &conditions, seed)
        }
        .map_err(|e| ApiError::unprocessable("sampling-failed", e.to_string()))?;
        if json {
            let out = to_json(&table).map_err(|e| ApiError::unprocessable("sampling-failed", e))?;
            Ok((out, "application/json"))
        } else {
            let mut csv = Vec::new();
            write_csv(&table, fitted.schema(), &mut csv)
                .map_err(|e| ApiError::unprocessable("sampling-failed", e.to_string()))?;
            Ok((csv, "text/csv; charset=utf-8"))
        }
    })
    .await
    .map_err(|e| state.internal(e))??;
    Ok(([(header::CONTENT_TYPE, body.1)], body.0).into_response())
}

fn parse_conditions(raw: Option<&str>) -> Result<Vec<Condition>, ApiError> {
    Condition::parse_list(raw.unwrap_or_default()).map_err(|pair| {
        ApiError::unprocessable("bad-condition", format!("`{pair}`: expected col=value"))
    })
}

/// The rows as a JSON array of objects (column name → value).
fn to_json(table: &Table) -> Result<Vec<u8>, String> {
    let names: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
    let mut rows = Vec::with_capacity(table.n_rows());
    for i in 0..table.n_rows() {
        let values = table.row(i).map_err(|e| e.to_string())?;
        let mut obj = Map::with_capacity(names.len());
        for (name, v) in names.iter().zip(values) {
            let v = match v {
                Cell::Null => Value::Null,
                Cell::Number(x) => {
                    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                }
                Cell::Text(s) => Value::String(s),
                Cell::Bool(b) => Value::Bool(b),
            };
            obj.insert((*name).to_owned(), v);
        }
        rows.push(Value::Object(obj));
    }
    serde_json::to_vec(&rows).map_err(|e| e.to_string())
}
