//! The two engines behind one type. `Store` holds a pool of either; `Tx` a transaction of either. The
//! `on_pool!` and `on_tx!` macros expand their body once per engine, so each query is written once and compiled
//! against both drivers with their native types (dates, booleans) rather than a lowest-common-
//! denominator `Any` driver.
use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(Sqlite),
    Postgres(PgPool),
}

/// A SQLite database: reads share a pool of connections; writes queue for one connection of their
/// own. SQLite lets one connection write at a time, and a second writer waits by sleeping and
/// retrying (1, 2, 5, 10 ms and longer), so with several connections writing at once under load a
/// page that writes a line to the access log could wait tens of milliseconds. Queued for one writer,
/// writes go in order without sleeping.
#[derive(Debug, Clone)]
pub struct Sqlite {
    readers: SqlitePool,
    writer: SqlitePool,
    /// The access log's own file, attached to every connection (see `access_log_file`); `None`
    /// where the log is in the database's own file, as in a backup.
    access_log: Option<PathBuf>,
    /// Stops the checkpointer when the last copy of the store goes.
    checkpointer: Option<Arc<Checkpointer>>,
}

/// How often the checkpointer copies what the write-ahead logs hold into the database files.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the register and its access log from a reading connection, so the writer never does.
/// Left to SQLite, the connection whose commit takes the log past 1,000 pages checkpoints it there
/// and then: two fsyncs, 15 to 25 ms each on these machines. With the access log written on every
/// read of a member's record, under load that was the writer about twice a second, with every
/// request waiting on its log line held up behind it: a tenth of the time, and the slowest
/// requests. A passive checkpoint on another connection runs beside the writer without stopping it.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Checkpointer {
    fn start(readers: SqlitePool, with_access_log: bool) -> Checkpointer {
        let mut schemas = vec!["main"];
        if with_access_log {
            schemas.push(crate::access::access_log_file::SCHEMA);
        }
        Checkpointer(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                for schema in &schemas {
                    let sql = format!("PRAGMA {schema}.wal_checkpoint(PASSIVE)");
                    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&readers)
                        .await
                    {
                        if readers.is_closed() {
                            return;
                        }
                        tracing::warn!(schema, error = %e, "a checkpoint failed; the next one tries again");
                    }
                }
            }
        }))
    }
}

impl Sqlite {
    /// One pool for reads and writes alike: for a database that only this pool opens, such as a
    /// backup being written or read. SQLite checkpoints it itself.
    pub fn single(pool: SqlitePool) -> Sqlite {
        Sqlite {
            readers: pool.clone(),
            writer: pool,
            access_log: None,
            checkpointer: None,
        }
    }

    pub fn readers(&self) -> &SqlitePool {
        &self.readers
    }

    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The access log's own file, if it has one.
    pub fn access_log_file(&self) -> Option<&Path> {
        self.access_log.as_deref()
    }
}

pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to a pool of whichever engine the `&Store` holds, for reading. The
/// body is compiled once per engine.
#[macro_export]
macro_rules! on_pool {
    ($store:expr, |$c:ident| $body:expr) => {
        match $store {
            $crate::Store::Sqlite(sqlite) => {
                let $c = sqlite.readers();
                $body
            }
            $crate::Store::Postgres($c) => $body,
        }
    };
}

