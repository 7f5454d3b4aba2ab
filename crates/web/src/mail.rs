//! The sender the server runs when an SMTP server is configured: it delivers what the outbox holds
//! as soon as a page queues a message (woken through `Outgoing::wake`) and every half minute
//! otherwise, which is when retries fall due. Failures are logged and recorded by `caucus_app::ops::mail`.
use caucus_app::ops::mail::{self, Mailer};
use caucus_app::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often the sender looks for messages due again after a failure.
const POLL: Duration = Duration::from_secs(30);

/// What pages need to send mail: where links point, and how to wake the sender.
#[derive(Debug)]
pub struct Outgoing {
    /// The address users reach the server at, for links in mail (never taken from the request's
    /// Host header, which a caller could forge to point a reset link elsewhere).
    pub base_url: String,
    /// Whether an SMTP server is configured (else mail waits in the outbox for an admin).
    pub smtp: bool,
    pub wake: Notify,
}

impl Outgoing {
    pub fn queued(&self) {
        self.wake.notify_one();
    }
}

/// Delivers until the task is dropped.
pub async fn run(app: Arc<App>, mailer: Mailer, outgoing: Arc<Outgoing>) {
    loop {
        match mail::deliver_due(&app, &mailer).await {
            Ok(d) if d != mail::Delivery::default() => tracing::info!(
                sent = d.sent,
                retrying = d.retrying,
                failed = d.failed,
                "mail delivery round"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "mail delivery could not read the outbox"),
        }
        tokio::select! {
            _ = outgoing.wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
