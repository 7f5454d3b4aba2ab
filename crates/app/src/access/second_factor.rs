//! Enrolling a TOTP second factor and the recovery codes that stand in for it. Enrolment shows a
//! secret (as a QR code and as text) that becomes the account's only once a code from it has been
//! confirmed; confirming issues ten recovery codes, shown once, kept as hashes, each good for one
//! login. A staff or officer account without a second factor gets, at login, a session that may only
//! enrol one.
use caucus_domain::access::allowed::Allowed;
use caucus_store::access::accounts as account_store;
use caucus_store::access::second_factor as store;
use caucus_store::audit::{self, NewEvent};
use qrcode::render::svg;
use qrcode::QrCode;

use crate::access::secrets::{
    new_totp_secret, random_hex, token_hash, totp_step, Session, TOTP_REPLAYED,
};
use crate::access::throttle::check_throttle;
use crate::{App, AppError, Result};

/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// How long a session that may only enrol lasts.
pub const ENROLMENT_SESSION_SECONDS: i64 = 30 * 60;
/// The issuer authenticator apps show beside the account.
pub const ISSUER: &str = "caucus";

/// What the enrolment page shows: the secret to type in, and the URI its QR code carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// The `otpauth://` URI authenticator apps read from a QR code (SHA-1, 6 digits, 30 s: what
/// `secrets::check_totp` checks).
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    let label: String =
        url::form_urlencoded::byte_serialize(format!("{ISSUER}:{email}").as_bytes())
            .collect::<String>()
            .replace('+', "%20");
    format!(
        "otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30"
    )
}

/// The QR code of `text` as an SVG document (dark modules on white, with the quiet zone).
pub fn qr_svg(text: &str) -> Result<String> {
    let code = QrCode::new(text.as_bytes())
        .map_err(|e| AppError::Invalid(format!("cannot make a QR code: {e}")))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build())
}

/// The enrolment in progress for the account (the same secret until confirmed, so reloading the
/// page does not invalidate a code already scanned), or a new one.
pub async fn begin(app: &App, account_id: i64) -> Result<Enrolment> {
    let account = account_store::by_id(&app.store, account_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {account_id}")))?;
    if account.totp_enrolled {
        return Err(AppError::Invalid(
            "this account already has a second factor".to_string(),
        ));
    }
    let secret = match store::pending_secret(&app.store, account_id).await? {
        Some(s) => s,
        None => {
            let s = new_totp_secret();
            store::set_pending_secret(&app.store, account_id, &s).await?;
            s
        }
    };
    Ok(Enrolment {
        uri: otpauth_uri(&account.email, &secret),
        secret,
    })
}

/// A recovery code as shown: 16 hex digits in groups of four.
fn new_recovery_code() -> String {
    let hex = random_hex(8);
    let groups: Vec<&str> = (0..4).map(|i| &hex[i * 4..i * 4 + 4]).collect();
    groups.join("-")
}

/// The hash kept of a recovery code, read leniently (case, spaces and dashes ignored).
pub fn recovery_code_hash(code: &str) -> String {
    let plain: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&format!("recovery:{plain}"))
}

/// Whether `code` is shaped like a recovery code (rather than a 6-digit TOTP code).
pub fn looks_like_recovery_code(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_hexdigit()).count() == 16
}

