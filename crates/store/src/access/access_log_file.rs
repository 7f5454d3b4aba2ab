//! On SQLite the access log lives in a file of its own beside the register (`caucus.db` keeps it in
//! `caucus.db-access-log`), attached to every connection, so `access_log` means the same table in
//! every statement. Why: every read of a member's record appends a line to the access log, and in
//! WAL mode any committed write makes every other connection drop its whole page cache for that
//! file. With the log in the register's own file nearly every request read the register from disk
//! again; measured on a unit page under load, that refill was a sixth of the server's work.
//!
//! The register's migrations and backups keep one schema with the access log in it: a fresh
//! register is migrated as usual, then its access log moves into the attached file (`relocate`);
//! a backup is one file with the log copied back in (`copy_into`). Statements name `access_log`
//! without a schema and SQLite finds it in the attached file. A later migration that makes an index
//! on `access_log` must name the schema (`CREATE INDEX access_log_file.x ON access_log(...)`).
//!
//! A transaction that writes both files is atomic in each but not across them (SQLite in WAL mode):
//! only a restore does that, and a restore interrupted half-way is run again.
use crate::audit::{self, NewEvent};
use crate::{Result, StoreError, Tx};
use caucus_domain::access::allowed::Allowed;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::path::{Path, PathBuf};

/// The name the access log's file is attached under.
pub const SCHEMA: &str = "access_log_file";

/// The access log's file for a register in `main`; `None` for a register in memory.
pub fn path_for(main: &Path) -> Option<PathBuf> {
    let name = main.file_name()?.to_str()?;
    if name.is_empty() || name == ":memory:" {
        return None;
    }
    let mut file = main.as_os_str().to_os_string();
    file.push("-access-log");
    Some(PathBuf::from(file))
}

/// Creates the file if it is missing, in WAL mode (which a file keeps), before any connection
/// attaches it.
pub async fn prepare(file: &Path) -> Result<()> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(file)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal),
        )
        .await?;
    pool.close().await;
    Ok(())
}

/// Attaches the file to a new connection, with the register's own durability.
pub async fn attach(c: &mut SqliteConnection, file: &Path) -> std::result::Result<(), sqlx::Error> {
    let name = file.to_str().ok_or_else(|| {
        sqlx::Error::Configuration(format!("{} is not a UTF-8 path", file.display()).into())
    })?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ATTACH DATABASE $1 AS {SCHEMA}"
    )))
    .bind(name)
    .execute(&mut *c)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA {SCHEMA}.synchronous = NORMAL"
    )))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The statements caucus's migrations make the access log with (table first, then its indexes),
/// read back from a database in memory that they were applied to.
async fn canonical_ddl() -> Result<Vec<(String, String)>> {
    let pool = crate::migrations::migrated_in_memory().await?;
    let rows = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'access_log' AND sql IS NOT NULL \
         ORDER BY type = 'table' DESC, name",
    )
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("sql")?)))
        .collect()
}

/// `ddl` (SQLite's own text of a CREATE TABLE or CREATE INDEX for `name`) made in `schema`.
fn in_schema(name: &str, ddl: &str, schema: &str) -> Result<String> {
    for gap in [" ", "("] {
        let bare = format!(" {name}{gap}");
        if let Some(at) = ddl.find(&bare) {
            return Ok(format!("{} {schema}.{}", &ddl[..at], &ddl[at + 1..]));
        }
    }
    Err(StoreError::Invalid(format!(
        "cannot find the name {name} in its own statement: {ddl}"
    )))
}

async fn has_table(c: &mut SqliteConnection, schema: &str) -> Result<bool> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {schema}.sqlite_master WHERE type = 'table' AND name = 'access_log'"
    );
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *c)
        .await?
        .try_get("n")?;
    Ok(n > 0)
}

/// Makes the access log in `schema` of the connection, as the migrations make it.
async fn create(c: &mut SqliteConnection, schema: &str) -> Result<()> {
    for (name, ddl) in canonical_ddl().await? {
        sqlx::query(sqlx::AssertSqlSafe(in_schema(&name, &ddl, schema)?))
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// After the migrations: moves the access log out of the register's file into its own (once, for
/// a register made or last opened before the log had a file of its own). If neither file holds
/// it, the log's file was lost or replaced: a new, empty log is started, and the audit chain
/// records that, so the gap is there for auditors to see.
pub async fn relocate(writer: &SqlitePool, file: &Path) -> Result<()> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let in_main = has_table(&mut tx, "main").await?;
    let in_file = has_table(&mut tx, SCHEMA).await?;
    match (in_main, in_file) {
        (false, true) => return Ok(()),
        (true, in_file) => {
            if !in_file {
                create(&mut tx, SCHEMA).await?;
            }
            // OR IGNORE: a move interrupted between the two files' commits is simply done again.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT OR IGNORE INTO {SCHEMA}.access_log SELECT * FROM main.access_log"
            )))
            .execute(&mut *tx)
            .await?;
            sqlx::query("DROP TABLE main.access_log")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        (false, false) => {
            create(&mut tx, SCHEMA).await?;
            let mut tx = Tx::Sqlite(tx);
            audit::append(
                &mut tx,
                &Allowed::system("a lost access-log file"),
                NewEvent {
                    occurred_at: time::OffsetDateTime::now_utc()
                        .format(&time::format_description::well_known::Rfc3339)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    actor: "system".into(),
                    action: "register.access_log_started".into(),
                    subject: format!("file:{}", file.display()),
                    unit: None,
                    before: None,
                    after: None,
                    detail: serde_json::json!({
                        "why": "the access log's file was missing or held no log, so a new, empty log was started",
                        "file": file.display().to_string(),
                    }),
                },
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Copies the access log from the live register's `file` into `backup` (a copy of the register's
/// own file, which has no access log): a backup is one file with every table in it.
pub async fn copy_into(backup: &Path, file: &Path) -> Result<()> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(backup))
        .await?;
    let copied = async {
        let mut c = pool.acquire().await?;
        create(&mut c, "main").await?;
        attach(&mut c, file).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO main.access_log SELECT * FROM {SCHEMA}.access_log"
        )))
        .execute(&mut *c)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DETACH DATABASE {SCHEMA}")))
            .execute(&mut *c)
            .await?;
        Ok::<_, StoreError>(())
    }
    .await;
    pool.close().await;
    copied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_file_sits_beside_the_register_and_a_register_in_memory_has_none() {
        assert_eq!(
            path_for(Path::new("/var/lib/caucus/caucus.db")),
            Some(PathBuf::from("/var/lib/caucus/caucus.db-access-log"))
        );
        assert_eq!(path_for(Path::new(":memory:")), None);
    }

    #[test]
    fn a_statement_is_made_in_the_schema_named() {
        assert_eq!(
            in_schema("access_log", "CREATE TABLE access_log (\n id INTEGER)", "f").unwrap(),
            "CREATE TABLE f.access_log (\n id INTEGER)"
        );
        assert_eq!(
            in_schema(
                "access_log_actor",
                "CREATE INDEX access_log_actor ON access_log(actor, id)",
                "f"
            )
            .unwrap(),
            "CREATE INDEX f.access_log_actor ON access_log(actor, id)"
        );
        assert!(in_schema("other", "CREATE TABLE access_log (id INTEGER)", "f").is_err());
    }
}

