//! Principals and grants: `GET /me`, `POST /users`, `DELETE /users/{id}`,
//! `PUT|DELETE /datasets/{id}/analysts/{user}`, and the unauthenticated `GET /health`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::views::{MeView, NewUserRequest, NewUserView};
use super::{ApiError, AppState, Checked, checked_name};
use crate::auth::{Caller, new_id, new_token};
use crate::store::{NewPrincipal, Role};

/// Liveness.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "The server is up")))]
pub(crate) async fn health() -> &'static str {
    "ok"
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/me", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, description = "No or unknown token")))]
pub(crate) async fn me(caller: Caller) -> Json<MeView> {
    let p = caller.0;
    Json(MeView {
        id: p.id,
        name: p.name,
        role: p.role,
        is_admin: p.is_admin,
    })
}

/// Creates a principal and returns its token, once: the admin creates owners, an owner
/// creates analysts (granted the listed datasets of theirs).
#[utoipa::path(post, path = "/users", security(("bearer" = [])), request_body = NewUserRequest,
    responses((status = 201, body = NewUserView), (status = 403, description = "Not allowed to create this role"),
        (status = 404, description = "A listed dataset is not the caller's")))]
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Checked(Json(request)): Checked<Json<NewUserRequest>>,
) -> Result<(StatusCode, Json<NewUserView>), ApiError> {
    let name = checked_name(&request.name)?;
    match (request.role, caller.role(), caller.0.is_admin) {
        (Role::Owner, Role::Owner, true) => {}
        (Role::Analyst, Role::Owner, _) => {}
        (Role::Owner, _, _) => return Err(ApiError::forbidden("only the admin may create owners")),
        (Role::Analyst, _, _) => {
            return Err(ApiError::forbidden("only owners may create analysts"));
        }
    }
    if request.role == Role::Owner && !request.datasets.is_empty() {
        return Err(ApiError::unprocessable(
            "bad-datasets",
            "datasets are granted to analysts only",
        ));
    }
    for id in &request.datasets {
        state.owned_dataset(&caller, id).await?;
    }
    let id = new_id("usr_").map_err(|e| state.internal(e))?;
    let (token, hash) = new_token().map_err(|e| state.internal(e))?;
    let mut tx = state.begin().await?;
    state
        .store
        .insert_principal(
            &mut tx,
            &NewPrincipal {
                id: &id,
                name,
                role: request.role,
                is_admin: false,
                created_by: Some(caller.id()),
                token_hash: &hash,
            },
        )
        .await
        .map_err(|e| state.internal(e))?;
    for dataset in &request.datasets {
        state
            .store
            .grant(&mut tx, dataset, &id)
            .await
            .map_err(|e| state.internal(e))?;
    }
    tx.commit().await.map_err(|e| state.internal(e))?;
    Ok((
        StatusCode::CREATED,
        Json(NewUserView {
            id,
            name: name.to_owned(),
            role: request.role,
            token,
        }),
    ))
}

/// Revokes a principal's token (its creator, or the admin).
#[utoipa::path(delete, path = "/users/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "The principal")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "Not one of the caller's")))]
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let target = state
        .store
        .principal(&id)
        .await
        .map_err(|e| state.internal(e))?
        .filter(|p| {
            p.created_by.as_deref() == Some(caller.id())
                || (caller.0.is_admin && p.id != caller.id())
        })
        .ok_or_else(|| ApiError::not_found("user"))?;
    state
        .store
        .revoke_principal(&target.id)
        .await
        .map_err(|e| state.internal(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Grants one of the caller's datasets to an analyst the caller created.
#[utoipa::path(put, path = "/datasets/{id}/analysts/{user}", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset"), ("user" = String, Path, description = "The analyst")),
    responses((status = 204, description = "Granted"), (status = 404, description = "Unknown dataset or analyst")))]
pub(crate) async fn grant(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.owned_dataset(&caller, &id).await?;
    let analyst = state
        .store
        .principal(&user)
        .await
        .map_err(|e| state.internal(e))?
        .filter(|p| p.role == Role::Analyst && p.created_by.as_deref() == Some(caller.id()))
        .ok_or_else(|| ApiError::not_found("analyst"))?;
    let mut conn = state.conn().await?;
    state
        .store
        .grant(&mut conn, &id, &analyst.id)
        .await
        .map_err(|e| state.internal(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a grant.
#[utoipa::path(delete, path = "/datasets/{id}/analysts/{user}", security(("bearer" = [])),
    params(("id" = String, Path, description = "The dataset"), ("user" = String, Path, description = "The analyst")),
    responses((status = 204, description = "Withdrawn")))]
pub(crate) async fn ungrant(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.owned_dataset(&caller, &id).await?;
    state
        .store
        .ungrant(&id, &user)
        .await
        .map_err(|e| state.internal(e))?;
    Ok(StatusCode::NO_CONTENT)
}
