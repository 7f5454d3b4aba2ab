//! API tokens: made by their owner with scopes no wider than the owner's roles and an expiry, listed,
//! revoked; made and revoked with an audit event in the same transaction. Logging in over the API
//! hands out a short-lived token that stands for the account (every scope; the policy decides). The
//! secret is shown once; the database keeps its hash.
use caucus_domain::access::allowed::Allowed;
use caucus_domain::access::policy::Actor;
use caucus_domain::access::token_scope::{check_requested, parse_scopes, spell_scopes, Scope};
use caucus_store::access::api_tokens::{self as store, NewToken, TokenRow};
use caucus_store::audit::{self, NewEvent};
use std::collections::BTreeSet;
use time::OffsetDateTime;

use crate::access::accounts::{actor_of, ApiToken, API_TOKEN_SECONDS};
use crate::access::secrets::{random_hex, token_hash};
use crate::{App, AppError, Result};

/// The longest a token made on the settings page may last.
pub const MAX_TOKEN_DAYS: i64 = 365;

/// What a token opens: the account (its email and the actor it acts as) and the scopes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAccess {
    pub account_id: i64,
    pub email: String,
    pub actor: Actor,
    pub scopes: BTreeSet<Scope>,
}

/// The account and scopes of a live (unexpired, unrevoked) token. Scopes stored in an older
/// spelling that no longer parse open nothing.
pub async fn access(app: &App, secret: &str) -> Result<Option<TokenAccess>> {
    let now = app.clock.now().unix_timestamp();
    Ok(store::live(&app.store, &token_hash(secret), now)
        .await?
        .map(|t| {
            let (email, actor) = actor_of(t.account_id, t.holder);
            TokenAccess {
                account_id: t.account_id,
                email,
                actor,
                scopes: parse_scopes(&t.scopes).unwrap_or_default(),
            }
        }))
}

/// The token handed out by logging in, for a day. It stands for the account itself (as a browser
/// session does), so it carries every scope and the policy alone decides, by the grants in force on
/// each request, with its own reasons (an administrator is told of the separation of duties rather
/// than of a missing scope). Narrower tokens are made on the settings page.
pub async fn issue_login_token(app: &App, actor: &Actor) -> Result<ApiToken> {
    let scopes: BTreeSet<Scope> = Scope::ALL.iter().copied().collect();
    let now = app.clock.now();
    let token = random_hex(32);
    let expires_at = now + time::Duration::seconds(API_TOKEN_SECONDS);
    caucus_store::access::accounts::insert_api_token(
        &app.store,
        &token_hash(&token),
        actor.account_id,
        &spell_scopes(&scopes),
        now.unix_timestamp(),
        expires_at.unix_timestamp(),
    )
    .await?;
    Ok(ApiToken { token, expires_at })
}

/// What the settings page asks for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub label: String,
    pub scopes: String,
    pub days: i64,
}

/// A token just made: the secret (shown once) and its public id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeToken {
    pub secret: String,
    pub public_id: String,
    pub expires_at: OffsetDateTime,
}

