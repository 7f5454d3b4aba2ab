//! TOTP enrolment (a secret awaiting confirmation, then made the account's), the last TOTP step each
//! account used (so a code works once), recovery codes (stored as hashes the caller computes, each
//! used once) and the sessions that may only enrol a second factor. Times are Unix seconds.
use crate::{on_pool, on_tx, on_writer, Result, Store, Tx};
use sqlx::Row;

pub async fn pending_secret(store: &Store, account_id: i64) -> Result<Option<String>> {
    on_pool!(store, |c| {
        match sqlx::query("SELECT totp_pending_secret FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(c)
            .await?
        {
            Some(r) => Ok(r.try_get("totp_pending_secret")?),
            None => Ok(None),
        }
    })
}

pub async fn set_pending_secret(store: &Store, account_id: i64, secret: &str) -> Result<()> {
    on_writer!(store, |c| sqlx::query(
        "UPDATE accounts SET totp_pending_secret = $2 WHERE id = $1"
    )
    .bind(account_id)
    .bind(secret)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Sets the secret awaiting confirmation in the caller's transaction (a replacement, whose
/// proof and audit go with it).
pub async fn set_pending_secret_in(tx: &mut Tx, account_id: i64, secret: &str) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE accounts SET totp_pending_secret = $2 WHERE id = $1"
    )
    .bind(account_id)
    .bind(secret)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Drops the secret awaiting confirmation; whether there was one.
pub async fn clear_pending_secret(tx: &mut Tx, account_id: i64) -> Result<bool> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE accounts SET totp_pending_secret = NULL \
         WHERE id = $1 AND totp_pending_secret IS NOT NULL"
    )
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
    .map_err(Into::into)
}

/// Makes the pending secret the account's second factor, if it is still `secret` (a second
/// enrolment page opened meanwhile replaces it); whether it was. `step` is the TOTP step of the code
/// that confirmed it, used up with it.
pub async fn activate(tx: &mut Tx, account_id: i64, secret: &str, step: i64) -> Result<bool> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE accounts SET totp_secret = totp_pending_secret, totp_enrolled = TRUE, \
         totp_pending_secret = NULL, totp_last_step = $3, version = version + 1 \
         WHERE id = $1 AND totp_pending_secret = $2"
    )
    .bind(account_id)
    .bind(secret)
    .bind(step)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
    .map_err(Into::into)
}

/// The statement that uses up a TOTP step: only if no code of that step or a later one was used.
const USE_TOTP_STEP: &str = "UPDATE accounts SET totp_last_step = $2 \
     WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)";

/// Uses up the TOTP step `step` (Unix seconds / 30) of the account: whether no code of that step or
/// a later one had been used (else the code is a replay, to be refused). Checked and recorded in one
/// conditional statement, so of two logins racing with one code only one gets it.
pub async fn use_totp_step(store: &Store, account_id: i64, step: i64) -> Result<bool> {
    on_writer!(store, |c| sqlx::query(USE_TOTP_STEP)
        .bind(account_id)
        .bind(step)
        .execute(c)
        .await
        .map(|r| r.rows_affected() == 1))
    .map_err(Into::into)
}

/// `use_totp_step` in the caller's transaction (a proof, undone with the change it allows).
pub async fn use_totp_step_in(tx: &mut Tx, account_id: i64, step: i64) -> Result<bool> {
    on_tx!(tx, |c| sqlx::query(USE_TOTP_STEP)
        .bind(account_id)
        .bind(step)
        .execute(c)
        .await
        .map(|r| r.rows_affected() == 1))
    .map_err(Into::into)
}

/// Replaces every recovery code of the account with these.
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    account_id: i64,
    code_hashes: &[String],
    now: i64,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE account_id = $1"
    )
    .bind(account_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    for h in code_hashes {
        on_tx!(tx, |c| sqlx::query(
            "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)"
        )
        .bind(account_id)
        .bind(h)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// Uses an unused recovery code of the account; whether there was one. Checked and used in one
/// statement, so a code works once even when two logins race.
pub async fn use_recovery_code(
    tx: &mut Tx,
    account_id: i64,
    code_hash: &str,
    now: i64,
) -> Result<bool> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 \
         WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL"
    )
    .bind(account_id)
    .bind(code_hash)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
    .map_err(Into::into)
}

/// How many unused recovery codes the account has.
pub async fn recovery_codes_left(store: &Store, account_id: i64) -> Result<i64> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(c)
        .await?;
        Ok(r.try_get("n")?)
    })
}

pub async fn insert_enrolment_session(
    store: &Store,
    token_hash: &str,
    account_id: i64,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    on_writer!(store, |c| {
        sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at, enrol_only) \
         VALUES ($1, $2, $3, $4, $5, $4, TRUE)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// A live session of either kind: (account, CSRF token, whether it may only enrol).
pub async fn any_live_session(
    store: &Store,
    token_hash: &str,
    now: i64,
) -> Result<Option<(i64, String, bool)>> {
    on_pool!(store, |c| {
        match sqlx::query(
            "SELECT account_id, csrf_token, enrol_only FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await?
        {
            Some(r) => Ok(Some((
                r.try_get("account_id")?,
                r.try_get("csrf_token")?,
                r.try_get("enrol_only")?,
            ))),
            None => Ok(None),
        }
    })
}
