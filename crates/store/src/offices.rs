//! Offices held in units, by effective-dated term.
pub mod groups;
pub mod recalls;

use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfficeRow {
    pub unit_id: i64,
    pub member_id: i64,
    pub office: String,
    pub held_from: Date,
    pub held_until: Option<Date>,
    pub interim: bool,
    pub appointed_by: String,
    pub gender: String,
    pub audit_seq: i64,
}

/// An office with its holder's membership number and name, for lists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Held {
    pub id: i64,
    pub membership_number: String,
    pub name: String,
    #[serde(flatten)]
    pub row: OfficeRow,
}

pub async fn insert(tx: &mut Tx, o: &OfficeRow) -> Result<i64> {
    on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO offices (unit_id, member_id, office, held_from, held_until, interim, appointed_by, gender, \
             audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(o.unit_id)
        .bind(o.member_id)
        .bind(&o.office)
        .bind(o.held_from)
        .bind(o.held_until)
        .bind(o.interim)
        .bind(&o.appointed_by)
        .bind(&o.gender)
        .bind(o.audit_seq)
        .fetch_one(c)
        .await?;
        Ok(r.try_get("id")?)
    })
}

/// The offices of a unit held on a date.
pub async fn held_on(store: &Store, unit_id: i64, on: Date) -> Result<Vec<Held>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT o.id, m.membership_number, m.given_name, m.family_name, o.unit_id, o.member_id, o.office, \
             o.held_from, o.held_until, o.interim, o.appointed_by, o.gender, o.audit_seq \
             FROM offices o JOIN members m ON m.id = o.member_id \
             WHERE o.unit_id = $1 AND o.held_from <= $2 AND (o.held_until IS NULL OR o.held_until > $2) \
             ORDER BY o.office, o.held_from, o.id",
        )
        .bind(unit_id)
        .bind(on)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                let given: String = r.try_get("given_name")?;
                let family: String = r.try_get("family_name")?;
                Ok(Held {
                    id: r.try_get("id")?,
                    membership_number: r.try_get("membership_number")?,
                    name: format!("{given} {family}"),
                    row: OfficeRow {
                        unit_id: r.try_get("unit_id")?,
                        member_id: r.try_get("member_id")?,
                        office: r.try_get("office")?,
                        held_from: r.try_get("held_from")?,
                        held_until: r.try_get("held_until")?,
                        interim: r.try_get("interim")?,
                        appointed_by: r.try_get("appointed_by")?,
                        gender: r.try_get("gender")?,
                        audit_seq: r.try_get("audit_seq")?,
                    },
                })
            })
            .collect()
    })
}

/// Members placed in a unit (as branch or CLP) now, for delegate entitlements.
pub async fn members_placed(store: &Store, unit_id: i64) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM members m {} \
         WHERE (pu.branch_unit_id = $1 OR pu.clp_unit_id = $1) \
         AND m.status IN ('provisional', 'active', 'in_arrears', 'suspended')",
        crate::organisation::geography::CURRENT_UNITS_JOIN
    );
    on_pool!(store, |c| {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(unit_id)
            .fetch_one(c)
            .await?;
        Ok(r.try_get("n")?)
    })
}
