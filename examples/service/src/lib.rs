//! An HTTP service that embeds the `tabveil` facade: the embedding users' case.
//!
//! | method and path | what |
//! |---|---|
//! | `POST /jobs` | upload a CSV, its schema and the privacy settings ([`FitRequest`]); the plan is validated at once (422 with the validator's codes), then the fit runs on a worker: 202 with the job id |
//! | `GET /jobs/{id}` | the job's state, progress and ε spent so far ([`JobStatus`]) |
//! | `POST /jobs/{id}/cancel` | cancel a queued or running fit |
//! | `GET /jobs/{id}/report?format=json\|html\|md` | the privacy report of a finished fit |
//! | `GET /jobs/{id}/sample?rows=N&seed=K&condition=col=value,col2=value2` | synthetic rows as CSV; any number of requests may sample one model at once |
//!
//! Errors are JSON `{"error": "…", "code": "…", "findings": […]}` with 404 (unknown job), 409
//! (not finished), 422 (bad upload or a plan the validator refuses) or 500.
//!
//! The binary binds `127.0.0.1` only. This is an example, not a hardened service: there is no
//! authentication, and uploaded tables stay in memory until the process ends.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod jobs;

pub use api::{FitRequest, PrivacyRequest, SampleQuery};
pub use jobs::{JobState, JobStatus};

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

/// The service's router, with fresh (empty) state.
pub fn router() -> Router {
    let state = Arc::new(jobs::Jobs::default());
    Router::new()
        .route("/jobs", post(api::create))
        .route("/jobs/{id}", get(api::status))
        .route("/jobs/{id}/cancel", post(api::cancel))
        .route("/jobs/{id}/report", get(api::report))
        .route("/jobs/{id}/sample", get(api::sample))
        .with_state(state)
}
