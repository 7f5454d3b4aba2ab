//! "Forgot your password?": the form that asks for a link (answering the same whether or not the
//! address has an account), and the page the emailed link opens to choose a new password. Neither
//! has a session yet, so their CSRF token is a double-submit cookie, as on the login form.
use crate::pages::routes::Pages;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use caucus_app::{access::accounts, access::password_reset, AppError};
use serde::Deserialize;
use std::net::SocketAddr;

use crate::auth;
use crate::extract::{Form, Query};
use crate::pages::error::page_error;
use crate::views::{render, sentence, Layout};
use crate::AppState;

const CSRF_COOKIE: &str = "caucus_reset_csrf";

pub(crate) fn pages(p: Pages) -> Pages {
    p.get("/password-reset", form)
        .post("/password-reset", choose)
        .post("/password-reset/request", request)
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage<'a> {
    layout: Layout,
    csrf: &'a str,
    /// The link's token when choosing a new password; none when asking for a link.
    token: Option<&'a str>,
    problem: Option<&'a str>,
    notice: Option<&'a str>,
    done: bool,
}

fn page(
    state: &AppState,
    status: StatusCode,
    token: Option<&str>,
    problem: Option<&str>,
    notice: Option<&str>,
    done: bool,
) -> Response {
    let csrf = accounts::random_hex(16);
    let title = if token.is_some() {
        "Choose a new password"
    } else {
        "Forgot your password?"
    };
    let mut response = render(
        status,
        &ResetPage {
            layout: Layout::anonymous(title),
            csrf: &csrf,
            token,
            problem,
            notice,
            done,
        },
    );
    let headers = response.headers_mut();
    let cookie = auth::set_cookie(CSRF_COOKIE, &csrf, 3600, state.config.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.append(header::SET_COOKIE, v);
    }
    // The token is in the address: keep the page out of caches.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    let expected = auth::cookie(headers, CSRF_COOKIE).unwrap_or("");
    !expected.is_empty() && auth::same_secret(expected, sent)
}

const EXPIRED_FORM: &str = "The form had expired. Please try again.";
const DEAD_LINK: &str =
    "This reset link is unknown, already used or expired. Ask for a new one below.";

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: Option<String>,
}

async fn form(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    match q.token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => page(&state, StatusCode::OK, None, None, None, false),
        Some(token) => match password_reset::is_live(&state.app, token).await {
            Ok(true) => page(&state, StatusCode::OK, Some(token), None, None, false),
            Ok(false) => page(&state, StatusCode::GONE, None, Some(DEAD_LINK), None, false),
            Err(e) => page_error(e),
        },
    }
}

#[derive(Deserialize)]
struct RequestForm {
    csrf: String,
    email: String,
}

async fn request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> Response {
    if !csrf_ok(&headers, &form.csrf) {
        return page(
            &state,
            StatusCode::FORBIDDEN,
            None,
            Some(EXPIRED_FORM),
            None,
            false,
        );
    }
    let address = peer.ip().to_string();
    match password_reset::request(&state.app, &form.email, &address, &state.mail.base_url).await {
        Ok(()) => {
            state.mail.queued();
            page(
                &state,
                StatusCode::OK,
                None,
                None,
                Some(password_reset::REQUEST_ANSWER),
                false,
            )
        }
        Err(e @ AppError::TooManyAttempts(_)) => page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            None,
            Some(&sentence(&e.to_string())),
            None,
            false,
        ),
        Err(AppError::Invalid(why)) => page(
            &state,
            StatusCode::BAD_REQUEST,
            None,
            Some(&sentence(&why)),
            None,
            false,
        ),
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
struct ChooseForm {
    csrf: String,
    token: String,
    password: String,
    password_again: String,
}

async fn choose(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ChooseForm>,
) -> Response {
    let token = form.token.trim();
    if !csrf_ok(&headers, &form.csrf) {
        return page(
            &state,
            StatusCode::FORBIDDEN,
            Some(token),
            Some(EXPIRED_FORM),
            None,
            false,
        );
    }
    if form.password != form.password_again {
        return page(
            &state,
            StatusCode::BAD_REQUEST,
            Some(token),
            Some("The two passwords differ. Type the same password twice."),
            None,
            false,
        );
    }
    let address = peer.ip().to_string();
    match password_reset::reset(&state.app, token, &form.password, &address).await {
        Ok(_) => page(
            &state,
            StatusCode::OK,
            None,
            None,
            Some("Your password has been changed, and every session of your account has been ended. Log in with the new password."),
            true,
        ),
        Err(AppError::Unauthenticated(_)) => {
            page(&state, StatusCode::GONE, None, Some(DEAD_LINK), None, false)
        }
        Err(AppError::Invalid(why)) => page(
            &state,
            StatusCode::BAD_REQUEST,
            Some(token),
            Some(&sentence(&why)),
            None,
            false,
        ),
        Err(e) => page_error(e),
    }
}