/// Makes a token for the actor; refused when a scope is beyond their roles (`Forbidden`, with the
/// scope named) or the request is malformed.
pub async fn make(app: &App, actor: &Actor, req: &TokenRequest) -> Result<MadeToken> {
    let label = req.label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(AppError::Invalid(
            "give the token a name of 1 to 80 characters, to recognise it later".into(),
        ));
    }
    if !(1..=MAX_TOKEN_DAYS).contains(&req.days) {
        return Err(AppError::Invalid(format!(
            "a token lasts from 1 to {MAX_TOKEN_DAYS} days"
        )));
    }
    let scopes = parse_scopes(&req.scopes).map_err(|e| AppError::Invalid(e.to_string()))?;
    let decision = check_requested(actor, &scopes, app.clock.today());
    if !decision.allowed {
        return Err(AppError::Forbidden(decision));
    }
    let now = app.clock.now();
    let secret = random_hex(32);
    let public_id = random_hex(8);
    let expires_at = now + time::Duration::days(req.days);
    let spelled = spell_scopes(&scopes);
    let owner = format!("account:{}", actor.account_id);
    let mut tx = app.store.begin().await?;
    store::insert(
        &mut tx,
        &NewToken {
            token_hash: &token_hash(&secret),
            public_id: &public_id,
            label,
            account_id: actor.account_id,
            scopes: &spelled,
            created_at: now.unix_timestamp(),
            expires_at: expires_at.unix_timestamp(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        &Allowed::own_account(actor.account_id, "making one of its own API tokens"),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: owner.clone(),
            action: "api_token.create".into(),
            subject: owner,
            unit: None,
            before: None,
            after: Some(audit::digest(format!("{public_id}:{spelled}:{}", expires_at.unix_timestamp()))),
            detail: serde_json::json!({
                "token": public_id, "scopes": spelled, "expires_at": crate::clock::stamp(expires_at),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(MadeToken {
        secret,
        public_id,
        expires_at,
    })
}

/// The actor's own tokens made on the settings page, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<TokenRow>> {
    Ok(store::of_account(&app.store, actor.account_id).await?)
}

/// Revokes one of the actor's own tokens; not found when it is not theirs or already revoked.
pub async fn revoke(app: &App, actor: &Actor, public_id: &str) -> Result<()> {
    let now = app.clock.now();
    let owner = format!("account:{}", actor.account_id);
    let mut tx = app.store.begin().await?;
    if store::revoke(&mut tx, actor.account_id, public_id, now.unix_timestamp()).await? == 0 {
        tx.rollback().await?;
        return Err(AppError::NotFound(format!(
            "live token {public_id} of yours"
        )));
    }
    audit::append(
        &mut tx,
        &Allowed::own_account(actor.account_id, "revoking one of its own API tokens"),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: owner.clone(),
            action: "api_token.revoke".into(),
            subject: owner,
            unit: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "token": public_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::accounts::tests::{app_on, member_login};
    use crate::access::accounts::{
        self, add_user, log_in, log_out_everywhere, revoke_api_token, session, start_session, Login,
    };
    use caucus_domain::access::allowed::Operator;
    use caucus_store::access::accounts as account_store;

    #[tokio::test]
    async fn sessions_expire_tokens_are_revoked_and_log_out_everywhere_ends_both() {
        use time::macros::date;
        for db in caucus_testkit::databases().await {
            let day1 = app_on(&db.url, date!(2026 - 11 - 22)).await;
            let id = add_user(
                &day1,
                &Operator::at_the_command_line("test"),
                &member_login("m@example.org"),
            )
            .await
            .unwrap()
            .account_id;
            let login = Login {
                email: "M@example.org",
                password: "a long enough password",
                totp: None,
                address: "192.0.2.1",
            };
            assert_eq!(log_in(&day1, &login).await.unwrap(), id, "{}", db.engine);

            let s = start_session(&day1, id, None).await.unwrap();
            let (email, actor, csrf) = session(&day1, &s.token).await.unwrap().unwrap();
            assert_eq!(
                (email.as_str(), actor.account_id, csrf),
                ("m@example.org", id, s.csrf_token.clone())
            );
            assert_eq!(
                actor,
                actor_of(
                    id,
                    account_store::holder(&day1.store, id)
                        .await
                        .unwrap()
                        .unwrap()
                )
                .1
            );
            // A new login replaces the browser's old session (rotation).
            let s2 = start_session(&day1, id, Some(&s.token)).await.unwrap();
            assert_eq!(session(&day1, &s.token).await.unwrap(), None);
            let day2 = app_on(&db.url, date!(2026 - 11 - 23)).await;
            assert_eq!(
                session(&day2, &s2.token).await.unwrap(),
                None,
                "a day later the session has expired"
            );

            let (email, holder) = accounts::actor(&day1, id).await.unwrap();
            let token_of = |secret: String| {
                let day1 = &day1;
                async move { super::access(day1, &secret).await.unwrap() }
            };
            let t = issue_login_token(&day1, &holder).await.unwrap();
            let access = token_of(t.token.clone()).await.unwrap();
            assert_eq!((access.account_id, &access.email), (id, &email));
            assert_eq!(access.actor, holder);
            assert!(revoke_api_token(&day1, &t.token).await.unwrap());
            assert_eq!(token_of(t.token).await, None);

            let s3 = start_session(&day1, id, None).await.unwrap();
            let t2 = issue_login_token(&day1, &holder).await.unwrap();
            log_out_everywhere(&day1, id).await.unwrap();
            assert_eq!(session(&day1, &s3.token).await.unwrap(), None);
            assert_eq!(token_of(t2.token).await, None);
            assert!(matches!(
                caucus_store::audit::verify(&day1.store).await.unwrap(),
                caucus_store::audit::Verification::Intact { events: 2 }
            ));
            day1.store.close().await;
            day2.store.close().await;
        }
    }
}
