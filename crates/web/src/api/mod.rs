//! The JSON API of SPEC 5.2 under `/api/v1/`, one file per resource. Each handler carries its
//! `utoipa::path` description, so `/api/openapi.json` is generated from the code that serves it.
pub mod access;
mod audit;
mod ballots;
pub mod organisation;
pub mod register;

use access::session;
use organisation::units;
use register::{members, transitions};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "caucus",
        description = "The governance system a political party runs on: the register, its units and \
                       members, with eligibility decisions that name their rulebook clauses."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::create, session::delete))
        .routes(routes!(session::me))
        .routes(routes!(units::list))
        .routes(routes!(units::show))
        .routes(routes!(units::members))
        .routes(routes!(members::show))
        .routes(routes!(members::history))
        .routes(routes!(members::eligibility))
        .routes(routes!(transitions::create))
        .routes(routes!(audit::events))
        .routes(routes!(audit::access))
        .routes(routes!(audit::verification))
        .routes(routes!(ballots::result))
        .routes(routes!(ballots::papers))
}

pub async fn openapi_document(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_string(),
    )
        .into_response()
}

/// Reads a cursor (`?cursor=`): the id after which the next page starts.
pub fn cursor(text: Option<&str>) -> Result<i64, ApiError> {
    match text {
        None | Some("") => Ok(0),
        Some(t) => t.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_request(format!("'{t}' is not a cursor from a previous page"))
        }),
    }
}

/// Reads a page size (`?limit=`), 50 by default, at most 200.
pub fn limit(n: Option<i64>) -> Result<i64, ApiError> {
    match n {
        None => Ok(50),
        Some(n) if (1..=caucus_app::register::records::MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!(
            "limit {n} is out of range (1 to {})",
            caucus_app::register::records::MAX_PAGE
        ))),
    }
}

/// Turns an extractor's refusal (bad JSON, bad query) into the API's 400.
pub fn rejected(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(e.to_string())
}
