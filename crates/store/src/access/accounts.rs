//! Accounts and what hangs off them: grants of a role over a unit for a period, browser sessions,
//! API tokens, login attempts (for throttling) and the access log of member-record reads. Secrets are
//! stored only as hashes the caller computes; times to compare are Unix seconds.
use crate::{on_pool, on_tx, on_writer, Result, Store, StoreError, Tx};
use sqlx::Row;
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub member_id: Option<i64>,
    pub totp_secret: Option<String>,
    pub totp_enrolled: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub member_id: Option<i64>,
    pub totp_secret: Option<&'a str>,
    pub totp_enrolled: bool,
    pub created_at: &'a str,
}

/// A grant as stored, with its unit's code and kind when it has a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: i64,
    pub account_id: i64,
    pub role: String,
    pub unit_id: Option<i64>,
    /// The code of the grant's unit; `None` for a grant over no unit, or over one that no longer exists.
    pub unit_code: Option<String>,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant<'a> {
    pub account_id: i64,
    pub role: &'a str,
    pub unit_id: Option<i64>,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
    pub audit_seq: i64,
}

const ACCOUNT_COLUMNS: &str =
    "id, email, password_hash, member_id, totp_secret, totp_enrolled, created_at";

macro_rules! account_from_row {
    ($r:expr) => {
        Account {
            id: $r.try_get("id")?,
            email: $r.try_get("email")?,
            password_hash: $r.try_get("password_hash")?,
            member_id: $r.try_get("member_id")?,
            totp_secret: $r.try_get("totp_secret")?,
            totp_enrolled: $r.try_get("totp_enrolled")?,
            created_at: $r.try_get("created_at")?,
        }
    };
}

pub async fn insert_account(tx: &mut Tx, a: &NewAccount<'_>) -> Result<i64> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO accounts (email, password_hash, member_id, totp_secret, totp_enrolled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(a.email)
        .bind(a.password_hash)
        .bind(a.member_id)
        .bind(a.totp_secret)
        .bind(a.totp_enrolled)
        .bind(a.created_at)
        .fetch_one(c)
        .await?;
        Ok(r.try_get("id")?)
    })
}

pub async fn by_email(store: &Store, email: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
    on_pool!(store, |c| {
        match sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(email)
            .fetch_optional(c)
            .await?
        {
            Some(r) => Ok(Some(account_from_row!(r))),
            None => Ok(None),
        }
    })
}

pub async fn by_email_tx(tx: &mut Tx, email: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
    on_tx!(tx, |c| {
        match sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(email)
            .fetch_optional(c)
            .await?
        {
            Some(r) => Ok(Some(account_from_row!(r))),
            None => Ok(None),
        }
    })
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    on_pool!(store, |c| {
        match sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await?
        {
            Some(r) => Ok(Some(account_from_row!(r))),
            None => Ok(None),
        }
    })
}

pub async fn insert_grant(tx: &mut Tx, g: &NewGrant<'_>) -> Result<i64> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO grants (account_id, role, unit_id, valid_from, valid_until, audit_seq) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(g.account_id)
        .bind(g.role)
        .bind(g.unit_id)
        .bind(g.valid_from)
        .bind(g.valid_until)
        .bind(g.audit_seq)
        .fetch_one(c)
        .await?;
        Ok(r.try_get("id")?)
    })
}

/// What a request needs of the account behind a credential: its email, its member, and every grant
/// it holds, expired ones included (the policy decides what they are worth), each with its unit's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub email: String,
    pub member_id: Option<i64>,
    pub grants: Vec<GrantRow>,
}

/// The columns `holder_from_rows!` reads, for a query that joins `accounts a` with `HOLDER_JOINS`.
pub(crate) const HOLDER_COLUMNS: &str =
    "a.email, a.member_id, g.id AS grant_id, g.role, g.unit_id, \
     u.code AS unit_code, g.valid_from, g.valid_until";
pub(crate) const HOLDER_JOINS: &str =
    "LEFT JOIN grants g ON g.account_id = a.id LEFT JOIN units u ON u.id = g.unit_id";

