//! Members: the current record, the recorded status transitions and the placements (postcode and
//! units from a date). Bulk writes use multi-row statements of a fixed size so each engine prepares
//! them once per connection.
use crate::organisation::geography::CURRENT_UNITS_JOIN;
use crate::organisation::units::{unit_columns, unit_from_row, Unit};
use crate::sql::{current_set_sql, CURRENT_SET_SQL};
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::LazyLock;
use time::Date;

/// The SQL helpers that lived here first, where callers outside still find them.
use crate::sql::{fixed_chunks, padded, placeholders, LOOKUP_CHUNK};

/// A member's record as written: the fields of the members CSV plus where they are placed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberRow {
    pub membership_number: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<Date>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub postcode: String,
    pub joined_on: Date,
    pub continuous_since: Date,
    pub rate: String,
    pub payment_method: String,
    pub paid_up_until: Option<Date>,
    pub registered_to_vote: bool,
    /// When the party last verified the member's electoral registration.
    pub registration_verified_on: Option<Date>,
    pub trade_union: Option<String>,
    pub status: String,
    pub row_digest: String,
}

impl MemberRow {
    /// The digest an audit event records of the row as written (`member_digests`): SHA-256 over a
    /// canonical serialisation of every column of the members table but `id` and `version` (the
    /// row's key and its optimistic-lock counter), in table order: a JSON array with dates as
    /// `YYYY-MM-DD`, absent values as `null`, after a line naming the form. `caucus audit verify`
    /// recomputes it from the table, so any direct edit of a column shows.
    pub fn audit_digest(&self) -> String {
        let date = |d: Option<Date>| d.map(|d| d.to_string());
        let canonical = serde_json::json!([
            self.membership_number,
            self.given_name,
            self.family_name,
            self.email,
            self.phone,
            date(self.date_of_birth),
            self.address_line1,
            self.address_line2,
            self.town,
            self.postcode,
            self.joined_on.to_string(),
            self.continuous_since.to_string(),
            self.rate,
            self.payment_method,
            date(self.paid_up_until),
            self.registered_to_vote,
            date(self.registration_verified_on),
            self.trade_union,
            self.status,
            self.row_digest,
        ]);
        crate::digest::digest(format!("caucus.member.v1\n{canonical}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub id: i64,
    pub version: i64,
    #[serde(flatten)]
    pub row: MemberRow,
    /// The branch and constituency party the member's postcode gives in the register's current
    /// boundary set (none where it gives none: a reallocation exception).
    pub branch_unit_id: Option<i64>,
    pub clp_unit_id: Option<i64>,
}

pub(crate) const ROW_COLUMNS: &str = "membership_number, given_name, family_name, email, phone, date_of_birth, \
    address_line1, address_line2, town, postcode, joined_on, continuous_since, rate, payment_method, \
    paid_up_until, registered_to_vote, registration_verified_on, trade_union, status, row_digest";
const ROW_COLUMN_COUNT: usize = 20;
/// Rows per multi-row INSERT of members (20 parameters each).
pub const MEMBER_CHUNK: usize = 8;

macro_rules! bind_row {
    ($q:expr, $r:expr) => {
        $q.bind(&$r.membership_number)
            .bind(&$r.given_name)
            .bind(&$r.family_name)
            .bind(&$r.email)
            .bind(&$r.phone)
            .bind($r.date_of_birth)
            .bind(&$r.address_line1)
            .bind(&$r.address_line2)
            .bind(&$r.town)
            .bind(&$r.postcode)
            .bind($r.joined_on)
            .bind($r.continuous_since)
            .bind(&$r.rate)
            .bind(&$r.payment_method)
            .bind($r.paid_up_until)
            .bind($r.registered_to_vote)
            .bind($r.registration_verified_on)
            .bind(&$r.trade_union)
            .bind(&$r.status)
            .bind(&$r.row_digest)
    };
}

/// A `MemberRow` from a row holding `ROW_COLUMNS` (a macro: the row types differ by engine).
macro_rules! member_row_from {
    ($r:expr) => {
        MemberRow {
            membership_number: $r.try_get("membership_number")?,
            given_name: $r.try_get("given_name")?,
            family_name: $r.try_get("family_name")?,
            email: $r.try_get("email")?,
            phone: $r.try_get("phone")?,
            date_of_birth: $r.try_get("date_of_birth")?,
            address_line1: $r.try_get("address_line1")?,
            address_line2: $r.try_get("address_line2")?,
            town: $r.try_get("town")?,
            postcode: $r.try_get("postcode")?,
            joined_on: $r.try_get("joined_on")?,
            continuous_since: $r.try_get("continuous_since")?,
            rate: $r.try_get("rate")?,
            payment_method: $r.try_get("payment_method")?,
            paid_up_until: $r.try_get("paid_up_until")?,
            registered_to_vote: $r.try_get("registered_to_vote")?,
            registration_verified_on: $r.try_get("registration_verified_on")?,
            trade_union: $r.try_get("trade_union")?,
            status: $r.try_get("status")?,
            row_digest: $r.try_get("row_digest")?,
        }
    };
}
pub(crate) use member_row_from;

macro_rules! member_from_row {
    ($r:expr) => {
        Member {
            id: $r.try_get("id")?,
            version: $r.try_get("version")?,
            row: member_row_from!($r),
            branch_unit_id: $r.try_get("branch_unit_id")?,
            clp_unit_id: $r.try_get("clp_unit_id")?,
        }
    };
}

/// What the import needs to know of a member already on the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: i64,
    pub row_digest: String,
    pub status: String,
    pub postcode: String,
}

pub async fn existing(tx: &mut Tx, numbers: &[&str]) -> Result<HashMap<String, Existing>> {
    let mut out = HashMap::with_capacity(numbers.len());
    for chunk in numbers.chunks(LOOKUP_CHUNK) {
        let chunk = padded(chunk, LOOKUP_CHUNK);
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, membership_number, row_digest, status, postcode FROM members WHERE membership_number IN ({list})"
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for n in &chunk {
                q = q.bind(*n);
            }
            for r in q.fetch_all(c).await? {
                out.insert(
                    r.try_get("membership_number")?,
                    Existing {
                        id: r.try_get("id")?,
                        row_digest: r.try_get("row_digest")?,
                        status: r.try_get("status")?,
                        postcode: r.try_get("postcode")?,
                    },
                );
            }
            Ok::<_, crate::StoreError>(())
        })?;
    }
    Ok(out)
}

