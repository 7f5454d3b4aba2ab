//! The outbox, for admins: every message caucus has sent or will send, with its state, attempts and
//! last error. With no SMTP server configured it is where mail waits (the admin passes it on); a
//! message given up on after repeated errors can be put back in the queue. A message holding a
//! credential meant for its recipient only (a password-reset link) is shown with it redacted.
use crate::auth::PageSession;
use crate::pages::routes::Pages;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use caucus_app::ops::mail;
use time::OffsetDateTime;

use crate::extract::{Form, Path};
use crate::pages::error::page_refusal;
use crate::pages::session::{session_for_form, CsrfForm};
use crate::views::{render, Layout};
use crate::AppState;

pub(crate) fn pages(p: Pages) -> Pages {
    p.get("/admin/outbox", list)
        .post("/admin/outbox/{id}/requeue", requeue)
}

struct Row {
    id: i64,
    created: String,
    recipient: String,
    subject: String,
    body: String,
    /// The body shown is the redacted copy of one holding a credential for the recipient only.
    redacted: bool,
    status: &'static str,
    failed: bool,
    attempts: i64,
    last_error: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    layout: Layout,
    smtp: bool,
    rows: Vec<Row>,
}

fn when(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(caucus_app::clock::stamp)
        .unwrap_or_else(|_| unix.to_string())
}

async fn list(State(state): State<AppState>, s: PageSession) -> Response {
    let mails = match mail::outbox(&state.app, &s.actor, 200).await {
        Ok(m) => m,
        Err(e) => return page_refusal(e, &s),
    };
    let smtp = state.mail.smtp;
    let rows = mails
        .into_iter()
        .map(|mail::Shown { mail: m, redacted }| Row {
            id: m.id,
            created: when(m.created_at),
            status: match (m.status.as_str(), smtp) {
                ("sent", _) => "sent",
                ("failed", _) => "failed: given up after repeated errors",
                (_, true) if m.attempts > 0 => "waiting to be tried again",
                (_, true) => "waiting to be sent",
                (_, false) => "held: no SMTP server is configured",
            },
            failed: m.status == "failed",
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            recipient: m.recipient,
            subject: m.subject,
            body: m.body,
            redacted,
        })
        .collect();
    let mut response = render(
        StatusCode::OK,
        &OutboxPage {
            layout: Layout::of("Outbox", &s),
            smtp,
            rows,
        },
    );
    // Mail is personal data, whatever was redacted: keep the page out of caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn requeue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = match session_for_form(&state, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match mail::requeue(&state.app, &s.actor, id).await {
        Ok(()) => {
            state.mail.queued();
            Redirect::to("/admin/outbox").into_response()
        }
        Err(e) => page_refusal(e, &s),
    }
}
