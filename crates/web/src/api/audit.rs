//! `GET /api/v1/audit`, `GET /api/v1/access-log` and `GET /api/v1/audit/verification`: the auditor's
//! view of who changed what, who read what, and whether the hash chain is intact. Newest first, a
//! page at a time, narrowed by actor, subject and days.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use caucus_app::audit::audit_logs;
use caucus_store::access::logs::LogFilter;
use caucus_store::audit::Verification;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{cursor, limit, rejected};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Only entries by this actor, e.g. `account:12` or `cli`.
    pub actor: Option<String>,
    /// Only entries about this subject, e.g. `member:L0001234` or `unit:E05015289`.
    pub subject: Option<String>,
    /// From this day, YYYY-MM-DD (inclusive).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Until this day, YYYY-MM-DD (inclusive).
    #[param(format = Date)]
    pub until: Option<String>,
    /// From a previous page's `next`: entries older than it.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

impl LogQuery {
    pub fn filter(self) -> Result<LogFilter, ApiError> {
        let before = match cursor(self.cursor.as_deref())? {
            0 => None,
            n => Some(n),
        };
        Ok(LogFilter {
            actor: self.actor,
            subject: self.subject,
            from: self.from,
            until: self.until,
            before,
            limit: limit(self.limit)?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventBody {
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub unit: Option<String>,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    /// The event's detail, as JSON.
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventBody>,
    /// Pass as `?cursor=` for older entries; null at the end.
    pub next: Option<String>,
}

/// Audit events, newest first (auditors only).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(LogQuery),
    security(("bearer" = ["read:audit"])),
    responses(
        (status = 200, description = "A page of events", body = AuditPage),
        (status = 400, description = "Bad date, cursor or limit", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused, with reasons", body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(q) = query.map_err(rejected)?;
    let page = audit_logs::audit_events(&state.app, &caller.actor, q.filter()?).await?;
    Ok(Json(AuditPage {
        items: page
            .items
            .into_iter()
            .map(|e| AuditEventBody {
                detail: serde_json::from_str(&e.detail)
                    .unwrap_or(serde_json::Value::String(e.detail)),
                seq: e.seq,
                occurred_at: e.occurred_at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                unit: e.unit,
                before_digest: e.before_digest,
                after_digest: e.after_digest,
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
        next: page.next.map(|n| n.to_string()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntryBody {
    pub id: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// `allowed`; `refused` by the access policy (the reader was told 403, or 404 for a member they
    /// may not know exists); or `not_found` (no such member, or a search that found no one).
    pub outcome: String,
    /// What allowed the read (`allowed_by`) or refused it (`refused_by`), as JSON.
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessPage {
    pub items: Vec<AccessEntryBody>,
    /// Pass as `?cursor=` for older entries; null at the end.
    pub next: Option<String>,
}

/// The access log (who read, or tried to read, which member's record), newest first (auditors only).
#[utoipa::path(
    get,
    path = "/api/v1/access-log",
    tag = "audit",
    params(LogQuery),
    security(("bearer" = ["read:audit"])),
    responses(
        (status = 200, description = "A page of reads and refused attempts", body = AccessPage),
        (status = 400, description = "Bad date, cursor or limit", body = ErrorBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused, with reasons", body = ErrorBody),
    )
)]
pub async fn access(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<AccessPage>, ApiError> {
    let Query(q) = query.map_err(rejected)?;
    let page = audit_logs::access_log(&state.app, &caller.actor, q.filter()?).await?;
    Ok(Json(AccessPage {
        items: page
            .items
            .into_iter()
            .map(|r| AccessEntryBody {
                detail: serde_json::from_str(&r.detail)
                    .unwrap_or(serde_json::Value::String(r.detail)),
                id: r.id,
                occurred_at: r.occurred_at,
                actor: r.actor,
                action: r.action,
                subject: r.subject,
                outcome: r.outcome,
            })
            .collect(),
        next: page.next.map(|n| n.to_string()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationBody {
    pub intact: bool,
    /// Events checked, when intact.
    pub events: Option<i64>,
    /// The first bad event, when broken.
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

impl From<Verification> for VerificationBody {
    fn from(v: Verification) -> Self {
        match v {
            Verification::Intact { events } => VerificationBody {
                intact: true,
                events: Some(events),
                broken_at: None,
                problem: None,
            },
            Verification::Broken { seq, problem } => VerificationBody {
                intact: false,
                events: None,
                broken_at: Some(seq),
                problem: Some(problem),
            },
        }
    }
}

/// Walk the audit log's hash chain, as `caucus audit verify` does (auditors only).
#[utoipa::path(
    get,
    path = "/api/v1/audit/verification",
    tag = "audit",
    security(("bearer" = ["read:audit"])),
    responses(
        (status = 200, description = "Whether the chain is intact, or where it breaks", body = VerificationBody),
        (status = 401, description = "No live token", body = ErrorBody),
        (status = 403, description = "Refused, with reasons", body = ErrorBody),
    )
)]
pub async fn verification(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<VerificationBody>, ApiError> {
    let v = audit_logs::verify_chain(&state.app, &caller.actor).await?;
    Ok(Json(VerificationBody::from(v)))
}