/// Inserts new members; returns each one's id by membership number.
pub async fn insert_many(tx: &mut Tx, rows: &[MemberRow]) -> Result<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(rows.len());
    for chunk in fixed_chunks(rows, MEMBER_CHUNK) {
        let sql = format!(
            "INSERT INTO members ({ROW_COLUMNS}) VALUES {} RETURNING id, membership_number",
            placeholders(chunk.len(), ROW_COLUMN_COUNT)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = bind_row!(q, r);
            }
            for r in q.fetch_all(c).await? {
                ids.insert(r.try_get("membership_number")?, r.try_get("id")?);
            }
            Ok::<_, crate::StoreError>(())
        })?;
    }
    Ok(ids)
}

/// Replaces a member's record, bumping its version.
pub async fn update(tx: &mut Tx, id: i64, r: &MemberRow) -> Result<()> {
    on_tx!(tx, |c| {
        let q = sqlx::query(
            "UPDATE members SET membership_number = $1, given_name = $2, family_name = $3, email = $4, phone = $5, \
             date_of_birth = $6, address_line1 = $7, address_line2 = $8, town = $9, postcode = $10, joined_on = $11, \
             continuous_since = $12, rate = $13, payment_method = $14, paid_up_until = $15, registered_to_vote = $16, \
             registration_verified_on = $17, trade_union = $18, status = $19, row_digest = $20, \
             version = version + 1 WHERE id = $21",
        );
        bind_row!(q, r)
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A recorded status transition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusRow {
    pub member_id: i64,
    pub effective_on: Date,
    pub status: String,
    pub reason_code: String,
    pub actor: String,
    pub audit_seq: i64,
}

/// The columns of `member_status_history` that `status_from_row!` reads.
pub(crate) const STATUS_COLUMNS: &str =
    "member_id, effective_on, status, reason_code, actor, audit_seq";

/// A `StatusRow` from a row holding `STATUS_COLUMNS` (a macro: the row types differ by engine).
macro_rules! status_from_row {
    ($r:expr) => {
        StatusRow {
            member_id: $r.try_get("member_id")?,
            effective_on: $r.try_get("effective_on")?,
            status: $r.try_get("status")?,
            reason_code: $r.try_get("reason_code")?,
            actor: $r.try_get("actor")?,
            audit_seq: $r.try_get("audit_seq")?,
        }
    };
}
pub(crate) use status_from_row;

pub async fn insert_status_history(tx: &mut Tx, rows: &[StatusRow]) -> Result<()> {
    for chunk in fixed_chunks(rows, 20) {
        let sql = format!(
            "INSERT INTO member_status_history (member_id, effective_on, status, reason_code, actor, audit_seq) VALUES {}",
            placeholders(chunk.len(), 6)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = q
                    .bind(r.member_id)
                    .bind(r.effective_on)
                    .bind(&r.status)
                    .bind(&r.reason_code)
                    .bind(&r.actor)
                    .bind(r.audit_seq);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Where a member belonged from a date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlacementRow {
    pub member_id: i64,
    pub effective_from: Date,
    pub boundary_set: String,
    pub postcode: String,
    pub ward_code: Option<String>,
    pub branch_unit_id: Option<i64>,
    pub clp_unit_id: Option<i64>,
    pub reason_code: String,
    pub reallocation_run: Option<i64>,
    pub audit_seq: i64,
}

pub async fn insert_placements(tx: &mut Tx, rows: &[PlacementRow]) -> Result<()> {
    for chunk in fixed_chunks(rows, 16) {
        let sql = format!(
            "INSERT INTO member_placements (member_id, effective_from, boundary_set, postcode, ward_code, \
             branch_unit_id, clp_unit_id, reason_code, reallocation_run, audit_seq) VALUES {}",
            placeholders(chunk.len(), 10)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = q
                    .bind(r.member_id)
                    .bind(r.effective_from)
                    .bind(&r.boundary_set)
                    .bind(&r.postcode)
                    .bind(&r.ward_code)
                    .bind(r.branch_unit_id)
                    .bind(r.clp_unit_id)
                    .bind(&r.reason_code)
                    .bind(r.reallocation_run)
                    .bind(r.audit_seq);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// A member's columns (alias `m`) and their current units (alias `pu`, from
/// `geography::CURRENT_UNITS_JOIN`).
const MEMBER_COLUMNS: &str = "m.id, m.version, m.membership_number, m.given_name, m.family_name, m.email, m.phone, \
    m.date_of_birth, m.address_line1, m.address_line2, m.town, m.postcode, m.joined_on, m.continuous_since, m.rate, \
    m.payment_method, m.paid_up_until, m.registered_to_vote, m.registration_verified_on, m.trade_union, m.status, \
    m.row_digest, pu.branch_unit_id, pu.clp_unit_id";

/// Ids as an SQL list (integers only, so nothing to escape).
fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the member (joined to `pu`) is placed in one of `ids` as branch or CLP.
fn placed_in(ids: &[i64]) -> String {
    let list = id_list(ids);
    format!("(pu.clp_unit_id IN ({list}) OR pu.branch_unit_id IN ({list}))")
}

/// Restricts members (alias `m`, joined to `pu`) to those placed in one of `ids` as branch or CLP.
pub(crate) fn in_units(ids: &[i64]) -> String {
    format!("AND {}", placed_in(ids))
}

pub async fn by_number(store: &Store, number: &str) -> Result<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members m {CURRENT_UNITS_JOIN} WHERE m.membership_number = $1");
    on_pool!(store, |c| {
        match sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(number)
            .fetch_optional(c)
            .await?
        {
            Some(r) => Ok(Some(member_from_row!(r))),
            None => Ok(None),
        }
    })
}

/// Members in id order after `after_id`, optionally only those placed in one of `units` (as branch or
/// CLP), a page at a time.
pub async fn page(
    store: &Store,
    units: Option<&[i64]>,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Member>> {
    let filter = match units {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => in_units(ids),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {CURRENT_UNITS_JOIN} WHERE m.id > $1 {filter} ORDER BY m.id {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(after_id)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(member_from_row!(r))).collect()
    })
}

/// An active member as a candidate for office: who, their given name, and the branch and
/// constituency party the current set places them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub membership_number: String,
    pub given_name: String,
    pub branch_unit_id: Option<i64>,
    pub clp_unit_id: Option<i64>,
}

/// Every active member as a candidate for office, in id order: four columns, so the demo can
/// choose its officers without reading the whole register's records.
pub async fn active_candidates(store: &Store) -> Result<Vec<Candidate>> {
    let sql = format!(
        "SELECT m.membership_number, m.given_name, pu.branch_unit_id, pu.clp_unit_id \
         FROM members m {CURRENT_UNITS_JOIN} WHERE m.status = 'active' ORDER BY m.id"
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Candidate {
                    membership_number: r.try_get("membership_number")?,
                    given_name: r.try_get("given_name")?,
                    branch_unit_id: r.try_get("branch_unit_id")?,
                    clp_unit_id: r.try_get("clp_unit_id")?,
                })
            })
            .collect()
    })
}

/// Whose membership list `walk_list` reads: members placed in CLPs, in branches, in either (a unit
/// and the units beneath it), or living in a local authority's area.
#[derive(Debug, Clone, Copy)]
pub enum ListOf<'a> {
    Clps(&'a [i64]),
    Branches(&'a [i64]),
    Units(&'a [i64]),
    LocalAuthority(&'a str),
}

/// A member as a membership list shows them: who they are, where the list goes on from, and what
/// their eligibility flags are judged on (the record's dates and their recorded transitions, in
/// effective order). Narrower than `Member`: a list has no use for contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRow {
    pub id: i64,
    pub membership_number: String,
    pub given_name: String,
    pub family_name: String,
    pub postcode: String,
    pub status: String,
    pub joined_on: Date,
    pub continuous_since: Date,
    pub paid_up_until: Option<Date>,
    pub branch_unit_id: Option<i64>,
    pub clp_unit_id: Option<i64>,
    pub history: Vec<StatusRow>,
}

/// A page of a membership list as one JSON array, one `[id, membership_number, given_name,
/// family_name, postcode, status, joined_on, continuous_since, paid_up_until, branch_unit_id,
/// clp_unit_id, history]` per member in walk order, over the subquery `listed` (aliases as in
/// `walk_list`), each history as `history_json` writes it.
///
/// One value, because through sqlx's SQLite driver every row and value of a result crosses from the
/// connection's thread one at a time, each copied and freed on the other side; fifty members with
/// their histories as rows cost more in that crossing than the database's work on them. The page is
/// in the database's own order (its collation decides where the next page starts); each history is
/// unordered and `page_from_json` orders it: an aggregate with its own ORDER BY makes SQLite sort
/// each member's few transitions apart, which was a third of the statement.
fn page_json(engine: crate::Engine) -> &'static str {
    match engine {
        crate::Engine::Sqlite => {
            "json_group_array(json_array(id, membership_number, given_name, family_name, postcode, status, \
             joined_on, continuous_since, paid_up_until, branch_unit_id, clp_unit_id, json(history)) ORDER BY walk_key, id)"
        }
        crate::Engine::Postgres => {
            "COALESCE(json_agg(json_build_array(id, membership_number, given_name, family_name, postcode, status, \
             joined_on, continuous_since, paid_up_until, branch_unit_id, clp_unit_id, history) ORDER BY walk_key, id), '[]'::json)::text"
        }
    }
}

/// The status history of the member aliased `m` as one JSON array (unordered) of `[effective_on,
/// status, reason_code, actor, audit_seq, id]`, read back by `history_from_json`.
const HISTORY_JSON_SQLITE: &str = "(SELECT json_group_array(json_array(h.effective_on, h.status, \
     h.reason_code, h.actor, h.audit_seq, h.id)) FROM member_status_history h WHERE h.member_id = m.id)";
const HISTORY_JSON_POSTGRES: &str = "(SELECT COALESCE(json_agg(json_build_array(h.effective_on, \
     h.status, h.reason_code, h.actor, h.audit_seq, h.id)), '[]'::json) \
     FROM member_status_history h WHERE h.member_id = m.id)";

fn history_json(engine: crate::Engine) -> &'static str {
    match engine {
        crate::Engine::Sqlite => HISTORY_JSON_SQLITE,
        crate::Engine::Postgres => HISTORY_JSON_POSTGRES,
    }
}

/// A listed member's history as `page_json` writes it.
type HistoryJson = Vec<(String, String, String, String, i64, i64)>;
/// A listed member as `page_json` writes them.
type ListedJson = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    HistoryJson,
);

/// What the database sent of a member's record is not what it should be.
fn bad_json(whose: &str, e: &dyn std::fmt::Display) -> crate::StoreError {
    crate::StoreError::Invalid(format!("a member's record ({whose}): {e}"))
}

/// A date as JSON carries it (YYYY-MM-DD).
fn json_date(whose: &str, text: &str) -> Result<Date> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, day).map_err(|e| bad_json(whose, &e))
}

