//! [`ApiError`]: every failed request answers JSON `{"error", "code", ...}` with a status that
//! says whose fault it is. Internal failures are logged in full and answered with an incident
//! id only: no message of a library, no path, no backtrace reaches the client.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A JSON error response.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// Further members of the body (findings, the budget, the fix).
    pub(crate) extra: Map<String, Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub(crate) fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no such {what}"),
        )
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// Adds a member to the body.
    pub(crate) fn with(mut self, key: &str, value: impl serde::Serialize) -> Self {
        self.extra.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("error".to_owned(), json!(self.message));
        body.insert("code".to_owned(), json!(self.code));
        body.extend(self.extra);
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Turns axum's rejections (bad JSON, a body over the limit, a bad query) into JSON errors with
/// the same status, without echoing internals.
pub(crate) fn rejection(status: StatusCode, text: &str) -> ApiError {
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        _ => "bad-request",
    };
    let status = if status == StatusCode::BAD_REQUEST {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    ApiError::new(status, code, text)
}

/// An extractor whose rejection is answered as an [`ApiError`] (JSON, the same status, `400`
/// as `422`): `Checked(Json(body)): Checked<Json<T>>`, `Checked(Query(q))`, `Checked(bytes)`.
#[derive(Debug)]
pub(crate) struct Checked<X>(pub(crate) X);

/// A rejection of axum's that says its status and what went wrong.
pub(crate) trait Explained {
    fn status(&self) -> StatusCode;
    fn body_text(&self) -> String;
}

macro_rules! explained {
    ($($rejection:ty),*) => {$(
        impl Explained for $rejection {
            fn status(&self) -> StatusCode {
                <$rejection>::status(self)
            }
            fn body_text(&self) -> String {
                <$rejection>::body_text(self)
            }
        }
    )*};
}

explained!(JsonRejection, QueryRejection, BytesRejection);

fn explain(e: &impl Explained) -> ApiError {
    rejection(e.status(), &e.body_text())
}

impl<S, X> FromRequest<S> for Checked<X>
where
    S: Send + Sync,
    X: FromRequest<S>,
    X::Rejection: Explained,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        X::from_request(req, state)
            .await
            .map(Checked)
            .map_err(|e| explain(&e))
    }
}

impl<S, X> FromRequestParts<S> for Checked<X>
where
    S: Send + Sync,
    X: FromRequestParts<S>,
    X::Rejection: Explained,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        X::from_request_parts(parts, state)
            .await
            .map(Checked)
            .map_err(|e| explain(&e))
    }
}
