//! The tamper-evident audit log. Each event's hash is SHA-256 over the previous event's hash and the
//! event's canonical form (a JSON array of its fields), so editing, inserting or deleting any row
//! breaks the chain from that row on. The one-row `audit_head` is updated by every append, which
//! serialises appends on both engines (SQLite's write lock, PostgreSQL's row lock).
pub mod member_digests;

use crate::{on_pool, on_tx, Result, Store, Tx};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeMap;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to append. `before`/`after` are digests of the subject's state (see `digest`), so the log
/// proves what changed without copying personal data into it.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub unit: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub unit: Option<String>,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// SHA-256 of some bytes, as lower-case hex: the digest used throughout the log.
pub fn digest(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

fn chain_hash(prev_hash: &str, e: &Event) -> String {
    let canonical = serde_json::json!([
        e.seq,
        e.occurred_at,
        e.actor,
        e.action,
        e.subject,
        e.unit,
        e.before_digest,
        e.after_digest,
        e.detail
    ]);
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction and returns its sequence number.
pub async fn append(tx: &mut Tx, ev: NewEvent) -> Result<i64> {
    let pending = reserve(tx).await?;
    let seq = pending.seq;
    pending.write(tx, ev).await?;
    Ok(seq)
}

/// A place in the chain taken but not yet written: lets a transaction learn its event's sequence
/// number first (to stamp the rows it writes), and write the event once it knows the after-state.
/// Taking it locks the head until the transaction ends.
#[must_use = "a reserved event must be written before the transaction commits"]
pub struct Pending {
    pub seq: i64,
    prev_hash: String,
}

pub async fn reserve(tx: &mut Tx) -> Result<Pending> {
    let (seq, prev_hash): (i64, String) = on_tx!(tx, |c| {
        let r = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(c)
            .await?;
        Ok::<_, crate::StoreError>((r.try_get("seq")?, r.try_get("hash")?))
    })?;
    Ok(Pending { seq, prev_hash })
}

impl Pending {
    pub async fn write(self, tx: &mut Tx, ev: NewEvent) -> Result<()> {
        let mut event = Event {
            seq: self.seq,
            occurred_at: ev.occurred_at,
            actor: ev.actor,
            action: ev.action,
            subject: ev.subject,
            unit: ev.unit,
            before_digest: ev.before,
            after_digest: ev.after,
            detail: ev.detail.to_string(),
            prev_hash: self.prev_hash,
            hash: String::new(),
        };
        event.hash = chain_hash(&event.prev_hash, &event);
        on_tx!(tx, |c| {
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&event.hash)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "INSERT INTO audit_events (seq, occurred_at, actor, action, subject, unit, before_digest, \
                 after_digest, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(event.seq)
            .bind(&event.occurred_at)
            .bind(&event.actor)
            .bind(&event.action)
            .bind(&event.subject)
            .bind(&event.unit)
            .bind(&event.before_digest)
            .bind(&event.after_digest)
            .bind(&event.detail)
            .bind(&event.prev_hash)
            .bind(&event.hash)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { events: i64 },
    Broken { seq: i64, problem: String },
}

const EVENT_COLUMNS: &str =
    "seq, occurred_at, actor, action, subject, unit, before_digest, after_digest, \
                             detail, prev_hash, hash";

fn event_from_row<R: Row>(row: &R) -> Result<Event>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(Event {
        seq: row.try_get("seq")?,
        occurred_at: row.try_get("occurred_at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        unit: row.try_get("unit")?,
        before_digest: row.try_get("before_digest")?,
        after_digest: row.try_get("after_digest")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The chain's head as committed: the last event's sequence number and hash. Every change to the
/// register appends an event in its own transaction, and the head row stays locked until that
/// transaction ends, so an unchanged head means an unchanged register (`caucus_app::register::list_cache`
/// relies on it). The hash tells apart two registers that reached the same number differently, such
/// as one restored from a backup.
pub async fn head(store: &Store) -> Result<(i64, String)> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(c)
            .await?;
        Ok::<_, crate::StoreError>((r.try_get("seq")?, r.try_get("hash")?))
    })
}

/// A checkpoint of the chain's head kept outside the database (a line of the operator's witness
/// file): whatever happens to the tables, the chain must still hold event `seq` with this hash.
/// `source` says where it was read, for the message (`FILE line N, at TIME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    pub seq: i64,
    pub hash: String,
    pub source: String,
}

/// Checks the chain (`verify_against` with no witness).
pub async fn verify(store: &Store) -> Result<Verification> {
    verify_against(store, &[]).await
}

/// Walks the whole chain in order, in pages so memory stays flat however long the log is; checks it
/// against the checkpoints `witnessed` outside the database (so events deleted from the end, with
/// the head rewound to match, show), then the member rows against the digests the chain recorded
/// of them (`member_digests::check`). The first problem found is the answer.
pub async fn verify_against(store: &Store, witnessed: &[Witnessed]) -> Result<Verification> {
    const PAGE: i64 = 10_000;
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq {}",
        crate::limit(PAGE)
    );
    let mut witnessed: Vec<&Witnessed> = witnessed.iter().collect();
    witnessed.sort_by_key(|w| w.seq);
    let mut next_witness = 0usize;
    // Each event that stored member digests: how many it says, and its after_digest.
    let mut stated: BTreeMap<i64, (i64, String)> = BTreeMap::new();
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut expected_seq = 1i64;
    loop {
        let page: Vec<Event> = on_pool!(store, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(expected_seq - 1)
                .fetch_all(c)
                .await?;
            rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()
        })?;
        if page.is_empty() {
            break;
        }
        for e in page {
            if e.seq != expected_seq {
                return Ok(Verification::Broken {
                    seq: expected_seq,
                    problem: format!("event {expected_seq} is missing (next is {})", e.seq),
                });
            }
            if e.prev_hash != prev_hash {
                return Ok(Verification::Broken {
                    seq: e.seq,
                    problem: "its link to the previous event does not match".to_string(),
                });
            }
            if chain_hash(&prev_hash, &e) != e.hash {
                return Ok(Verification::Broken {
                    seq: e.seq,
                    problem: "its content does not match its hash (the row was edited)".to_string(),
                });
            }
            while let Some(w) = witnessed.get(next_witness).filter(|w| w.seq <= e.seq) {
                if w.seq == e.seq && w.hash != e.hash {
                    return Ok(Verification::Broken {
                        seq: e.seq,
                        problem: format!(
                            "its hash is not the one witnessed for it ({}): the chain was rewritten \
                             from there or before",
                            w.source
                        ),
                    });
                }
                next_witness += 1;
            }
            match member_digests::stated_count(&e.detail) {
                None => {}
                Some(Ok(n)) => {
                    stated.insert(e.seq, (n, e.after_digest.clone().unwrap_or_default()));
                }
                Some(Err(why)) => {
                    return Ok(Verification::Broken {
                        seq: e.seq,
                        problem: why,
                    })
                }
            }
            prev_hash = e.hash;
            expected_seq += 1;
        }
    }
    let (head_seq, head_hash) = head(store).await?;
    let last = expected_seq - 1;
    if head_seq != last || head_hash != prev_hash {
        return Ok(Verification::Broken {
            seq: last + 1,
            problem: format!(
                "the chain ends at event {last} but its head records event {head_seq}: events were deleted \
                 from the end, or the head was edited"
            ),
        });
    }
    if let Some(w) = witnessed.last().filter(|w| w.seq > last) {
        return Ok(Verification::Broken {
            seq: last + 1,
            problem: format!(
                "the chain ends at event {last}, but event {} was witnessed ({}): events were deleted \
                 from the end and the head rewound",
                w.seq, w.source
            ),
        });
    }
    if let Some((seq, problem)) = member_digests::check(store, stated, last).await? {
        return Ok(Verification::Broken { seq, problem });
    }
    Ok(Verification::Intact { events: last })
}

/// Events in order, for auditors: `after` a sequence number, at most `limit`.
pub async fn list(store: &Store, after: i64, limit: i64) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq {}",
        crate::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(after)
            .fetch_all(c)
            .await?;
        rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::on_writer;

    fn event(n: usize) -> NewEvent {
        NewEvent {
            occurred_at: format!("2026-11-22T10:00:{n:02}.000000Z"),
            actor: "tester".into(),
            action: "test.write".into(),
            subject: format!("thing:{n}"),
            unit: None,
            before: None,
            after: Some(digest(format!("state {n}"))),
            detail: serde_json::json!({ "n": n }),
        }
    }

    async fn store_with_events(url: &str, n: usize) -> Store {
        let store = Store::open(url).await.unwrap();
        for i in 1..=n {
            let mut tx = store.begin().await.unwrap();
            assert_eq!(append(&mut tx, event(i)).await.unwrap(), i as i64);
            tx.commit().await.unwrap();
        }
        store
    }

    async fn exec(store: &Store, sql: &str) {
        on_writer!(store, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(c)
            .await
            .map(|_| ()))
        .unwrap();
    }

    #[tokio::test]
    async fn an_untouched_chain_verifies() {
        for db in caucus_testkit::databases().await {
            let store = store_with_events(&db.url, 5).await;
            assert_eq!(
                verify(&store).await.unwrap(),
                Verification::Intact { events: 5 },
                "{}",
                db.engine
            );
            assert_eq!(
                list(&store, 2, 2)
                    .await
                    .unwrap()
                    .iter()
                    .map(|e| e.seq)
                    .collect::<Vec<_>>(),
                vec![3, 4]
            );
            store.close().await;
        }
    }

    async fn head_hash(store: &Store) -> (i64, String) {
        head(store).await.unwrap()
    }

    #[tokio::test]
    async fn a_chain_cut_short_with_its_head_rewound_fails_against_its_witness() {
        for db in caucus_testkit::databases().await {
            let store = store_with_events(&db.url, 5).await;
            let (seq, hash) = head_hash(&store).await;
            let witnessed = vec![Witnessed {
                seq,
                hash: hash.clone(),
                source: "witness line 1".into(),
            }];
            assert_eq!(
                verify_against(&store, &witnessed).await.unwrap(),
                Verification::Intact { events: 5 },
                "{}",
                db.engine
            );
            // The last two events deleted and the head set back to match: whole as a chain ...
            exec(&store, "DELETE FROM audit_events WHERE seq > 3").await;
            exec(
                &store,
                "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3)",
            )
            .await;
            assert_eq!(
                verify(&store).await.unwrap(),
                Verification::Intact { events: 3 }
            );
            // ... but not against the checkpoint witnessed outside the database.
            match verify_against(&store, &witnessed).await.unwrap() {
                Verification::Broken { seq, problem } => {
                    assert_eq!(seq, 4, "{}", db.engine);
                    assert!(
                        problem.contains("event 5 was witnessed (witness line 1)"),
                        "{problem}"
                    );
                }
                other => panic!("{}: expected a broken chain, got {other:?}", db.engine),
            }
            // Grown back to the same length by other events: the hash tells.
            for i in 4..=5 {
                let mut tx = store.begin().await.unwrap();
                let mut e = event(i);
                e.actor = "mallory".into();
                append(&mut tx, e).await.unwrap();
                tx.commit().await.unwrap();
            }
            match verify_against(&store, &witnessed).await.unwrap() {
                Verification::Broken { seq, problem } => {
                    assert_eq!(seq, 5, "{}", db.engine);
                    assert!(problem.contains("not the one witnessed"), "{problem}");
                }
                other => panic!("{}: expected a broken chain, got {other:?}", db.engine),
            }
            store.close().await;
        }
    }

    #[tokio::test]
    async fn editing_a_row_is_found_and_named() {
        for db in caucus_testkit::databases().await {
            let store = store_with_events(&db.url, 5).await;
            exec(
                &store,
                "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
            )
            .await;
            match verify(&store).await.unwrap() {
                Verification::Broken { seq, problem } => {
                    assert_eq!(seq, 3, "{}", db.engine);
                    assert!(problem.contains("edited"), "{problem}");
                }
                other => panic!("{}: expected a broken chain, got {other:?}", db.engine),
            }
            store.close().await;
        }
    }

    #[tokio::test]
    async fn deleting_or_inserting_a_row_is_found() {
        for db in caucus_testkit::databases().await {
            let store = store_with_events(&db.url, 5).await;
            exec(&store, "DELETE FROM audit_events WHERE seq = 2").await;
            assert!(
                matches!(
                    verify(&store).await.unwrap(),
                    Verification::Broken { seq: 2, .. }
                ),
                "{}",
                db.engine
            );
            store.close().await;

            let db = caucus_testkit::TestDb::sqlite();
            let store = store_with_events(&db.url, 3).await;
            exec(&store, "DELETE FROM audit_events WHERE seq = 3").await;
            assert!(matches!(
                verify(&store).await.unwrap(),
                Verification::Broken { seq: 3, .. }
            ));
            exec(
                &store,
                "INSERT INTO audit_events (seq, occurred_at, actor, action, subject, unit, before_digest, after_digest, \
                 detail, prev_hash, hash) SELECT 3, occurred_at, actor, action, subject, unit, before_digest, after_digest, \
                 detail, hash, hash FROM audit_events WHERE seq = 2",
            )
            .await;
            assert!(matches!(
                verify(&store).await.unwrap(),
                Verification::Broken { seq: 3, .. }
            ));
            store.close().await;
        }
    }
}
