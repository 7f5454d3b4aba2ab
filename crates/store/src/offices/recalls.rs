//! Petitions to recall a Labour group's leader: the group that may sign, and the signatures.
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PetitionRow {
    pub id: i64,
    pub unit_id: i64,
    pub leader_member_id: i64,
    pub opened_on: Date,
    pub triggered_on: Option<Date>,
    pub created_by: String,
}

/// Opens a petition with the group's members; its id.
pub async fn insert(
    tx: &mut Tx,
    unit_id: i64,
    leader_member_id: i64,
    opened_on: Date,
    created_by: &str,
    group: &[i64],
) -> Result<i64> {
    let id: i64 = on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO recall_petitions (unit_id, leader_member_id, opened_on, created_by) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(unit_id)
        .bind(leader_member_id)
        .bind(opened_on)
        .bind(created_by)
        .fetch_one(c)
        .await?;
        r.try_get::<i64, _>("id")
    })?;
    for member_id in group {
        on_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO recall_group (petition_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(id)
        .bind(*member_id)
        .execute(c)
        .await
        .map(|_| ())
        })?;
    }
    Ok(id)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<PetitionRow>> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT id, unit_id, leader_member_id, opened_on, triggered_on, created_by \
             FROM recall_petitions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?;
        r.map(|r| {
            Ok(PetitionRow {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                leader_member_id: r.try_get("leader_member_id")?,
                opened_on: r.try_get("opened_on")?,
                triggered_on: r.try_get("triggered_on")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .transpose()
    })
}

/// The group's size and the signatures so far, read in the signing transaction.
pub async fn tally(tx: &mut Tx, id: i64) -> Result<(i64, i64)> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM recall_group WHERE petition_id = $1) AS group_size, \
             (SELECT COUNT(*) FROM recall_signatures WHERE petition_id = $1) AS signed",
        )
        .bind(id)
        .fetch_one(c)
        .await?;
        Ok((r.try_get("group_size")?, r.try_get("signed")?))
    })
}

pub async fn in_group(tx: &mut Tx, id: i64, member_id: i64) -> Result<bool> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT 1 AS one FROM recall_group WHERE petition_id = $1 AND member_id = $2",
        )
        .bind(id)
        .bind(member_id)
        .fetch_optional(c)
        .await?;
        Ok(r.is_some())
    })
}

/// Adds a signature; false (nothing written) if the member had already signed.
pub async fn sign(tx: &mut Tx, id: i64, member_id: i64, on: Date) -> Result<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO recall_signatures (petition_id, member_id, signed_on) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(member_id)
    .bind(on)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn set_triggered(tx: &mut Tx, id: i64, on: Date) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE recall_petitions SET triggered_on = $1 WHERE id = $2 AND triggered_on IS NULL"
    )
    .bind(on)
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The signatories' membership numbers and days, in order of signing day then number.
pub async fn signatures(store: &Store, id: i64) -> Result<Vec<(String, Date)>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT m.membership_number, s.signed_on FROM recall_signatures s JOIN members m ON m.id = s.member_id \
             WHERE s.petition_id = $1 ORDER BY s.signed_on, m.membership_number",
        )
        .bind(id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("membership_number")?, r.try_get("signed_on")?)))
            .collect()
    })
}
