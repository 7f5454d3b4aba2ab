//! Consistent online backups and restores. A backup is one SQLite file with caucus's own schema,
//! whatever the register runs on: SQLite copies itself with `VACUUM INTO`; PostgreSQL is read in one
//! REPEATABLE READ transaction into a freshly migrated file. A restore copies such a file's rows into
//! a register of either engine in one transaction, parents before children. The tables and columns
//! come from caucus's migrations, read back from SQLite, so a new migration needs no edit here.
use crate::audit::{self, NewEvent};
use crate::{on_tx, Result, Sqlite, Store, StoreError, Tx};
use caucus_domain::access::allowed::{Allowed, Operator};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Row, SqlitePool};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::Date;

/// Bound parameters per multi-row INSERT: well under both engines' limits (SQLite 32766, PG 65535).
const PARAMS_PER_INSERT: usize = 4_000;

/// How a column's values travel: decoded and bound with these Rust types on both engines, so
/// PostgreSQL gets real DATE/BOOLEAN/BIGINT parameters rather than text it would have to cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Int,
    Text,
    Bool,
    Date,
}

impl Class {
    fn of(declared: &str) -> Option<Class> {
        match declared.trim().to_ascii_uppercase().as_str() {
            t if t.contains("INT") => Some(Class::Int),
            "TEXT" => Some(Class::Text),
            "BOOLEAN" => Some(Class::Bool),
            "DATE" => Some(Class::Date),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    class: Class,
}

/// One table as the schema declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    columns: Vec<Column>,
    /// The primary key's columns, in key order (every caucus table has one).
    key: Vec<String>,
    /// Tables this one references (not itself).
    parents: BTreeSet<String>,
    /// A reference to itself (units.parent_id): positions of the referencing and referenced columns.
    self_ref: Option<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<Date>),
}

impl Value {
    fn json(&self) -> serde_json::Value {
        match self {
            Value::Int(v) => serde_json::json!(v),
            Value::Text(v) => serde_json::json!(v),
            Value::Bool(v) => serde_json::json!(v),
            Value::Date(v) => serde_json::json!(v.map(|d| d.to_string())),
        }
    }
}

/// Where long work has got to, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Copying a table of `rows` rows begins.
    Table { name: &'a str, rows: u64 },
    /// Rows of the current table copied so far.
    Rows(u64),
    /// All tables copied.
    Done,
}

/// Who does the work and when, for the audit event: an operator at the command line.
pub struct Actor<'a> {
    pub operator: &'a Operator,
    /// The time to record, read when the event is written.
    pub now: &'a (dyn Fn() -> String + Sync),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub rows: u64,
    /// The last audit event the backup holds.
    pub through_event: i64,
    pub sha256: String,
    /// The event in the source's chain that records the backup.
    pub event: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    pub rows: u64,
    /// The last audit event copied from the backup.
    pub through_event: i64,
    /// Whether a non-empty register was replaced (only with `force`).
    pub replaced: bool,
    /// The event appended after the copied chain that records the restore.
    pub event: i64,
}

fn quoted(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

/// The tables of a SQLite database (bar sqlx's bookkeeping), in an order that puts every table after
/// the tables it references.
async fn schema(pool: &SqlitePool) -> Result<Vec<Table>> {
    let names: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| r.try_get("name"))
    .collect::<Result<_, _>>()?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let info = sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA table_info({})",
            quoted(&name)
        )))
        .fetch_all(pool)
        .await?;
        let mut columns = Vec::with_capacity(info.len());
        let mut key: Vec<(i64, String)> = Vec::new();
        for c in &info {
            let column: String = c.try_get("name")?;
            let declared: String = c.try_get("type")?;
            let pk: i64 = c.try_get("pk")?;
            let class = Class::of(&declared).ok_or_else(|| {
                invalid(format!(
                    "column {name}.{column} has the type '{declared}', which backups cannot carry"
                ))
            })?;
            if pk > 0 {
                key.push((pk, column.clone()));
            }
            columns.push(Column {
                name: column,
                class,
            });
        }
        key.sort();
        let mut key: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
        if key.is_empty() {
            key = columns.iter().map(|c| c.name.clone()).collect();
        }
        let mut parents = BTreeSet::new();
        let mut self_ref = None;
        let fks = sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA foreign_key_list({})",
            quoted(&name)
        )))
        .fetch_all(pool)
        .await?;
        for fk in &fks {
            let parent: String = fk.try_get("table")?;
            if parent != name {
                parents.insert(parent);
                continue;
            }
            let from: String = fk.try_get("from")?;
            let to: Option<String> = fk.try_get("to")?;
            let to = to.unwrap_or_else(|| key.first().cloned().unwrap_or_default());
            let at = |c: &str| columns.iter().position(|x| x.name == c);
            self_ref = at(&from).zip(at(&to));
        }
        tables.push(Table {
            name,
            columns,
            key,
            parents,
            self_ref,
        });
    }
    parents_first(tables)
}

