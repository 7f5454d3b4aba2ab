//! Boundary reallocation as set-based SQL over ranges of member ids. Each range commits with the run's
//! checkpoint, so a killed run resumes where it stopped, and a rerun never places a member twice (the
//! unique index on (run, member) guards it).
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub to_set: String,
    pub from_set: String,
    pub effective_on: Date,
    pub last_member_id: i64,
}

pub const PLACEMENT_REASON: &str = "boundary_reallocation";

pub async fn unfinished(store: &Store, to_set: &str, effective_on: Date) -> Result<Option<Run>> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT id, to_set, from_set, effective_on, last_member_id FROM reallocation_runs \
             WHERE to_set = $1 AND effective_on = $2 AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(to_set)
        .bind(effective_on)
        .fetch_optional(c)
        .await?;
        match r {
            Some(r) => Ok(Some(Run {
                id: r.try_get("id")?,
                to_set: r.try_get("to_set")?,
                from_set: r.try_get("from_set")?,
                effective_on: r.try_get("effective_on")?,
                last_member_id: r.try_get("last_member_id")?,
            })),
            None => Ok(None),
        }
    })
}

pub async fn start(
    tx: &mut Tx,
    to_set: &str,
    from_set: &str,
    effective_on: Date,
    started_at: &str,
) -> Result<i64> {
    let id: i64 = on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO reallocation_runs (to_set, from_set, effective_on, started_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(to_set)
        .bind(from_set)
        .bind(effective_on)
        .bind(started_at)
        .fetch_one(c)
        .await?;
        r.try_get("id")
    })?;
    Ok(id)
}

pub async fn max_member_id(store: &Store) -> Result<i64> {
    on_pool!(store, |c| {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM members")
            .fetch_one(c)
            .await?;
        Ok(r.try_get("n")?)
    })
}

/// What one range did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkOutcome {
    pub placed: u64,
    pub exceptions: u64,
}

/// Places every member with id in (`from_id`, `to_id`], by the postcode on their record, in the units
/// that postcode gives in the run's set, records the members whose postcode gives no constituency
/// party there as exceptions, and moves the checkpoint. Member rows are not touched: a member's
/// current units are read through `postcode_units` for the current set, which the run switches when
/// it finishes.
pub async fn apply_chunk(
    tx: &mut Tx,
    run: &Run,
    from_id: i64,
    to_id: i64,
    audit_seq: i64,
) -> Result<ChunkOutcome> {
    let (placed, exceptions) = on_tx!(tx, |c| {
        // CROSS JOIN keeps members as SQLite's outer loop, so placements are written in member order
        // (each index insert lands next to the last); PostgreSQL treats it as a plain inner join.
        let placed = sqlx::query(
            "INSERT INTO member_placements (member_id, effective_from, boundary_set, postcode, ward_code, \
             branch_unit_id, clp_unit_id, previous_clp_unit_id, reason_code, reallocation_run, audit_seq) \
             SELECT m.id, CASE WHEN m.joined_on > $1 THEN m.joined_on ELSE $1 END, $2, m.postcode, nu.ward_code, \
             nu.branch_unit_id, nu.clp_unit_id, ou.clp_unit_id, $3, $4, $5 \
             FROM members m CROSS JOIN postcode_units nu \
             LEFT JOIN postcode_units ou ON ou.boundary_set = $6 AND ou.postcode = m.postcode \
             WHERE nu.boundary_set = $2 AND nu.postcode = m.postcode AND nu.clp_unit_id IS NOT NULL \
             AND m.id > $7 AND m.id <= $8",
        )
        .bind(run.effective_on)
        .bind(&run.to_set)
        .bind(PLACEMENT_REASON)
        .bind(run.id)
        .bind(audit_seq)
        .bind(&run.from_set)
        .bind(from_id)
        .bind(to_id)
        .execute(&mut *c)
        .await?
        .rows_affected();
        let in_range: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM members WHERE id > $1 AND id <= $2")
                .bind(from_id)
                .bind(to_id)
                .fetch_one(&mut *c)
                .await?
                .try_get("n")?;
        // Every member of the range not placed is an exception; look for them only when there are any.
        let exceptions = if placed < in_range as u64 {
            sqlx::query(
                "INSERT INTO reallocation_exceptions (run_id, member_id, reason) \
                 SELECT $1, m.id, CASE WHEN p.postcode IS NULL THEN 'postcode ' || m.postcode || ' is not in boundary set ' || $2 \
                   WHEN p.pcon_code IS NULL THEN 'postcode ' || m.postcode || ' has no constituency in boundary set ' || $2 \
                   ELSE 'no constituency party for ' || p.pcon_code || ' in boundary set ' || $2 END \
                 FROM members m \
                 LEFT JOIN postcodes p ON p.boundary_set = $2 AND p.postcode = m.postcode \
                 LEFT JOIN postcode_units nu ON nu.boundary_set = $2 AND nu.postcode = m.postcode \
                 WHERE m.id > $3 AND m.id <= $4 AND nu.clp_unit_id IS NULL",
            )
            .bind(run.id)
            .bind(&run.to_set)
            .bind(from_id)
            .bind(to_id)
            .execute(&mut *c)
            .await?
            .rows_affected()
        } else {
            0
        };
        sqlx::query("UPDATE reallocation_runs SET last_member_id = $1 WHERE id = $2")
            .bind(to_id)
            .bind(run.id)
            .execute(&mut *c)
            .await?;
        Ok::<_, crate::StoreError>((placed, exceptions))
    })?;
    Ok(ChunkOutcome { placed, exceptions })
}

