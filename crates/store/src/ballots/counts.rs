//! Aggregate counts for dashboards: members by recorded status within units or a local authority's
//! area, and the accounts an administrator manages. Counts only, no personal data.
use crate::organisation::geography::CURRENT_UNITS_JOIN;
use crate::{on_pool, Result, Store};
use sqlx::Row;

/// Members by recorded status, placed (as branch or CLP) in one of `units`, or everywhere if `None`.
pub async fn members_by_status(store: &Store, units: Option<&[i64]>) -> Result<Vec<(String, i64)>> {
    let filter = match units {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => crate::register::members::in_units(ids),
        None => String::new(),
    };
    let sql = format!(
        "SELECT m.status AS status, COUNT(*) AS n FROM members m {CURRENT_UNITS_JOIN} WHERE 1 = 1 {filter} \
         GROUP BY m.status ORDER BY m.status"
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    })
}

/// Members by recorded status whose postcode lies in a local authority's area (current set).
pub async fn members_by_status_in_local_authority(
    store: &Store,
    lad_code: &str,
) -> Result<Vec<(String, i64)>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT m.status AS status, COUNT(*) AS n FROM members m \
             JOIN register_settings s ON s.key = 'current_boundary_set' \
             JOIN postcodes p ON p.boundary_set = s.value AND p.postcode = m.postcode \
             WHERE p.lad_code = $1 GROUP BY m.status ORDER BY m.status",
        )
        .bind(lad_code)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    })
}

/// An account as the administrator's overview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLine {
    pub id: i64,
    pub email: String,
    pub second_factor: bool,
    pub roles: String,
}

/// The first `limit` accounts with their roles (comma-joined).
pub async fn accounts(store: &Store, limit: i64) -> Result<Vec<AccountLine>> {
    let sql = format!(
        "SELECT a.id AS id, a.email AS email, a.totp_enrolled AS totp, g.role AS role \
         FROM accounts a LEFT JOIN grants g ON g.account_id = a.id \
         WHERE a.id IN (SELECT id FROM accounts ORDER BY id {}) ORDER BY a.id, g.id",
        crate::sql::limit(limit)
    );
    on_pool!(store, |c| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?;
        let mut out: Vec<AccountLine> = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let role: Option<String> = r.try_get("role")?;
            match out.last_mut() {
                Some(last) if last.id == id => {
                    if let Some(role) = role {
                        last.roles = format!("{}, {role}", last.roles);
                    }
                }
                _ => out.push(AccountLine {
                    id,
                    email: r.try_get("email")?,
                    second_factor: r.try_get("totp")?,
                    roles: role.unwrap_or_default(),
                }),
            }
        }
        Ok(out)
    })
}
