//! Reads for passes over the whole register a page of members at a time (the membership check, the
//! membership lists): each page costs a fixed number of queries, never one per member, so memory and
//! round trips stay flat however large the register.
use crate::organisation::geography::CURRENT_UNITS_JOIN;
use crate::register::members::{status_from_row, StatusRow, STATUS_COLUMNS};
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use std::collections::HashMap;
use time::Date;

/// What the membership check reads of a member: the record's dues, registration and placement, and
/// the fields the status derivation needs. Narrower than `members::Member` on purpose (no contact
/// details: the check has no use for them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    pub id: i64,
    pub membership_number: String,
    pub date_of_birth: Option<Date>,
    pub joined_on: Date,
    pub continuous_since: Date,
    pub paid_up_until: Option<Date>,
    pub rate: String,
    pub payment_method: String,
    pub registered_to_vote: bool,
    pub registration_verified_on: Option<Date>,
    pub trade_union: Option<String>,
    pub clp_unit_id: Option<i64>,
}

/// Members in id order after `after_id`, `limit` at a time, as the check reads them.
pub async fn check_page(store: &Store, after_id: i64, limit: i64) -> Result<Vec<CheckRow>> {
    let sql = format!(
        "SELECT m.id, m.membership_number, m.date_of_birth, m.joined_on, m.continuous_since, m.paid_up_until, \
         m.rate, m.payment_method, m.registered_to_vote, m.registration_verified_on, m.trade_union, pu.clp_unit_id \
         FROM members m {CURRENT_UNITS_JOIN} WHERE m.id > $1 ORDER BY m.id {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(after_id)
            .fetch_all(c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CheckRow {
                    id: r.try_get("id")?,
                    membership_number: r.try_get("membership_number")?,
                    date_of_birth: r.try_get("date_of_birth")?,
                    joined_on: r.try_get("joined_on")?,
                    continuous_since: r.try_get("continuous_since")?,
                    paid_up_until: r.try_get("paid_up_until")?,
                    rate: r.try_get("rate")?,
                    payment_method: r.try_get("payment_method")?,
                    registered_to_vote: r.try_get("registered_to_vote")?,
                    registration_verified_on: r.try_get("registration_verified_on")?,
                    trade_union: r.try_get("trade_union")?,
                    clp_unit_id: r.try_get("clp_unit_id")?,
                })
            })
            .collect()
    })
}

/// Ids per `IN (...)` list: well inside both engines' parameter limits.
const IDS_PER_QUERY: usize = 1_000;

/// The statement for the recorded transitions of `n` members bound as `$1`..`$n`, each member's in
/// effective order (the order `members::status_history` gives one member).
fn histories_sql(n: usize) -> String {
    let list = (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {STATUS_COLUMNS} FROM member_status_history WHERE member_id IN ({list}) \
         ORDER BY member_id, effective_on, id"
    )
}

/// Runs `histories_sql` for `$chunk` on connection `$c`: the rows as `StatusRow`s.
macro_rules! read_histories {
    ($c:expr, $chunk:expr) => {{
        let sql = histories_sql($chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for id in $chunk {
            q = q.bind(*id);
        }
        let rows = q.fetch_all($c).await?;
        rows.iter()
            .map(|r| Ok(status_from_row!(r)))
            .collect::<Result<Vec<StatusRow>>>()
    }};
}

/// Each member's rows, in the order read.
fn by_member(out: &mut HashMap<i64, Vec<StatusRow>>, rows: Vec<StatusRow>) {
    for row in rows {
        out.entry(row.member_id).or_default().push(row);
    }
}

/// The recorded status transitions of several members at once, each member's in effective order
/// (the order `members::status_history` gives one member). Members without history are absent.
pub async fn status_histories(
    store: &Store,
    member_ids: &[i64],
) -> Result<HashMap<i64, Vec<StatusRow>>> {
    let mut out = HashMap::with_capacity(member_ids.len());
    for chunk in member_ids.chunks(IDS_PER_QUERY) {
        let rows = on_pool!(store, |c| read_histories!(c, chunk))?;
        by_member(&mut out, rows);
    }
    Ok(out)
}

/// As `status_histories`, read inside a transaction, for a writer that decides from them.
pub async fn status_histories_in(
    tx: &mut Tx,
    member_ids: &[i64],
) -> Result<HashMap<i64, Vec<StatusRow>>> {
    let mut out = HashMap::with_capacity(member_ids.len());
    for chunk in member_ids.chunks(IDS_PER_QUERY) {
        let rows = on_tx!(tx, |c| read_histories!(c, chunk))?;
        by_member(&mut out, rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::members::{self, MemberRow};
    use time::macros::date;

    fn row(number: &str, registered: bool) -> MemberRow {
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
            rate: "youth".into(),
            payment_method: "card".into(),
            paid_up_until: Some(date!(2027 - 01 - 01)),
            registered_to_vote: registered,
            registration_verified_on: None,
            trade_union: None,
            status: "active".into(),
            row_digest: number.into(),
        }
    }

    fn transition(member_id: i64, on: Date, status: &str) -> StatusRow {
        StatusRow {
            member_id,
            effective_on: on,
            status: status.into(),
            reason_code: "imported".into(),
            actor: "test".into(),
            audit_seq: 0,
        }
    }

    #[tokio::test]
    async fn a_page_of_histories_is_what_each_member_has_one_by_one() {
        for db in caucus_testkit::databases().await {
            let store = Store::open(&db.url).await.unwrap();
            let mut tx = store.begin().await.unwrap();
            let ids = members::insert_many(
                &mut tx,
                &[row("A1", true), row("A2", false), row("A3", true)],
            )
            .await
            .unwrap();
            let (a1, a2, a3) = (ids["A1"], ids["A2"], ids["A3"]);
            // Inserted out of date order, and interleaved between members, on purpose.
            members::insert_status_history(
                &mut tx,
                &[
                    transition(a1, date!(2024 - 05 - 01), "suspended"),
                    transition(a2, date!(2020 - 01 - 01), "provisional"),
                    transition(a1, date!(2020 - 01 - 01), "provisional"),
                    transition(a1, date!(2024 - 05 - 01), "active"),
                ],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();

            let batch = status_histories(&store, &[a1, a2, a3]).await.unwrap();
            for id in [a1, a2] {
                assert_eq!(
                    batch[&id],
                    members::status_history(&store, id).await.unwrap(),
                    "{}",
                    db.engine
                );
            }
            let a1_statuses: Vec<&str> = batch[&a1].iter().map(|r| r.status.as_str()).collect();
            // Same-day transitions keep the order they were recorded in.
            assert_eq!(a1_statuses, ["provisional", "suspended", "active"]);
            assert!(!batch.contains_key(&a3), "{}", db.engine);

            let page = check_page(&store, 0, 2).await.unwrap();
            assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a1, a2]);
            assert!(page[0].registered_to_vote && !page[1].registered_to_vote);
            assert_eq!(page[0].registration_verified_on, None);
            let rest = check_page(&store, a2, 2).await.unwrap();
            assert_eq!(rest.len(), 1);
            assert_eq!(rest[0].membership_number, "A3");
            store.close().await;
        }
    }
}