/// A history `HISTORY_JSON_*` wrote, in effective order (of two on a day, the one recorded first).
fn history_from_json(
    member_id: i64,
    whose: &str,
    mut history: HistoryJson,
) -> Result<Vec<StatusRow>> {
    // Dates are YYYY-MM-DD, so their text sorts as they do.
    history.sort_by(|a, b| (&a.0, a.5).cmp(&(&b.0, b.5)));
    history
        .into_iter()
        .map(|(on, status, reason_code, actor, audit_seq, _)| {
            Ok(StatusRow {
                member_id,
                effective_on: json_date(whose, &on)?,
                status,
                reason_code,
                actor,
                audit_seq,
            })
        })
        .collect()
}

/// A page `page_json` wrote, in its order, each history in effective order.
fn page_from_json(text: &str) -> Result<Vec<ListedRow>> {
    let page: Vec<ListedJson> =
        serde_json::from_str(text).map_err(|e| bad_json("membership list page", &e))?;
    page.into_iter()
        .map(
            |(
                id,
                number,
                given,
                family,
                postcode,
                status,
                joined,
                since,
                paid,
                branch,
                clp,
                history,
            )| {
                let whose = format!("member {number}");
                let history = history_from_json(id, &whose, history)?;
                Ok(ListedRow {
                    id,
                    joined_on: json_date(&whose, &joined)?,
                    continuous_since: json_date(&whose, &since)?,
                    paid_up_until: paid.as_deref().map(|p| json_date(&whose, p)).transpose()?,
                    membership_number: number,
                    given_name: given,
                    family_name: family,
                    postcode,
                    status,
                    branch_unit_id: branch,
                    clp_unit_id: clp,
                    history,
                })
            },
        )
        .collect()
}