/// What a range did, one line per member (member, new CLP, new branch, previous CLP; 0 for none),
/// for its audit event's digest and its counts; joined in the database, so a million placements are
/// not read back row by row.
pub async fn chunk_digest_input(
    tx: &mut Tx,
    run_id: i64,
    from_id: i64,
    to_id: i64,
) -> Result<String> {
    let text: Option<String> = on_tx!(tx, |c| {
        let r = sqlx::query(
            "SELECT string_agg(CAST(member_id AS TEXT) || ',' || COALESCE(CAST(clp_unit_id AS TEXT), '0') || ',' \
             || COALESCE(CAST(branch_unit_id AS TEXT), '0') || ',' || COALESCE(CAST(previous_clp_unit_id AS TEXT), '0') \
             || '\n', '' ORDER BY member_id) AS lines \
             FROM member_placements WHERE reallocation_run = $1 AND member_id > $2 AND member_id <= $3",
        )
        .bind(run_id)
        .bind(from_id)
        .bind(to_id)
        .fetch_one(c)
        .await?;
        r.try_get("lines")
    })?;
    Ok(text.unwrap_or_default())
}

/// The exceptions of a range counted by the CLP their postcode gives in the run's previous set.
pub async fn chunk_exception_counts(
    tx: &mut Tx,
    run: &Run,
    from_id: i64,
    to_id: i64,
) -> Result<Vec<SummaryCount>> {
    on_tx!(tx, |c| {
        let rows = sqlx::query(
            "SELECT ou.clp_unit_id AS old_clp, COUNT(*) AS n FROM reallocation_exceptions x \
             JOIN members m ON m.id = x.member_id \
             LEFT JOIN postcode_units ou ON ou.boundary_set = $2 AND ou.postcode = m.postcode \
             WHERE x.run_id = $1 AND x.member_id > $3 AND x.member_id <= $4 GROUP BY ou.clp_unit_id",
        )
        .bind(run.id)
        .bind(&run.from_set)
        .bind(from_id)
        .bind(to_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SummaryCount {
                    new_clp: None,
                    old_clp: r.try_get("old_clp")?,
                    exception: true,
                    members: r.try_get("n")?,
                })
            })
            .collect::<Result<Vec<_>>>()
    })
}