/// Activates the pending secret if `code` is right for it; returns the recovery codes (shown once).
/// For an account that had a second factor, this completes its replacement: the old secret and
/// recovery codes stop working, and every browser session of the account but `session` (the one
/// confirming) ends, since the old factor may be in someone else's hands (a lost phone).
pub async fn confirm(app: &App, account_id: i64, session: &str, code: &str) -> Result<Vec<String>> {
    let secret = store::pending_secret(&app.store, account_id)
        .await?
        .ok_or_else(|| {
            AppError::Invalid("there is no enrolment in progress: start again".to_string())
        })?;
    let replacing = is_enrolled(app, account_id).await?;
    let now = app.clock.now();
    // The confirming code is used up: it cannot log in afterwards.
    let Some(step) = totp_step(&secret, code, now.unix_timestamp() as u64) else {
        return Err(AppError::Invalid(
            "that code is not right: check the time on your device and try the current code"
                .to_string(),
        ));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
    let mut tx = app.store.begin().await?;
    if !store::activate(&mut tx, account_id, &secret, step).await? {
        return Err(AppError::Invalid(
            "the enrolment changed meanwhile (another page?): start again".to_string(),
        ));
    }
    store::replace_recovery_codes(&mut tx, account_id, &hashes, now.unix_timestamp()).await?;
    let ended = if replacing {
        account_store::end_other_sessions(&mut tx, account_id, &token_hash(session)).await?
    } else {
        0
    };
    audit::append(
        &mut tx,
        &Allowed::own_account(account_id, "confirming its second factor"),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: format!("account:{account_id}"),
            action: if replacing {
                "account.second_factor_replace"
            } else {
                "account.second_factor_enrol"
            }
            .into(),
            subject: format!("account:{account_id}"),
            unit: None,
            before: None,
            after: None,
            detail: if replacing {
                serde_json::json!({ "recovery_codes": RECOVERY_CODES, "other_sessions_ended": ended })
            } else {
                serde_json::json!({ "recovery_codes": RECOVERY_CODES })
            },
        },
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Uses one of the account's recovery codes for a login; whether it was a good, unused one.
/// Audited, so the owner and the auditor can see that one was spent.
pub async fn use_recovery_code(app: &App, account_id: i64, code: &str) -> Result<bool> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    if !store::use_recovery_code(
        &mut tx,
        account_id,
        &recovery_code_hash(code),
        now.unix_timestamp(),
    )
    .await?
    {
        return Ok(false);
    }
    audit::append(
        &mut tx,
        &Allowed::own_account(account_id, "using one of its recovery codes"),
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: format!("account:{account_id}"),
            action: "account.recovery_code_use".into(),
            subject: format!("account:{account_id}"),
            unit: None,
            before: None,
            after: None,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// How the owner proved, before changing their second factor, that they hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proof {
    Totp,
    RecoveryCode,
}

impl Proof {
    fn name(self) -> &'static str {
        match self {
            Proof::Totp => "totp",
            Proof::RecoveryCode => "recovery_code",
        }
    }
}

/// Checks that `code` is the current code of the account's second factor or one of its unused
/// recovery codes, and returns the transaction the change is to be made in (the code is spent in it,
/// so it comes back if the change fails; a TOTP code already used is refused). Wrong codes count as
/// failed logins from `address`, so a session cannot guess codes faster than the login form allows.
async fn prove(
    app: &App,
    account_id: i64,
    code: &str,
    address: &str,
) -> Result<(caucus_store::Tx, Proof)> {
    // A blank form is not a guess: it is refused without counting towards the throttle.
    if code.trim().is_empty() {
        return Err(AppError::Invalid(
            "enter the code your authenticator app shows, or one of your recovery codes"
                .to_string(),
        ));
    }
    let account = account_store::by_id(&app.store, account_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {account_id}")))?;
    let secret = match (&account.totp_secret, account.totp_enrolled) {
        (Some(secret), true) => secret,
        _ => {
            return Err(AppError::Invalid(
                "this account has no second factor yet: set one up first".to_string(),
            ))
        }
    };
    let now = app.clock.now().unix_timestamp();
    check_throttle(app, &account.email, address, now, "wrong codes").await?;
    let code = code.trim();
    let mut tx = app.store.begin().await?;
    let refusal = match totp_step(secret, code, now as u64) {
        Some(step) => {
            if store::use_totp_step_in(&mut tx, account_id, step).await? {
                return Ok((tx, Proof::Totp));
            }
            TOTP_REPLAYED
        }
        None => {
            if looks_like_recovery_code(code)
                && store::use_recovery_code(&mut tx, account_id, &recovery_code_hash(code), now)
                    .await?
            {
                return Ok((tx, Proof::RecoveryCode));
            }
            "that code is not right: enter the current code from your authenticator app, or an \
             unused recovery code"
        }
    };
    // Out of the transaction: on SQLite it holds the write lock the record needs.
    tx.rollback().await?;
    account_store::record_login_attempt(&app.store, now, &account.email, address, false).await?;
    Err(AppError::Invalid(refusal.to_string()))
}

/// An audit event of the owner's on their own account.
fn own_event(app: &App, account_id: i64, action: &str, detail: serde_json::Value) -> NewEvent {
    NewEvent {
        occurred_at: crate::clock::stamp(app.clock.now()),
        actor: format!("account:{account_id}"),
        action: action.into(),
        subject: format!("account:{account_id}"),
        unit: None,
        before: None,
        after: None,
        detail,
    }
}

/// Replaces every recovery code of the account with new ones (returned, to be shown once), once
/// the owner has proved they hold the second factor (`code`: its current code or an unused
/// recovery code). The old codes stop working in the same transaction.
pub async fn regenerate_recovery_codes(
    app: &App,
    account_id: i64,
    code: &str,
    address: &str,
) -> Result<Vec<String>> {
    let (mut tx, proof) = prove(app, account_id, code, address).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
    store::replace_recovery_codes(
        &mut tx,
        account_id,
        &hashes,
        app.clock.now().unix_timestamp(),
    )
    .await?;
    audit::append(
        &mut tx,
        &Allowed::own_account(account_id, "replacing its recovery codes"),
        own_event(
            app,
            account_id,
            "account.recovery_codes_regenerate",
            serde_json::json!({ "recovery_codes": RECOVERY_CODES, "proved_with": proof.name() }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Starts replacing the second factor (a new phone, say): once the owner has proved they hold the
/// current one (its code or an unused recovery code), a new secret awaits confirmation by
/// `confirm`. The current factor keeps working until then, so a replacement abandoned half way
/// locks no one out.
pub async fn begin_replacement(
    app: &App,
    account_id: i64,
    code: &str,
    address: &str,
) -> Result<Enrolment> {
    let (mut tx, proof) = prove(app, account_id, code, address).await?;
    let secret = new_totp_secret();
    store::set_pending_secret_in(&mut tx, account_id, &secret).await?;
    audit::append(
        &mut tx,
        &Allowed::own_account(account_id, "replacing its second factor"),
        own_event(
            app,
            account_id,
            "account.second_factor_replace_begin",
            serde_json::json!({ "proved_with": proof.name() }),
        ),
    )
    .await?;
    tx.commit().await?;
    let account = account_store::by_id(&app.store, account_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {account_id}")))?;
    Ok(Enrolment {
        uri: otpauth_uri(&account.email, &secret),
        secret,
    })
}

/// The replacement in progress for an account that has a second factor, if any.
pub async fn replacement(app: &App, account_id: i64) -> Result<Option<Enrolment>> {
    let account = account_store::by_id(&app.store, account_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {account_id}")))?;
    if !account.totp_enrolled {
        return Ok(None);
    }
    Ok(store::pending_secret(&app.store, account_id)
        .await?
        .map(|secret| Enrolment {
            uri: otpauth_uri(&account.email, &secret),
            secret,
        }))
}

/// Abandons a replacement in progress, keeping the current second factor.
pub async fn cancel_replacement(app: &App, account_id: i64) -> Result<()> {
    if replacement(app, account_id).await?.is_none() {
        return Ok(());
    }
    let mut tx = app.store.begin().await?;
    if store::clear_pending_secret(&mut tx, account_id).await? {
        audit::append(
            &mut tx,
            &Allowed::own_account(account_id, "abandoning a replacement of its second factor"),
            own_event(
                app,
                account_id,
                "account.second_factor_replace_cancel",
                serde_json::json!({}),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the account has a second factor.
pub async fn is_enrolled(app: &App, account_id: i64) -> Result<bool> {
    Ok(account_store::by_id(&app.store, account_id)
        .await?
        .is_some_and(|a| a.totp_enrolled))
}

pub async fn recovery_codes_left(app: &App, account_id: i64) -> Result<i64> {
    Ok(store::recovery_codes_left(&app.store, account_id).await?)
}

/// Starts a session that may only enrol a second factor (replacing the browser's old one).
pub async fn start_enrolment_session(
    app: &App,
    account_id: i64,
    replacing: Option<&str>,
) -> Result<Session> {
    if let Some(old) = replacing {
        account_store::delete_session(&app.store, &token_hash(old)).await?;
    }
    let now = app.clock.now();
    let token = random_hex(32);
    let csrf_token = random_hex(32);
    let expires_at = now + time::Duration::seconds(ENROLMENT_SESSION_SECONDS);
    store::insert_enrolment_session(
        &app.store,
        &token_hash(&token),
        account_id,
        &csrf_token,
        now.unix_timestamp(),
        expires_at.unix_timestamp(),
    )
    .await?;
    Ok(Session {
        token,
        csrf_token,
        expires_at,
    })
}

/// A live session of either kind: (account, CSRF token, whether it may only enrol).
pub async fn any_session(app: &App, token: &str) -> Result<Option<(i64, String, bool)>> {
    let now = app.clock.now().unix_timestamp();
    Ok(store::any_live_session(&app.store, &token_hash(token), now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_otpauth_uri_names_the_issuer_and_account_and_carries_the_secret() {
        let uri = otpauth_uri("ann.lee@example.org", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/caucus%3Aann.lee%40example.org?secret=JBSWY3DPEHPK3PXP\
             &issuer=caucus&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn the_qr_code_is_an_svg_document_without_script() {
        let svg = qr_svg(&otpauth_uri("a@b.org", "JBSWY3DPEHPK3PXP")).unwrap();
        assert!(svg.contains("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.to_lowercase().contains("script"));
    }

    #[test]
    fn recovery_codes_are_read_leniently_and_told_from_totp_codes() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        assert!(looks_like_recovery_code(&code));
        assert!(!looks_like_recovery_code("123456"));
        assert_eq!(
            recovery_code_hash(&code),
            recovery_code_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(
            recovery_code_hash(&code),
            recovery_code_hash(&new_recovery_code())
        );
    }
}
