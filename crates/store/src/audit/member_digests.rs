//! What the audit chain records of the members table, so that a member row edited outside caucus
//! shows. Every audit event that writes member rows (an import batch, a change of status, the
//! baseline below) stores, in `member_digests`, the digest of each row as written
//! (`MemberRow::audit_digest`), says in its detail how many (`"member_digests": n`) and makes its
//! after_digest cover them (`SetDigest`). The chain protects the event, and so the digests under it:
//! `check` finds digests added, edited or deleted beside an event, and any member whose row no longer
//! matches the digest its latest event recorded, by membership number.
//!
//! The digests are stored beside the events, not inside them: an import batch writes thousands of
//! members, and its event stays one short line. On an import that is one more narrow multi-row insert
//! per batch, appended in key order (one event's rows are a run of the primary key, and new members'
//! ids are the newest in the member index).
use crate::audit::chain::{self, NewEvent};
use crate::register::members::{member_row_from, MemberRow};
use crate::sql::{fixed_chunks, placeholders};
use crate::{on_pool, on_tx, Result, Store, Tx};
use caucus_domain::access::allowed::Allowed;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeMap;

/// The key of an event's detail that says how many member digests the event stored.
pub const DETAIL_KEY: &str = "member_digests";

/// The action of the event that records the members already on the register when digests began.
pub const BASELINE_ACTION: &str = "register.member_digests";

/// Rows per multi-row INSERT of digests (3 parameters each).
const CHUNK: usize = 50;
/// Rows read at a time when walking the table.
const PAGE: i64 = 10_000;
/// How many members a failed check names.
const NAMED: usize = 10;

/// What an event's after_digest says of the member rows it wrote, fed the rows in member-id order:
/// for one member, that row's digest itself (so a change of one member records that row's digest);
/// otherwise SHA-256 over the lines `member_id:digest\n`.
#[derive(Default)]
pub struct SetDigest {
    count: i64,
    first: Option<String>,
    lines: Sha256,
}

impl SetDigest {
    pub fn add(&mut self, member_id: i64, digest: &str) {
        self.count += 1;
        if self.count == 1 {
            self.first = Some(digest.to_string());
        }
        self.lines
            .update(format!("{member_id}:{digest}\n").as_bytes());
    }

    pub fn count(&self) -> i64 {
        self.count
    }

    pub fn finish(self) -> String {
        match (self.count, self.first) {
            (1, Some(only)) => only,
            _ => hex::encode(self.lines.finalize()),
        }
    }
}

/// `SetDigest` of rows in any order.
pub fn set_digest(rows: &[(i64, String)]) -> String {
    let mut sorted: Vec<&(i64, String)> = rows.iter().collect();
    sorted.sort_unstable_by_key(|r| r.0);
    let mut d = SetDigest::default();
    for (id, digest) in sorted {
        d.add(*id, digest);
    }
    d.finish()
}

