//! Ballots held in a unit: the ballot, its candidates, its frozen roll, the "has voted" marks and the
//! papers. The papers table has no member, no time and no sequence: nothing written here links a
//! paper to the voter who cast it, and papers are always read back in receipt order.
pub mod counts;

use crate::sql::{fixed_chunks, placeholders};
use crate::{on_pool, on_tx, Result, Store, StoreError, Tx};
use sqlx::Row;
use std::collections::HashMap;
use time::Date;

/// A ballot as stored (candidates apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotRow {
    pub id: i64,
    pub unit_id: i64,
    pub title: String,
    pub kind: String,
    pub method: String,
    pub seats: i64,
    /// RFC 3339, UTC.
    pub opens_at: String,
    pub closes_at: String,
    pub freeze_on: Date,
    /// `draft`, `frozen` (roll frozen, voting by the clock), `counted`, `published`.
    pub state: String,
    pub result_json: Option<String>,
    pub result_text: Option<String>,
    pub result_html: Option<String>,
    pub created_by: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBallot<'a> {
    pub unit_id: i64,
    pub title: &'a str,
    pub kind: &'a str,
    pub method: &'a str,
    pub seats: i64,
    pub opens_at: &'a str,
    pub closes_at: &'a str,
    pub freeze_on: Date,
    pub created_by: &'a str,
}

const COLUMNS: &str =
    "id, unit_id, title, kind, method, seats, opens_at, closes_at, freeze_on, state, \
    result_json, result_text, result_html, created_by, version";

macro_rules! ballot_from_row {
    ($r:expr) => {
        BallotRow {
            id: $r.try_get("id")?,
            unit_id: $r.try_get("unit_id")?,
            title: $r.try_get("title")?,
            kind: $r.try_get("kind")?,
            method: $r.try_get("method")?,
            seats: $r.try_get("seats")?,
            opens_at: $r.try_get("opens_at")?,
            closes_at: $r.try_get("closes_at")?,
            freeze_on: $r.try_get("freeze_on")?,
            state: $r.try_get("state")?,
            result_json: $r.try_get("result_json")?,
            result_text: $r.try_get("result_text")?,
            result_html: $r.try_get("result_html")?,
            created_by: $r.try_get("created_by")?,
            version: $r.try_get("version")?,
        }
    };
}

/// Creates a draft ballot with its candidates (in ballot-paper order); returns its id.
pub async fn insert(tx: &mut Tx, b: &NewBallot<'_>, candidates: &[String]) -> Result<i64> {
    let id: i64 = on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO ballots (unit_id, title, kind, method, seats, opens_at, closes_at, freeze_on, state, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9) RETURNING id",
        )
        .bind(b.unit_id)
        .bind(b.title)
        .bind(b.kind)
        .bind(b.method)
        .bind(b.seats)
        .bind(b.opens_at)
        .bind(b.closes_at)
        .bind(b.freeze_on)
        .bind(b.created_by)
        .fetch_one(c)
        .await?;
        r.try_get::<i64, _>("id")
    })?;
    for (i, name) in candidates.iter().enumerate() {
        on_tx!(tx, |c| sqlx::query(
            "INSERT INTO ballot_candidates (ballot_id, position, name) VALUES ($1, $2, $3)"
        )
        .bind(id)
        .bind(i as i64 + 1)
        .bind(name)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(id)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<BallotRow>> {
    let sql = format!("SELECT {COLUMNS} FROM ballots WHERE id = $1");
    on_pool!(store, |c| {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await?;
        r.map(|r| Ok(ballot_from_row!(r))).transpose()
    })
}

/// The ballot read inside a write transaction, so a state change sees the latest version.
pub async fn get_tx(tx: &mut Tx, id: i64) -> Result<Option<BallotRow>> {
    let sql = format!("SELECT {COLUMNS} FROM ballots WHERE id = $1");
    on_tx!(tx, |c| {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await?;
        r.map(|r| Ok(ballot_from_row!(r))).transpose()
    })
}

/// Candidates in ballot-paper order.
pub async fn candidates(store: &Store, id: i64) -> Result<Vec<String>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT name FROM ballot_candidates WHERE ballot_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(c)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("name")?)).collect()
    })
}

/// The ballots held in any of `unit_ids`, newest first.
pub async fn in_units(store: &Store, unit_ids: &[i64]) -> Result<Vec<BallotRow>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (1..=unit_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {COLUMNS} FROM ballots WHERE unit_id IN ({list}) ORDER BY id DESC");
    on_pool!(store, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for id in unit_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(c).await?;
        rows.iter().map(|r| Ok(ballot_from_row!(r))).collect()
    })
}

/// Every ballot, newest first (for a national grant).
pub async fn all(store: &Store) -> Result<Vec<BallotRow>> {
    let sql = format!("SELECT {COLUMNS} FROM ballots ORDER BY id DESC");
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(ballot_from_row!(r))).collect()
    })
}