/// The `Holder` in the rows of a query over `HOLDER_COLUMNS` (one row per grant, or one with no
/// grant), ordered by grant; `None` when there are no rows.
macro_rules! holder_from_rows {
    ($rows:expr, $account_id:expr) => {{
        let rows = $rows;
        match rows.first() {
            None => None,
            Some(first) => {
                let mut grants = Vec::with_capacity(rows.len());
                for r in rows.iter() {
                    let Some(id) = r.try_get::<Option<i64>, _>("grant_id")? else {
                        continue;
                    };
                    grants.push(GrantRow {
                        id,
                        account_id: $account_id,
                        role: r.try_get("role")?,
                        unit_id: r.try_get("unit_id")?,
                        unit_code: r.try_get("unit_code")?,
                        valid_from: r.try_get("valid_from")?,
                        valid_until: r.try_get("valid_until")?,
                    });
                }
                Some(Holder {
                    email: first.try_get("email")?,
                    member_id: first.try_get("member_id")?,
                    grants,
                })
            }
        }
    }};
}
pub(crate) use holder_from_rows;

/// The account with its grants, in one query.
pub async fn holder(store: &Store, account_id: i64) -> Result<Option<Holder>> {
    let sql = format!(
        "SELECT {HOLDER_COLUMNS} FROM accounts a {HOLDER_JOINS} WHERE a.id = $1 ORDER BY g.id"
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(account_id)
            .fetch_all(c)
            .await?;
        Ok(holder_from_rows!(&rows, account_id))
    })
}

/// A live credential (browser session or API token) and the account it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub account_id: i64,
    pub expires_at: i64,
    /// The session's CSRF token; empty for API tokens, which are not sent by browsers.
    pub csrf_token: String,
}

