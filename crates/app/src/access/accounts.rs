//! Accounts and logging in: creating an account and granting it a role (audited), checking a
//! password (argon2id) and a TOTP code (each code works once: the account's last step is kept),
//! throttling failed logins (the rule is in `throttle`), and the credentials a login yields (a
//! browser session with its CSRF token, or an API bearer token). The secrets themselves (random
//! tokens, their hashes, TOTP codes) are made in `secrets`.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::access::policy::{Actor, Grant, GrantUnit, Role};
use caucus_store::access::accounts::{self as store, NewAccount, NewGrant};
use caucus_store::audit::{self, digest, NewEvent};
use caucus_store::{organisation::geography, organisation::units};
use rand::Rng;
use time::{Date, OffsetDateTime};

use crate::access::second_factor::{looks_like_recovery_code, use_recovery_code};
use crate::access::throttle::check_throttle;
use crate::{App, AppError, Result};

// Kept at their old paths for the web, the CLI and the tests.
pub use crate::access::secrets::{
    check_totp, new_totp_secret, random_hex, token_hash, totp_code, totp_step, Session,
    TOTP_REPLAYED,
};
pub use crate::access::throttle::{
    throttle, Throttle, KNOWN_ADDRESS_SECONDS, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT, THROTTLE_WINDOW_SECONDS,
};

/// How long a browser session lasts without logging in again.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// How long an API token from `POST /api/v1/session` lasts.
pub const API_TOKEN_SECONDS: i64 = 24 * 3600;
/// What `caucus user add` asks for.
#[derive(Debug, Clone)]
pub struct AddUser {
    pub email: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub password: Option<String>,
    pub member_number: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
}

/// What was done: a new account (with the password if one was generated, and the TOTP secret if
/// one was issued) or a grant added to an existing account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub account_id: i64,
    pub created: bool,
    pub generated_password: Option<String>,
    pub totp_secret: Option<String>,
    pub unit_code: Option<String>,
}

/// Hashes a password with argon2id and a random salt, in the PHC string format.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Invalid(format!("cannot make a password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Invalid(format!("cannot hash the password: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

fn normalise_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    match e.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !e.contains(' ') => {
            Ok(e)
        }
        _ => Err(AppError::Invalid(format!(
            "'{}' is not an email address",
            email.trim()
        ))),
    }
}

/// Creates the account if it does not exist and grants it the role; audited in one transaction.
/// The caller is the operator at the command line (or the demo), who holds the database itself.
pub async fn add_user(app: &App, operator: &Operator, req: &AddUser) -> Result<AddedUser> {
    let email = normalise_email(&req.email)?;
    let unit = match (&req.unit_code, req.role.unit_kind()) {
        (Some(code), _) => {
            let set = geography::current_set(&app.store).await?;
            let u = units::find_by_code(&app.store, code, set.as_deref())
                .await?
                .ok_or_else(|| AppError::NotFound(format!("unit {code}")))?;
            Some(u)
        }
        (None, Some(kind)) => {
            return Err(AppError::Invalid(format!(
                "a {} grant needs --unit (a {} code)",
                req.role, kind
            )))
        }
        (None, None) => None,
    };
    let member_id = match &req.member_number {
        Some(n) => Some(
            caucus_store::register::members::by_number(&app.store, n)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("member {n}")))?
                .id,
        ),
        None => None,
    };
    let now = app.clock.stamp();
    let mut tx = app.store.begin().await?;
    let existing = store::by_email_tx(&mut tx, &email).await?;
    let (account_id, created, generated_password, totp_secret) = match existing {
        Some(a) => {
            if req.password.is_some() {
                return Err(AppError::Invalid(format!(
                    "{email} already has an account; its password is not changed here"
                )));
            }
            // An account without the second factor the new role needs is taken to enrolment at
            // its next login (second_factor.rs).
            (a.id, false, None, None)
        }
        None => {
            let (password, generated) = match &req.password {
                Some(p) if p.chars().count() < 12 => {
                    return Err(AppError::Invalid(
                        "a password needs at least 12 characters".to_string(),
                    ))
                }
                Some(p) => (p.clone(), None),
                None => {
                    let p = random_hex(12);
                    (p.clone(), Some(p))
                }
            };
            let hash = hash_password(&password)?;
            let secret = req.role.needs_second_factor().then(new_totp_secret);
            let id = store::insert_account(
                &mut tx,
                &NewAccount {
                    email: &email,
                    password_hash: &hash,
                    member_id,
                    totp_secret: secret.as_deref(),
                    totp_enrolled: secret.is_some(),
                    created_at: &now,
                },
            )
            .await?;
            (id, true, generated, secret)
        }
    };
    let pending = audit::reserve(&mut tx, &Allowed::operator(operator)).await?;
    let valid_from = req.valid_from.unwrap_or_else(|| app.clock.today());
    store::insert_grant(
        &mut tx,
        &NewGrant {
            account_id,
            role: req.role.as_str(),
            unit_id: unit.as_ref().map(|u| u.id),
            valid_from,
            valid_until: req.valid_until,
            audit_seq: pending.seq,
        },
    )
    .await?;
    let unit_code = unit.as_ref().map(|u| u.code.clone());
    pending
        .write(
            &mut tx,
            NewEvent {
                occurred_at: now,
                actor: operator.name().to_string(),
                action: if created {
                    "account.create".into()
                } else {
                    "account.grant".into()
                },
                subject: format!("account:{account_id}"),
                unit: unit_code.clone(),
                before: None,
                after: Some(digest(format!(
                    "{account_id}:{}:{}:{valid_from}:{:?}",
                    req.role,
                    unit_code.as_deref().unwrap_or(""),
                    req.valid_until
                ))),
                detail: serde_json::json!({
                    "role": req.role.as_str(),
                    "unit": unit_code,
                    "valid_from": valid_from.to_string(),
                    "valid_until": req.valid_until.map(|d| d.to_string()),
                    "second_factor": totp_secret.is_some(),
                }),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(AddedUser {
        account_id,
        created,
        generated_password,
        totp_secret,
        unit_code,
    })
}

/// A login attempt: who, with what, from where (the address counts towards throttling).
#[derive(Debug, Clone)]
pub struct Login<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub totp: Option<&'a str>,
    pub address: &'a str,
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// What a right email and password (and code, where one is needed) lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// A full login.
    Account(i64),
    /// An account whose roles need a second factor it has not enrolled: it may only enrol one.
    MustEnrol(i64),
}