/// A unit's membership list a page at a time, in postcode then member id order after `after`
/// (postcode, id), the order of a walk list, each member with their status history. The order is
/// the indexes' own (`postcode_units` by unit and postcode, then `members_postcode`), so a page
/// costs its own rows whatever the unit's size or the page's depth; in member id order every member
/// of the unit would be read and sorted for each page.
pub async fn walk_list(
    store: &Store,
    of: ListOf<'_>,
    after: Option<(&str, i64)>,
    limit: i64,
) -> Result<Vec<ListedRow>> {
    let current = CURRENT_SET_SQL;
    let placed = |filter: String| {
        (
            format!(
                "postcode_units pu JOIN members m ON m.postcode = pu.postcode \
                 WHERE pu.boundary_set = {current} AND {filter}"
            ),
            "pu.postcode",
            None,
        )
    };
    let (from, key, lad) = match of {
        ListOf::Clps([]) | ListOf::Branches([]) | ListOf::Units([]) => return Ok(Vec::new()),
        ListOf::Clps(ids) => placed(format!("pu.clp_unit_id IN ({})", id_list(ids))),
        ListOf::Branches(ids) => placed(format!("pu.branch_unit_id IN ({})", id_list(ids))),
        ListOf::Units(ids) => placed(placed_in(ids)),
        ListOf::LocalAuthority(lad) => (
            format!(
                "postcodes p JOIN members m ON m.postcode = p.postcode \
                 LEFT JOIN postcode_units pu ON pu.boundary_set = p.boundary_set AND pu.postcode = p.postcode \
                 WHERE p.boundary_set = {current} AND p.lad_code = $3"
            ),
            "p.postcode",
            Some(lad),
        ),
    };
    let (history, page) = (history_json(store.engine()), page_json(store.engine()));
    let sql = format!(
        "SELECT {page} AS page FROM (SELECT {key} AS walk_key, m.id, m.membership_number, m.given_name, m.family_name, \
         m.postcode, m.status, m.joined_on, m.continuous_since, m.paid_up_until, pu.branch_unit_id, \
         pu.clp_unit_id, {history} AS history \
         FROM {from} AND {key} >= $1 AND ({key} > $1 OR m.id > $2) ORDER BY {key}, m.id {}) listed",
        crate::sql::limit(limit)
    );
    let (postcode, id) = after.unwrap_or(("", 0));
    let text: String = on_pool!(store, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(postcode)
            .bind(id);
        if let Some(lad) = lad {
            q = q.bind(lad);
        }
        let row = q.fetch_one(c).await?;
        Ok::<_, crate::StoreError>(row.try_get("page")?)
    })?;
    page_from_json(&text)
}

