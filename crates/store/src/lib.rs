//! caucus's SQL, for SQLite (the embedded default) and PostgreSQL (production). Every query is one
//! SQL text in the dialect both engines share (`$1` placeholders, `RETURNING`, `ON CONFLICT`); the
//! `on_pool!` and `on_tx!` macros run the same code against whichever engine the URL chose. Times are bound from
//! Rust, never `now()`. Errors are `StoreError`; callers add the context of what they were doing.
#![cfg_attr(test, allow(clippy::unwrap_used))]
pub mod access;
pub mod audit;
pub mod ballots;
mod engine;
pub mod offices;
pub mod ops;
pub mod organisation;
pub mod register;

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

/// `LIMIT n` as SQL, with the number written into the statement rather than bound. SQLite plans an
/// ORDER BY ... LIMIT with the limit's value, so a bound limit marks the statement as depending on
/// it and SQLite prepares the statement again every time it is bound: a list page's query was
/// parsed and planned afresh on every request. The number is an `i64`, so nothing else can get in.
pub(crate) fn limit(n: i64) -> String {
    format!("LIMIT {}", n.max(0))
}

#[cfg(test)]
mod tests {
    /// Every statement here takes its limit through `limit`: a bound one is re-prepared on every use.
    #[test]
    fn no_statement_binds_its_limit() {
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 20, "{files:?}");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            // Spelled out here so that this file does not match itself.
            for (word, mark) in [("LIMIT", '$'), ("LIMIT", '?'), ("OFFSET", '$')] {
                let bound = format!("{word} {mark}");
                assert!(
                    !text.contains(&bound),
                    "{} has a statement that binds its {word}",
                    path.display()
                );
            }
        }
    }
}
