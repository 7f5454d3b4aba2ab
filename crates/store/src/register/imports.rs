//! Checkpoints of bulk imports. Each batch commits its rows together with the run's progress, so a
//! killed import leaves whole batches only, and a rerun of the same file resumes after the last one.
use crate::{on_pool, on_tx, Result, Store, Tx};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    pub id: i64,
    pub lines_done: i64,
    pub imported: i64,
    pub updated: i64,
    pub rejected: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub line: i64,
    pub membership_number: String,
    pub reason: String,
}

/// The unfinished run of this file (same kind and content digest), if a previous one was cut off.
pub async fn unfinished(store: &Store, kind: &str, file_digest: &str) -> Result<Option<ImportRun>> {
    on_pool!(store, |c| {
        let r = sqlx::query(
            "SELECT id, lines_done, imported, updated, rejected FROM import_runs \
             WHERE kind = $1 AND file_digest = $2 AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(kind)
        .bind(file_digest)
        .fetch_optional(c)
        .await?;
        match r {
            Some(r) => Ok(Some(ImportRun {
                id: r.try_get("id")?,
                lines_done: r.try_get("lines_done")?,
                imported: r.try_get("imported")?,
                updated: r.try_get("updated")?,
                rejected: r.try_get("rejected")?,
            })),
            None => Ok(None),
        }
    })
}

pub async fn start(
    tx: &mut Tx,
    kind: &str,
    file_name: &str,
    file_digest: &str,
    started_at: &str,
) -> Result<i64> {
    let id: i64 = on_tx!(tx, |c| {
        let r = sqlx::query(
            "INSERT INTO import_runs (kind, file_name, file_digest, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(kind)
        .bind(file_name)
        .bind(file_digest)
        .bind(started_at)
        .fetch_one(c)
        .await?;
        r.try_get("id")
    })?;
    Ok(id)
}

/// Records a committed batch: the last line it covered and what it did.
pub async fn advance(tx: &mut Tx, run: &ImportRun) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query(
            "UPDATE import_runs SET lines_done = $1, imported = $2, updated = $3, rejected = $4 WHERE id = $5",
        )
        .bind(run.lines_done)
        .bind(run.imported)
        .bind(run.updated)
        .bind(run.rejected)
        .bind(run.id)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn add_rejects(tx: &mut Tx, run_id: i64, rejects: &[Reject]) -> Result<()> {
    for chunk in crate::sql::fixed_chunks(rejects, 50) {
        let sql = format!(
            "INSERT INTO import_rejects (run_id, line, membership_number, reason) VALUES {}",
            crate::sql::placeholders(chunk.len(), 4)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = q
                    .bind(run_id)
                    .bind(r.line)
                    .bind(&r.membership_number)
                    .bind(&r.reason);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn finish(tx: &mut Tx, run_id: i64, finished_at: &str) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query("UPDATE import_runs SET finished_at = $1 WHERE id = $2")
            .bind(finished_at)
            .bind(run_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn rejects(store: &Store, run_id: i64) -> Result<Vec<Reject>> {
    on_pool!(store, |c| {
        let rows = sqlx::query(
            "SELECT line, membership_number, reason FROM import_rejects WHERE run_id = $1 ORDER BY line",
        )
        .bind(run_id)
        .fetch_all(c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Reject {
                    line: r.try_get("line")?,
                    membership_number: r.try_get("membership_number")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    })
}