pub async fn count(store: &Store) -> Result<i64> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM members")
            .fetch_one(c)
            .await?;
        Ok(r.try_get("n")?)
    })
}

/// Every recorded status transition of a member, in effective order.
pub async fn status_history(store: &Store, member_id: i64) -> Result<Vec<StatusRow>> {
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM member_status_history WHERE member_id = $1 \
         ORDER BY effective_on, id"
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(member_id)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(status_from_row!(r))).collect()
    })
}

/// A placement with its units' codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub row: PlacementRow,
    pub branch: Option<String>,
    pub clp: Option<String>,
}

/// Every placement of a member with its units' codes, in effective order, in one statement.
pub async fn placements(store: &Store, member_id: i64) -> Result<Vec<Placement>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT p.member_id, p.effective_from, p.boundary_set, p.postcode, p.ward_code, p.branch_unit_id, \
             p.clp_unit_id, p.reason_code, p.reallocation_run, p.audit_seq, b.code AS branch_code, \
             c.code AS clp_code FROM member_placements p \
             LEFT JOIN units b ON b.id = p.branch_unit_id LEFT JOIN units c ON c.id = p.clp_unit_id \
             WHERE p.member_id = $1 ORDER BY p.effective_from, p.id",
        )
        .bind(member_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Placement {
                    row: PlacementRow {
                        member_id: r.try_get("member_id")?,
                        effective_from: r.try_get("effective_from")?,
                        boundary_set: r.try_get("boundary_set")?,
                        postcode: r.try_get("postcode")?,
                        ward_code: r.try_get("ward_code")?,
                        branch_unit_id: r.try_get("branch_unit_id")?,
                        clp_unit_id: r.try_get("clp_unit_id")?,
                        reason_code: r.try_get("reason_code")?,
                        reallocation_run: r.try_get("reallocation_run")?,
                        audit_seq: r.try_get("audit_seq")?,
                    },
                    branch: r.try_get("branch_code")?,
                    clp: r.try_get("clp_code")?,
                })
            })
            .collect()
    })
}