/// Checks a login; returns the account id. Every outcome is recorded for throttling, and every
/// refusal says only "wrong email, password or code" so the answer does not tell which accounts exist.
/// An account that needs a second factor and has none is refused here (the API's login); the web
/// login uses `verify` and takes it to enrolment.
pub async fn log_in(app: &App, login: &Login<'_>) -> Result<i64> {
    match verify(app, login).await? {
        Verified::Account(id) => Ok(id),
        Verified::MustEnrol(_) => Err(AppError::Unauthenticated(
            "this account needs a second factor and has none enrolled: log in on the web page to enrol one"
                .to_string(),
        )),
    }
}

/// Checks a login as `log_in` does; the code may also be one of the account's recovery codes.
pub async fn verify(app: &App, login: &Login<'_>) -> Result<Verified> {
    let now = unix(app.clock.now());
    let email = login.email.trim().to_lowercase();
    check_throttle(app, &email, login.address, now, "failed logins").await?;
    let account = store::by_email(&app.store, &email).await?;
    let wrong = || AppError::Unauthenticated("wrong email, password or code".to_string());
    let outcome = match &account {
        None => {
            // Spend the time a real check takes, so timing does not reveal unknown emails.
            let _ = hash_password(login.password);
            Err(wrong())
        }
        Some(a) if !verify_password(login.password, &a.password_hash) => Err(wrong()),
        Some(a) => {
            let needs = a.totp_enrolled || needs_second_factor(app, a.id).await?;
            match (needs, &a.totp_secret, login.totp) {
                (false, _, _) => Ok(Verified::Account(a.id)),
                (true, None, _) => Ok(Verified::MustEnrol(a.id)),
                (true, Some(_), None) => Err(AppError::Unauthenticated(
                    "this account needs the 6-digit code from your authenticator app (or a recovery code)"
                        .to_string(),
                )),
                (true, Some(secret), Some(code)) => match totp_step(secret, code, now as u64) {
                    // Used up in one conditional statement: of two logins racing with one code,
                    // one gets in.
                    Some(step) => {
                        if caucus_store::access::second_factor::use_totp_step(&app.store, a.id, step)
                            .await?
                        {
                            Ok(Verified::Account(a.id))
                        } else {
                            Err(AppError::Unauthenticated(TOTP_REPLAYED.to_string()))
                        }
                    }
                    None if looks_like_recovery_code(code)
                        && use_recovery_code(app, a.id, code).await? =>
                    {
                        Ok(Verified::Account(a.id))
                    }
                    None => Err(wrong()),
                },
            }
        }
    };
    store::record_login_attempt(&app.store, now, &email, login.address, outcome.is_ok()).await?;
    if let Err(e) = &outcome {
        tracing::info!(email = %email, address = %login.address, "login refused: {e}");
    }
    outcome
}

/// Whether any grant the account holds is of a role that needs a second factor.
async fn needs_second_factor(app: &App, account_id: i64) -> Result<bool> {
    Ok(store::holder(&app.store, account_id)
        .await?
        .is_some_and(|h| {
            h.grants
                .iter()
                .any(|g| Role::parse(&g.role).map_or(true, Role::needs_second_factor))
        }))
}

