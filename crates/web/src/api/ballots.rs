//! `GET /api/v1/ballots/{id}/result` (the count as SPEC 5.4's JSON, with the turnout) and
//! `GET /api/v1/ballots/{id}/ballots.blt` (the anonymised papers that recount to it).
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use caucus_app::ballots;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct BallotResult {
    pub id: i64,
    pub title: String,
    /// The counting method, as `caucus count --method` spells it.
    pub method: String,
    pub seats: i64,
    /// `counted` (seen by the ballot's officers only) or `published`.
    pub state: String,
    /// Members on the roll, and papers cast.
    pub roll: i64,
    pub voted: i64,
    /// The count as `caucus count --format json` prints it (SPEC 5.4).
    #[schema(value_type = Object)]
    pub count: serde_json::Value,
}

/// A ballot's result: published ones to any account, counted ones to their officers.
#[utoipa::path(
    get,
    path = "/api/v1/ballots/{id}/result",
    tag = "ballots",
    params(("id" = i64, Path, description = "The ballot's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The result", body = BallotResult),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Counted but not published, and not yours to run", body = ErrorBody),
        (status = 404, description = "No such ballot, or not counted", body = ErrorBody),
    )
)]
pub async fn result(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<BallotResult>, ApiError> {
    let o = ballots::outcome(&state.app, &caller.actor, id).await?;
    let count = serde_json::from_str(&o.json).map_err(|e| {
        ApiError::from(caucus_app::AppError::Invalid(format!(
            "the stored result is unreadable: {e}"
        )))
    })?;
    Ok(Json(BallotResult {
        id,
        title: o.ballot.row.title.clone(),
        method: o.ballot.method.as_str().to_string(),
        seats: o.ballot.row.seats,
        state: o.ballot.row.state.clone(),
        roll: o.roll,
        voted: o.voted,
        count,
    }))
}

/// The anonymised ballot papers as BLT, each under its receipt code, in code order.
#[utoipa::path(
    get,
    path = "/api/v1/ballots/{id}/ballots.blt",
    tag = "ballots",
    params(("id" = i64, Path, description = "The ballot's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The BLT file", body = String, content_type = "text/plain"),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Counted but not published, and not yours to run", body = ErrorBody),
        (status = 404, description = "No such ballot, or not counted", body = ErrorBody),
    )
)]
pub async fn papers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let o = ballots::outcome(&state.app, &caller.actor, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], o.blt).into_response())
}
