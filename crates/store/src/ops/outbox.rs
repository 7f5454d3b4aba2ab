//! The outbox: every message caucus sends is written here first, in the transaction that caused it,
//! so none is lost if sending fails or no SMTP server is configured. A sender claims a due message
//! (a lease, so two senders do not both send it), then records it sent or the error and when to try
//! again. A message whose body holds a credential meant for its recipient only (a password-reset
//! link) carries a redacted copy of the body, which is what anyone else is to be shown. Times are
//! Unix seconds.
use crate::{on_pool, on_tx, on_writer, Result, Store, Tx};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// For a body holding a credential meant for the recipient only: the body with the credential
    /// replaced, which is all anyone else (an admin reading the outbox) is shown.
    pub redacted_body: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: i64,
    pub created_at: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Set when `body` holds a credential meant for the recipient only: what anyone else is shown.
    pub redacted_body: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, created_at, recipient, subject, body, redacted_body, status, \
                       attempts, next_attempt_at, last_error, sent_at";

macro_rules! mail_from_row {
    ($r:expr) => {
        Mail {
            id: $r.try_get("id")?,
            created_at: $r.try_get("created_at")?,
            recipient: $r.try_get("recipient")?,
            subject: $r.try_get("subject")?,
            body: $r.try_get("body")?,
            redacted_body: $r.try_get("redacted_body")?,
            status: $r.try_get("status")?,
            attempts: $r.try_get("attempts")?,
            next_attempt_at: $r.try_get("next_attempt_at")?,
            last_error: $r.try_get("last_error")?,
            sent_at: $r.try_get("sent_at")?,
        }
    };
}

/// Queues a message, due at once.
pub async fn enqueue(tx: &mut Tx, mail: &NewMail<'_>, now: i64) -> Result<i64> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO outbox (created_at, recipient, subject, body, redacted_body, status, \
               attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', 0, $1) RETURNING id",
        )
        .bind(now)
        .bind(mail.recipient)
        .bind(mail.subject)
        .bind(mail.body)
        .bind(mail.redacted_body)
        .fetch_one(c)
        .await?;
        Ok(r.try_get("id")?)
    })
}

/// The ids of queued messages due at `now`, oldest first.
pub async fn due(store: &Store, now: i64, limit: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    })
}

/// Claims a due message for sending until `lease_until`, counting the attempt; `None` when another
/// sender claimed it first or it is no longer due.
pub async fn claim(store: &Store, id: i64, now: i64, lease_until: i64) -> Result<Option<Mail>> {
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $3 \
         WHERE id = $1 AND status = 'queued' AND next_attempt_at <= $2 RETURNING {COLUMNS}"
    );
    on_writer!(store, |c| {
        match sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .bind(now)
            .bind(lease_until)
            .fetch_optional(c)
            .await?
        {
            Some(r) => Ok(Some(mail_from_row!(r))),
            None => Ok(None),
        }
    })
}

/// Records a message sent. A message holding a credential keeps only its redacted copy from then
/// on: the credential has reached its recipient and need not wait in the database.
pub async fn mark_sent(store: &Store, id: i64, now: i64) -> Result<()> {
    on_writer!(store, |c| sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $2, last_error = NULL, \
         body = COALESCE(redacted_body, body) WHERE id = $1"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Records a failed attempt: queued again for `retry_at`, or `failed` when `retry_at` is `None`.
pub async fn mark_failed(store: &Store, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
    on_writer!(store, |c| sqlx::query(
        "UPDATE outbox SET status = CASE WHEN $3 IS NULL THEN 'failed' ELSE 'queued' END, \
         last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $1"
    )
    .bind(id)
    .bind(error)
    .bind(retry_at)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Puts a failed message back in the queue, due at `now`; whether there was one to requeue.
pub async fn requeue(tx: &mut Tx, id: i64, now: i64) -> Result<bool> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = $2 \
         WHERE id = $1 AND status = 'failed'"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
    .map_err(Into::into)
}

/// The newest messages first.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<Mail>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox ORDER BY id DESC {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(mail_from_row!(r))).collect()
    })
}