/// Starts a browser session. A new token on every login is the rotation that defeats fixation;
/// `replacing` (the session the browser had, if any) is ended at the same time.
pub async fn start_session(app: &App, account_id: i64, replacing: Option<&str>) -> Result<Session> {
    if let Some(old) = replacing {
        store::delete_session(&app.store, &token_hash(old)).await?;
    }
    let now = app.clock.now();
    let token = random_hex(32);
    let csrf_token = random_hex(32);
    let expires_at = now + time::Duration::seconds(SESSION_SECONDS);
    store::insert_session(
        &app.store,
        &token_hash(&token),
        account_id,
        &csrf_token,
        unix(now),
        unix(expires_at),
    )
    .await?;
    Ok(Session {
        token,
        csrf_token,
        expires_at,
    })
}

/// Who holds a live browser session: the account's email, the actor it acts as, and the session's
/// CSRF token.
pub async fn session(app: &App, token: &str) -> Result<Option<(String, Actor, String)>> {
    let now = unix(app.clock.now());
    Ok(store::live_session(&app.store, &token_hash(token), now)
        .await?
        .map(|(c, holder)| {
            let (email, actor) = actor_of(c.account_id, holder);
            (email, actor, c.csrf_token)
        }))
}

pub async fn end_session(app: &App, token: &str) -> Result<()> {
    store::delete_session(&app.store, &token_hash(token)).await?;
    Ok(())
}

/// Ends every session and revokes every API token of the account; audited.
pub async fn log_out_everywhere(app: &App, account_id: i64) -> Result<()> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    store::end_all(&mut tx, account_id, unix(now)).await?;
    audit::append(
        &mut tx,
        &Allowed::own_account(account_id, "logging out everywhere"),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: format!("account:{account_id}"),
            action: "account.log_out_everywhere".into(),
            subject: format!("account:{account_id}"),
            unit: None,
            before: None,
            after: None,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An API bearer token and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

pub async fn revoke_api_token(app: &App, token: &str) -> Result<bool> {
    let now = unix(app.clock.now());
    Ok(store::revoke_api_token(&app.store, &token_hash(token), now).await? > 0)
}

/// The actor an account acts as: its member record and its grants, each with its unit's code.
pub async fn actor(app: &App, account_id: i64) -> Result<(String, Actor)> {
    let holder = store::holder(&app.store, account_id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".to_string()))?;
    Ok(actor_of(account_id, holder))
}

/// The account's email and the actor it acts as, from what the store holds of it.
pub(crate) fn actor_of(account_id: i64, holder: store::Holder) -> (String, Actor) {
    let mut grants = Vec::new();
    for g in holder.grants {
        let Ok(role) = Role::parse(&g.role) else {
            continue;
        };
        let unit = g
            .unit_id
            .zip(g.unit_code)
            .map(|(id, code)| GrantUnit { id, code });
        if g.unit_id.is_some() && unit.is_none() {
            // A grant over a unit that no longer exists covers nothing rather than everything.
            continue;
        }
        grants.push(Grant {
            role,
            unit,
            valid_from: g.valid_from,
            valid_until: g.valid_until,
        });
    }
    (
        holder.email,
        Actor {
            account_id,
            member_id: holder.member_id,
            grants,
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("anything", "not a hash"));
    }

    pub(crate) async fn app_on(url: &str, day: time::Date) -> App {
        App::new(
            caucus_store::Store::open(url).await.unwrap(),
            caucus_domain::rulebook::Rulebook::shipped().unwrap(),
            crate::Clock::Today(day),
        )
    }

    pub(crate) fn member_login(email: &str) -> AddUser {
        AddUser {
            email: email.to_string(),
            role: Role::Member,
            unit_code: None,
            password: Some("a long enough password".to_string()),
            member_number: None,
            valid_from: None,
            valid_until: None,
        }
    }

    #[tokio::test]
    async fn a_second_account_with_the_same_email_gets_a_grant_not_a_duplicate() {
        for db in caucus_testkit::databases().await {
            let app = app_on(&db.url, time::macros::date!(2026 - 11 - 22)).await;
            let first = add_user(
                &app,
                &Operator::at_the_command_line("test"),
                &member_login("a@example.org"),
            )
            .await
            .unwrap();
            let mut again = member_login("A@Example.org");
            again.password = None;
            again.role = Role::Councillor;
            let second = add_user(&app, &Operator::at_the_command_line("test"), &again)
                .await
                .unwrap();
            assert!(first.created && !second.created, "{}", db.engine);
            assert_eq!(first.account_id, second.account_id);
            let (_, actor) = actor(&app, first.account_id).await.unwrap();
            assert_eq!(actor.grants.len(), 2);
            app.store.close().await;
        }
    }

    #[test]
    fn emails_are_lower_cased_and_nonsense_is_refused() {
        assert_eq!(normalise_email(" A@B.org ").unwrap(), "a@b.org");
        assert!(normalise_email("nobody").is_err());
        assert!(normalise_email("a b@c.org").is_err());
    }
}