/// Records a range's counts with the range.
pub async fn add_counts(tx: &mut Tx, run_id: i64, counts: &[SummaryCount]) -> Result<()> {
    for c in counts {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO reallocation_counts (run_id, new_clp_unit_id, old_clp_unit_id, exception, members) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(run_id)
            .bind(c.new_clp)
            .bind(c.old_clp)
            .bind(c.exception)
            .bind(c.members)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn finish(tx: &mut Tx, run_id: i64, finished_at: &str) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query("UPDATE reallocation_runs SET finished_at = $1 WHERE id = $2")
            .bind(finished_at)
            .bind(run_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// One line of the reallocation report (SPEC 5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub member_id: i64,
    pub membership_number: String,
    pub postcode: String,
    pub ward: Option<String>,
    pub old_constituency: Option<String>,
    pub new_constituency: Option<String>,
    pub old_clp_name: Option<String>,
    pub new_clp_name: Option<String>,
    pub exception: Option<String>,
}

/// The report of a run for the members with ids in (`from_id`, `to_id`], in id order. The old
/// constituency is the CLP the member was in just before the run (kept on the new placement; for an
/// exception, the CLP their postcode gives in the run's previous set). Every join is an index lookup.
pub async fn report_page(
    store: &Store,
    run_id: i64,
    from_id: i64,
    to_id: i64,
    tx: Option<&mut Tx>,
) -> Result<Vec<ReportRow>> {
    let sql = "SELECT m.id, m.membership_number, m.postcode, COALESCE(np.ward_code, pp.ward_code) AS ward, \
         oc.gss_code AS old_gss, oc.name AS old_name, nc.gss_code AS new_gss, nc.name AS new_name, x.reason \
         FROM members m \
         JOIN reallocation_runs r ON r.id = $1 \
         LEFT JOIN member_placements np ON np.reallocation_run = $1 AND np.member_id = m.id \
         LEFT JOIN units nc ON nc.id = np.clp_unit_id \
         LEFT JOIN reallocation_exceptions x ON x.run_id = $1 AND x.member_id = m.id \
         LEFT JOIN units oc ON oc.id = CASE WHEN np.member_id IS NULL THEN \
           (SELECT ou.clp_unit_id FROM postcode_units ou WHERE ou.boundary_set = r.from_set AND ou.postcode = m.postcode) \
           ELSE np.previous_clp_unit_id END \
         LEFT JOIN postcodes pp ON pp.boundary_set = r.to_set AND pp.postcode = m.postcode \
         WHERE m.id > $2 AND m.id <= $3 ORDER BY m.id";
    macro_rules! read {
        ($c:expr) => {{
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(run_id)
                .bind(from_id)
                .bind(to_id)
                .fetch_all($c)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(ReportRow {
                        member_id: r.try_get("id")?,
                        membership_number: r.try_get("membership_number")?,
                        postcode: r.try_get("postcode")?,
                        ward: r.try_get("ward")?,
                        old_constituency: r.try_get("old_gss")?,
                        new_constituency: r.try_get("new_gss")?,
                        old_clp_name: r.try_get("old_name")?,
                        new_clp_name: r.try_get("new_name")?,
                        exception: r.try_get("reason")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        }};
    }
    match tx {
        Some(tx) => on_tx!(tx, |c| read!(c)),
        None => on_pool!(store, |c| read!(c)),
    }
}

/// Members of a run counted by (new CLP, previous CLP, exception), as each range recorded them: the
/// summary without reading every member back. An exception's previous CLP is the one their postcode
/// gives in the run's previous set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryCount {
    pub new_clp: Option<i64>,
    pub old_clp: Option<i64>,
    pub exception: bool,
    pub members: i64,
}

pub async fn summary_counts(
    store: &Store,
    run_id: i64,
    tx: Option<&mut Tx>,
) -> Result<Vec<SummaryCount>> {
    let sql = "SELECT new_clp_unit_id AS new_clp, old_clp_unit_id AS old_clp, exception, \
         CAST(SUM(members) AS BIGINT) AS n FROM reallocation_counts WHERE run_id = $1 \
         GROUP BY new_clp_unit_id, old_clp_unit_id, exception";
    macro_rules! read {
        ($c:expr) => {{
            let rows = sqlx::query(sql).bind(run_id).fetch_all($c).await?;
            rows.iter()
                .map(|r| {
                    Ok(SummaryCount {
                        new_clp: r.try_get("new_clp")?,
                        old_clp: r.try_get("old_clp")?,
                        exception: r.try_get("exception")?,
                        members: r.try_get("n")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        }};
    }
    match tx {
        Some(tx) => on_tx!(tx, |c| read!(c)),
        None => on_pool!(store, |c| read!(c)),
    }
}