#[cfg(test)]
mod on_disk {
    use super::*;
    use crate::{on_pool, Store};

    /// The register's access-log file.
    fn log_file(store: &Store) -> PathBuf {
        let Store::Sqlite(sqlite) = store else {
            unreachable!("a SQLite URL opens SQLite")
        };
        sqlite.access_log_file().unwrap().to_path_buf()
    }

    /// Closes the register and deletes its access-log file, as if it were lost.
    async fn close_and_lose_the_log_file(store: Store) {
        let file = log_file(&store);
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }

    async fn lines(store: &Store) -> Vec<String> {
        crate::access::accounts::access_log_for(store, "member:L1")
            .await
            .unwrap()
            .into_iter()
            .map(|(actor, _)| actor)
            .collect()
    }

    async fn log(store: &Store, actor: &str) {
        crate::access::accounts::log_access(
            store,
            "2026-11-22T10:00:00Z",
            actor,
            "read_member",
            "member:L1",
            "{}",
        )
        .await
        .unwrap();
    }

    async fn tables_in(store: &Store, schema: &str) -> Vec<String> {
        let sql = format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name = 'access_log'"
        );
        on_pool!(store, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await
            .map(|rows| rows
                .iter()
                .map(|r| r.get::<String, _>("name"))
                .collect()))
        .unwrap()
    }

    #[tokio::test]
    async fn a_register_keeps_its_access_log_in_a_file_of_its_own() {
        let db = caucus_testkit::TestDb::sqlite();
        let store = Store::open(&db.url).await.unwrap();
        log(&store, "account:1").await;
        assert_eq!(lines(&store).await, ["account:1"]);
        assert!(tables_in(&store, "main").await.is_empty());
        assert_eq!(tables_in(&store, SCHEMA).await, ["access_log"]);
        assert!(log_file(&store)
            .to_str()
            .unwrap()
            .ends_with("caucus.db-access-log"));
        store.close().await;
        // Opened again, the register finds its log where it left it.
        let store = Store::open(&db.url).await.unwrap();
        assert_eq!(lines(&store).await, ["account:1"]);
        assert!(crate::audit::list(&store, 0, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.action != "register.access_log_started"));
    }

    #[tokio::test]
    async fn a_register_with_its_log_inside_moves_it_out_once_and_loses_no_line() {
        let db = caucus_testkit::TestDb::sqlite();
        let store = Store::open(&db.url).await.unwrap();
        log(&store, "account:1").await;
        let Store::Sqlite(sqlite) = &store else {
            unreachable!("a SQLite URL opens SQLite")
        };
        // Put the register back as it was before the log had a file: the log inside, no file.
        let mut c = sqlite.writer().acquire().await.unwrap();
        create(&mut c, "main").await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO main.access_log SELECT * FROM {SCHEMA}.access_log"
        )))
        .execute(&mut *c)
        .await
        .unwrap();
        drop(c);
        close_and_lose_the_log_file(store).await;
        let store = Store::open(&db.url).await.unwrap();
        assert!(tables_in(&store, "main").await.is_empty());
        log(&store, "account:2").await;
        assert_eq!(lines(&store).await, ["account:1", "account:2"]);
    }

    #[tokio::test]
    async fn a_lost_log_file_starts_a_new_log_and_the_audit_chain_says_so() {
        let db = caucus_testkit::TestDb::sqlite();
        let store = Store::open(&db.url).await.unwrap();
        log(&store, "account:1").await;
        close_and_lose_the_log_file(store).await;
        let store = Store::open(&db.url).await.unwrap();
        assert!(lines(&store).await.is_empty());
        let events = crate::audit::list(&store, 0, 100).await.unwrap();
        let started = events
            .iter()
            .find(|e| e.action == "register.access_log_started")
            .expect("the audit chain records the new log");
        assert!(
            started.subject.ends_with("caucus.db-access-log"),
            "{started:?}"
        );
        assert!(matches!(
            crate::audit::verify(&store).await.unwrap(),
            crate::audit::Verification::Intact { .. }
        ));
        log(&store, "account:2").await;
        assert_eq!(lines(&store).await, ["account:2"]);
    }
}