fn parents_first(mut pending: Vec<Table>) -> Result<Vec<Table>> {
    let mut ordered: Vec<Table> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| ordered.iter().any(|o| &o.name == p))
        });
        match ready {
            Some(i) => ordered.push(pending.remove(i)),
            None => {
                let names: Vec<&str> = pending.iter().map(|t| t.name.as_str()).collect();
                return Err(invalid(format!(
                    "the tables {} reference each other or a missing table",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(ordered)
}

/// caucus's own schema: its SQLite migrations applied to a database in memory and read back.
async fn caucus_schema() -> Result<Vec<Table>> {
    let pool = crate::migrations::migrated_in_memory().await?;
    let tables = schema(&pool).await;
    pool.close().await;
    tables
}

/// Opens a backup file read-only and checks that it is a caucus backup of this version's schema.
pub async fn open_backup(path: &Path) -> Result<Store> {
    let shown = path.display();
    if !path.is_file() {
        return Err(invalid(format!("the backup {shown} does not exist")));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .log_slow_statements(log::LevelFilter::Off, Duration::ZERO);
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .map_err(|e| invalid(format!("{shown} is not a caucus backup: {e}")))?;
    match check_backup(&pool).await {
        Ok(()) => Ok(Store::Sqlite(Sqlite::single(pool))),
        Err(problem) => {
            pool.close().await;
            Err(invalid(format!(
                "{shown} is not a caucus backup: {problem}"
            )))
        }
    }
}

/// Why a SQLite file is not a backup this version can restore, if it is not.
async fn check_backup(pool: &SqlitePool) -> std::result::Result<(), String> {
    let applied = sqlx::query(
        "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.message().contains("no such table") => {
            "it has no caucus migrations".to_string()
        }
        e => e.to_string(),
    })?;
    let mut applied_versions = Vec::with_capacity(applied.len());
    for r in &applied {
        let version: i64 = r.try_get("version").map_err(|e| e.to_string())?;
        let checksum: Vec<u8> = r.try_get("checksum").map_err(|e| e.to_string())?;
        applied_versions.push((version, checksum));
    }
    let ours: Vec<(i64, Vec<u8>)> = crate::migrations::sqlite()
        .iter()
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    if applied_versions != ours {
        let versions = |v: &[(i64, Vec<u8>)]| {
            v.iter()
                .map(|(n, _)| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(format!(
            "its schema migrations ({}) are not this version's ({})",
            versions(&applied_versions),
            versions(&ours)
        ));
    }
    let theirs = schema(pool).await.map_err(|e| e.to_string())?;
    let ours = caucus_schema().await.map_err(|e| e.to_string())?;
    if theirs != ours {
        return Err("its tables differ from the ones its migrations create".into());
    }
    Ok(())
}

fn select_sql(t: &Table) -> String {
    let columns: Vec<String> = t
        .columns
        .iter()
        .map(|c| match c.class {
            // PostgreSQL's INTEGER is 4 bytes, BIGINT 8: read both as 8.
            Class::Int => format!("CAST({0} AS BIGINT) AS {0}", quoted(&c.name)),
            _ => quoted(&c.name),
        })
        .collect();
    let key: Vec<String> = t.key.iter().map(|k| quoted(k)).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        quoted(&t.name),
        key.join(", ")
    )
}

/// Where copied rows go: another database's transaction, or lines of a canonical dump.
enum Sink<'a> {
    Tx(&'a mut Tx),
    Dump(&'a mut Vec<String>),
}

async fn flush(sink: &mut Sink<'_>, t: &Table, rows: &[Vec<Value>]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let tx = match sink {
        Sink::Dump(lines) => {
            for row in rows {
                let values: Vec<serde_json::Value> = row.iter().map(Value::json).collect();
                lines.push(serde_json::Value::Array(values).to_string());
            }
            return Ok(());
        }
        Sink::Tx(tx) => tx,
    };
    let names: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        quoted(&t.name),
        names.join(", "),
        crate::sql::placeholders(rows.len(), t.columns.len())
    );
    on_tx!(&mut **tx, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for v in rows.iter().flatten() {
            q = match v {
                Value::Int(v) => q.bind(*v),
                Value::Text(v) => q.bind(v.as_deref()),
                Value::Bool(v) => q.bind(*v),
                Value::Date(v) => q.bind(*v),
            };
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Rows that reference rows of their own table, reordered so each comes after the row it names.
fn referenced_first(rows: Vec<Vec<Value>>, (from, to): (usize, usize)) -> Vec<Vec<Value>> {
    let by_key: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r[to].json().to_string(), i))
        .collect();
    let mut placed = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    for start in 0..rows.len() {
        // Walk up to the first ancestor not yet placed, then place the walk from the top down.
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            if placed[i] {
                break;
            }
            placed[i] = true;
            chain.push(i);
            at = by_key.get(&rows[i][from].json().to_string()).copied();
        }
        order.extend(chain.into_iter().rev());
    }
    let mut slots: Vec<Option<Vec<Value>>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

async fn count(tx: &mut Tx, t: &Table) -> Result<u64> {
    let sql = format!("SELECT COUNT(*) AS n FROM {}", quoted(&t.name));
    let n: i64 = on_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_one(c)
            .await?
            .try_get("n")
    })?;
    Ok(n.max(0) as u64)
}

/// Copies one table's rows, in key order, from `src` into `sink`; returns how many.
async fn copy_table(
    src: &mut Tx,
    sink: &mut Sink<'_>,
    t: &Table,
    progress: &dyn Fn(Step),
) -> Result<u64> {
    let total = count(src, t).await?;
    progress(Step::Table {
        name: &t.name,
        rows: total,
    });
    let sql = select_sql(t);
    let per_insert = (PARAMS_PER_INSERT / t.columns.len().max(1)).max(1);
    let whole_table = t.self_ref.is_some() && matches!(sink, Sink::Tx(_));
    let mut buf: Vec<Vec<Value>> = Vec::with_capacity(per_insert);
    let mut done = 0u64;
    on_tx!(src, |c| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch(c);
        while let Some(r) = rows.try_next().await? {
            let mut row = Vec::with_capacity(t.columns.len());
            for (i, col) in t.columns.iter().enumerate() {
                row.push(match col.class {
                    Class::Int => Value::Int(r.try_get(i)?),
                    Class::Text => Value::Text(r.try_get(i)?),
                    Class::Bool => Value::Bool(r.try_get(i)?),
                    Class::Date => Value::Date(r.try_get(i)?),
                });
            }
            buf.push(row);
            if !whole_table && buf.len() >= per_insert {
                flush(sink, t, &buf).await?;
                done += buf.len() as u64;
                buf.clear();
                progress(Step::Rows(done));
            }
        }
        Ok::<_, StoreError>(())
    })?;
    if let Some(link) = t.self_ref.filter(|_| whole_table) {
        buf = referenced_first(std::mem::take(&mut buf), link);
        for part in buf.chunks(per_insert) {
            flush(sink, t, part).await?;
        }
    } else {
        flush(sink, t, &buf).await?;
    }
    done += buf.len() as u64;
    progress(Step::Rows(done));
    Ok(done)
}

/// Empties every table, children first.
async fn clear(tx: &mut Tx, tables: &[Table]) -> Result<()> {
    for t in tables.iter().rev() {
        let sql = format!("DELETE FROM {}", quoted(&t.name));
        on_tx!(&mut *tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

async fn head(tx: &mut Tx) -> Result<(i64, String)> {
    on_tx!(tx, |c| {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(c)
            .await?;
        Ok::<_, StoreError>((r.try_get("seq")?, r.try_get("hash")?))
    })
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes a consistent snapshot of the register to `path` (which must not exist yet), then records
/// the backup in the register's own audit chain. The file appears only once it is complete.
pub async fn backup(
    store: &Store,
    path: &Path,
    actor: &Actor<'_>,
    progress: &dyn Fn(Step),
) -> Result<BackupSummary> {
    let shown = path.display().to_string();
    if path.exists() {
        return Err(invalid(format!(
            "{shown} already exists: a backup never overwrites a file"
        )));
    }
    let partial = partial_path(path);
    if partial.exists() {
        std::fs::remove_file(&partial)?;
    }
    let outcome = async {
        snapshot_into(store, &partial, progress).await?;
        std::fs::File::open(&partial)?.sync_all()?;
        let copy = open_backup(&partial).await?;
        let tables = caucus_schema().await?;
        let mut tx = copy.begin_read().await?;
        let mut rows = 0;
        for t in &tables {
            rows += count(&mut tx, t).await?;
        }
        let (through_event, head_hash) = head(&mut tx).await?;
        tx.rollback().await?;
        copy.close().await;
        Ok::<_, StoreError>((rows, through_event, head_hash))
    }
    .await;
    let (rows, through_event, head_hash) = match outcome {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let sha256 = file_sha256(&partial)?;
    std::fs::rename(&partial, path)?;

    let mut tx = store.begin().await?;
    let event = audit::append(
        &mut tx,
        &Allowed::operator(actor.operator),
        NewEvent {
            occurred_at: (actor.now)(),
            actor: actor.operator.name().to_string(),
            action: "register.backup".into(),
            subject: format!("backup:{shown}"),
            unit: None,
            before: None,
            after: Some(sha256.clone()),
            detail: serde_json::json!({
                "file": shown, "sha256": sha256, "rows": rows,
                "through_event": through_event, "through_hash": head_hash,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(BackupSummary {
        rows,
        through_event,
        sha256,
        event,
    })
}

/// The one place backups differ by engine. SQLite: `VACUUM INTO` reads one snapshot and writes a
/// compact copy. PostgreSQL: every table read in one REPEATABLE READ transaction (one snapshot, so
/// an import's batches are in it whole or not at all) and written into a migrated SQLite file.
async fn snapshot_into(store: &Store, file: &Path, progress: &dyn Fn(Step)) -> Result<()> {
    match store {
        Store::Sqlite(sqlite) => {
            let pool = sqlite.readers();
            let name = file
                .to_str()
                .ok_or_else(|| invalid(format!("{} is not a UTF-8 path", file.display())))?;
            sqlx::query("VACUUM INTO $1")
                .bind(name)
                .execute(pool)
                .await?;
            // `VACUUM INTO` copies the register's own file, and the access log has its own.
            if let Some(log) = sqlite.access_log_file() {
                crate::access::access_log_file::copy_into(file, log).await?;
            }
        }
        Store::Postgres(pool) => {
            // A connection of its own: a streamed read stays open as long as its table's copy takes,
            // which sqlx would otherwise report as a slow statement.
            let quiet = (*pool.connect_options())
                .clone()
                .log_slow_statements(log::LevelFilter::Off, Duration::ZERO);
            let source = Store::Postgres(
                PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(quiet)
                    .await?,
            );
            let options = SqliteConnectOptions::new()
                .filename(file)
                .create_if_missing(true)
                // The file is discarded if this fails, and synced once complete.
                .journal_mode(SqliteJournalMode::Off)
                .synchronous(SqliteSynchronous::Off)
                .foreign_keys(true)
                .log_slow_statements(log::LevelFilter::Off, Duration::ZERO);
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            let target = Store::Sqlite(Sqlite::single(pool));
            let copied = async {
                target.migrate().await?;
                let tables = caucus_schema().await?;
                let mut src = source.begin().await?;
                on_tx!(&mut src, |c| sqlx::query(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
                let mut dst = target.begin().await?;
                clear(&mut dst, &tables).await?;
                for t in &tables {
                    copy_table(&mut src, &mut Sink::Tx(&mut dst), t, progress).await?;
                }
                dst.commit().await?;
                src.rollback().await?;
                progress(Step::Done);
                Ok::<_, StoreError>(())
            }
            .await;
            target.close().await;
            source.close().await;
            copied?;
        }
    }
    Ok(())
}

/// The one place restores differ by engine: PostgreSQL's identity columns draw from sequences that
/// copied rows did not advance, so each is moved past the largest id. SQLite's INTEGER PRIMARY KEY
/// needs nothing: it always takes the largest id plus one.
async fn reset_identities(tx: &mut Tx, tables: &[Table]) -> Result<()> {
    let Tx::Postgres(t) = tx else {
        return Ok(());
    };
    for table in tables {
        let [key] = table.key.as_slice() else {
            continue;
        };
        if !table
            .columns
            .iter()
            .any(|c| &c.name == key && c.class == Class::Int)
        {
            continue;
        }
        // pg_get_serial_sequence is NULL for a key that is not an identity, and setval(NULL) is a no-op.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({k}) FROM {t}), 0) + 1, false)",
            k = quoted(key),
            t = quoted(&table.name)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(table.name.as_str())
            .bind(key.as_str())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// What the register holds, in words, when it is not empty: a fresh register holds nothing but the
/// audit chain's genesis head.
async fn contents(tx: &mut Tx, tables: &[Table]) -> Result<Option<String>> {
    let mut held = Vec::new();
    for t in tables.iter().filter(|t| t.name != "audit_head") {
        let n = count(tx, t).await?;
        if n > 0 {
            held.push(format!("{n} rows in {}", t.name));
        }
    }
    let (seq, _) = head(tx).await?;
    if seq > 0 && held.is_empty() {
        held.push(format!("an audit chain at event {seq}"));
    }
    Ok((!held.is_empty()).then(|| held.join(", ")))
}

/// The register was not empty and the restore was not forced.
pub const NOT_EMPTY: &str = "the database is not empty";

/// Replaces the register's contents with a backup's, in one transaction, then appends an event that
/// records the restore to the copied chain. Refuses a register that holds anything unless `force`.
pub async fn restore(
    store: &Store,
    path: &Path,
    force: bool,
    actor: &Actor<'_>,
    progress: &dyn Fn(Step),
) -> Result<RestoreSummary> {
    let shown = path.display().to_string();
    let backup = open_backup(path).await?;
    let outcome = async {
        let sha256 = file_sha256(path)?;
        let tables = caucus_schema().await?;
        let mut tx = store.begin().await?;
        // Taking the audit head first makes the check below and the copy one step for concurrent
        // writers: they wait for the restore, as they wait for any other append.
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE audit_head SET seq = seq WHERE id = 1"
        )
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        let held = contents(&mut tx, &tables).await?;
        let replaced = match (&held, force) {
            (Some(what), false) => {
                return Err(invalid(format!("{NOT_EMPTY} (it holds {what})")));
            }
            (Some(_), true) => {
                let (seq, hash) = head(&mut tx).await?;
                Some(serde_json::json!({ "through_event": seq, "through_hash": hash }))
            }
            (None, _) => None,
        };
        clear(&mut tx, &tables).await?;
        let mut src = backup.begin_read().await?;
        let mut rows = 0;
        for t in &tables {
            rows += copy_table(&mut src, &mut Sink::Tx(&mut tx), t, progress).await?;
        }
        src.rollback().await?;
        progress(Step::Done);
        reset_identities(&mut tx, &tables).await?;
        let (through_event, through_hash) = head(&mut tx).await?;
        let event = audit::append(
            &mut tx,
            &Allowed::operator(actor.operator),
            NewEvent {
                occurred_at: (actor.now)(),
                actor: actor.operator.name().to_string(),
                action: "register.restore".into(),
                subject: format!("backup:{shown}"),
                unit: None,
                before: None,
                after: Some(sha256.clone()),
                detail: serde_json::json!({
                    "file": shown, "sha256": sha256, "rows": rows,
                    "through_event": through_event, "through_hash": through_hash,
                    "replaced": replaced,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(RestoreSummary {
            rows,
            through_event,
            replaced: replaced.is_some(),
            event,
        })
    }
    .await;
    backup.close().await;
    outcome
}

/// Every table's rows in key order, one JSON array per row, each value in the same form whichever
/// engine holds it: what "the same register" means, for tests and for checking a restore.
pub async fn dump(store: &Store) -> Result<Vec<(String, Vec<String>)>> {
    let tables = caucus_schema().await?;
    let mut tx = store.begin_read().await?;
    let mut out = Vec::with_capacity(tables.len());
    for t in &tables {
        let mut lines = Vec::new();
        copy_table(&mut tx, &mut Sink::Dump(&mut lines), t, &|_| {}).await?;
        out.push((t.name.clone(), lines));
    }
    tx.rollback().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{on_pool, on_writer, Store};
    use caucus_testkit::{databases, TestDb};

    const FIXTURE: &[&str] = &[
        // A child unit whose parent has the larger id: a copy in key order alone would break the FK.
        "INSERT INTO units (id, boundary_set, code, kind, name, gss_code, parent_id, special_measures) VALUES \
         (9, 's', 'N', 'national', 'National', NULL, NULL, FALSE), \
         (3, 's', 'C', 'clp', 'Riverside CLP', 'E14000001', 9, TRUE)",
        "INSERT INTO members (id, membership_number, given_name, family_name, email, date_of_birth, postcode, \
         joined_on, continuous_since, rate, payment_method, paid_up_until, registered_to_vote, status, \
         row_digest) VALUES \
         (7, 'L1', 'Ada', 'O''Brien', NULL, '1970-02-03', 'L1 8JQ', '2020-01-01', '2020-01-01', 'standard', \
          'card', NULL, TRUE, 'active', 'd1'), \
         (8, 'L2', 'Bo', 'Lee', 'bo@example.org', NULL, 'L2 2AA', '2021-05-06', '2021-05-06', 'reduced', \
          'cheque', '2027-01-01', FALSE, 'lapsed', 'd2')",
        "INSERT INTO member_status_history (member_id, effective_on, status, reason_code, actor, audit_seq) \
         VALUES (7, '2020-01-01', 'provisional', 'joined', 'cli', 1)",
        // A ballot: tables keyed without a row id on SQLite, and a composite foreign key.
        "INSERT INTO ballots (id, unit_id, title, kind, method, seats, opens_at, closes_at, freeze_on, state, \
         created_by) VALUES (5, 3, 'Chair', 'meeting', 'irv', 1, '2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z', \
         '2026-11-22', 'frozen', 'cli')",
        "INSERT INTO ballot_candidates (ballot_id, position, name) VALUES (5, 1, 'Ann'), (5, 2, 'Bob')",
        "INSERT INTO ballot_roll (ballot_id, member_id, included, reasons) VALUES (5, 7, TRUE, '[]'), \
         (5, 8, FALSE, '[]')",
        "INSERT INTO ballot_voted (ballot_id, member_id) VALUES (5, 7)",
        // The ballot is still open, so its paper is in the box.
        "INSERT INTO ballot_box (ballot_id, receipt, marks) VALUES (5, 'ABCD-EFGH-JKLM-NPQR', '2 1')",
        // On SQLite the access log has a file of its own; a backup carries it all the same.
        "INSERT INTO access_log (occurred_at, actor, action, subject, detail) VALUES \
         ('2026-11-22T09:30:00Z', 'account:1', 'read_member', 'member:L1', '{}')",
    ];

    async fn exec(store: &Store, sql: &str) {
        on_writer!(store, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(c)
            .await
            .map(|_| ()))
        .unwrap();
    }

    async fn scalar(store: &Store, sql: &str) -> i64 {
        on_pool!(store, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(c)
            .await
            .unwrap()
            .try_get::<i64, _>(0))
        .unwrap()
    }

    fn actor() -> Actor<'static> {
        Actor {
            operator: Box::leak(Box::new(Operator::at_the_command_line("tester"))),
            now: &|| "2026-11-22T10:00:00.000000Z".to_string(),
        }
    }

    async fn register(url: &str) -> Store {
        let store = Store::open(url).await.unwrap();
        for sql in FIXTURE {
            exec(&store, sql).await;
        }
        for n in 0..3 {
            let mut tx = store.begin().await.unwrap();
            let pending = audit::reserve(&mut tx, &Allowed::system("test"))
                .await
                .unwrap();
            // The first event records the fixture's members, as every write of members does.
            let (detail, after) = if n == 0 {
                let (count, after) = crate::audit::member_digests::record_all(&mut tx, pending.seq)
                    .await
                    .unwrap();
                (
                    serde_json::json!({ "n": n, crate::audit::member_digests::DETAIL_KEY: count }),
                    Some(after),
                )
            } else {
                (serde_json::json!({ "n": n }), None)
            };
            pending
                .write(
                    &mut tx,
                    NewEvent {
                        occurred_at: format!("2026-11-22T09:00:0{n}.000000Z"),
                        actor: "tester".into(),
                        action: "test.write".into(),
                        subject: format!("thing:{n}"),
                        after,
                        detail,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        store
    }

    /// The dump without the audit rows a restore adds: its own event and the head that names it.
    fn without_restore_event(mut dump: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
        for (table, rows) in &mut dump {
            match table.as_str() {
                "audit_events" => {
                    let last = rows.pop().unwrap();
                    assert!(last.contains("register.restore"), "{last}");
                }
                "audit_head" => rows.clear(),
                _ => {}
            }
        }
        dump
    }

    #[tokio::test]
    async fn a_backup_restores_to_the_same_register_on_every_engine_and_from_every_engine() {
        let sources = databases().await;
        let targets = databases().await;
        for source in &sources {
            let store = register(&source.url).await;
            let file = tempfile::tempdir().unwrap();
            let path = file.path().join("register.backup");
            let made = backup(&store, &path, &actor(), &|_| {}).await.unwrap();
            assert_eq!(made.through_event, 3, "{}", source.engine);
            assert_eq!(made.event, 4, "the backup is recorded after the snapshot");
            assert!(matches!(
                audit::verify(&store).await.unwrap(),
                audit::Verification::Intact { events: 4 }
            ));
            let again = backup(&store, &path, &actor(), &|_| {}).await;
            assert!(again.unwrap_err().to_string().contains("already exists"));
            store.close().await;

            let file_store = open_backup(&path).await.unwrap();
            let expected = dump(&file_store).await.unwrap();
            file_store.close().await;
            let members = &expected.iter().find(|(t, _)| t == "members").unwrap().1;
            assert_eq!(members.len(), 2);
            assert!(
                members[0].contains(r#""O'Brien",null,null,"1970-02-03""#),
                "{members:?}"
            );
            assert!(
                members[0].contains("true,null,null,\"active\""),
                "{members:?}"
            );

            for target in &targets {
                let into = Store::open(&target.url).await.unwrap();
                let restored = restore(&into, &path, true, &actor(), &|_| {})
                    .await
                    .unwrap();
                let pair = format!("{} -> {}", source.engine, target.engine);
                assert_eq!(restored.through_event, 3, "{pair}");
                assert_eq!(restored.event, 4, "{pair}");
                assert_eq!(
                    without_restore_event(dump(&into).await.unwrap()),
                    without_restore_event_free(&expected),
                    "{pair}"
                );
                assert!(
                    matches!(
                        audit::verify(&into).await.unwrap(),
                        audit::Verification::Intact { events: 4 }
                    ),
                    "{pair}"
                );
                // Both branches of reset_identities: new rows take ids past the restored ones.
                exec(
                    &into,
                    "INSERT INTO units (boundary_set, code, kind, name) VALUES ('s', 'B', 'branch', 'B')",
                )
                .await;
                assert_eq!(
                    scalar(
                        &into,
                        "SELECT CAST(id AS BIGINT) FROM units WHERE code = 'B'"
                    )
                    .await,
                    10,
                    "{pair}"
                );
                into.close().await;
            }
        }
    }

    /// The backup file's own dump, where audit_head still names the backup's last event.
    fn without_restore_event_free(dump: &[(String, Vec<String>)]) -> Vec<(String, Vec<String>)> {
        dump.iter()
            .map(|(t, rows)| {
                let rows = if t == "audit_head" {
                    Vec::new()
                } else {
                    rows.clone()
                };
                (t.clone(), rows)
            })
            .collect()
    }

    #[tokio::test]
    async fn a_register_that_holds_anything_is_refused_unless_forced() {
        for db in databases().await {
            let store = register(&db.url).await;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("b");
            backup(&store, &path, &actor(), &|_| {}).await.unwrap();
            let err = restore(&store, &path, false, &actor(), &|_| {})
                .await
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(NOT_EMPTY), "{}: {err}", db.engine);
            assert!(err.contains("2 rows in members"), "{err}");
            assert_eq!(scalar(&store, "SELECT COUNT(*) FROM audit_events").await, 4);

            exec(&store, "INSERT INTO units (boundary_set, code, kind, name) VALUES ('s', 'X', 'branch', 'X')")
                .await;
            let s = restore(&store, &path, true, &actor(), &|_| {})
                .await
                .unwrap();
            assert!(s.replaced);
            assert_eq!(
                scalar(&store, "SELECT COUNT(*) FROM units").await,
                2,
                "{}",
                db.engine
            );
            assert!(matches!(
                audit::verify(&store).await.unwrap(),
                audit::Verification::Intact { events: 4 }
            ));
            store.close().await;
        }
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_caucus_backup_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("members.csv");
        std::fs::write(&text, "membership_number,given_name\nL1,Ada\n").unwrap();
        let other = dir.path().join("other.db");
        let pool = SqlitePoolOptions::new()
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&other)
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        sqlx::query("CREATE TABLE things (id INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let tampered = dir.path().join("tampered.db");
        let db = TestDb::sqlite();
        let store = register(&db.url).await;
        backup(&store, &tampered, &actor(), &|_| {}).await.unwrap();
        store.close().await;
        let pool = SqlitePoolOptions::new()
            .connect_with(SqliteConnectOptions::new().filename(&tampered))
            .await
            .unwrap();
        sqlx::query("ALTER TABLE members ADD COLUMN secret TEXT")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        for (path, reason) in [
            (dir.path().join("missing"), "does not exist"),
            (text, "file is not a database"),
            (other, "it has no caucus migrations"),
            (tampered, "its tables differ"),
        ] {
            let target = TestDb::sqlite();
            let into = Store::open(&target.url).await.unwrap();
            let err = restore(&into, &path, false, &actor(), &|_| {})
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(reason), "{}: {err}", path.display());
            assert_eq!(scalar(&into, "SELECT COUNT(*) FROM audit_events").await, 0);
            into.close().await;
        }
    }

    #[test]
    fn rows_of_a_self_referencing_table_come_after_the_rows_they_name() {
        let row = |id: i64, parent: Option<i64>| vec![Value::Int(Some(id)), Value::Int(parent)];
        let rows = vec![row(1, Some(3)), row(2, None), row(3, Some(4)), row(4, None)];
        let ids: Vec<Value> = referenced_first(rows, (1, 0))
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(ids, [4, 3, 1, 2].map(|i| Value::Int(Some(i))).to_vec(),);
    }
}
