//! A failed page request as a page: the use case's error with its status, message and reasons.
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use caucus_app::AppError;

use crate::auth::PageSession;
use crate::error::ApiError;
use crate::views::{error_page, session_error_page};

/// The answer for a path nothing serves: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found(format!("nothing at {}", uri.path())).into_response()
    } else {
        error_page(
            StatusCode::NOT_FOUND,
            "There is no page at this address.",
            &[],
        )
    }
}

/// An HTML answer for a failed page request from a visitor without a session.
pub fn page_error(e: AppError) -> Response {
    let api = ApiError::from(e);
    error_page(api.status, &api.message, &api.reasons)
}

/// An HTML answer for a failed page request of a logged-in reader (a refusal above all): the same
/// status, message and reasons as `page_error`, inside the layout with the navigation.
pub fn page_refusal(e: AppError, s: &PageSession) -> Response {
    let api = ApiError::from(e);
    session_error_page(s, api.status, &api.message, &api.reasons)
}