/// Stores the digests of the member rows event `seq` writes (each member once), in the caller's
/// transaction; returns what the event's after_digest must be. The event's detail must carry
/// `"member_digests": rows.len()` (`DETAIL_KEY`).
pub async fn record(tx: &mut Tx, seq: i64, mut rows: Vec<(i64, String)>) -> Result<String> {
    rows.sort_unstable_by_key(|r| r.0);
    for chunk in fixed_chunks(&rows, CHUNK) {
        let sql = format!(
            "INSERT INTO member_digests (audit_seq, member_id, digest) VALUES {}",
            placeholders(chunk.len(), 3)
        );
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for (id, digest) in chunk {
                q = q.bind(seq).bind(*id).bind(digest);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(set_digest(&rows))
}

/// After the migrations: a register that had members before digests were recorded gets them, once,
/// as its rows stand, in one event (`BASELINE_ACTION`). From then on every member has a digest. The
/// flag is cleared in the same transaction, and claimed first, so two processes opening the register
/// at once do it once.
pub async fn baseline(store: &Store) -> Result<()> {
    let pending: bool = on_pool!(store, |c| {
        let r = sqlx::query("SELECT member_digests_pending FROM audit_head WHERE id = 1")
            .fetch_one(c)
            .await?;
        r.try_get("member_digests_pending")
    })?;
    if !pending {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let claimed = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE audit_head SET member_digests_pending = FALSE WHERE id = 1 AND member_digests_pending"
    )
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let members: i64 = on_tx!(&mut tx, |c| {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM members")
            .fetch_one(c)
            .await?;
        r.try_get("n")
    })?;
    if claimed == 0 || members == 0 {
        tx.commit().await?;
        return Ok(());
    }
    let pending = chain::reserve(
        &mut tx,
        &Allowed::system("the member digests' baseline on migration"),
    )
    .await?;
    let (count, after) = record_all(&mut tx, pending.seq).await?;
    pending
        .write(
            &mut tx,
            NewEvent {
                occurred_at: now()?,
                actor: "system".into(),
                action: BASELINE_ACTION.into(),
                subject: "members".into(),
                unit: None,
                before: None,
                after: Some(after),
                detail: serde_json::json!({
                    "why": "the members on the register before caucus recorded a digest of each member \
                            row: their rows as they stood when it began",
                    DETAIL_KEY: count,
                }),
            },
        )
        .await?;
    tx.commit().await
}

/// Records, as event `seq`'s, the digest of every member row as it stands; returns how many and what
/// the event's after_digest must be.
pub(crate) async fn record_all(tx: &mut Tx, seq: i64) -> Result<(i64, String)> {
    let sql = format!(
        "SELECT * FROM members WHERE id > $1 ORDER BY id {}",
        crate::sql::limit(PAGE)
    );
    let mut after = 0i64;
    let mut set = SetDigest::default();
    loop {
        let page: Vec<(i64, String)> = on_tx!(&mut *tx, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(after)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    let row: MemberRow = member_row_from!(r);
                    Ok((r.try_get("id")?, row.audit_digest()))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (id, digest) in &page {
            set.add(*id, digest);
        }
        record(tx, seq, page).await?;
    }
    Ok((set.count(), set.finish()))
}

/// The time now as the audit log writes it (RFC 3339, UTC).
fn now() -> Result<String> {
    let t = time::OffsetDateTime::now_utc();
    let t = t
        .replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| crate::StoreError::Invalid(e.to_string()))
}

/// How many member digests an event's detail says it stored, if it says.
pub fn stated_count(detail: &str) -> Option<std::result::Result<i64, String>> {
    if !detail.contains(DETAIL_KEY) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(detail).ok()?;
    let n = v.get(DETAIL_KEY)?;
    Some(
        n.as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("its {DETAIL_KEY} is not a count")),
    )
}

/// Checks the stored digests against the events that stated them (`stated`: each such event's
/// sequence number, count and after_digest, from a verified chain), then every member row against
/// the digest its latest event recorded. The first problem, as the event it concerns and a
/// sentence naming the members; `None` when all match. `end` is the chain's last event.
pub async fn check(
    store: &Store,
    mut stated: BTreeMap<i64, (i64, String)>,
    end: i64,
) -> Result<Option<(i64, String)>> {
    if let Some(problem) = check_events(store, &mut stated).await? {
        return Ok(Some(problem));
    }
    check_members(store, end).await
}

/// Each event's digests against what the event stated.
async fn check_events(
    store: &Store,
    stated: &mut BTreeMap<i64, (i64, String)>,
) -> Result<Option<(i64, String)>> {
    let sql = format!(
        "SELECT audit_seq, member_id, digest FROM member_digests \
         WHERE (audit_seq, member_id) > ($1, $2) ORDER BY audit_seq, member_id {}",
        crate::sql::limit(PAGE)
    );
    let mut problems: Vec<(i64, String)> = Vec::new();
    let mut judge = |seq: i64, found: SetDigest, stated: &mut BTreeMap<i64, (i64, String)>| {
        let count = found.count();
        match stated.remove(&seq) {
            None => problems.push((
                seq,
                format!(
                    "{count} member digests are stored under event {seq}, which records none: \
                     the member_digests table was edited"
                ),
            )),
            Some((n, after)) => {
                if n != count || found.finish() != after {
                    problems.push((
                        seq,
                        format!(
                            "the member digests stored under event {seq} are not the {n} it recorded: \
                             the member_digests table was edited"
                        ),
                    ));
                }
            }
        }
    };
    let (mut seq, mut member) = (0i64, 0i64);
    let mut current: Option<(i64, SetDigest)> = None;
    loop {
        let page: Vec<(i64, i64, String)> = on_pool!(store, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(seq)
                .bind(member)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("audit_seq")?,
                        r.try_get("member_id")?,
                        r.try_get("digest")?,
                    ))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let Some(last) = page.last() else { break };
        (seq, member) = (last.0, last.1);
        for (s, id, digest) in page {
            match &mut current {
                Some((at, set)) if *at == s => set.add(id, &digest),
                _ => {
                    if let Some((at, set)) = current.take() {
                        judge(at, set, stated);
                    }
                    let mut set = SetDigest::default();
                    set.add(id, &digest);
                    current = Some((s, set));
                }
            }
        }
    }
    if let Some((at, set)) = current.take() {
        judge(at, set, stated);
    }
    // Events that stated digests none of which are stored (an event of none stores none).
    for (seq, (n, after)) in std::mem::take(stated) {
        if n != 0 || after != SetDigest::default().finish() {
            problems.push((
                seq,
                format!(
                    "event {seq} recorded {n} member digests but none are stored: they were deleted"
                ),
            ));
        }
    }
    Ok(problems.into_iter().min_by_key(|p| p.0))
}

