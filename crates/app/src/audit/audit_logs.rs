//! The auditor's reading of the audit log, the access log and the chain's verification. Each is
//! authorised by the access policy (only the auditor reads them) and each reading is itself written
//! to the access log, so who looked at the logs is on record too.
use caucus_domain::access::allowed::Allowed;
use caucus_domain::access::policy::{self, Action, Actor, Resource};
use caucus_store::access::logs::{self, AccessRow, LogFilter};
use caucus_store::audit::{self, Event, Verification};

use crate::register::records::{Page, MAX_PAGE};
use crate::{App, AppError, Result};

/// The policy's answer; a refusal is itself written to the access log (`what` the actor tried).
async fn authorise(app: &App, actor: &Actor, what: &str) -> Result<Allowed> {
    let on = app.clock.today();
    match policy::authorise(actor, Action::ReadAuditLog, &Resource::AuditLog, on) {
        Ok(allowed) => Ok(allowed),
        Err(d) => {
            crate::register::records::log_refused(app, actor, what, "log", &d).await?;
            Err(AppError::Forbidden(d))
        }
    }
}

async fn log_read(
    app: &App,
    actor: &Actor,
    what: &str,
    f: &LogFilter,
    why: &Allowed,
) -> Result<()> {
    let filter = serde_json::json!({
        "actor": f.actor, "subject": f.subject, "from": f.from, "until": f.until,
    });
    crate::register::records::log_allowed(app, actor, what, "log", why, filter).await
}

/// Checks a filter's dates and page size before they reach the database.
fn checked(mut f: LogFilter) -> Result<LogFilter> {
    for d in [&f.from, &f.until].into_iter().flatten() {
        crate::clock::parse_date(d).map_err(AppError::Invalid)?;
    }
    if !(1..=MAX_PAGE).contains(&f.limit) {
        return Err(AppError::Invalid(format!(
            "limit {} is out of range (1 to {MAX_PAGE})",
            f.limit
        )));
    }
    let blank = |v: &mut Option<String>| {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *v = None;
        }
    };
    blank(&mut f.actor);
    blank(&mut f.subject);
    blank(&mut f.from);
    blank(&mut f.until);
    Ok(f)
}

fn page_of<T>(items: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Page<T> {
    let next = if items.len() as i64 == limit {
        items.last().map(key)
    } else {
        None
    };
    Page { items, next }
}

/// Audit events, newest first; `next` is the cursor (`before`) of the following page.
pub async fn audit_events(app: &App, actor: &Actor, filter: LogFilter) -> Result<Page<Event>> {
    let why = authorise(app, actor, "read_audit_log").await?;
    let f = checked(filter)?;
    let items = logs::audit_events(&app.store, &f).await?;
    log_read(app, actor, "read_audit_log", &f, &why).await?;
    Ok(page_of(items, f.limit, |e| e.seq))
}

/// Access-log rows, newest first.
pub async fn access_log(app: &App, actor: &Actor, filter: LogFilter) -> Result<Page<AccessRow>> {
    let why = authorise(app, actor, "read_access_log").await?;
    let f = checked(filter)?;
    let items = logs::access_rows(&app.store, &f).await?;
    log_read(app, actor, "read_access_log", &f, &why).await?;
    Ok(page_of(items, f.limit, |r| r.id))
}

/// Walks the whole hash chain (as `caucus audit verify` does).
pub async fn verify_chain(app: &App, actor: &Actor) -> Result<Verification> {
    authorise(app, actor, "verify_audit_chain").await?;
    verify_register(app).await
}

/// The whole check of `caucus audit verify`: the hash chain, against the checkpoints of the witness
/// file when the operator keeps one (read first, so a checkpoint written while the chain is walked
/// is never ahead of it), and every member row against the digest the chain recorded of it.
pub async fn verify_register(app: &App) -> Result<Verification> {
    let witnessed = match &app.audit_witness {
        Some(file) => crate::audit::audit_witness::read(file)?,
        None => Vec::new(),
    };
    Ok(audit::verify_against(&app.store, &witnessed).await?)
}
