//! Boundary sets and the postcodes in them. A postcode maps to different wards and constituencies in
//! different sets, so every postcode row is keyed by (set, postcode).
use crate::sql::{current_set_sql, fixed_chunks, padded, placeholders, LOOKUP_CHUNK};
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use time::Date;

/// One postcode's codes in a boundary set. Codes are GSS codes; a pseudo code (`E99999999`) is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostcodeRow {
    pub postcode: String,
    pub ward_code: Option<String>,
    pub lad_code: Option<String>,
    pub pcon_code: Option<String>,
    pub region_code: Option<String>,
    pub country_code: Option<String>,
    pub terminated_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundarySet {
    pub name: String,
    pub effective_from: Option<Date>,
    pub effective_until: Option<Date>,
}

pub async fn upsert_boundary_set(tx: &mut Tx, set: &BoundarySet, imported_at: &str) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO boundary_sets (name, effective_from, effective_until, imported_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET effective_from = excluded.effective_from, \
             effective_until = excluded.effective_until, imported_at = excluded.imported_at",
        )
        .bind(&set.name)
        .bind(set.effective_from)
        .bind(set.effective_until)
        .bind(imported_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn boundary_sets(store: &Store) -> Result<Vec<BoundarySet>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT name, effective_from, effective_until FROM boundary_sets ORDER BY name",
        )
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BoundarySet {
                    name: r.try_get("name")?,
                    effective_from: r.try_get("effective_from")?,
                    effective_until: r.try_get("effective_until")?,
                })
            })
            .collect()
    })
}

const POSTCODE_COLUMNS: usize = 8;
/// Rows per multi-row INSERT (see `sql::fixed_chunks` on why statements stay small).
pub const POSTCODE_CHUNK: usize = 20;

/// Inserts or replaces postcodes of a set. Re-importing the same file changes nothing.
pub async fn upsert_postcodes(tx: &mut Tx, set: &str, rows: &[PostcodeRow]) -> Result<()> {
    for chunk in fixed_chunks(rows, POSTCODE_CHUNK) {
        let sql = format!(
            "INSERT INTO postcodes (boundary_set, postcode, ward_code, lad_code, pcon_code, region_code, \
             country_code, terminated_on) VALUES {} ON CONFLICT (boundary_set, postcode) DO UPDATE SET \
             ward_code = excluded.ward_code, lad_code = excluded.lad_code, pcon_code = excluded.pcon_code, \
             region_code = excluded.region_code, country_code = excluded.country_code, \
             terminated_on = excluded.terminated_on",
            placeholders(chunk.len(), POSTCODE_COLUMNS)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = q
                    .bind(set)
                    .bind(&r.postcode)
                    .bind(&r.ward_code)
                    .bind(&r.lad_code)
                    .bind(&r.pcon_code)
                    .bind(&r.region_code)
                    .bind(&r.country_code)
                    .bind(r.terminated_on);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// A distinct (ward, authority, constituency, region, country) combination of a set with the number of
/// live postcodes in it: what units are built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    pub ward_code: Option<String>,
    pub lad_code: Option<String>,
    pub pcon_code: Option<String>,
    pub region_code: Option<String>,
    pub country_code: Option<String>,
    pub postcodes: i64,
}

pub async fn combinations(tx: &mut Tx, set: &str) -> Result<Vec<Combination>> {
    on_tx!(tx, |c| {
        let rows = sqlx::query(
            "SELECT ward_code, lad_code, pcon_code, region_code, country_code, COUNT(*) AS n FROM postcodes \
             WHERE boundary_set = $1 AND terminated_on IS NULL \
             GROUP BY ward_code, lad_code, pcon_code, region_code, country_code \
             ORDER BY ward_code, pcon_code, lad_code, region_code, country_code",
        )
        .bind(set)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Combination {
                    ward_code: r.try_get("ward_code")?,
                    lad_code: r.try_get("lad_code")?,
                    pcon_code: r.try_get("pcon_code")?,
                    region_code: r.try_get("region_code")?,
                    country_code: r.try_get("country_code")?,
                    postcodes: r.try_get("n")?,
                })
            })
            .collect()
    })
}