/// A member row as checked: its digest now, and the latest one the chain recorded.
struct Checked {
    id: i64,
    number: String,
    digest: String,
    recorded_seq: Option<i64>,
    recorded: Option<String>,
}

/// Every member row against the digest its latest event recorded.
async fn check_members(store: &Store, end: i64) -> Result<Option<(i64, String)>> {
    let sql = format!(
        "SELECT m.*, d.audit_seq AS recorded_seq, d.digest AS recorded_digest FROM members m \
         LEFT JOIN member_digests d ON d.member_id = m.id AND d.audit_seq = \
           (SELECT MAX(x.audit_seq) FROM member_digests x WHERE x.member_id = m.id) \
         WHERE m.id > $1 ORDER BY m.id {}",
        crate::sql::limit(PAGE)
    );
    // (membership number, the event whose digest it no longer matches, if any)
    let mut bad: Vec<(String, Option<i64>)> = Vec::new();
    let mut total = 0usize;
    let mut after = 0i64;
    loop {
        let page: Vec<Checked> = on_pool!(store, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(after)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    let row: MemberRow = member_row_from!(r);
                    Ok(Checked {
                        id: r.try_get("id")?,
                        digest: row.audit_digest(),
                        number: row.membership_number,
                        recorded_seq: r.try_get("recorded_seq")?,
                        recorded: r.try_get("recorded_digest")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for m in page {
            if m.recorded.as_deref() != Some(m.digest.as_str()) {
                total += 1;
                if bad.len() < NAMED {
                    bad.push((m.number, m.recorded_seq));
                }
            }
        }
    }
    let Some((first_number, first_seq)) = bad.first().cloned() else {
        return Ok(None);
    };
    let one = |number: &str, seq: Option<i64>| match seq {
        Some(s) => {
            format!("member {number}'s row does not match the digest event {s} recorded of it")
        }
        None => format!("member {number} has no digest in the audit log"),
    };
    let problem = if total == 1 {
        format!(
            "{}: the members table was edited outside caucus",
            one(&first_number, first_seq)
        )
    } else {
        let named: Vec<String> = bad.iter().map(|(n, s)| one(n, *s)).collect();
        let more = if total > bad.len() {
            format!("; and {} more", total - bad.len())
        } else {
            String::new()
        };
        format!(
            "{total} member rows do not match the audit log, so the members table was edited \
             outside caucus: {}{more}",
            named.join("; ")
        )
    };
    let seq = bad.iter().filter_map(|(_, s)| *s).min().unwrap_or(end + 1);
    Ok(Some((seq, problem)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::digest;

    #[test]
    fn one_member_is_its_own_digest_and_several_are_their_lines_in_member_order() {
        assert_eq!(set_digest(&[(7, "ab".into())]), "ab");
        let two = set_digest(&[(9, "cd".into()), (7, "ab".into())]);
        assert_eq!(two, digest("7:ab\n9:cd\n"));
        assert_eq!(set_digest(&[]), digest(""));
    }

    #[test]
    fn a_stated_count_is_read_from_the_detail() {
        assert_eq!(stated_count(r#"{"x":1}"#), None);
        assert_eq!(stated_count(r#"{"member_digests":3}"#), Some(Ok(3)));
        assert!(matches!(
            stated_count(r#"{"member_digests":"x"}"#),
            Some(Err(_))
        ));
    }
}
