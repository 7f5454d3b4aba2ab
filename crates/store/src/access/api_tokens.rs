//! API tokens with their scopes: the ones made on the settings page (with a public id and a label,
//! listed and revoked by their owner) and the ones logging in over the API hands out. The secret is
//! stored only as the hash the caller computes; times are Unix seconds.
use crate::access::accounts::{holder_from_rows, GrantRow, Holder, HOLDER_COLUMNS, HOLDER_JOINS};
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use std::sync::LazyLock;

/// A live token as the API checks it, with the account that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    pub account_id: i64,
    pub scopes: String,
    pub expires_at: i64,
    pub holder: Holder,
}

/// A token made on the settings page, as its owner sees it listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub public_id: String,
    pub label: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub public_id: &'a str,
    pub label: &'a str,
    pub account_id: i64,
    pub scopes: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert(tx: &mut Tx, t: &NewToken<'_>) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO api_tokens (token_hash, public_id, label, account_id, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.token_hash)
    .bind(t.public_id)
    .bind(t.label)
    .bind(t.account_id)
    .bind(t.scopes)
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// The token with this hash if it is neither expired nor revoked at `now`, with its scopes, the
/// account that holds it and its grants. One query: every API request asks this first, and on SQLite
/// each query is a round trip to a connection's own thread.
pub async fn live(store: &Store, token_hash: &str, now: i64) -> Result<Option<LiveToken>> {
    // Written once: every API request runs it.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT t.account_id, t.scopes, t.expires_at, {HOLDER_COLUMNS} \
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id {HOLDER_JOINS} \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND t.revoked_at IS NULL ORDER BY g.id"
        )
    });
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(token_hash)
            .bind(now)
            .fetch_all(c)
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let account_id: i64 = r.try_get("account_id")?;
        let scopes: String = r.try_get("scopes")?;
        let expires_at: i64 = r.try_get("expires_at")?;
        Ok(
            holder_from_rows!(&rows, account_id).map(|holder| LiveToken {
                account_id,
                scopes,
                expires_at,
                holder,
            }),
        )
    })
}

/// The settings-page tokens of an account, newest first (revoked and expired ones included).
pub async fn of_account(store: &Store, account_id: i64) -> Result<Vec<TokenRow>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT public_id, label, scopes, created_at, expires_at, revoked_at FROM api_tokens \
             WHERE account_id = $1 AND public_id IS NOT NULL ORDER BY created_at DESC, public_id",
        )
        .bind(account_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    public_id: r.try_get("public_id")?,
                    label: r.try_get::<Option<String>, _>("label")?.unwrap_or_default(),
                    scopes: r.try_get("scopes")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    })
}

/// Revokes the account's token with this public id; the number of tokens revoked (0 when it is not
/// theirs, unknown, or already revoked).
pub async fn revoke(tx: &mut Tx, account_id: i64, public_id: &str, now: i64) -> Result<u64> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 \
         WHERE account_id = $1 AND public_id = $2 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(public_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .map_err(Into::into)
}
