//! Enrolling a second factor: the page with the QR code (an SVG image served by its own route, so
//! the page needs no inline script or data URI), the secret as text for typing in, the form that
//! confirms a code, and the recovery codes shown once after. A session that may only enrol (a staff
//! or officer account without a second factor, just logged in) becomes a full one on confirming.
//! Once enrolled, the same page regenerates the recovery codes and replaces the second factor
//! (a new secret, confirmed by the same form), each after the current code or a recovery code.
use crate::pages::routes::Pages;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use caucus_app::{access::accounts, access::second_factor, AppError};
use serde::Deserialize;
use std::net::SocketAddr;

use crate::auth::{self, SESSION_COOKIE};
use crate::extract::Form;
use crate::pages::error::page_error;
use crate::views::{error_page, render, Layout};
use crate::AppState;

pub use crate::pages::session::SECOND_FACTOR_PATH as PATH;
pub const RECOVERY_CODES_PATH: &str = "/account/second-factor/recovery-codes";
pub const REPLACE_PATH: &str = "/account/second-factor/replace";
pub const CANCEL_PATH: &str = "/account/second-factor/replace/cancel";

pub(crate) fn pages(p: Pages) -> Pages {
    p.get(PATH, show)
        .post(PATH, confirm)
        .get("/account/second-factor/qr.svg", qr)
        .post(RECOVERY_CODES_PATH, regenerate)
        .post(REPLACE_PATH, replace)
        .post(CANCEL_PATH, cancel)
}

/// A session of either kind.
struct AnySession {
    account_id: i64,
    email: String,
    token: String,
    csrf: String,
    enrol_only: bool,
}

async fn any_session(state: &AppState, headers: &HeaderMap) -> Result<AnySession, Response> {
    let Some(token) = auth::cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/login").into_response());
    };
    let (account_id, csrf, enrol_only) = match second_factor::any_session(&state.app, token).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(Redirect::to("/login").into_response()),
        Err(e) => return Err(page_error(e)),
    };
    let (email, _) = accounts::actor(&state.app, account_id)
        .await
        .map_err(page_error)?;
    Ok(AnySession {
        account_id,
        email,
        token: token.to_string(),
        csrf,
        enrol_only,
    })
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage<'a> {
    layout: Layout,
    enrol_only: bool,
    /// The secret to type in, while enrolling or replacing.
    secret: Option<&'a str>,
    /// Whether the secret replaces a second factor the account has.
    replacing: bool,
    /// What just happened, above the recovery codes.
    notice: &'a str,
    /// The recovery codes just issued, shown this once.
    codes: &'a [String],
    /// Recovery codes left, once enrolled.
    left: i64,
    problem: Option<&'a str>,
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn layout(s: &AnySession) -> Layout {
    Layout {
        title: "Second factor".to_string(),
        email: Some(s.email.clone()),
        csrf: s.csrf.clone(),
    }
}

async fn enrolment_page(state: &AppState, s: &AnySession, problem: Option<&str>) -> Response {
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match second_factor::is_enrolled(&state.app, s.account_id).await {
        Ok(true) => {
            let left = match second_factor::recovery_codes_left(&state.app, s.account_id).await {
                Ok(n) => n,
                Err(e) => return page_error(e),
            };
            let replacement = match second_factor::replacement(&state.app, s.account_id).await {
                Ok(r) => r,
                Err(e) => return page_error(e),
            };
            return no_store(render(
                status,
                &SecondFactorPage {
                    layout: layout(s),
                    enrol_only: s.enrol_only,
                    secret: replacement.as_ref().map(|r| r.secret.as_str()),
                    replacing: replacement.is_some(),
                    notice: "",
                    codes: &[],
                    left,
                    problem,
                },
            ));
        }
        Ok(false) => {}
        Err(e) => return page_error(e),
    }
    match second_factor::begin(&state.app, s.account_id).await {
        Ok(enrolment) => no_store(render(
            status,
            &SecondFactorPage {
                layout: layout(s),
                enrol_only: s.enrol_only,
                secret: Some(&enrolment.secret),
                replacing: false,
                notice: "",
                codes: &[],
                left: 0,
                problem,
            },
        )),
        Err(e) => page_error(e),
    }
}

async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match any_session(&state, &headers).await {
        Ok(s) => enrolment_page(&state, &s, None).await,
        Err(r) => r,
    }
}

