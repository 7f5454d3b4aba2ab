//! A page's session: the logged-in reader, or the way to the login (or to enrolment of a second
//! factor), and the CSRF check of a form against the session.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{self, PageSession, SESSION_COOKIE};
use crate::pages::error::page_error;
use crate::views::error_page;
use crate::AppState;

/// Where a reader enrols or replaces their second factor.
pub const SECOND_FACTOR_PATH: &str = "/account/second-factor";

/// The session, or a redirect to the login page (or to enrolment, for a session that may only
/// enrol a second factor).
pub(crate) async fn require_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<PageSession, Response> {
    match auth::page_session(state, headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => {
            let enrolling = match auth::cookie(headers, SESSION_COOKIE) {
                Some(token) => caucus_app::access::second_factor::any_session(&state.app, token)
                    .await
                    .map_err(page_error)?
                    .is_some_and(|(_, _, enrol_only)| enrol_only),
                None => false,
            };
            let to = if enrolling {
                SECOND_FACTOR_PATH
            } else {
                "/login"
            };
            Err(Redirect::to(to).into_response())
        }
        Err(e) => Err(page_error(e)),
    }
}

/// A page handler takes the reader's session as an argument: a visitor without one is sent to the
/// login (or to enrolment) before the handler runs.
impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        require_session(state, &parts.headers).await
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// The session, if the form's CSRF token is the session's.
pub(crate) async fn session_for_form(
    state: &AppState,
    headers: &HeaderMap,
    form: &CsrfForm,
) -> Result<PageSession, Response> {
    with_csrf(state, headers, &form.csrf).await
}

/// The session, if the posted form's CSRF token (a field among the others) is the session's.
pub(crate) async fn session_for_post(
    state: &AppState,
    headers: &HeaderMap,
    fields: &[(String, String)],
) -> Result<PageSession, Response> {
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    with_csrf(state, headers, sent).await
}

/// The session, if `sent` is its CSRF token; a page saying the form came from elsewhere if not.
async fn with_csrf(
    state: &AppState,
    headers: &HeaderMap,
    sent: &str,
) -> Result<PageSession, Response> {
    let s = require_session(state, headers).await?;
    if auth::same_secret(&s.csrf, sent) {
        Ok(s)
    } else {
        Err(error_page(
            StatusCode::FORBIDDEN,
            "The form had expired or did not come from this site. Please go back and try again.",
            &[],
        ))
    }
}
