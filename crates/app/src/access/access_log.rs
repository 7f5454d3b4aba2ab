//! Lines of the access log, written in batches. Every read of a member's record by someone other
//! than that member adds a line, and a line written alone is a write transaction of its own. On
//! SQLite every committed write makes each reading connection drop its whole page cache, so under
//! load nearly every request read the register from disk again. Lines are handed to one writer
//! task, which writes whatever has queued in one transaction; each request still waits until its
//! own line is committed, so no line is lost and no read is answered before it is logged.
use crate::{App, Result};
use caucus_store::access::accounts::{self as store, AccessLine};
use caucus_store::Store;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// The most lines one transaction writes: enough to drain a burst, few enough to commit quickly.
const BATCH: usize = 256;

type Queued = (AccessLine, oneshot::Sender<bool>);

/// The queue to the writer task, started by the first line (inside the runtime that serves it).
#[derive(Debug, Clone, Default)]
pub struct AccessLog {
    queue: Arc<OnceLock<mpsc::UnboundedSender<Queued>>>,
}

impl AccessLog {
    /// Writes the line and returns once it is committed.
    pub async fn write(&self, app: &App, line: AccessLine) -> Result<()> {
        let queue = self.queue.get_or_init(|| {
            let (send, receive) = mpsc::unbounded_channel();
            tokio::spawn(run(app.store.clone(), receive));
            send
        });
        let (done, committed) = oneshot::channel();
        if queue.send((line.clone(), done)).is_ok() && committed.await.unwrap_or(false) {
            return Ok(());
        }
        // The batch failed (or the writer is gone): write this line alone, so its own error, if
        // any, is the one reported.
        store::log_access_line(&app.store, &line).await?;
        Ok(())
    }
}

async fn run(store: Store, mut receive: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = receive.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receive.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (lines, dones): (Vec<AccessLine>, Vec<_>) = batch.into_iter().unzip();
        let committed = match write(&store, &lines).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(lines = lines.len(), error = %e, "an access-log batch failed; each line is written alone");
                false
            }
        };
        for done in dones {
            let _ = done.send(committed);
        }
    }
}

async fn write(store: &Store, lines: &[AccessLine]) -> caucus_store::Result<()> {
    let mut tx = store.begin().await?;
    store::log_access_lines(&mut tx, lines).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lines_written_at_once_are_each_committed_once_before_their_writers_return() {
        for db in caucus_testkit::databases().await {
            let app = App::new(
                Store::open(&db.url).await.unwrap(),
                caucus_domain::rulebook::Rulebook::shipped().unwrap(),
                crate::Clock::Today(time::macros::date!(2026 - 11 - 22)),
            );
            let writers: Vec<_> = (0..100)
                .map(|i| {
                    let app = app.clone();
                    tokio::spawn(async move {
                        let line = AccessLine {
                            occurred_at: app.clock.stamp(),
                            actor: format!("account:{i}"),
                            action: "read_member".into(),
                            subject: "member:L1".into(),
                            detail: "{}".into(),
                            outcome: store::ALLOWED.into(),
                        };
                        app.access_log.write(&app, line).await.unwrap();
                        // Committed by the time the write returns: readable at once.
                        store::access_log_for(&app.store, "member:L1")
                            .await
                            .unwrap()
                            .iter()
                            .any(|(actor, _)| *actor == format!("account:{i}"))
                    })
                })
                .collect();
            for w in writers {
                assert!(
                    w.await.unwrap(),
                    "a line was not there when its write returned"
                );
            }
            let mut actors: Vec<String> = store::access_log_for(&app.store, "member:L1")
                .await
                .unwrap()
                .into_iter()
                .map(|(actor, _)| actor)
                .collect();
            assert_eq!(actors.len(), 100, "{}", db.engine);
            actors.sort();
            actors.dedup();
            assert_eq!(actors.len(), 100, "{}", db.engine);
        }
    }
}
