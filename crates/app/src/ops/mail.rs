//! Mail. Every message is written to the outbox in the transaction of the change that sends it, so
//! it is never lost: with an SMTP server configured (`CAUCUS_SMTP_URL`), a sender delivers what is due
//! and records each failure (logged with its detail, retried later with a growing delay, finally kept
//! as `failed` for an admin to requeue); with none, messages wait in the outbox, which admins read.
//! A message holding a credential meant for its recipient only (a password-reset link) is queued with
//! a redacted copy of its body, and the outbox shows admins only that: the credential reaches its
//! recipient by SMTP or not at all, so whoever reads the outbox cannot take over the account.
use caucus_domain::access::allowed::Allowed;
use caucus_domain::access::policy::{self, Action, Actor, Resource};
use caucus_store::audit::{self, NewEvent};
use caucus_store::ops::outbox::{self, Mail, NewMail};
use caucus_store::Tx;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

use crate::{App, AppError, Result};

/// Attempts before a message is given up on and marked `failed`.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a sender holds a message it is sending before another may try it.
const LEASE_SECONDS: i64 = 120;
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The wait before retrying after the `attempts`-th failure: 1, 2, 4 ... minutes, at most 2 hours.
pub fn retry_delay_seconds(attempts: i64) -> i64 {
    60 * (1i64 << attempts.clamp(1, 8).saturating_sub(1)).min(120)
}

/// Queues a message in the caller's transaction. Its body must hold no credential: the outbox shows
/// it to admins as it is (`enqueue_credential` queues one that does).
pub async fn enqueue(tx: &mut Tx, now: i64, to: &str, subject: &str, body: &str) -> Result<i64> {
    Ok(outbox::enqueue(
        tx,
        &NewMail {
            recipient: to,
            subject,
            body,
            redacted_body: None,
        },
        now,
    )
    .await?)
}

/// What replaces a credential in the copy of a message others are shown; `what` names it ("a
/// password-reset link").
pub fn redaction(what: &str) -> String {
    format!("[redacted: {what} for the recipient only]")
}

/// The body with every occurrence of `credential` replaced by `redaction(what)`; the whole body is
/// withheld if the credential is empty or not in it (so a mistake hides too much, never too little).
pub fn redact(body: &str, credential: &str, what: &str) -> String {
    if credential.is_empty() || !body.contains(credential) {
        return redaction(&format!("a message holding {what}"));
    }
    body.replace(credential, &redaction(what))
}

/// Queues, in the caller's transaction, a message whose body holds `credential` (`what` names it: "a
/// password-reset link"), meant for the recipient only: it is sent as it is, but the outbox shows
/// anyone else the body with the credential redacted.
pub async fn enqueue_credential(
    tx: &mut Tx,
    now: i64,
    to: &str,
    subject: &str,
    body: &str,
    credential: &str,
    what: &str,
) -> Result<i64> {
    let redacted = redact(body, credential, what);
    Ok(outbox::enqueue(
        tx,
        &NewMail {
            recipient: to,
            subject,
            body,
            redacted_body: Some(&redacted),
        },
        now,
    )
    .await?)
}

/// An SMTP connection's settings and the sender's address. Its `Debug` never shows the URL, which
/// may hold the server's password.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// From a URL such as `smtp://host:25`, `smtp://user:pass@host:587?tls=required` or
    /// `smtps://user:pass@host`, and the From address (`caucus <noreply@example.org>`).
    pub fn from_url(url: &str, from: &str) -> Result<Mailer> {
        let from = check_sender(from)?;
        let transport = Self::check_url(url)?.timeout(Some(SMTP_TIMEOUT)).build();
        Ok(Mailer {
            transport,
            from,
            server: server_of(url),
        })
    }

    /// Reads an SMTP URL without connecting (configuration is checked before the server starts).
    /// The error never quotes the URL, which may hold a password.
    pub fn check_url(url: &str) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Invalid(format!("the SMTP URL is not usable: {e}")))
    }

    async fn send(&self, mail: &Mail) -> std::result::Result<(), String> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("the recipient '{}' is not usable: {e}", mail.recipient))?;
        // 7bit when the text allows it, quoted-printable otherwise (long lines, non-ASCII).
        let body = Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::SevenBit)
            .unwrap_or_else(|_| Body::new(mail.body.clone()));
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("{e}"))
    }
}

/// The From address of mail, read as a mailbox (`caucus <no-reply@example.org>`).
pub fn check_sender(from: &str) -> Result<Mailbox> {
    from.parse()
        .map_err(|e| AppError::Invalid(format!("the mail sender '{from}' is not usable: {e}")))
}

/// The host and port of an SMTP URL, without its credentials (for logs).
fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or("").to_string()
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    /// Failed this time and queued to be tried again.
    pub retrying: usize,
    /// Failed for the last time: kept as `failed`.
    pub failed: usize,
}

