//! The audit chain's head, witnessed outside the database. The chain proves that no event was edited,
//! inserted or deleted in its middle, but someone who can write the tables can delete the last
//! events and set `audit_head` back to match, and the shorter chain is whole. So every process that
//! works on the register checkpoints the head, once a second while it changes and once more when a
//! command ends, as a line `TIME seq=N hash=H` appended to a file the operator chooses
//! (`--audit-witness FILE`, `CAUCUS_AUDIT_WITNESS`, or `audit_witness` in the configuration file),
//! and as a line of the log (`caucus::audit_witness`, at info). `caucus audit verify` reads the file
//! and fails when the chain no longer holds a witnessed event with its witnessed hash, or ends
//! before one.
//!
//! Keep the file where the database's users cannot write (another host, or `chattr +a`), and start a
//! new one after restoring an older backup over the register: that rewinds the chain, and the old
//! file says so.
//!
//! The cost is one read of the one-row head a second, and a line and an fsync when it moved: an
//! import of any size adds a line a second, not a line a batch.
use crate::{AppError, Result};
use caucus_store::audit::{self, Witnessed};
use caucus_store::Store;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a running process looks at the head.
pub const EVERY: Duration = Duration::from_secs(1);

/// The log target of the checkpoints.
pub const TARGET: &str = "caucus::audit_witness";

/// A checkpoint as a line of the file (with its newline).
pub fn line(at: &str, seq: i64, hash: &str) -> String {
    format!("{at} seq={seq} hash={hash}\n")
}

/// The checkpoint on a line: its time (if given), sequence number and hash. `None` for a line that
/// is not one.
fn parse(text: &str) -> Option<(String, i64, String)> {
    let mut at = String::new();
    let (mut seq, mut hash) = (None, None);
    for word in text.split_whitespace() {
        if let Some(n) = word.strip_prefix("seq=") {
            seq = Some(n.parse::<i64>().ok().filter(|n| *n > 0)?);
        } else if let Some(h) = word.strip_prefix("hash=") {
            let ok = h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
            hash = Some(ok.then(|| h.to_ascii_lowercase())?);
        } else if at.is_empty() {
            at = word.to_string();
        } else {
            return None;
        }
    }
    Some((at, seq?, hash?))
}

/// The furthest checkpoints in the witness file: those of its highest sequence number (one, unless
/// the file holds two hashes for it, which no chain can match both of). The chain's links make every
/// earlier event part of that event's hash, so the furthest checkpoint stands for all before it, and
/// the file is read as a stream however long it grows. A line that is not a checkpoint (but for
/// blank lines and `#` comments) is an error naming it: the file is the operator's evidence.
pub fn read(path: &Path) -> Result<Vec<Witnessed>> {
    use std::io::BufRead;
    let shown = path.display();
    let cannot = || crate::io_error(format!("cannot read the audit witness {shown}"));
    let file = std::fs::File::open(path).map_err(cannot())?;
    let mut furthest: Vec<Witnessed> = Vec::new();
    for (i, l) in std::io::BufReader::new(file).lines().enumerate() {
        let l = l.map_err(cannot())?;
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (at, seq, hash) = parse(l).ok_or_else(|| {
            AppError::Invalid(format!(
                "the audit witness {shown}, line {}, is not a checkpoint (TIME seq=N hash=H)",
                i + 1
            ))
        })?;
        let top = furthest.first().map_or(0, |w| w.seq);
        if seq < top || furthest.iter().any(|w| w.seq == seq && w.hash == hash) {
            continue;
        }
        if seq > top {
            furthest.clear();
        }
        furthest.push(Witnessed {
            seq,
            hash,
            source: format!("{shown} line {}, at {at}", i + 1),
        });
    }
    Ok(furthest)
}

/// The last checkpoint in the file, read from its end (the file grows by a line a second).
fn last_in(path: &Path) -> std::io::Result<Option<(i64, String)>> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(4096)))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail)?;
    Ok(String::from_utf8_lossy(&tail)
        .lines()
        .rev()
        .find_map(parse)
        .map(|(_, seq, hash)| (seq, hash)))
}

/// Checkpoints the head to a file (or, without one, to the log only).
#[derive(Debug, Clone)]
pub struct Witness {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: Option<PathBuf>,
    /// The last checkpoint written (or found at the end of the file).
    last: Mutex<Option<(i64, String)>>,
}

impl Witness {
    /// A witness appending to `path`, created if missing; refused at once if it cannot be written.
    pub fn open(path: &Path) -> Result<Witness> {
        let shown = path.display().to_string();
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(crate::io_error(format!(
                "cannot open the audit witness {shown}"
            )))?;
        let last = last_in(path).map_err(crate::io_error(format!(
            "cannot read the audit witness {shown}"
        )))?;
        Ok(Witness {
            inner: Arc::new(Inner {
                path: Some(path.to_path_buf()),
                last: Mutex::new(last),
            }),
        })
    }

