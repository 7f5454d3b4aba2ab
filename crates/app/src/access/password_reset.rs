//! Resetting a forgotten password by an emailed single-use link. Asking answers the same whether or
//! not the address has an account (so the form does not tell who has one); requests are throttled per
//! address and per email whether or not it exists. The token is kept only as its hash (and in the
//! outbox's message to the owner until it is sent, when only its redacted copy is kept), lasts an
//! hour, works once, and using it ends every session and API token of the account. Both the request
//! and the reset are audited, without the token. The mail with the link is for the account's owner
//! only: the outbox shows it to admins with the link redacted.
use caucus_domain::access::allowed::Allowed;
use caucus_store::access::accounts as account_store;
use caucus_store::access::password_resets as store;
use caucus_store::audit::{self, NewEvent};

use crate::access::accounts::hash_password;
use crate::access::secrets::{random_hex, token_hash};
use crate::{ops::mail, App, AppError, Result};

/// How long a reset link works.
pub const TOKEN_SECONDS: i64 = 3600;
/// Requests counted for throttling: those of the last hour.
pub const WINDOW_SECONDS: i64 = 3600;
pub const MAX_REQUESTS_PER_EMAIL: i64 = 3;
pub const MAX_REQUESTS_PER_ADDRESS: i64 = 10;
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What a reset link is called where it is redacted (the outbox shows admins "[redacted: a
/// password-reset link for the recipient only]").
pub const RESET_LINK: &str = "a password-reset link";

/// What the form says after every request that is not throttled, account or not.
pub const REQUEST_ANSWER: &str = "If that address belongs to an account, a link to choose a new \
    password is on its way to it. The link works once, for one hour.";

/// Records a reset request from `address` and, when the email is an account's, queues the mail with
/// the link (`base_url` + `/password-reset?token=...`).
pub async fn request(app: &App, email: &str, address: &str, base_url: &str) -> Result<()> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::Invalid("enter your email address".to_string()));
    }
    let now = app.clock.now();
    let unix = now.unix_timestamp();
    let (by_email, by_address) =
        store::recent_requests(&app.store, &email, address, unix - WINDOW_SECONDS).await?;
    if by_email >= MAX_REQUESTS_PER_EMAIL || by_address >= MAX_REQUESTS_PER_ADDRESS {
        return Err(AppError::TooManyAttempts(
            "too many password reset requests: wait an hour and try again".to_string(),
        ));
    }
    let mut tx = app.store.begin().await?;
    store::record_request(&mut tx, unix, &email, address).await?;
    let Some(account) = account_store::by_email_tx(&mut tx, &email).await? else {
        tx.commit().await?;
        tracing::info!(address = %address, "password reset asked for an address with no account");
        return Ok(());
    };
    let token = random_hex(32);
    let expires_at = unix + TOKEN_SECONDS;
    store::insert_token(&mut tx, &token_hash(&token), account.id, unix, expires_at).await?;
    let link = format!(
        "{}/password-reset?token={token}",
        base_url.trim_end_matches('/')
    );
    let body = format!(
        "Someone, probably you, asked to reset the password of your caucus account.\n\
         \n\
         To choose a new password, open this link within the hour:\n\
         \n\
         {link}\n\
         \n\
         The link works once. Choosing a new password logs you out everywhere.\n\
         If you did not ask, ignore this message: your password stays as it is.\n"
    );
    // The link is for the account's owner only: the outbox shows admins the message without it.
    let mail_id = mail::enqueue_credential(
        &mut tx,
        unix,
        &account.email,
        "Reset your caucus password",
        &body,
        &link,
        RESET_LINK,
    )
    .await?;
    // No one is authenticated yet: the link goes only to the account's own address, which is what
    // proves the owner when it is used (`reset`).
    audit::append(
        &mut tx,
        &Allowed::system("mailing a password reset link to the account's own address"),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: format!("address:{address}"),
            action: "account.password_reset_request".into(),
            subject: format!("account:{}", account.id),
            unit: None,
            before: None,
            after: None,
            detail: serde_json::json!({
                "mail": mail_id,
                "expires_at": expires_at,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a reset link can still be used (for showing its form).
pub async fn is_live(app: &App, token: &str) -> Result<bool> {
    let now = app.clock.now().unix_timestamp();
    Ok(
        store::live_token(&app.store, &token_hash(token.trim()), now)
            .await?
            .is_some(),
    )
}

/// Sets the new password with the link's token, using it up; ends every session and API token of
/// the account. Returns the account; `Unauthenticated` when the link is unknown, used or expired.
pub async fn reset(app: &App, token: &str, new_password: &str, address: &str) -> Result<i64> {
    if new_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    // Hashing is slow: done before the transaction, which then holds the write lock only briefly.
    let hash = hash_password(new_password)?;
    let now = app.clock.now();
    let unix = now.unix_timestamp();
    let mut tx = app.store.begin().await?;
    let Some(account_id) = store::use_token(&mut tx, &token_hash(token.trim()), unix).await? else {
        return Err(AppError::Unauthenticated(
            "this reset link is unknown, already used or expired: ask for a new one".to_string(),
        ));
    };
    store::set_password(&mut tx, account_id, &hash).await?;
    account_store::end_all(&mut tx, account_id, unix).await?;
    audit::append(
        &mut tx,
        &Allowed::own_account(
            account_id,
            "resetting its password by the token mailed to it",
        ),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: format!("account:{account_id}"),
            action: "account.password_reset".into(),
            subject: format!("account:{account_id}"),
            unit: None,
            before: None,
            after: None,
            detail: serde_json::json!({
                "address": address,
                "sessions_ended": true,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account_id)
}