/// Records a member's new status if their record is still at `expected_version`; returns the new
/// version. A stale version is refused, so concurrent edits give one winner, never a lost update.
pub async fn set_status(tx: &mut Tx, id: i64, status: &str, expected_version: i64) -> Result<i64> {
    let changed = on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE members SET status = $1, version = version + 1 WHERE id = $2 AND version = $3",
        )
        .bind(status)
        .bind(id)
        .bind(expected_version)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if changed == 0 {
        let found: Option<i64> = on_tx!(tx, |c| {
            let r = sqlx::query("SELECT version FROM members WHERE id = $1")
                .bind(id)
                .fetch_optional(c)
                .await?;
            r.map(|r| r.try_get("version")).transpose()
        })?;
        return match found {
            Some(found) => Err(crate::StoreError::Stale {
                expected: expected_version,
                found,
            }),
            None => Err(crate::StoreError::NotFound(format!("member {id}"))),
        };
    }
    Ok(expected_version + 1)
}

/// The columns `placed!` reads for a member (alias `m`, joined with `CURRENT_UNITS_JOIN`): their
/// branch and CLP, and the local authority of their postcode in the current boundary set (`la_id`).
const PLACED_JOIN: &str = concat!(
    "LEFT JOIN postcodes p ON p.boundary_set = ",
    current_set_sql!(),
    " AND p.postcode = m.postcode \
     LEFT JOIN units la ON la.boundary_set = '' AND la.code = p.lad_code AND la.kind = 'local_authority'"
);

