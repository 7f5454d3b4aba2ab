//! The party's units. A unit is keyed by (boundary set, code): constituency parties and branches belong
//! to one boundary set, while the national party, nations, regions and local authorities belong to no
//! set (the empty string).
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unit {
    pub id: i64,
    pub boundary_set: String,
    pub code: String,
    pub kind: String,
    pub name: String,
    pub gss_code: Option<String>,
    pub parent_id: Option<i64>,
    pub special_measures: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnit<'a> {
    pub boundary_set: &'a str,
    pub code: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub gss_code: Option<&'a str>,
    pub parent_id: Option<i64>,
}

const UNIT_COLUMNS: &str =
    "id, boundary_set, code, kind, name, gss_code, parent_id, special_measures, version";

/// `UNIT_COLUMNS` of the units aliased `alias`, each named with `prefix` in front, for
/// `unit_from_row!(r, prefix)` when a query returns a unit's columns beside another table's.
pub(crate) fn unit_columns(alias: &str, prefix: &str) -> String {
    UNIT_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c} AS {prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

macro_rules! unit_from_row {
    ($r:expr) => {
        unit_from_row!($r, "")
    };
    ($r:expr, $prefix:literal) => {
        Unit {
            id: $r.try_get(concat!($prefix, "id"))?,
            boundary_set: $r.try_get(concat!($prefix, "boundary_set"))?,
            code: $r.try_get(concat!($prefix, "code"))?,
            kind: $r.try_get(concat!($prefix, "kind"))?,
            name: $r.try_get(concat!($prefix, "name"))?,
            gss_code: $r.try_get(concat!($prefix, "gss_code"))?,
            parent_id: $r.try_get(concat!($prefix, "parent_id"))?,
            special_measures: $r.try_get(concat!($prefix, "special_measures"))?,
            version: $r.try_get(concat!($prefix, "version"))?,
        }
    };
}
pub(crate) use unit_from_row;

/// Creates the unit, or updates its name and parent if it exists; returns its id and whether the row
/// changed (so callers audit only real changes).
pub async fn upsert(tx: &mut Tx, u: &NewUnit<'_>) -> Result<(i64, bool)> {
    type Found = Option<(i64, String, Option<String>, Option<i64>)>;
    let existing: Found = on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT id, name, gss_code, parent_id FROM units WHERE boundary_set = $1 AND code = $2",
        )
        .bind(u.boundary_set)
        .bind(u.code)
        .fetch_optional(c)
        .await?;
        match r {
            Some(r) => Ok::<Found, crate::StoreError>(Some((
                r.try_get("id")?,
                r.try_get("name")?,
                r.try_get("gss_code")?,
                r.try_get("parent_id")?,
            ))),
            None => Ok(None),
        }
    })?;
    if let Some((id, name, gss, parent)) = existing {
        if name == u.name && gss.as_deref() == u.gss_code && parent == u.parent_id {
            return Ok((id, false));
        }
        on_tx!(tx, |c| {
            sqlx::query(
                "UPDATE units SET name = $1, gss_code = $2, parent_id = $3, version = version + 1 WHERE id = $4",
            )
            .bind(u.name)
            .bind(u.gss_code)
            .bind(u.parent_id)
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
        })?;
        return Ok((id, true));
    }
    let id: i64 = on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO units (boundary_set, code, kind, name, gss_code, parent_id) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(u.boundary_set)
        .bind(u.code)
        .bind(u.kind)
        .bind(u.name)
        .bind(u.gss_code)
        .bind(u.parent_id)
        .fetch_one(c)
        .await?;
        r.try_get("id")
    })?;
    Ok((id, true))
}

/// Records that a branch covers a ward (within one CLP of a set).
pub async fn add_branch_ward(
    tx: &mut Tx,
    branch_id: i64,
    set: &str,
    ward: &str,
    clp_id: i64,
) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO branch_wards (branch_unit_id, boundary_set, ward_code, clp_unit_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (boundary_set, ward_code, clp_unit_id) DO UPDATE SET branch_unit_id = excluded.branch_unit_id",
        )
        .bind(branch_id)
        .bind(set)
        .bind(ward)
        .bind(clp_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The unit with this code. A bare code (a ward branch's ward code) is looked up in the current
/// boundary set first, then in set-free units, then in the most recent other set.
pub async fn find_by_code(
    store: &Store,
    code: &str,
    current_set: Option<&str>,
) -> Result<Option<Unit>> {
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM units WHERE code = $1 \
         ORDER BY CASE WHEN boundary_set = $2 THEN 0 WHEN boundary_set = '' THEN 1 ELSE 2 END, id DESC LIMIT 1"
    );
    on_pool!(store, |c| {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code)
            .bind(current_set.unwrap_or(""))
            .fetch_optional(c)
            .await?;
        match r {
            Some(r) => Ok(Some(unit_from_row!(r))),
            None => Ok(None),
        }
    })
}