/// As `on_pool!`, for a statement that writes outside a transaction: on SQLite it takes its turn
/// on the one writing connection (see `Sqlite`).
#[macro_export]
macro_rules! on_writer {
    ($store:expr, |$c:ident| $body:expr) => {
        match $store {
            $crate::Store::Sqlite(sqlite) => {
                let $c = sqlite.writer();
                $body
            }
            $crate::Store::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of whichever engine the `&mut Tx` holds.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

impl Store {
    /// Opens the database named by the URL, creating a SQLite file if it does not exist, and applies
    /// any pending migrations (and, once, records the digests of the members already there:
    /// `member_digests::baseline`).
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the database without migrating it.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // SQLite's default page cache is 2 MB: bulk work over a register of a million members
                // (an import's index inserts, a reallocation's placements) then spills and rereads
                // pages. 64 MB per connection, allocated only as used, keeps the hot indexes in memory.
                .pragma("cache_size", "-65536")
                // ANALYZE samples at most this many rows per index: plans need the shape of a table,
                // and a full scan of a million-member register costs a second for nothing better.
                .pragma("analysis_limit", "1000");
            let access_log = crate::access::access_log_file::path_for(options.get_filename());
            if let Some(file) = &access_log {
                crate::access::access_log_file::prepare(file).await?;
            }
            let pool = |max: u32, writer: bool| {
                let file = access_log.clone();
                SqlitePoolOptions::new()
                    .max_connections(max)
                    .after_connect(move |c, _| {
                        let file = file.clone();
                        Box::pin(async move {
                            if let Some(f) = file {
                                crate::access::access_log_file::attach(c, &f).await?;
                            }
                            if writer {
                                // The checkpointer does it (see `Checkpointer`).
                                sqlx::query("PRAGMA wal_autocheckpoint = 0")
                                    .execute(&mut *c)
                                    .await?;
                            }
                            Ok(())
                        })
                    })
            };
            let readers = pool(8, false).connect_with(options.clone()).await?;
            let writer = pool(1, true).connect_with(options).await?;
            let checkpointer = Checkpointer::start(readers.clone(), access_log.is_some());
            Ok(Store::Sqlite(Sqlite {
                readers,
                writer,
                access_log,
                checkpointer: Some(Arc::new(checkpointer)),
            }))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Store::Sqlite(_) => Engine::Sqlite,
            Store::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies any pending migrations (`migrations::apply`), then what follows them: on SQLite the
    /// access log moves into its own file (`access_log_file::relocate`), and the members already
    /// there get their digests, once (`member_digests::baseline`).
    pub async fn migrate(&self) -> Result<()> {
        crate::migrations::apply(self).await?;
        if let Store::Sqlite(p) = self {
            if let Some(file) = p.access_log_file() {
                crate::access::access_log_file::relocate(p.writer(), file).await?;
            }
        }
        crate::audit::member_digests::baseline(self).await
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for it like any lock: a deferred transaction that reads first holds a
    /// snapshot, and if another connection commits before it writes, SQLite cannot upgrade it and
    /// fails at once with SQLITE_BUSY_SNAPSHOT, so an import failed whenever anything else wrote.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(p) => Tx::Sqlite(p.writer().begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Begins a transaction that only reads: one consistent snapshot, taking no write lock.
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(p) => Tx::Sqlite(p.readers().begin().await?),
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Refreshes the planner's statistics after bulk work. Without them PostgreSQL plans joins over
    /// freshly loaded tables as if they were empty (nested loops over tens of thousands of rows).
    pub async fn analyze(&self, tables: &[&str]) -> Result<()> {
        for t in tables {
            let sql = format!("ANALYZE {t}");
            crate::on_writer!(self, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(c)
                .await
                .map(|_| ()))?;
        }
        Ok(())
    }

    /// Whether the store was closed (`close`).
    pub fn is_closed(&self) -> bool {
        match self {
            Store::Sqlite(p) => p.readers().is_closed(),
            Store::Postgres(p) => p.is_closed(),
        }
    }

    /// Whether the database answers, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        crate::on_pool!(self, |c| sqlx::query("SELECT 1")
            .execute(c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The pool's use, for `/metrics`: connections open, of them idle, and the most it opens.
    pub fn pool_use(&self) -> PoolUse {
        let (size, idle, max) = crate::on_pool!(self, |p| (
            p.size(),
            p.num_idle(),
            p.options().get_max_connections()
        ));
        PoolUse {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(p) => {
                if let Some(c) = &p.checkpointer {
                    c.0.abort();
                }
                p.writer().close().await;
                p.readers().close().await;
            }
            Store::Postgres(p) => p.close().await,
        }
    }
}

/// How many connections the pool holds and how many of them are idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer leaves checkpoints to the checkpointer, which copies what was committed into the
    /// database file on its own.
    #[tokio::test]
    async fn the_writer_never_checkpoints_and_the_checkpointer_does() {
        let db = caucus_testkit::TestDb::sqlite();
        let store = Store::open(&db.url).await.unwrap();
        let Store::Sqlite(sqlite) = &store else {
            unreachable!("a SQLite URL opens SQLite")
        };
        let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(sqlite.writer())
            .await
            .unwrap();
        assert_eq!(pages, 0);
        // About 8 MB, twice the 1,000 pages past which SQLite would checkpoint at the commit.
        let file = db.scratch().join("caucus.db");
        let before = std::fs::metadata(&file).unwrap().len();
        sqlx::raw_sql(
            "CREATE TABLE filler (x BLOB); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
             INSERT INTO filler SELECT randomblob(4000) FROM n",
        )
        .execute(sqlite.writer())
        .await
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&file).unwrap().len() < before + 8_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "nothing checkpointed the register within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        store.close().await;
    }
}
