//! The settings page for API tokens: make one (its secret shown once, on the answer to the form),
//! list one's own, revoke one. Scopes beyond the owner's roles are refused with the reason.
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use caucus_app::access::api_tokens::{self, TokenRequest, MAX_TOKEN_DAYS};
use caucus_app::AppError;
use caucus_domain::access::token_scope::{usable_scopes, Scope};
use time::OffsetDateTime;

use crate::auth::PageSession;
use crate::error::ReasonBody;
use crate::extract::{Form, Path};
use crate::pages::error::page_refusal;
use crate::pages::session::{session_for_form, CsrfForm};
use crate::views::{render, Layout};
use crate::AppState;

pub struct TokenLine {
    id: String,
    label: String,
    scopes: String,
    created: String,
    expires: String,
    state: &'static str,
    live: bool,
}

pub struct ScopeChoice {
    value: &'static str,
    describe: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenLine>,
    choices: Vec<ScopeChoice>,
    max_days: i64,
    made: Option<(String, String)>,
    problem: Option<String>,
    reasons: Vec<ReasonBody>,
}

fn day(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

async fn page(
    state: &AppState,
    s: &PageSession,
    status: StatusCode,
    made: Option<(String, String)>,
    problem: Option<String>,
    reasons: Vec<ReasonBody>,
) -> Response {
    let now = state.app.clock.now().unix_timestamp();
    let rows = match api_tokens::list(&state.app, &s.actor).await {
        Ok(r) => r,
        Err(e) => return page_refusal(e, s),
    };
    let tokens = rows
        .into_iter()
        .map(|t| {
            let (state, live) = match t.revoked_at {
                Some(_) => ("revoked", false),
                None if t.expires_at <= now => ("expired", false),
                None => ("live", true),
            };
            TokenLine {
                id: t.public_id,
                label: t.label,
                scopes: t.scopes,
                created: day(t.created_at),
                expires: day(t.expires_at),
                state,
                live,
            }
        })
        .collect();
    let choices = usable_scopes(&s.actor, state.app.clock.today())
        .into_iter()
        .map(|sc: Scope| ScopeChoice {
            value: sc.as_str(),
            describe: sc.describe(),
        })
        .collect();
    render(
        status,
        &TokensPage {
            layout: Layout::of("API tokens", s),
            tokens,
            choices,
            max_days: MAX_TOKEN_DAYS,
            made,
            problem,
            reasons,
        },
    )
}

pub async fn list(State(state): State<AppState>, s: PageSession) -> Response {
    page(&state, &s, StatusCode::OK, None, None, Vec::new()).await
}

struct MakeFields {
    csrf: String,
    label: String,
    /// One field per ticked box; a form posts repeated `scope=` fields, joined here.
    scope: Vec<String>,
    days: String,
}

pub async fn make(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    // serde_urlencoded cannot gather repeated keys into a Vec, so the form is read pair by pair.
    let mut form = MakeFields {
        csrf: String::new(),
        label: String::new(),
        scope: Vec::new(),
        days: String::new(),
    };
    for (k, v) in form_pairs(&body) {
        match k.as_str() {
            "csrf" => form.csrf = v,
            "label" => form.label = v,
            "scope" => form.scope.push(v),
            "days" => form.days = v,
            _ => {}
        }
    }
    let csrf = CsrfForm {
        csrf: form.csrf.clone(),
    };
    let s = match session_for_form(&state, &headers, &csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(days) = form.days.trim().parse::<i64>() else {
        let why = format!("give the number of days the token lasts (1 to {MAX_TOKEN_DAYS})");
        return page(
            &state,
            &s,
            StatusCode::BAD_REQUEST,
            None,
            Some(why),
            Vec::new(),
        )
        .await;
    };
    let req = TokenRequest {
        label: form.label,
        scopes: form.scope.join(" "),
        days,
    };
    match api_tokens::make(&state.app, &s.actor, &req).await {
        Ok(t) => {
            let made = (t.secret, t.expires_at.date().to_string());
            page(
                &state,
                &s,
                StatusCode::CREATED,
                Some(made),
                None,
                Vec::new(),
            )
            .await
        }
        Err(AppError::Forbidden(d)) => {
            let reasons = d.reasons.iter().map(ReasonBody::from).collect();
            let why = "The token was not made.".to_string();
            page(&state, &s, StatusCode::FORBIDDEN, None, Some(why), reasons).await
        }
        Err(AppError::Invalid(why)) => {
            page(
                &state,
                &s,
                StatusCode::BAD_REQUEST,
                None,
                Some(why),
                Vec::new(),
            )
            .await
        }
        Err(e) => page_refusal(e, &s),
    }
}

/// The pairs of an `application/x-www-form-urlencoded` body, decoded.
fn form_pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body).unwrap_or_default()
}

pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = match session_for_form(&state, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match api_tokens::revoke(&state.app, &s.actor, &id).await {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        Err(e) => page_refusal(e, &s),
    }
}
