//! Password-reset tokens (stored as hashes the caller computes; expiring; used once) and the reset
//! requests that throttling counts, whether or not the address belonged to an account.
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;

pub async fn record_request(tx: &mut Tx, now: i64, email: &str, address: &str) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO reset_requests (occurred_at, email, address) VALUES ($1, $2, $3)"
    )
    .bind(now)
    .bind(email)
    .bind(address)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Reset requests since `since` for the email and for the address.
pub async fn recent_requests(
    store: &Store,
    email: &str,
    address: &str,
    since: i64,
) -> Result<(i64, i64)> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM reset_requests WHERE email = $1 AND occurred_at >= $3) AS by_email, \
               (SELECT COUNT(*) FROM reset_requests WHERE address = $2 AND occurred_at >= $3) AS by_address",
        )
        .bind(email)
        .bind(address)
        .bind(since)
        .fetch_one(c)
        .await?;
        Ok((r.try_get("by_email")?, r.try_get("by_address")?))
    })
}

pub async fn insert_token(
    tx: &mut Tx,
    token_hash: &str,
    account_id: i64,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)"
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The account of an unused, unexpired token (without using it).
pub async fn live_token(store: &Store, token_hash: &str, now: i64) -> Result<Option<i64>> {
    on_pool!(store, |c| {
        match sqlx::query(
            "SELECT account_id FROM password_resets \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await?
        {
            Some(r) => Ok(Some(r.try_get("account_id")?)),
            None => Ok(None),
        }
    })
}

/// Uses the token if it is unused and unexpired, and with it every other outstanding token of the
/// same account; returns the account. One statement checks and uses it, so a token works once even
/// when two requests race.
pub async fn use_token(tx: &mut Tx, token_hash: &str, now: i64) -> Result<Option<i64>> {
    let account: Option<i64> = on_tx!(tx, |c| {
        match sqlx::query(
            "UPDATE password_resets SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING account_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?
        {
            Some(r) => Some(r.try_get::<i64, _>("account_id")?),
            None => None,
        }
    });
    if let Some(id) = account {
        on_tx!(tx, |c| sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL"
        )
        .bind(id)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(account)
}

/// Replaces an account's password hash.
pub async fn set_password(tx: &mut Tx, account_id: i64, password_hash: &str) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE accounts SET password_hash = $2, version = version + 1 WHERE id = $1"
    )
    .bind(account_id)
    .bind(password_hash)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}