pub async fn insert_session(
    store: &Store,
    token_hash: &str,
    account_id: i64,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    on_writer!(store, |c| {
        sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $4)",
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

/// How stale a session's `last_seen_at` may get before a request records it again. Writing it on
/// every request would make every page view a write, and on SQLite writers queue behind one lock.
pub const LAST_SEEN_GRANULARITY_SECS: i64 = 60;

/// The full session (not one that may only enrol a second factor) with this token hash if it has
/// not expired at `now`, with the account that holds it and its grants; records that it was seen, to
/// the granularity above. One query: every page asks this first, and on SQLite each query is a
/// round trip to a connection's own thread.
pub async fn live_session(
    store: &Store,
    token_hash: &str,
    now: i64,
) -> Result<Option<(Credential, Holder)>> {
    let sql = format!(
        "SELECT s.account_id, s.expires_at, s.csrf_token, s.last_seen_at, {HOLDER_COLUMNS} \
         FROM sessions s JOIN accounts a ON a.id = s.account_id {HOLDER_JOINS} \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT s.enrol_only ORDER BY g.id"
    );
    let found = on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(token_hash)
            .bind(now)
            .fetch_all(c)
            .await?;
        match rows.first() {
            None => Ok::<_, StoreError>(None),
            Some(r) => {
                let account_id: i64 = r.try_get("account_id")?;
                let credential = Credential {
                    account_id,
                    expires_at: r.try_get("expires_at")?,
                    csrf_token: r.try_get("csrf_token")?,
                };
                let last_seen: i64 = r.try_get("last_seen_at")?;
                Ok(holder_from_rows!(&rows, account_id).map(|h| (credential, h, last_seen)))
            }
        }
    })?;
    let Some((credential, holder, last_seen)) = found else {
        return Ok(None);
    };
    if now - last_seen >= LAST_SEEN_GRANULARITY_SECS {
        on_writer!(store, |c| sqlx::query(
            "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2"
        )
        .bind(token_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(Some((credential, holder)))
}

pub async fn delete_session(store: &Store, token_hash: &str) -> Result<()> {
    on_writer!(store, |c| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Ends every browser session of an account but the one whose token hashes to `keep`; how many.
pub async fn end_other_sessions(tx: &mut Tx, account_id: i64, keep: &str) -> Result<u64> {
    let ended = on_tx!(tx, |c| {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(account_id)
            .bind(keep)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(ended)
}

/// Ends every browser session and revokes every API token of an account ("log out everywhere").
pub async fn end_all(tx: &mut Tx, account_id: i64, now: i64) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        )
        .bind(account_id)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn insert_api_token(
    store: &Store,
    token_hash: &str,
    account_id: i64,
    scopes: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    on_writer!(store, |c| sqlx::query(
        "INSERT INTO api_tokens (token_hash, account_id, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(scopes)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub async fn revoke_api_token(store: &Store, token_hash: &str, now: i64) -> Result<u64> {
    on_writer!(store, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL"
    )
    .bind(token_hash)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .map_err(Into::into)
}

pub async fn record_login_attempt(
    store: &Store,
    now: i64,
    email: &str,
    address: &str,
    succeeded: bool,
) -> Result<()> {
    on_writer!(store, |c| {
        sqlx::query(
        "INSERT INTO login_attempts (occurred_at, email, address, succeeded) VALUES ($1, $2, $3, $4)"
    )
    .bind(now)
    .bind(email)
    .bind(address)
    .bind(succeeded)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// The failed logins throttling counts, and whether the address is one the account logged in from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// From the address at the email.
    pub address_and_account: i64,
    /// From the address, at any email.
    pub address: i64,
    /// At the email, from any address.
    pub account: i64,
    /// Whether a login at the email from the address succeeded since `known_since`.
    pub known_address: bool,
}

/// Failed logins since `since` from the address at the email, from the address, and at the email;
/// and whether a login at the email from the address succeeded since `known_since`.
pub async fn recent_failures(
    store: &Store,
    email: &str,
    address: &str,
    since: i64,
    known_since: i64,
) -> Result<Failures> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND address = $2 AND occurred_at >= $3 AND NOT succeeded) AS pair, \
               (SELECT COUNT(*) FROM login_attempts WHERE address = $2 AND occurred_at >= $3 AND NOT succeeded) AS by_address, \
               (SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND occurred_at >= $3 AND NOT succeeded) AS by_email, \
               (SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND address = $2 AND occurred_at >= $4 AND succeeded) AS known",
        )
        .bind(email)
        .bind(address)
        .bind(since)
        .bind(known_since)
        .fetch_one(c)
        .await?;
        Ok(Failures {
            address_and_account: r.try_get("pair")?,
            address: r.try_get("by_address")?,
            account: r.try_get("by_email")?,
            known_address: r.try_get::<i64, _>("known")? > 0,
        })
    })
}

/// Records that `actor` read `subject` (a member's record), for the auditor: a read allowed.
pub async fn log_access(
    store: &Store,
    occurred_at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<()> {
    log_access_line(
        store,
        &AccessLine {
            occurred_at: occurred_at.to_string(),
            actor: actor.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            detail: detail.to_string(),
            outcome: ALLOWED.to_string(),
        },
    )
    .await
}

/// Writes one line of the access log on its own.
pub async fn log_access_line(store: &Store, l: &AccessLine) -> Result<()> {
    on_writer!(store, |c| {
        sqlx::query(
            "INSERT INTO access_log (occurred_at, actor, action, subject, detail, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&l.occurred_at)
        .bind(&l.actor)
        .bind(&l.action)
        .bind(&l.subject)
        .bind(&l.detail)
        .bind(&l.outcome)
        .execute(c)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The outcomes of a line of the access log: the read was allowed; the access policy refused it;
/// what was asked for is not there (a member number that does not exist, a search that found no one).
pub const ALLOWED: &str = "allowed";
pub const REFUSED: &str = "refused";
pub const NOT_FOUND: &str = "not_found";

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLine {
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// `ALLOWED`, `REFUSED` or `NOT_FOUND`.
    pub outcome: String,
}

/// Writes lines of the access log in the caller's transaction, in order.
pub async fn log_access_lines(tx: &mut Tx, lines: &[AccessLine]) -> Result<()> {
    for l in lines {
        on_tx!(&mut *tx, |c| {
            sqlx::query(
                "INSERT INTO access_log (occurred_at, actor, action, subject, detail, outcome) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&l.occurred_at)
            .bind(&l.actor)
            .bind(&l.action)
            .bind(&l.subject)
            .bind(&l.detail)
            .bind(&l.outcome)
            .execute(c)
            .await
            .map(|_| ())
        })?;
    }
    Ok(())
}

/// Access-log rows about a subject, newest last (for tests and the auditor's view).
pub async fn access_log_for(store: &Store, subject: &str) -> Result<Vec<(String, String)>> {
    on_pool!(store, |c| {
        let rows =
            sqlx::query("SELECT actor, action FROM access_log WHERE subject = $1 ORDER BY id")
                .bind(subject)
                .fetch_all(c)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("actor")?, r.try_get("action")?)))
            .collect()
    })
}