    /// A witness that writes to the log only.
    pub fn log_only() -> Witness {
        Witness {
            inner: Arc::new(Inner {
                path: None,
                last: Mutex::new(None),
            }),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Checkpoints the head as committed now, if it moved since the last checkpoint; returns it
    /// when written. A head behind the last checkpoint is written too (the file keeps both) and
    /// logged as the error it is.
    pub async fn checkpoint(&self, store: &Store) -> Result<Option<(i64, String)>> {
        let (seq, hash) = audit::head(store).await?;
        if seq == 0 {
            return Ok(None);
        }
        let mut last = self
            .inner
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((at, h)) = last.as_ref() {
            if *at == seq && *h == hash {
                return Ok(None);
            }
            if seq < *at {
                tracing::error!(
                    target: TARGET,
                    seq,
                    witnessed = *at,
                    "the audit chain's head is behind the last checkpoint witnessed: events were \
                     deleted from its end, or an older backup was restored"
                );
            }
        }
        let at = crate::clock::stamp(time::OffsetDateTime::now_utc());
        if let Some(path) = &self.inner.path {
            let shown = path.display().to_string();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(crate::io_error(format!(
                    "cannot open the audit witness {shown}"
                )))?;
            f.write_all(line(&at, seq, &hash).as_bytes())
                .and_then(|()| f.sync_data())
                .map_err(crate::io_error(format!(
                    "cannot write the audit witness {shown}"
                )))?;
        }
        tracing::info!(target: TARGET, seq, hash = %hash, "audit head witnessed");
        *last = Some((seq, hash.clone()));
        Ok(Some((seq, hash)))
    }

    /// Checkpoints the head every second (`EVERY`) until the store closes.
    pub fn watch(&self, store: Store) -> tokio::task::JoinHandle<()> {
        let witness = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                match witness.checkpoint(&store).await {
                    Ok(_) => failing = false,
                    Err(_) if store.is_closed() => return,
                    Err(e) => {
                        if !failing {
                            tracing::warn!(
                                target: TARGET,
                                error = %e,
                                "cannot witness the audit chain's head; trying again every second"
                            );
                        }
                        failing = true;
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back_and_anything_else_is_named() {
        let h = "ab".repeat(32);
        let l = line("2026-11-22T10:00:00Z", 12, &h);
        assert_eq!(
            parse(&l),
            Some(("2026-11-22T10:00:00Z".into(), 12, h.clone()))
        );
        assert_eq!(
            parse(&format!("seq=3 hash={h}")),
            Some((String::new(), 3, h.clone()))
        );
        for bad in [
            "seq=3".to_string(),
            format!("seq=x hash={h}"),
            format!("seq=0 hash={h}"),
            "seq=3 hash=abc".to_string(),
            format!("a b seq=3 hash={h}"),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
        let dir = caucus_testkit::TestDb::sqlite();
        let file = dir.scratch().join("witness");
        std::fs::write(&file, format!("# caucus\n\n{l}garbage\n")).unwrap();
        let e = read(&file).unwrap_err().to_string();
        assert!(e.contains("line 4"), "{e}");
        let earlier = line("2026-11-22T09:00:00Z", 11, &"cd".repeat(32));
        std::fs::write(&file, format!("# caucus\n{earlier}{l}{earlier}{l}")).unwrap();
        let w = read(&file).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].seq, w[0].hash.as_str()), (12, h.as_str()));
        assert!(
            w[0].source.ends_with("line 3, at 2026-11-22T10:00:00Z"),
            "{}",
            w[0].source
        );
        // Two hashes for the furthest event: both are kept, and no chain matches both.
        let other = line("2026-11-22T11:00:00Z", 12, &"ef".repeat(32));
        std::fs::write(&file, format!("{l}{other}")).unwrap();
        assert_eq!(read(&file).unwrap().len(), 2);
        assert_eq!(last_in(&file).unwrap(), Some((12, "ef".repeat(32))));
        assert_eq!(last_in(&dir.scratch().join("none")).unwrap(), None);
    }

    #[tokio::test]
    async fn the_head_is_written_when_it_moves_and_once() {
        let db = caucus_testkit::TestDb::sqlite();
        let store = Store::open(&db.url).await.unwrap();
        let file = db.scratch().join("witness");
        let w = Witness::open(&file).unwrap();
        assert_eq!(
            w.checkpoint(&store).await.unwrap(),
            None,
            "nothing to witness yet"
        );
        let mut tx = store.begin().await.unwrap();
        audit::append(
            &mut tx,
            &caucus_domain::access::allowed::Allowed::system("test"),
            audit::NewEvent {
                occurred_at: "2026-11-22T10:00:00Z".into(),
                actor: "test".into(),
                action: "test".into(),
                subject: "thing".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (seq, hash) = w.checkpoint(&store).await.unwrap().unwrap();
        assert_eq!(seq, 1);
        assert_eq!(w.checkpoint(&store).await.unwrap(), None);
        // A new process picks up where the file ends.
        let again = Witness::open(&file).unwrap();
        assert_eq!(again.checkpoint(&store).await.unwrap(), None);
        let lines = read(&file).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].seq, &lines[0].hash), (seq, &hash));
        store.close().await;
    }
}