/// The recursive CTE `up(member_id, id)` of every unit each member of the CTE `found` (with `id`,
/// `branch_unit_id`, `clp_unit_id` and `la_id`) sits in, with all the units above them.
const UP_FROM_FOUND: &str = "own(member_id, id) AS ( \
       SELECT id, branch_unit_id FROM found WHERE branch_unit_id IS NOT NULL \
       UNION SELECT id, clp_unit_id FROM found WHERE clp_unit_id IS NOT NULL \
       UNION SELECT id, la_id FROM found WHERE la_id IS NOT NULL), \
     up(member_id, id) AS (SELECT member_id, id FROM own \
       UNION SELECT up.member_id, u.parent_id FROM units u JOIN up ON u.id = up.id \
       WHERE u.parent_id IS NOT NULL)";

/// Every unit each of these members sits in, with all the units above them: their branch, their CLP
/// and the local authority of their postcode in the current boundary set. A grant over any of these
/// covers them. One statement for them all; a member who sits nowhere has an empty list.
pub async fn units_of(store: &Store, member_ids: &[i64]) -> Result<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = member_ids.iter().map(|&id| (id, Vec::new())).collect();
    if member_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "WITH RECURSIVE found AS (SELECT m.id, pu.branch_unit_id, pu.clp_unit_id, la.id AS la_id \
           FROM members m {CURRENT_UNITS_JOIN} {PLACED_JOIN} WHERE m.id IN ({})), {UP_FROM_FOUND} \
         SELECT member_id, id FROM up ORDER BY member_id, id",
        id_list(member_ids)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?;
        for r in &rows {
            let member: i64 = r.try_get("member_id")?;
            out.entry(member).or_default().push(r.try_get("id")?);
        }
        Ok(out)
    })
}

/// A member with where they sit and their status history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub member: Member,
    /// The rows of `member.branch_unit_id` and `member.clp_unit_id`.
    pub branch: Option<Unit>,
    pub clp: Option<Unit>,
    /// What `units_of` gives for the member, in id order.
    pub units: Vec<i64>,
    /// What `status_history` gives for the member, in effective order.
    pub history: Vec<StatusRow>,
}

/// `placed_by_number`'s statement for the engine, written once: it is on the path of every read of
/// a member's record.
fn placed_sql(engine: crate::Engine) -> &'static str {
    fn written(engine: crate::Engine) -> String {
        let unit_ids = match engine {
            crate::Engine::Sqlite => "(SELECT json_group_array(id) FROM up)",
            crate::Engine::Postgres => "(SELECT COALESCE(json_agg(id), '[]'::json) FROM up)",
        };
        format!(
            "WITH RECURSIVE found AS (SELECT {MEMBER_COLUMNS}, la.id AS la_id, CAST({} AS TEXT) AS history \
               FROM members m {CURRENT_UNITS_JOIN} {PLACED_JOIN} WHERE m.membership_number = $1), \
             {UP_FROM_FOUND} \
             SELECT found.*, CAST({unit_ids} AS TEXT) AS unit_ids, {}, {} FROM found \
               LEFT JOIN units b ON b.id = found.branch_unit_id LEFT JOIN units c ON c.id = found.clp_unit_id",
            history_json(engine),
            unit_columns("b", "b_"),
            unit_columns("c", "c_"),
        )
    }
    static SQLITE: LazyLock<String> = LazyLock::new(|| written(crate::Engine::Sqlite));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| written(crate::Engine::Postgres));
    match engine {
        crate::Engine::Sqlite => &SQLITE,
        crate::Engine::Postgres => &POSTGRES,
    }
}

/// The member with this number, their branch and CLP, every unit above them (as `units_of`) and
/// their status history, in one statement and one row: each read of a member's record needs all of
/// it, and through sqlx's SQLite driver every statement, and every row of its result, is a round trip
/// to the connection's own thread, which under load cost more than the database's work.
pub async fn placed_by_number(store: &Store, number: &str) -> Result<Option<Placed>> {
    let sql = placed_sql(store.engine());
    on_pool!(store, |c| {
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_optional(c)
            .await?
        else {
            return Ok(None);
        };
        let member = member_from_row!(r);
        let whose = format!("member {number}");
        let history: String = r.try_get("history")?;
        let history = serde_json::from_str(&history).map_err(|e| bad_json(&whose, &e))?;
        let units: String = r.try_get("unit_ids")?;
        let mut units: Vec<i64> = serde_json::from_str(&units).map_err(|e| bad_json(&whose, &e))?;
        units.sort_unstable();
        let branch = match r.try_get::<Option<i64>, _>("b_id")? {
            Some(_) => Some(unit_from_row!(r, "b_")),
            None => None,
        };
        let clp = match r.try_get::<Option<i64>, _>("c_id")? {
            Some(_) => Some(unit_from_row!(r, "c_")),
            None => None,
        };
        Ok(Some(Placed {
            history: history_from_json(member.id, &whose, history)?,
            member,
            branch,
            clp,
            units,
        }))
    })
}

