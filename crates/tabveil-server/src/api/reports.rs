//! `GET /generators/{id}/privacy-report` (JSON, Markdown or HTML; every principal who may see
//! the dataset) and `GET /generators/{id}/evaluation` (the owner only: an evaluation compares
//! with the real rows and is not private).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tabveil::eval::{EvaluationConfig, evaluate};

use super::datasets::budget_view;
use super::views::FormatQuery;
use super::{ApiError, AppState, Checked};
use crate::auth::Caller;
use crate::chain::ChainHead;
use crate::files::Kind;
use crate::formats::Format;

/// Where a fit's charge stands in its dataset's chain: cited by every report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ChainCitation {
    pub(crate) dataset: String,
    /// The entry that charged the plan before the first release.
    pub(crate) planned_entry: Option<ChainHead>,
    /// The entry that settled the charge to what the fit released.
    pub(crate) settled_entry: Option<ChainHead>,
    /// The chain's head when the report was made.
    pub(crate) head: Option<ChainHead>,
    /// The dataset's lifetime budget and what all its fits spent together.
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) epsilon_spent: f64,
}

/// The privacy report of a finished fit, citing the dataset's ledger chain (the entries of
/// this fit's charge and the chain head): `format=json` (default) adds a `ledger_chain` member,
/// `md` and `html` a section.
#[utoipa::path(get, path = "/generators/{id}/privacy-report", security(("bearer" = [])),
    params(("id" = String, Path, description = "The generator"), FormatQuery),
    responses((status = 200, description = "The report (application/json, text/markdown or text/html)"),
        (status = 409, description = "No fitted model")))]
pub(crate) async fn privacy_report(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Checked(Query(q)): Checked<Query<FormatQuery>>,
) -> Result<Response, ApiError> {
    let format = q.format.unwrap_or_else(|| "json".to_owned());
    if !matches!(format.as_str(), "json" | "md" | "html") {
        return Err(ApiError::unprocessable(
            "bad-format",
            format!("unknown format `{format}`: expected json, md or html"),
        ));
    }
    let (g, d) = state.visible_generator(&caller, &id).await?;
    let fitted = state.fitted(&g).await?;
    let budget = budget_view(&state, &d).await?;
    let links = state.chain(&d.id).await?;
    let entry = |seq: Option<u64>| {
        seq.and_then(|s| links.iter().find(|l| l.seq == s))
            .map(|l| ChainHead {
                seq: l.seq,
                hash: l.hash.clone(),
            })
    };
    let citation = ChainCitation {
        dataset: d.id.clone(),
        planned_entry: entry(g.planned_seq),
        settled_entry: entry(g.settled_seq),
        head: budget.chain_head.clone(),
        epsilon_total: budget.epsilon_total,
        delta: budget.delta,
        epsilon_spent: budget.epsilon_spent,
    };
    let rendered =
        tokio::task::spawn_blocking(move || -> Result<(&'static str, String), String> {
            let report = fitted.report().map_err(|e| e.to_string())?;
            Ok(match format.as_str() {
                "json" => {
                    let mut v: serde_json::Value =
                        serde_json::from_str(&report.to_json().map_err(|e| e.to_string())?)
                            .map_err(|e| e.to_string())?;
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert(
                            "ledger_chain".to_owned(),
                            serde_json::to_value(&citation).map_err(|e| e.to_string())?,
                        );
                    }
                    (
                        "application/json",
                        serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?,
                    )
                }
                "md" => (
                    "text/markdown; charset=utf-8",
                    format!("{}\n{}", report.to_markdown(), markdown_section(&citation)),
                ),
                _ => {
                    let html = report.to_html().map_err(|e| e.to_string())?;
                    let section = html_section(&citation);
                    let html = match html.rfind("</body>") {
                        Some(at) => format!("{}{}{}", &html[..at], section, &html[at..]),
                        None => format!("{html}{section}"),
                    };
                    ("text/html; charset=utf-8", html)
                }
            })
        })
        .await
        .map_err(|e| state.internal(e))?
        .map_err(|e| state.internal(e))?;
    Ok(([(header::CONTENT_TYPE, rendered.0)], rendered.1).into_response())
}

