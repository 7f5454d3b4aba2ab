//! caucus's schema migrations (`migrations/sqlite`, `migrations/postgres`): applying them to a store,
//! and reading back the schema they make. Nothing here writes a row of caucus's own, so anything
//! that needs the schema as the migrations make it (the access log's file, backups) can take it;
//! what runs after the migrations when a store is opened is `Store::migrate`.
use crate::{Result, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;
use std::str::FromStr;

/// caucus's SQLite migrations.
pub(crate) fn sqlite() -> sqlx::migrate::Migrator {
    sqlx::migrate!("migrations/sqlite")
}

/// caucus's PostgreSQL migrations.
pub(crate) fn postgres() -> sqlx::migrate::Migrator {
    sqlx::migrate!("migrations/postgres")
}

/// Applies the store's engine's pending migrations (on SQLite, through its writer).
pub(crate) async fn apply(store: &Store) -> Result<()> {
    match store {
        Store::Sqlite(p) => sqlite().run(p.writer()).await?,
        Store::Postgres(p) => postgres().run(p).await?,
    }
    Ok(())
}

/// A database in memory with caucus's SQLite migrations applied: the schema as they make it.
pub(crate) async fn migrated_in_memory() -> Result<SqlitePool> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str("sqlite::memory:")?)
        .await?;
    sqlite().run(&pool).await?;
    Ok(pool)
}
