//! `POST /api/v1/session` (log in, get a bearer token), `DELETE /api/v1/session` (revoke it) and
//! `GET /api/v1/me` (who the token belongs to, with their grants).
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use caucus_app::access::accounts::{self, Login};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateSessionRequest {
    pub email: String,
    pub password: String,
    /// The 6-digit code of the authenticator app; required for staff and officer roles.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreateSessionResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// Log in and receive a bearer token for a day (every scope: what it may do is what the account's
/// grants allow).
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = CreateSessionRequest,
    responses(
        (status = 201, description = "Logged in", body = CreateSessionResponse),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Wrong email, password or code", body = ErrorBody),
        (status = 429, description = "Too many failed logins", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(req): JsonBody<CreateSessionRequest>,
) -> Result<(StatusCode, Json<CreateSessionResponse>), ApiError> {
    let address = peer.ip().to_string();
    let account_id = accounts::log_in(
        &state.app,
        &Login {
            email: &req.email,
            password: &req.password,
            totp: req.totp.as_deref(),
            address: &address,
        },
    )
    .await?;
    let (_, actor) = accounts::actor(&state.app, account_id).await?;
    let token = caucus_app::access::api_tokens::issue_login_token(&state.app, &actor).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreateSessionResponse {
            token: token.token,
            expires_at: token
                .expires_at
                .format(&Rfc3339)
                .unwrap_or_else(|_| token.expires_at.unix_timestamp().to_string()),
        }),
    ))
}

/// Log out: revoke the bearer token sent with the request.
#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No live token", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<StatusCode, ApiError> {
    accounts::revoke_api_token(&state.app, &caller.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantBody {
    pub role: String,
    /// The unit's code, or null for a national grant.
    pub unit: Option<String>,
    pub valid_from: String,
    pub valid_until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub email: String,
    pub grants: Vec<GrantBody>,
    /// The scopes of the token sent (what it may be used for, within the grants).
    pub scopes: Vec<String>,
}

/// The account the token belongs to and its grants.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "session",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "No live token", body = ErrorBody),
    )
)]
pub async fn me(caller: ApiCaller) -> Json<MeResponse> {
    Json(MeResponse {
        email: caller.email,
        grants: caller
            .actor
            .grants
            .iter()
            .map(|g| GrantBody {
                role: g.role.to_string(),
                unit: g.unit.as_ref().map(|u| u.code.clone()),
                valid_from: g.valid_from.to_string(),
                valid_until: g.valid_until.map(|d| d.to_string()),
            })
            .collect(),
        scopes: caller.scopes.iter().map(|s| s.to_string()).collect(),
    })
}