/// Every ballot whose roll lists the member (included or not), newest first.
pub async fn on_roll_of(store: &Store, member_id: i64) -> Result<Vec<BallotRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ballots WHERE id IN (SELECT ballot_id FROM ballot_roll WHERE member_id = $1) \
         ORDER BY id DESC"
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(member_id)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(ballot_from_row!(r))).collect()
    })
}

/// Moves the ballot from state `from` to `to` if it is still at `version`; the new version. A ballot
/// changed meanwhile (by another officer, or a concurrent close) is refused as stale.
pub async fn set_state(tx: &mut Tx, id: i64, from: &str, to: &str, version: i64) -> Result<i64> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE ballots SET state = $1, version = version + 1 WHERE id = $2 AND state = $3 AND version = $4"
    )
    .bind(to)
    .bind(id)
    .bind(from)
    .bind(version)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 1 {
        return Ok(version + 1);
    }
    let found = get_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("ballot {id}")))?;
    Err(StoreError::Stale {
        expected: version,
        found: found.version,
    })
}

/// Stores the count's reports on a counted ballot.
pub async fn set_result(tx: &mut Tx, id: i64, json: &str, text: &str, html: &str) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE ballots SET result_json = $1, result_text = $2, result_html = $3 WHERE id = $4"
    )
    .bind(json)
    .bind(text)
    .bind(html)
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// One member's line on the roll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollRow {
    pub member_id: i64,
    pub included: bool,
    /// JSON: `[{"clause", "message"}]`.
    pub reasons: String,
}

pub async fn insert_roll(tx: &mut Tx, ballot_id: i64, rows: &[RollRow]) -> Result<()> {
    for chunk in fixed_chunks(rows, 50) {
        let sql = format!(
            "INSERT INTO ballot_roll (ballot_id, member_id, included, reasons) VALUES {}",
            placeholders(chunk.len(), 4)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = q
                    .bind(ballot_id)
                    .bind(r.member_id)
                    .bind(r.included)
                    .bind(&r.reasons);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// A line of the roll with the member's number and name, for the officers' view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollLine {
    pub membership_number: String,
    pub name: String,
    pub row: RollRow,
}

/// The whole roll, in membership-number order.
pub async fn roll(store: &Store, ballot_id: i64) -> Result<Vec<RollLine>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT r.member_id, r.included, r.reasons, m.membership_number, m.given_name, m.family_name \
             FROM ballot_roll r JOIN members m ON m.id = r.member_id WHERE r.ballot_id = $1 \
             ORDER BY m.membership_number",
        )
        .bind(ballot_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                let given: String = r.try_get("given_name")?;
                let family: String = r.try_get("family_name")?;
                Ok(RollLine {
                    membership_number: r.try_get("membership_number")?,
                    name: format!("{given} {family}"),
                    row: RollRow {
                        member_id: r.try_get("member_id")?,
                        included: r.try_get("included")?,
                        reasons: r.try_get("reasons")?,
                    },
                })
            })
            .collect()
    })
}

/// One member's line on the roll, if they are on it.
pub async fn roll_entry(tx: &mut Tx, ballot_id: i64, member_id: i64) -> Result<Option<RollRow>> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT member_id, included, reasons FROM ballot_roll WHERE ballot_id = $1 AND member_id = $2",
        )
        .bind(ballot_id)
        .bind(member_id)
        .fetch_optional(c)
        .await?;
        r.map(|r| {
            Ok(RollRow {
                member_id: r.try_get("member_id")?,
                included: r.try_get("included")?,
                reasons: r.try_get("reasons")?,
            })
        })
        .transpose()
    })
}

/// Whether the member has voted in the ballot.
pub async fn has_voted(tx: &mut Tx, ballot_id: i64, member_id: i64) -> Result<bool> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT 1 AS one FROM ballot_voted WHERE ballot_id = $1 AND member_id = $2",
        )
        .bind(ballot_id)
        .bind(member_id)
        .fetch_optional(c)
        .await?;
        Ok(r.is_some())
    })
}

