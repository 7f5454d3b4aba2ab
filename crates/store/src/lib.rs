//! caucus's SQL, for SQLite (the embedded default) and PostgreSQL (production). Every query is one
//! SQL text in the dialect both engines share (`$1` placeholders, `RETURNING`, `ON CONFLICT`); the
//! `on_pool!` and `on_tx!` macros run the same code against whichever engine the URL chose. Times are bound from
//! Rust, never `now()`. Errors are `StoreError`; callers add the context of what they were doing.
#![cfg_attr(test, allow(clippy::unwrap_used))]
pub mod access;
pub mod audit;
pub mod ballots;
mod digest;
mod engine;
mod migrations;
pub mod offices;
pub mod ops;
pub mod organisation;
pub mod register;
mod sql;

pub use engine::{Engine, PoolUse, Sqlite, Store, Tx};
pub use sqlx::Error as SqlxError;

/// What can go wrong in storage, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL '{0}' (expected sqlite://FILE or postgres://...)")]
    UnsupportedUrl(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the record was changed by someone else (version {expected} expected, {found} found)")]
    Stale { expected: i64, found: i64 },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
