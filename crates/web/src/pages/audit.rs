//! The auditor's pages: the audit log with the chain's verification at the top, and the access log;
//! both newest first, filtered by actor, subject and days, a page at a time. Anyone else is refused
//! by the policy (403 with its reasons), as in the API.
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use caucus_app::audit::audit_logs;
use caucus_app::AppError;
use caucus_store::access::logs::LogFilter;
use caucus_store::audit::Verification;
use serde::Deserialize;

use crate::auth::PageSession;
use crate::extract::Query;
use crate::pages::error::page_refusal;
use crate::views::{render, Layout};
use crate::AppState;

const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    cursor: Option<i64>,
}

impl Filters {
    fn to_filter(&self) -> LogFilter {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        LogFilter {
            actor: some(&self.actor),
            subject: some(&self.subject),
            from: some(&self.from),
            until: some(&self.until),
            before: self.cursor.filter(|c| *c > 0),
            limit: PAGE,
        }
    }

    /// The query string of these filters with another cursor, for the "older" link.
    fn with_cursor(&self, cursor: i64) -> String {
        let pairs = [
            ("actor", self.actor.as_str()),
            ("subject", self.subject.as_str()),
            ("from", self.from.as_str()),
            ("until", self.until.as_str()),
        ];
        let mut q = serde_urlencoded::to_string(
            pairs
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        if !q.is_empty() {
            q.push('&');
        }
        format!("{q}cursor={cursor}")
    }
}

pub struct Row {
    key: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    /// The access log's outcome (allowed, refused, not found); empty for audit events.
    outcome: String,
    detail: String,
    hash: String,
}

#[derive(Template)]
#[template(path = "audit_log.html")]
struct LogPage {
    layout: Layout,
    heading: &'static str,
    action_path: &'static str,
    other: (&'static str, &'static str),
    chain: Option<(bool, String)>,
    filters: Filters,
    problem: Option<String>,
    rows: Vec<Row>,
    older: Option<String>,
    audit: bool,
}

fn chain_line(v: Verification) -> (bool, String) {
    match v {
        Verification::Intact { events } => (
            true,
            format!(
                "Chain verified: all {events} events link and match their hashes, and every \
                 member row matches the digest the chain recorded of it."
            ),
        ),
        Verification::Broken { seq, problem } => {
            (false, format!("Chain broken at event {seq}: {problem}."))
        }
    }
}

pub async fn events(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
    s: PageSession,
) -> Response {
    let chain = match audit_logs::verify_chain(&state.app, &s.actor).await {
        Ok(v) => chain_line(v),
        Err(e) => return page_refusal(e, &s),
    };
    let (problem, rows, older) =
        match audit_logs::audit_events(&state.app, &s.actor, filters.to_filter()).await {
            Ok(page) => (
                None,
                page.items
                    .into_iter()
                    .map(|e| Row {
                        key: e.seq,
                        at: e.occurred_at,
                        actor: e.actor,
                        action: e.action,
                        subject: e.subject,
                        outcome: String::new(),
                        detail: e.detail,
                        hash: e.hash.chars().take(16).collect(),
                    })
                    .collect(),
                page.next.map(|n| filters.with_cursor(n)),
            ),
            Err(AppError::Invalid(why)) => (Some(why), Vec::new(), None),
            Err(e) => return page_refusal(e, &s),
        };
    render(
        StatusCode::OK,
        &LogPage {
            layout: Layout::of("Audit log", &s),
            heading: "Audit log",
            action_path: "/audit",
            other: ("/access-log", "The access log"),
            chain: Some(chain),
            filters,
            problem,
            rows,
            older,
            audit: true,
        },
    )
}

pub async fn access(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
    s: PageSession,
) -> Response {
    let (problem, rows, older) =
        match audit_logs::access_log(&state.app, &s.actor, filters.to_filter()).await {
            Ok(page) => (
                None,
                page.items
                    .into_iter()
                    .map(|r| Row {
                        key: r.id,
                        at: r.occurred_at,
                        actor: r.actor,
                        action: r.action,
                        subject: r.subject,
                        outcome: r.outcome.replace('_', " "),
                        detail: r.detail,
                        hash: String::new(),
                    })
                    .collect(),
                page.next.map(|n| filters.with_cursor(n)),
            ),
            Err(AppError::Invalid(why)) => (Some(why), Vec::new(), None),
            Err(e) => return page_refusal(e, &s),
        };
    render(
        StatusCode::OK,
        &LogPage {
            layout: Layout::of("Access log", &s),
            heading: "Access log",
            action_path: "/access-log",
            other: ("/audit", "The audit log"),
            chain: None,
            filters,
            problem,
            rows,
            older,
            audit: false,
        },
    )
}