/// Sends every message due now, one at a time; each failure is logged and recorded.
pub async fn deliver_due(app: &App, mailer: &Mailer) -> Result<Delivery> {
    let mut done = Delivery::default();
    loop {
        let now = app.clock.now().unix_timestamp();
        let due = outbox::due(&app.store, now, 50).await?;
        if due.is_empty() {
            return Ok(done);
        }
        let mut claimed_any = false;
        for id in due {
            let now = app.clock.now().unix_timestamp();
            let Some(mail) = outbox::claim(&app.store, id, now, now + LEASE_SECONDS).await? else {
                continue;
            };
            claimed_any = true;
            match mailer.send(&mail).await {
                Ok(()) => {
                    outbox::mark_sent(&app.store, mail.id, app.clock.now().unix_timestamp())
                        .await?;
                    tracing::info!(mail = mail.id, server = %mailer.server, "mail sent");
                    done.sent += 1;
                }
                Err(error) => {
                    let retry_at = (mail.attempts < MAX_ATTEMPTS)
                        .then(|| now + retry_delay_seconds(mail.attempts));
                    tracing::warn!(
                        mail = mail.id,
                        server = %mailer.server,
                        attempts = mail.attempts,
                        retry_at,
                        "sending mail failed: {error}"
                    );
                    outbox::mark_failed(&app.store, mail.id, &error, retry_at).await?;
                    match retry_at {
                        Some(_) => done.retrying += 1,
                        None => done.failed += 1,
                    }
                }
            }
        }
        if !claimed_any {
            return Ok(done);
        }
    }
}

fn authorise(app: &App, actor: &Actor) -> Result<Allowed> {
    // Mail carries account mail (password resets): whoever manages accounts reads it.
    policy::authorise(
        actor,
        Action::ManageAccounts,
        &Resource::Accounts,
        app.clock.today(),
    )
    .map_err(AppError::Forbidden)
}

/// Whether the actor may read the outbox (so pages offer the link only to those it would serve).
pub fn may_read_outbox(app: &App, actor: &Actor) -> bool {
    authorise(app, actor).is_ok()
}

/// A message as the outbox shows it to an admin: `mail.body` is what they may read (the redacted
/// copy for a message holding a credential meant for its recipient only, which it never carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub mail: Mail,
    /// Whether the body shown is the redacted copy.
    pub redacted: bool,
}

impl Shown {
    fn of(mut mail: Mail) -> Shown {
        match mail.redacted_body.take() {
            Some(redacted) => {
                mail.body = redacted;
                Shown {
                    mail,
                    redacted: true,
                }
            }
            None => Shown {
                mail,
                redacted: false,
            },
        }
    }
}

/// The newest messages of the outbox, for an admin, each credential meant for a recipient redacted.
pub async fn outbox(app: &App, actor: &Actor, limit: i64) -> Result<Vec<Shown>> {
    authorise(app, actor)?;
    Ok(outbox::recent(&app.store, limit)
        .await?
        .into_iter()
        .map(Shown::of)
        .collect())
}

/// Puts a message that was given up on back in the queue; audited.
pub async fn requeue(app: &App, actor: &Actor, id: i64) -> Result<()> {
    let allowed = authorise(app, actor)?;
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    if !outbox::requeue(&mut tx, id, now.unix_timestamp()).await? {
        return Err(AppError::NotFound(format!("failed message {id}")));
    }
    audit::append(
        &mut tx,
        &allowed,
        NewEvent {
            occurred_at: crate::clock::stamp(now),
            actor: format!("account:{}", actor.account_id),
            action: "mail.requeue".into(),
            subject: format!("mail:{id}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_two_hours() {
        assert_eq!(retry_delay_seconds(1), 60);
        assert_eq!(retry_delay_seconds(2), 120);
        assert_eq!(retry_delay_seconds(4), 480);
        assert_eq!(retry_delay_seconds(8), 7200);
        assert_eq!(retry_delay_seconds(50), 7200);
    }

    #[test]
    fn a_credential_is_redacted_wherever_it_appears_and_a_missing_one_withholds_the_body() {
        let link = "https://caucus.example/password-reset?token=abc123";
        let body = format!("Open {link} within the hour.\n{link}\n");
        let shown = redact(&body, link, "a password-reset link");
        assert_eq!(
            shown,
            "Open [redacted: a password-reset link for the recipient only] within the hour.\n\
             [redacted: a password-reset link for the recipient only]\n"
        );
        assert!(!shown.contains("abc123"));
        for credential in ["", "not in the body"] {
            let shown = redact(&body, credential, "a password-reset link");
            assert!(!shown.contains("abc123"), "{shown}");
            assert!(shown.starts_with("[redacted: "), "{shown}");
        }
        let stored = Mail {
            id: 1,
            created_at: 0,
            recipient: "ann@example.org".into(),
            subject: "Reset".into(),
            body: body.clone(),
            redacted_body: Some(redact(&body, link, "a password-reset link")),
            status: "queued".into(),
            attempts: 0,
            next_attempt_at: 0,
            last_error: None,
            sent_at: None,
        };
        let shown = Shown::of(stored.clone());
        assert!(shown.redacted);
        assert!(!format!("{shown:?}").contains("abc123"));
        let plain = Shown::of(Mail {
            redacted_body: None,
            ..stored
        });
        assert!(!plain.redacted);
        assert_eq!(plain.mail.body, body);
    }

    #[test]
    fn the_logged_server_name_leaves_out_the_credentials() {
        assert_eq!(
            server_of("smtps://user:secret@mail.example.org:465?tls=required"),
            "mail.example.org:465"
        );
        assert_eq!(server_of("smtp://127.0.0.1:2525"), "127.0.0.1:2525");
        let m =
            Mailer::from_url("smtp://user:secret@mail.example.org:25", "caucus <a@b.org>").unwrap();
        assert!(!format!("{m:?}").contains("secret"));
        assert!(Mailer::from_url("ftp://x", "a@b.org").is_err());
        assert!(Mailer::from_url("smtp://x", "not an address").is_err());
    }
}
