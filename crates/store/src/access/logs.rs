//! The auditor's reading of the two logs: audit events and access-log rows, newest first, a page at
//! a time, narrowed by actor, subject and a range of days. The conditions are assembled from fixed
//! pieces and every value is bound, never spliced into the SQL.
use crate::audit::Event;
use crate::{on_pool, Result, Store};
use sqlx::Row;

/// What to narrow a log to. `before` is the cursor: only entries older than it (a sequence number
/// or row id); `from` and `until` are ISO dates, inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// One row of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    pub id: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// `allowed`, `refused` or `not_found` (`accounts::ALLOWED`, ...).
    pub outcome: String,
}

/// The WHERE clause and its values, in placeholder order. Times are stamps (`2026-11-22T10:...Z`),
/// so a day's range compares as text: from the day itself up to the day after `until`'s prefix.
fn conditions(f: &LogFilter, key: &str) -> (String, Vec<String>, Option<i64>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if let Some(a) = &f.actor {
        parts.push(format!("actor = {}", next()));
        values.push(a.clone());
    }
    if let Some(s) = &f.subject {
        parts.push(format!("subject = {}", next()));
        values.push(s.clone());
    }
    if let Some(d) = &f.from {
        parts.push(format!("occurred_at >= {}", next()));
        values.push(d.clone());
    }
    if let Some(d) = &f.until {
        // Every stamp of the day `d` sorts below `d` followed by '~' (after 'T' and digits).
        parts.push(format!("occurred_at < {}", next()));
        values.push(format!("{d}~"));
    }
    if f.before.is_some() {
        parts.push(format!("{key} < {}", next()));
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", parts.join(" AND "))
    };
    (clause, values, f.before)
}

/// Audit events matching the filter, newest first.
pub async fn audit_events(store: &Store, f: &LogFilter) -> Result<Vec<Event>> {
    let (clause, values, before) = conditions(f, "seq");
    let sql = format!(
        "SELECT seq, occurred_at, actor, action, subject, unit, before_digest, after_digest, detail, \
         prev_hash, hash FROM audit_events {clause} ORDER BY seq DESC LIMIT {}",
        f.limit.clamp(1, 1000)
    );
    on_pool!(store, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for v in &values {
            q = q.bind(v);
        }
        if let Some(b) = before {
            q = q.bind(b);
        }
        let rows = q.fetch_all(c).await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    seq: r.try_get("seq")?,
                    occurred_at: r.try_get("occurred_at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    unit: r.try_get("unit")?,
                    before_digest: r.try_get("before_digest")?,
                    after_digest: r.try_get("after_digest")?,
                    detail: r.try_get("detail")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    })
}

/// Access-log rows matching the filter, newest first.
pub async fn access_rows(store: &Store, f: &LogFilter) -> Result<Vec<AccessRow>> {
    let (clause, values, before) = conditions(f, "id");
    let sql = format!(
        "SELECT id, occurred_at, actor, action, subject, detail, outcome FROM access_log {clause} \
         ORDER BY id DESC LIMIT {}",
        f.limit.clamp(1, 1000)
    );
    on_pool!(store, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for v in &values {
            q = q.bind(v);
        }
        if let Some(b) = before {
            q = q.bind(b);
        }
        let rows = q.fetch_all(c).await?;
        rows.iter()
            .map(|r| {
                Ok(AccessRow {
                    id: r.try_get("id")?,
                    occurred_at: r.try_get("occurred_at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{append, NewEvent};

    #[tokio::test]
    async fn the_logs_filter_by_actor_subject_and_day_and_page_newest_first() {
        for db in caucus_testkit::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            for (i, (actor, day)) in [("a", "21"), ("b", "22"), ("a", "22"), ("a", "23")]
                .iter()
                .enumerate()
            {
                let mut tx = store.begin().await.unwrap();
                append(
                    &mut tx,
                    &caucus_domain::access::allowed::Allowed::system("test"),
                    NewEvent {
                        occurred_at: format!("2026-11-{day}T10:00:00.000000Z"),
                        actor: actor.to_string(),
                        action: "test".into(),
                        subject: format!("thing:{}", i % 2),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                crate::access::accounts::log_access(
                    &store,
                    &format!("2026-11-{day}T10:00:00.000000Z"),
                    actor,
                    "read_member",
                    &format!("member:{i}"),
                    "{}",
                )
                .await
                .unwrap();
            }
            let seqs = |v: Vec<Event>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
            let all = LogFilter {
                limit: 10,
                ..Default::default()
            };
            assert_eq!(
                seqs(audit_events(&store, &all).await.unwrap()),
                vec![4, 3, 2, 1],
                "{}",
                db.engine
            );
            let f = LogFilter {
                actor: Some("a".into()),
                from: Some("2026-11-22".into()),
                until: Some("2026-11-22".into()),
                limit: 10,
                ..Default::default()
            };
            assert_eq!(seqs(audit_events(&store, &f).await.unwrap()), vec![3]);
            let f = LogFilter {
                subject: Some("thing:0".into()),
                before: Some(3),
                limit: 10,
                ..Default::default()
            };
            assert_eq!(seqs(audit_events(&store, &f).await.unwrap()), vec![1]);
            let f = LogFilter {
                actor: Some("a".into()),
                limit: 2,
                ..Default::default()
            };
            let rows = access_rows(&store, &f).await.unwrap();
            assert_eq!(
                rows.iter().map(|r| r.subject.as_str()).collect::<Vec<_>>(),
                vec!["member:3", "member:2"]
            );
            assert!(rows
                .iter()
                .all(|r| r.outcome == crate::access::accounts::ALLOWED));
            store.close().await;
        }
    }
}
