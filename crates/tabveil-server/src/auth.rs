//! Bearer tokens and who is asking.
//!
//! A token is 32 bytes from the operating system's CSPRNG, written `tvk_` + 64 hex digits; the
//! database keeps only its SHA-256 (a fast hash is enough for a secret of 256 random bits: there
//! is nothing to guess). Every request but `GET /openapi.json` and `GET /health` carries
//! `Authorization: Bearer <token>`; a missing or unknown token is 401. The owner page `GET /`,
//! which a browser opens without JS, also takes the token as the password of HTTP Basic.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;

use crate::api::{ApiError, AppState};
use crate::chain::hex;
use crate::error::{Result, ServerError};
use crate::files::sha256_hex;
use crate::store::{Principal, Role};

/// The prefix of every token (lets secret scanners recognise them).
pub(crate) const TOKEN_PREFIX: &str = "tvk_";

/// `n` random bytes from the operating system.
fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|_| ServerError::Internal("the OS random source failed"))?;
    Ok(bytes)
}

/// A new token and the hash stored for it.
pub(crate) fn new_token() -> Result<(String, String)> {
    let token = format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?));
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// What the database stores for `token`.
pub(crate) fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A new random id with a prefix (`ds_`, `gen_`, `usr_`): 128 random bits, so ids say nothing
/// about how many datasets or fits other owners have.
pub(crate) fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}{}", hex(&random_bytes::<16>()?)))
}

/// The authenticated principal of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) Principal);

impl Caller {
    pub(crate) fn id(&self) -> &str {
        &self.0.id
    }

    pub(crate) fn role(&self) -> Role {
        self.0.role
    }
}

/// The `unauthorised` 401 (the response adds `WWW-Authenticate: Bearer`).
fn unauthorised(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorised", message)
}

impl Caller {
    /// The principal holding `token`, if it is a live one.
    pub(crate) async fn from_token(
        state: &AppState,
        token: &str,
    ) -> std::result::Result<Self, ApiError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(unauthorised("expected a tabveil token (`tvk_…`)"));
        }
        let principal = state
            .store
            .principal_by_token(&token_hash(token))
            .await
            .map_err(|e| state.internal(e))?
            .ok_or_else(|| unauthorised("unknown or revoked token"))?;
        Ok(Caller(principal))
    }
}

/// The token of a request: `Authorization: Bearer <token>`, or (when `basic` is allowed, for
/// the owner page a browser opens) HTTP Basic with the token as the password.
pub(crate) fn request_token(headers: &HeaderMap, basic: bool) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.trim().to_owned());
    }
    let encoded = value.strip_prefix("Basic ").filter(|_| basic)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let credentials = String::from_utf8(decoded).ok()?;
    let (_user, password) = credentials.split_once(':')?;
    Some(password.to_owned())
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> std::result::Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(unauthorised("missing `Authorization: Bearer <token>`"));
        }
        let token = request_token(&parts.headers, false)
            .ok_or_else(|| unauthorised("expected `Authorization: Bearer <token>`"))?;
        Caller::from_token(state, &token).await
    }
}