fn head_text(h: Option<&ChainHead>) -> String {
    h.map_or_else(
        || "—".to_owned(),
        |h| format!("entry {} `{}`", h.seq, h.hash),
    )
}

fn markdown_section(c: &ChainCitation) -> String {
    format!(
        "## Ledger chain\n\n\
         This fit is charged to the lifetime budget of dataset `{}`: ε = {} at δ = {:e} for all its \
         fits together, composed by the accountant; ε = {:.4} spent so far.\n\n\
         - planned charge (before the first release): {}\n\
         - final charge (what the fit released): {}\n\
         - chain head: {}\n\n\
         Check the chain with `tabveil ledger verify FILE` on the export of `GET /datasets/{}/ledger`.\n",
        c.dataset,
        c.epsilon_total,
        c.delta,
        c.epsilon_spent,
        head_text(c.planned_entry.as_ref()),
        head_text(c.settled_entry.as_ref()),
        head_text(c.head.as_ref()),
        c.dataset,
    )
}

fn html_section(c: &ChainCitation) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let row = |name: &str, h: Option<&ChainHead>| {
        format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            name,
            h.map_or_else(
                || "—".to_owned(),
                |h| format!("entry {} <code>{}</code>", h.seq, esc(&h.hash))
            )
        )
    };
    format!(
        "<section id=\"ledger-chain\"><h2>Ledger chain</h2><p>This fit is charged to the lifetime budget of dataset <code>{}</code>: ε = {} at δ = {:e} for all its fits together, composed by the accountant; ε = {:.4} spent so far.</p><table>{}{}{}</table><p>Check the chain with <code>tabveil ledger verify FILE</code> on the export of <code>GET /datasets/{}/ledger</code>.</p></section>",
        esc(&c.dataset),
        c.epsilon_total,
        c.delta,
        c.epsilon_spent,
        row("planned charge", c.planned_entry.as_ref()),
        row("final charge", c.settled_entry.as_ref()),
        row("chain head", c.head.as_ref()),
        esc(&c.dataset),
    )
}

/// The evaluation of a finished fit against the real table (the dataset's owner only: it is
/// not private). As many synthetic rows as real ones.
#[utoipa::path(get, path = "/generators/{id}/evaluation", security(("bearer" = [])),
    params(("id" = String, Path, description = "The generator")),
    responses((status = 200, description = "The evaluation report (JSON)", body = Object), (status = 403, description = "Not the dataset's owner")))]
pub(crate) async fn evaluation(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (g, d) = state.visible_generator(&caller, &id).await?;
    if d.owner_id != caller.id() {
        return Err(ApiError::forbidden(
            "the evaluation compares with the real rows: the dataset's owner only",
        ));
    }
    let fitted = state.fitted(&g).await?;
    let files = state.files.clone();
    let report = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, String> {
        let (Some(file), Some(sha), Some(format)) = (
            d.file_name,
            d.file_sha256,
            d.format.as_deref().and_then(Format::parse),
        ) else {
            return Err("no table".to_owned());
        };
        let bytes = files
            .read(Kind::Table, &file, &sha)
            .map_err(|e| e.to_string())?;
        let real = format
            .read(bytes.into(), fitted.schema())
            .map_err(|e| e.to_string())?;
        let synthetic = fitted
            .sample(real.n_rows().max(1), 0)
            .map_err(|e| e.to_string())?;
        let report = evaluate(
            fitted.schema(),
            &real,
            &synthetic,
            None,
            &EvaluationConfig::default(),
        )
        .map_err(|e| e.to_string())?;
        serde_json::to_value(&report).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| state.internal(e))?
    .map_err(|e| state.internal(e))?;
    Ok(Json(report))
}
