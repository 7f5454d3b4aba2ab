//! The chain itself: appending events (`append`, or `reserve` then `Pending::write`), and reading
//! them back (`list`, `head`). Each event's hash is SHA-256 over the previous event's hash and the
//! event's canonical form (a JSON array of its fields). Checking the chain, and the member rows
//! under it, is `audit::verify`, on top of this and of `member_digests`.
use crate::{on_pool, on_tx, Result, Store, Tx};
use caucus_domain::access::allowed::Allowed;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to append. `before`/`after` are digests of the subject's state (see `digest`), so the log
/// proves what changed without copying personal data into it.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub unit: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub unit: Option<String>,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

pub(super) fn chain_hash(prev_hash: &str, e: &Event) -> String {
    let canonical = serde_json::json!([
        e.seq,
        e.occurred_at,
        e.actor,
        e.action,
        e.subject,
        e.unit,
        e.before_digest,
        e.after_digest,
        e.detail
    ]);
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction and returns its sequence number. It takes the
/// `Allowed` of the decision that allowed the change: no event (and so no state change) is written
/// without one. An `Allowed` comes only from `policy::authorise`, an operator at the command line,
/// an account acting on itself, or one of the server's own jobs.
///
/// ```no_run
/// use caucus_domain::access::allowed::Allowed;
/// use caucus_store::audit::{append, NewEvent};
/// async fn write(tx: &mut caucus_store::Tx) -> caucus_store::Result<i64> {
///     append(tx, &Allowed::system("a job"), NewEvent::default()).await
/// }
/// ```
///
/// Without one it does not compile:
///
/// ```compile_fail
/// use caucus_store::audit::{append, NewEvent};
/// async fn write(tx: &mut caucus_store::Tx) -> caucus_store::Result<i64> {
///     append(tx, NewEvent::default()).await
/// }
/// ```
pub async fn append(tx: &mut Tx, allowed: &Allowed, ev: NewEvent) -> Result<i64> {
    let pending = reserve(tx, allowed).await?;
    let seq = pending.seq;
    pending.write(tx, ev).await?;
    Ok(seq)
}

/// A place in the chain taken but not yet written: lets a transaction learn its event's sequence
/// number first (to stamp the rows it writes), and write the event once it knows the after-state.
/// Taking it locks the head until the transaction ends.
#[must_use = "a reserved event must be written before the transaction commits"]
pub struct Pending {
    pub seq: i64,
    prev_hash: String,
}

/// Takes the next place in the chain, with the `Allowed` of the decision that allowed the change
/// (as `append`).
pub async fn reserve(tx: &mut Tx, _allowed: &Allowed) -> Result<Pending> {
    let (seq, prev_hash): (i64, String) = on_tx!(tx, |c| {
        let r = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(c)
            .await?;
        Ok::<_, crate::StoreError>((r.try_get("seq")?, r.try_get("hash")?))
    })?;
    Ok(Pending { seq, prev_hash })
}

impl Pending {
    pub async fn write(self, tx: &mut Tx, ev: NewEvent) -> Result<()> {
        let mut event = Event {
            seq: self.seq,
            occurred_at: ev.occurred_at,
            actor: ev.actor,
            action: ev.action,
            subject: ev.subject,
            unit: ev.unit,
            before_digest: ev.before,
            after_digest: ev.after,
            detail: ev.detail.to_string(),
            prev_hash: self.prev_hash,
            hash: String::new(),
        };
        event.hash = chain_hash(&event.prev_hash, &event);
        on_tx!(tx, |c| {
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&event.hash)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "INSERT INTO audit_events (seq, occurred_at, actor, action, subject, unit, before_digest, \
                 after_digest, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(event.seq)
            .bind(&event.occurred_at)
            .bind(&event.actor)
            .bind(&event.action)
            .bind(&event.subject)
            .bind(&event.unit)
            .bind(&event.before_digest)
            .bind(&event.after_digest)
            .bind(&event.detail)
            .bind(&event.prev_hash)
            .bind(&event.hash)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

pub(super) const EVENT_COLUMNS: &str =
    "seq, occurred_at, actor, action, subject, unit, before_digest, after_digest, \
                             detail, prev_hash, hash";

pub(super) fn event_from_row<R: Row>(row: &R) -> Result<Event>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(Event {
        seq: row.try_get("seq")?,
        occurred_at: row.try_get("occurred_at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        unit: row.try_get("unit")?,
        before_digest: row.try_get("before_digest")?,
        after_digest: row.try_get("after_digest")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The chain's head as committed: the last event's sequence number and hash. Every change to the
/// register appends an event in its own transaction, and the head row stays locked until that
/// transaction ends, so an unchanged head means an unchanged register (`caucus_app::register::list_cache`
/// relies on it). The hash tells apart two registers that reached the same number differently, such
/// as one restored from a backup.
pub async fn head(store: &Store) -> Result<(i64, String)> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(c)
            .await?;
        Ok::<_, crate::StoreError>((r.try_get("seq")?, r.try_get("hash")?))
    })
}

/// Events in order, for auditors: `after` a sequence number, at most `limit`.
pub async fn list(store: &Store, after: i64, limit: i64) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(after)
            .fetch_all(c)
            .await?;
        rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()
    })
}