/// Members whose postcode lies in a local authority (by its LAD code) in the current boundary set,
/// in id order after `after_id`: the list a group leader gets for the area they represent.
pub async fn page_in_local_authority(
    store: &Store,
    lad_code: &str,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {CURRENT_UNITS_JOIN} \
         JOIN register_settings s ON s.key = 'current_boundary_set' \
         JOIN postcodes p ON p.boundary_set = s.value AND p.postcode = m.postcode \
         WHERE p.lad_code = $1 AND m.id > $2 ORDER BY m.id {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(lad_code)
            .bind(after_id)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(member_from_row!(r))).collect()
    })
}

/// Members whose name or membership number starts with `text` (case-insensitive), or whose postcode
/// starts with `postcode` (a prefix of capitals, digits and spaces), among those placed in `units`
/// (or all when `None`), at most `limit`.
pub async fn search(
    store: &Store,
    text: &str,
    postcode: Option<&str>,
    units: Option<&[i64]>,
    limit: i64,
) -> Result<Vec<Member>> {
    let filter = match units {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => in_units(ids),
        None => String::new(),
    };
    let by_postcode = if postcode.is_some() {
        "OR m.postcode LIKE $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {CURRENT_UNITS_JOIN} WHERE (LOWER(m.family_name) LIKE $1 \
         OR LOWER(m.given_name) LIKE $1 OR LOWER(m.membership_number) LIKE $1 {by_postcode}) {filter} \
         ORDER BY m.family_name, m.given_name, m.id {}",
        crate::sql::limit(limit)
    );
    let pattern = format!(
        "{}%",
        text.trim().to_lowercase().replace(['\\', '%', '_'], "")
    );
    on_pool!(store, |c| {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(&pattern);
        if let Some(p) = postcode {
            query = query.bind(format!("{p}%"));
        }
        let rows = query.fetch_all(c).await?;
        rows.iter().map(|r| Ok(member_from_row!(r))).collect()
    })
}

pub async fn number_of(store: &Store, id: i64) -> Result<Option<String>> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT membership_number FROM members WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?;
        r.map(|r| r.try_get("membership_number"))
            .transpose()
            .map_err(Into::into)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_page_keeps_its_order_and_each_history_comes_in_effective_order() {
        let text = r#"[
            [9,"L9","Bo","Lee","L2 2AA","active","2020-01-01","2020-01-01",null,3,2,[]],
            [7,"L7","Ada","Cole","L1 8JQ","active","2025-01-01","2025-01-01","2027-01-01",3,2,
             [["2026-03-01","active","renewed","cli",9,12],
              ["2025-01-01","provisional","joined","cli",1,3],
              ["2026-03-01","in_arrears","payment_missed","cli",8,11]]],
            [4,"L4","Cy","Ng","L2 2AA","lapsed","2019-05-01","2019-05-01",null,null,null,[]]
        ]"#;
        let page = page_from_json(text).unwrap();
        let order: Vec<&str> = page.iter().map(|m| m.membership_number.as_str()).collect();
        assert_eq!(order, ["L9", "L7", "L4"]);
        let seen: Vec<(String, &str)> = page[1]
            .history
            .iter()
            .map(|r| (r.effective_on.to_string(), r.status.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("2025-01-01".to_string(), "provisional"),
                ("2026-03-01".to_string(), "in_arrears"),
                ("2026-03-01".to_string(), "active"),
            ]
        );
        assert!(page[1].history.iter().all(|r| r.member_id == 7));
        assert_eq!(page[1].paid_up_until.unwrap().to_string(), "2027-01-01");
        assert_eq!(page[2].branch_unit_id, None);
        let bad =
            r#"[[7,"L7","Ada","Cole","L1 8JQ","active","01/01/2025","2025-01-01",null,3,2,[]]]"#;
        assert!(page_from_json(bad)
            .unwrap_err()
            .to_string()
            .contains("member L7"));
        assert!(page_from_json("[]").unwrap().is_empty());
    }
}