/// Marks the member as having voted; false (and nothing written) if they already had.
pub async fn mark_voted(tx: &mut Tx, ballot_id: i64, member_id: i64) -> Result<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO ballot_voted (ballot_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    .bind(ballot_id)
    .bind(member_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Puts a paper in the ballot box (not yet among the kept papers: see `seal`); false (nothing
/// written) if the receipt code is already taken.
pub async fn insert_paper(tx: &mut Tx, ballot_id: i64, receipt: &str, marks: &str) -> Result<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO ballot_box (ballot_id, receipt, marks) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(ballot_id)
        .bind(receipt)
        .bind(marks)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Moves every paper of the ballot from the box to the kept papers, in receipt order, and empties
/// its part of the box: the kept papers are written by this one transaction, so neither the order
/// of their rows nor (on PostgreSQL) the transaction that wrote them follows the order of voting.
/// Returns the papers as (receipt, marks), in receipt order.
pub async fn seal(tx: &mut Tx, ballot_id: i64) -> Result<Vec<(String, String)>> {
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO ballot_papers (ballot_id, receipt, marks) \
             SELECT ballot_id, receipt, marks FROM ballot_box WHERE ballot_id = $1 ORDER BY receipt",
        )
        .bind(ballot_id)
        .execute(&mut *c)
        .await?;
        sqlx::query("DELETE FROM ballot_box WHERE ballot_id = $1")
            .bind(ballot_id)
            .execute(&mut *c)
            .await?;
        Ok::<_, StoreError>(())
    })?;
    papers(tx, ballot_id).await
}

/// Reclaims the space of papers that `seal` moved out of the box. On PostgreSQL the deleted rows
/// stay in the table's files until a vacuum; this one, run once voting has closed, frees them and
/// gives the emptied pages back. SQLite overwrites nothing it need not, but its box is keyed by the
/// random receipt, so its pages never held the order of voting.
pub async fn reclaim_box(store: &Store) -> Result<()> {
    if let Store::Postgres(p) = store {
        // VACUUM cannot run inside a transaction: it goes straight to a pooled connection.
        sqlx::query("VACUUM ballot_box").execute(p).await?;
    }
    Ok(())
}

/// The kept papers as (receipt, marks), in receipt order.
async fn papers(tx: &mut Tx, ballot_id: i64) -> Result<Vec<(String, String)>> {
    on_tx!(tx, |c| {
        let rows = sqlx::query(
            "SELECT receipt, marks FROM ballot_papers WHERE ballot_id = $1 ORDER BY receipt",
        )
        .bind(ballot_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("receipt")?, r.try_get("marks")?)))
            .collect()
    })
}

/// Every paper, read outside a transaction (for publishing the list).
pub async fn papers_published(store: &Store, ballot_id: i64) -> Result<Vec<(String, String)>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT receipt, marks FROM ballot_papers WHERE ballot_id = $1 ORDER BY receipt",
        )
        .bind(ballot_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("receipt")?, r.try_get("marks")?)))
            .collect()
    })
}

/// How many are on the roll (included) and how many have voted.
pub async fn turnout(store: &Store, ballot_id: i64) -> Result<(i64, i64)> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM ballot_roll WHERE ballot_id = $1 AND included) AS roll, \
             (SELECT COUNT(*) FROM ballot_voted WHERE ballot_id = $1) AS voted",
        )
        .bind(ballot_id)
        .fetch_one(c)
        .await?;
        Ok((r.try_get("roll")?, r.try_get("voted")?))
    })
}

/// What the roll needs of a member: their number and the record's dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollCandidate {
    pub member_id: i64,
    pub membership_number: String,
    pub joined_on: Date,
    pub continuous_since: Date,
    pub paid_up_until: Option<Date>,
    /// Every placement, in effective order.
    pub placements: Vec<Placed>,
}

/// A placement as the roll reads it: from a day, in a branch and a CLP.
pub type Placed = (Date, Option<i64>, Option<i64>);

/// Everyone ever placed in any of `unit_ids` (as branch or CLP), with all their placements: the
/// people a roll of those units must judge, whether the freeze date finds them there or not.
pub async fn roll_candidates(store: &Store, unit_ids: &[i64]) -> Result<Vec<RollCandidate>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (1..=unit_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT m.id, m.membership_number, m.joined_on, m.continuous_since, m.paid_up_until, \
         p.effective_from, p.branch_unit_id, p.clp_unit_id \
         FROM members m JOIN member_placements p ON p.member_id = m.id \
         WHERE m.id IN (SELECT member_id FROM member_placements WHERE branch_unit_id IN ({list}) \
         OR clp_unit_id IN ({list}))  \
         ORDER BY m.id, p.effective_from, p.id"
    );
    let rows: Vec<(RollCandidate, Placed)> = on_pool!(store, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for id in unit_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(c).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    RollCandidate {
                        member_id: r.try_get("id")?,
                        membership_number: r.try_get("membership_number")?,
                        joined_on: r.try_get("joined_on")?,
                        continuous_since: r.try_get("continuous_since")?,
                        paid_up_until: r.try_get("paid_up_until")?,
                        placements: Vec::new(),
                    },
                    (
                        r.try_get("effective_from")?,
                        r.try_get("branch_unit_id")?,
                        r.try_get("clp_unit_id")?,
                    ),
                ))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut out: Vec<RollCandidate> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    for (cand, placement) in rows {
        let i = *at.entry(cand.member_id).or_insert_with(|| {
            out.push(cand);
            out.len() - 1
        });
        out[i].placements.push(placement);
    }
    Ok(out)
}
