//! The tamper-evident audit log. Each event's hash is SHA-256 over the previous event's hash and the
//! event's canonical form (a JSON array of its fields), so editing, inserting or deleting any row
//! breaks the chain from that row on. The one-row `audit_head` is updated by every append, which
//! serialises appends on both engines (SQLite's write lock, PostgreSQL's row lock).
//!
//! The chain is `chain` (re-exported here); the digests of member rows recorded under it are
//! `member_digests`, which writes its events through `chain`. Checking both (`verify`) is here, on
//! top of the two, so neither depends on this file.
pub(crate) mod chain;
pub mod member_digests;

use crate::{on_pool, Result, Store};
use chain::{chain_hash, event_from_row, EVENT_COLUMNS};
use std::collections::BTreeMap;

pub use crate::digest::digest;
pub use chain::{append, head, list, reserve, Event, NewEvent, Pending, GENESIS_HASH};

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { events: i64 },
    Broken { seq: i64, problem: String },
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
        crate::sql::limit(PAGE)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::on_writer;
    use caucus_domain::access::allowed::Allowed;

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
            assert_eq!(
                append(&mut tx, &Allowed::system("test"), event(i))
                    .await
                    .unwrap(),
                i as i64
            );
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
                append(&mut tx, &Allowed::system("test"), e).await.unwrap();
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

/// The member rows under the chain, as `verify` checks them (`member_digests::check`). Here rather
/// than in `member_digests`, which `verify` takes: these tests take `verify`.
#[cfg(test)]
mod member_digest_tests {
    use super::member_digests::{baseline, record, BASELINE_ACTION, DETAIL_KEY};
    use super::*;
    use crate::on_writer;
    use crate::register::members::{self, MemberRow};
    use caucus_domain::access::allowed::Allowed;
    use std::collections::HashMap;
    use time::macros::date;

    fn row(number: &str) -> MemberRow {
        MemberRow {
            membership_number: number.into(),
            given_name: "Ada".into(),
            family_name: "Byron".into(),
            email: None,
            phone: None,
            date_of_birth: Some(date!(1990 - 01 - 02)),
            address_line1: None,
            address_line2: None,
            town: None,
            postcode: "L1 0AA".into(),
            joined_on: date!(2020 - 01 - 01),
            continuous_since: date!(2020 - 01 - 01),
            rate: "standard".into(),
            payment_method: "card".into(),
            paid_up_until: Some(date!(2027 - 01 - 01)),
            registered_to_vote: true,
            registration_verified_on: None,
            trade_union: None,
            status: "active".into(),
            row_digest: number.into(),
        }
    }

    /// Inserts members as the import does: their digests beside the event that writes them.
    async fn write_members(store: &Store, rows: &[MemberRow]) -> HashMap<String, i64> {
        let mut tx = store.begin().await.unwrap();
        let pending = reserve(&mut tx, &Allowed::system("test")).await.unwrap();
        let ids = members::insert_many(&mut tx, rows).await.unwrap();
        let digests: Vec<(i64, String)> = rows
            .iter()
            .map(|r| (ids[&r.membership_number], r.audit_digest()))
            .collect();
        let after = record(&mut tx, pending.seq, digests).await.unwrap();
        pending
            .write(
                &mut tx,
                NewEvent {
                    occurred_at: "2026-11-22T10:00:00Z".into(),
                    actor: "test".into(),
                    action: "members.import".into(),
                    subject: "import:1".into(),
                    after: Some(after),
                    detail: serde_json::json!({ DETAIL_KEY: rows.len() }),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ids
    }

    async fn exec(store: &Store, sql: &str) {
        on_writer!(store, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(c)
            .await
            .map(|_| ()))
        .unwrap();
    }

    fn broken(v: Verification) -> (i64, String) {
        match v {
            Verification::Broken { seq, problem } => (seq, problem),
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_member_row_edited_outside_caucus_is_named_and_so_is_an_edited_digest() {
        for db in caucus_testkit::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            let ids = write_members(&store, &[row("A1"), row("A2"), row("A3")]).await;
            assert_eq!(
                verify(&store).await.unwrap(),
                Verification::Intact { events: 1 },
                "{}",
                db.engine
            );
            exec(
                &store,
                "UPDATE members SET given_name = 'Mallory' WHERE membership_number = 'A2'",
            )
            .await;
            let (seq, problem) = broken(verify(&store).await.unwrap());
            assert_eq!(seq, 1, "{}", db.engine);
            assert!(
                problem.starts_with("member A2's row does not match the digest event 1 recorded"),
                "{}: {problem}",
                db.engine
            );
            exec(
                &store,
                "UPDATE members SET given_name = 'Ada' WHERE membership_number = 'A2'",
            )
            .await;
            assert!(matches!(
                verify(&store).await.unwrap(),
                Verification::Intact { .. }
            ));
            // A digest rewritten to match an edit shows against its event.
            let edited = MemberRow {
                family_name: "Mallory".into(),
                ..row("A3")
            };
            exec(
                &store,
                "UPDATE members SET family_name = 'Mallory' WHERE membership_number = 'A3'",
            )
            .await;
            exec(
                &store,
                &format!(
                    "UPDATE member_digests SET digest = '{}' WHERE member_id = {}",
                    edited.audit_digest(),
                    ids["A3"]
                ),
            )
            .await;
            let (seq, problem) = broken(verify(&store).await.unwrap());
            assert_eq!(seq, 1);
            assert!(problem.contains("are not the 3 it recorded"), "{problem}");
            // A digest deleted shows against its event too.
            exec(
                &store,
                &format!("DELETE FROM member_digests WHERE member_id = {}", ids["A3"]),
            )
            .await;
            let (_, problem) = broken(verify(&store).await.unwrap());
            assert!(problem.contains("not the 3 it recorded"), "{problem}");
            store.close().await;
        }
    }

    #[tokio::test]
    async fn members_there_before_digests_get_them_once_in_one_event() {
        for db in caucus_testkit::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            let mut tx = store.begin().await.unwrap();
            members::insert_many(&mut tx, &[row("B1"), row("B2")])
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let (_, problem) = broken(verify(&store).await.unwrap());
            assert!(
                problem.starts_with("2 member rows do not match the audit log")
                    && problem.contains("member B1 has no digest in the audit log"),
                "{}: {problem}",
                db.engine
            );
            exec(
                &store,
                "UPDATE audit_head SET member_digests_pending = TRUE",
            )
            .await;
            baseline(&store).await.unwrap();
            let events = list(&store, 0, 10).await.unwrap();
            assert_eq!(events.len(), 1, "{}", db.engine);
            assert_eq!(events[0].action, BASELINE_ACTION);
            assert_eq!(
                verify(&store).await.unwrap(),
                Verification::Intact { events: 1 },
                "{}",
                db.engine
            );
            baseline(&store).await.unwrap();
            assert_eq!(head(&store).await.unwrap().0, 1, "once only");
            store.close().await;
        }
    }
}