async fn qr(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = match any_session(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let enrolment = match second_factor::replacement(&state.app, s.account_id).await {
        Ok(Some(replacement)) => Ok(replacement),
        Ok(None) => second_factor::begin(&state.app, s.account_id).await,
        Err(e) => Err(e),
    };
    let svg = enrolment.and_then(|e| second_factor::qr_svg(&e.uri));
    match svg {
        Ok(svg) => no_store(
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("image/svg+xml"),
                )],
                svg,
            )
                .into_response(),
        ),
        Err(AppError::Invalid(why)) => error_page(StatusCode::NOT_FOUND, &why, &[]),
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
    code: String,
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let s = match any_session(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !auth::same_secret(&s.csrf, &form.csrf) {
        return error_page(
            StatusCode::FORBIDDEN,
            "The form had expired or did not come from this site. Please go back and try again.",
            &[],
        );
    }
    let replacing = matches!(
        second_factor::replacement(&state.app, s.account_id).await,
        Ok(Some(_))
    );
    let codes =
        match second_factor::confirm(&state.app, s.account_id, &s.token, form.code.trim()).await {
            Ok(codes) => codes,
            Err(AppError::Invalid(why)) => {
                return enrolment_page(&state, &s, Some(&crate::views::sentence(&why))).await
            }
            Err(e) => return page_error(e),
        };
    // The session that could only enrol becomes a full one, under a new token.
    let (csrf, cookie) = if s.enrol_only {
        match accounts::start_session(&state.app, s.account_id, Some(&s.token)).await {
            Ok(session) => (
                session.csrf_token,
                Some(auth::set_cookie(
                    SESSION_COOKIE,
                    &session.token,
                    accounts::SESSION_SECONDS,
                    state.config.secure_cookies,
                )),
            ),
            Err(e) => return page_error(e),
        }
    } else {
        (s.csrf.clone(), None)
    };
    let mut response = no_store(render(
        StatusCode::OK,
        &SecondFactorPage {
            layout: Layout {
                title: "Your recovery codes".to_string(),
                email: Some(s.email.clone()),
                csrf,
            },
            enrol_only: false,
            secret: None,
            replacing: false,
            notice: if replacing {
                "Your second factor is replaced: the old one, and its recovery codes, no longer work. \
                 From now on, logging in asks for the code from your new authenticator app."
            } else {
                "Your second factor is set up. From now on, logging in asks for the code from your \
                 authenticator app."
            },
            codes: &codes,
            left: codes.len() as i64,
            problem: None,
        },
    ));
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// The session of a form that changes an enrolled second factor: a full one, with the form's
/// CSRF token.
async fn full_session(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<AnySession, Response> {
    let s = any_session(state, headers).await?;
    if s.enrol_only {
        return Err(Redirect::to(PATH).into_response());
    }
    if !auth::same_secret(&s.csrf, csrf) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "The form had expired or did not come from this site. Please go back and try again.",
            &[],
        ));
    }
    Ok(s)
}

/// A refusal shown on the page with the forms, or an error page for anything else.
async fn refused(state: &AppState, s: &AnySession, e: AppError) -> Response {
    match e {
        AppError::Invalid(why) => {
            enrolment_page(state, s, Some(&crate::views::sentence(&why))).await
        }
        e => page_error(e),
    }
}

async fn regenerate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let s = match full_session(&state, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let address = peer.ip().to_string();
    match second_factor::regenerate_recovery_codes(&state.app, s.account_id, &form.code, &address)
        .await
    {
        Ok(codes) => no_store(render(
            StatusCode::OK,
            &SecondFactorPage {
                layout: Layout {
                    title: "Your new recovery codes".to_string(),
                    email: Some(s.email.clone()),
                    csrf: s.csrf.clone(),
                },
                enrol_only: false,
                secret: None,
                replacing: false,
                notice: "New recovery codes are made: the old ones no longer work.",
                codes: &codes,
                left: codes.len() as i64,
                problem: None,
            },
        )),
        Err(e) => refused(&state, &s, e).await,
    }
}

async fn replace(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let s = match full_session(&state, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let address = peer.ip().to_string();
    match second_factor::begin_replacement(&state.app, s.account_id, &form.code, &address).await {
        // The page shows the replacement in progress; a redirect keeps a reload from repeating
        // the proof.
        Ok(_) => Redirect::to(PATH).into_response(),
        Err(e) => refused(&state, &s, e).await,
    }
}

async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = match full_session(&state, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match second_factor::cancel_replacement(&state.app, s.account_id).await {
        Ok(()) => Redirect::to(PATH).into_response(),
        Err(e) => refused(&state, &s, e).await,
    }
}