/// Where a postcode places a member in a set: the ward and the units it resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub postcode: String,
    pub ward_code: Option<String>,
    pub pcon_code: Option<String>,
    pub terminated_on: Option<Date>,
    pub clp_unit_id: Option<i64>,
    pub branch_unit_id: Option<i64>,
}

/// Looks up many postcodes at once (the import asks per batch, so memory stays flat).
pub async fn placements(tx: &mut Tx, set: &str, postcodes: &[&str]) -> Result<Vec<Placement>> {
    let mut out = Vec::with_capacity(postcodes.len());
    for chunk in postcodes.chunks(LOOKUP_CHUNK) {
        let chunk = padded(chunk, LOOKUP_CHUNK);
        let list = (0..chunk.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT p.postcode, p.ward_code, p.pcon_code, p.terminated_on, pu.clp_unit_id AS clp_id, pu.branch_unit_id \
             FROM postcodes p \
             LEFT JOIN postcode_units pu ON pu.boundary_set = p.boundary_set AND pu.postcode = p.postcode \
             WHERE p.boundary_set = $1 AND p.postcode IN ({list})"
        );
        let rows: Vec<Placement> = on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(set);
            for p in &chunk {
                q = q.bind(*p);
            }
            let rows = q.fetch_all(c).await?;
            rows.iter()
                .map(|r| {
                    Ok(Placement {
                        postcode: r.try_get("postcode")?,
                        ward_code: r.try_get("ward_code")?,
                        pcon_code: r.try_get("pcon_code")?,
                        terminated_on: r.try_get("terminated_on")?,
                        clp_unit_id: r.try_get("clp_id")?,
                        branch_unit_id: r.try_get("branch_unit_id")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        out.extend(rows);
    }
    Ok(out)
}

pub async fn postcode_count(store: &Store, set: &str) -> Result<i64> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM postcodes WHERE boundary_set = $1")
            .bind(set)
            .fetch_one(c)
            .await?;
        Ok(r.try_get("n")?)
    })
}

pub(crate) const CURRENT_SET: &str = "current_boundary_set";

/// Joins each member (alias `m`) to the units their postcode gives in the register's current boundary
/// set (alias `pu`: `ward_code`, `clp_unit_id`, `branch_unit_id`, all null where the postcode has none).
pub const CURRENT_UNITS_JOIN: &str = concat!(
    "LEFT JOIN postcode_units pu ON pu.boundary_set = ",
    current_set_sql!(),
    " AND pu.postcode = m.postcode"
);

/// Recomputes where each postcode of a set puts a member (ward, constituency party, branch), after the
/// set's postcodes or units change. Members' current units are read through this table.
pub async fn refresh_postcode_units(tx: &mut Tx, set: &str) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query("DELETE FROM postcode_units WHERE boundary_set = $1")
            .bind(set)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO postcode_units (boundary_set, postcode, ward_code, clp_unit_id, branch_unit_id) \
             SELECT p.boundary_set, p.postcode, p.ward_code, cu.id, bw.branch_unit_id FROM postcodes p \
             LEFT JOIN units cu ON cu.boundary_set = p.boundary_set AND cu.kind = 'clp' AND cu.gss_code = p.pcon_code \
             LEFT JOIN branch_wards bw ON bw.boundary_set = p.boundary_set AND bw.ward_code = p.ward_code \
               AND bw.clp_unit_id = cu.id \
             WHERE p.boundary_set = $1",
        )
        .bind(set)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn current_set(store: &Store) -> Result<Option<String>> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT value FROM register_settings WHERE key = $1")
            .bind(CURRENT_SET)
            .fetch_optional(c)
            .await?;
        r.map(|r| r.try_get("value"))
            .transpose()
            .map_err(Into::into)
    })
}

pub async fn current_set_tx(tx: &mut Tx) -> Result<Option<String>> {
    on_tx!(tx, |c| {
        let r = sqlx::query("SELECT value FROM register_settings WHERE key = $1")
            .bind(CURRENT_SET)
            .fetch_optional(c)
            .await?;
        r.map(|r| r.try_get("value"))
            .transpose()
            .map_err(Into::into)
    })
}

pub async fn set_current_set(tx: &mut Tx, set: &str) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO register_settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(CURRENT_SET)
        .bind(set)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}