/// `WHERE ... LIMIT 1` picking the unit with code `$1`, preferring the register's current boundary
/// set, then set-free units, then the most recent other set (as `find_by_code` with the current set).
fn code_in_current_set() -> String {
    use crate::sql::CURRENT_SET_SQL;
    format!(
        "WHERE code = $1 \
         ORDER BY CASE WHEN boundary_set = COALESCE({CURRENT_SET_SQL}, '') THEN 0 \
         WHEN boundary_set = '' THEN 1 ELSE 2 END, id DESC LIMIT 1"
    )
}

/// The unit with this code, preferring the register's current boundary set, in one query.
pub async fn find_current(store: &Store, code: &str) -> Result<Option<Unit>> {
    let sql = format!("SELECT {UNIT_COLUMNS} FROM units {}", code_in_current_set());
    on_pool!(store, |c| {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code)
            .fetch_optional(c)
            .await?;
        match r {
            Some(r) => Ok(Some(unit_from_row!(r))),
            None => Ok(None),
        }
    })
}

/// The unit `find_current` finds by this code and every unit above it, nearest first (the unit
/// itself first), in one query; empty when there is no such unit.
pub async fn current_chain(store: &Store, code: &str) -> Result<Vec<Unit>> {
    let columns = unit_columns("u", "");
    let sql = format!(
        "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM units \
         WHERE id = (SELECT id FROM units {}) \
         UNION ALL SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id) \
         SELECT {columns} FROM up JOIN units u ON u.id = up.id ORDER BY up.depth",
        code_in_current_set()
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(code)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(unit_from_row!(r))).collect()
    })
}

pub async fn get(store: &Store, id: i64) -> Result<Option<Unit>> {
    let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1");
    on_pool!(store, |c| {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await?;
        match r {
            Some(r) => Ok(Some(unit_from_row!(r))),
            None => Ok(None),
        }
    })
}

/// Units of a kind (or all), in id order, a page at a time.
pub async fn list(
    store: &Store,
    kind: Option<&str>,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Unit>> {
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM units WHERE ($1 = '' OR kind = $1) AND id > $2 ORDER BY id {}",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(kind.unwrap_or(""))
            .bind(after_id)
            .fetch_all(c)
            .await?;
        rows.iter().map(|r| Ok(unit_from_row!(r))).collect()
    })
}

/// Every unit beneath `id` (its descendants), for scoping grants and lists.
pub async fn descendants(store: &Store, id: i64) -> Result<Vec<i64>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "WITH RECURSIVE tree(id) AS (SELECT id FROM units WHERE id = $1 \
             UNION ALL SELECT u.id FROM units u JOIN tree t ON u.parent_id = t.id) SELECT id FROM tree",
        )
        .bind(id)
        .fetch_all(c)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    })
}

/// The unit and every unit above it, nearest first, for checking grants against.
pub async fn ancestors(store: &Store, id: i64) -> Result<Vec<i64>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM units WHERE id = $1 \
             UNION ALL SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id) \
             SELECT id FROM up ORDER BY depth",
        )
        .bind(id)
        .fetch_all(c)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    })
}

/// The branches whose wards lie in a local authority (by LAD code) in the current boundary set.
pub async fn branches_in_local_authority(store: &Store, lad_code: &str) -> Result<Vec<i64>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT DISTINCT bw.branch_unit_id AS id FROM branch_wards bw \
             JOIN register_settings s ON s.key = 'current_boundary_set' AND bw.boundary_set = s.value \
             JOIN postcodes p ON p.boundary_set = bw.boundary_set AND p.ward_code = bw.ward_code \
             WHERE p.lad_code = $1 ORDER BY id",
        )
        .bind(lad_code)
        .fetch_all(c)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    })
}
