//! `GET /`: a page a browser opens without JS or a client — the caller's datasets (an owner's
//! own, an analyst's granted), each with its budget (composed from its verified chain) and its
//! generators (state, progress, ε). The token is the password of HTTP Basic (any user name),
//! or a bearer token as on every other route.
//!
//! The page shows what the JSON routes show the same caller, and never a row or a statistic of
//! a table beyond the released N̂. Every name is escaped; the page loads nothing, runs no
//! script (`Content-Security-Policy: default-src 'none'`) and is not cached.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tabveil::data::escape_html as escape;

use super::datasets::{budget_view, view as dataset_view};
use super::generators::view as generator_view;
use super::views::{BudgetView, DatasetView, GeneratorView};
use super::{ApiError, AppState};
use crate::auth::{Caller, request_token};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:64rem;\
padding:0 1rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}\
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}\
code{font-size:.9em}small{color:#666}.bad{color:#a00}";

/// The owner page.
#[utoipa::path(get, path = "/",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The caller's datasets, budgets and generators", content_type = "text/html"),
        (status = 401, description = "No or an unknown token (asks for HTTP Basic credentials: the token is the password)")))]
pub(crate) async fn owner_page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let caller = match request_token(&headers, true) {
        Some(token) => Caller::from_token(&state, &token).await,
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "sign in",
        )),
    };
    let caller = match caller {
        Ok(c) => c,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => return sign_in(),
        Err(e) => return e.into_response(),
    };
    match render(&state, &caller).await {
        Ok(html) => page(StatusCode::OK, html),
        Err(e) => e.into_response(),
    }
}

/// The 401 that makes a browser ask for the token.
fn sign_in() -> Response {
    let mut r = page(
        StatusCode::UNAUTHORIZED,
        document(
            "tabveil: sign in",
            "<h1>tabveil</h1><p>Sign in with your token as the password (any user name).</p>",
        ),
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"tabveil\", charset=\"UTF-8\""),
    );
    r
}

fn page(status: StatusCode, html: String) -> Response {
    let mut r = (status, Html(html)).into_response();
    let headers = r.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("x-content-type-options"), "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    r
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(title)
    )
}

async fn render(state: &AppState, caller: &Caller) -> Result<String, ApiError> {
    let rows = state
        .store
        .datasets_visible_to(caller.id())
        .await
        .map_err(|e| state.internal(e))?;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>tabveil</h1><p>Signed in as <b>{}</b> ({}). {} dataset(s).</p>",
        escape(&caller.0.name),
        caller.role().as_str(),
        rows.len()
    );
    for d in &rows {
        let generators = state
            .store
            .generators_of(&d.id)
            .await
            .map_err(|e| state.internal(e))?;
        let generators: Vec<GeneratorView> = generators
            .iter()
            .map(|g| generator_view(state, g, d, caller))
            .collect();
        // A chain that does not verify is shown as such (the JSON route answers 500).
        let budget = budget_view(state, d).await.map_err(|e| e.message);
        dataset_section(
            &mut body,
            &dataset_view(d, caller),
            budget.as_ref(),
            &generators,
        );
    }
    Ok(document(&format!("tabveil: {}", caller.0.name), &body))
}

fn dataset_section(
    out: &mut String,
    d: &DatasetView,
    budget: Result<&BudgetView, &String>,
    generators: &[GeneratorView],
) {
    let _ = write!(
        out,
        "<section><h2>{} <small><code>{}</code></small></h2><p>{}{}{}</p>",
        escape(&d.name),
        escape(&d.id),
        escape(&d.state),
        d.format
            .as_deref()
            .map(|f| format!(" · {}", escape(f)))
            .unwrap_or_default(),
        d.row_estimate
            .map(|n| format!(" · N̂ = {n:.0} rows (noisy)"))
            .unwrap_or_default(),
    );
    match budget {
        Ok(b) => {
            let head = b.chain_head.as_ref().map_or_else(String::new, |h| {
                format!(
                    "#{} <code>{}…</code>",
                    h.seq,
                    escape(&h.hash[..h.hash.len().min(16)])
                )
            });
            let _ = write!(
                out,
                "<table><tr><th>ε total</th><th>δ</th><th>accountant</th><th>ε spent</th>\
                 <th>ε remaining</th><th>charges</th><th>chain head</th></tr>\
                 <tr><td>{}</td><td>{:e}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td>\
                 <td>{head}</td></tr></table>",
                b.epsilon_total,
                b.delta,
                escape(&b.accountant),
                b.epsilon_spent,
                b.epsilon_remaining,
                b.charges.len(),
            );
        }
        Err(message) => {
            let _ = write!(out, "<p class=\"bad\">{}</p>", escape(message));
        }
    }
    if generators.is_empty() {
        out.push_str("<p>No generator yet.</p></section>");
        return;
    }
    out.push_str(
        "<table><tr><th>generator</th><th>type</th><th>state</th><th>epoch</th>\
         <th>ε spent</th><th>target ε</th><th>δ</th></tr>",
    );
    for g in generators {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}{}</td><td>{}/{}</td><td>{}</td>\
             <td>{}</td><td>{:e}</td></tr>",
            escape(&g.id),
            escape(&g.generator_type),
            escape(&g.progress.state),
            g.error_code
                .as_deref()
                .map(|c| format!(" ({})", escape(c)))
                .unwrap_or_default(),
            g.progress.epoch,
            g.progress.epochs,
            g.progress
                .epsilon_spent
                .map_or_else(|| "–".to_owned(), |e| format!("{e:.4}")),
            g.target_epsilon,
            g.target_delta,
        );
    }
    out.push_str("</table></section>");
}
