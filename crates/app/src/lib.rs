//! The use cases of caucus, called by the web and the CLI alike. Each one that changes the register
//! validates its input, writes in one transaction and appends the audit event in that transaction.
//! Errors are `AppError`: a plain sentence for the user, with the storage detail behind it for logs.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod accounts;
pub mod clock;
pub mod geography_import;
pub mod member_import;
pub mod names;
pub mod progress;
pub mod reallocate;
pub mod records;

use caucus_domain::decision::Decision;
use caucus_domain::rulebook::{Rulebook, RulebookError};
use caucus_store::{Store, StoreError};
pub use clock::Clock;
pub use progress::{NoProgress, Progress};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Rulebook(#[from] RulebookError),
    /// Not logged in, or the login failed: the sentence says what to do, never which part was wrong.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    TooManyAttempts(String),
    /// The access policy refused: the decision carries its reasons, each naming its clause.
    #[error("not allowed: {}", .0.explain())]
    Forbidden(Decision),
}

impl From<sqlx_error::Error> for AppError {
    fn from(e: sqlx_error::Error) -> Self {
        AppError::Store(StoreError::from(e))
    }
}

mod sqlx_error {
    pub use caucus_store::SqlxError as Error;
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

pub fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AppError {
    let context = context.into();
    move |source| AppError::Io { context, source }
}

/// What every use case works with: the register, the rules, and the time.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub rules: Rulebook,
    pub clock: Clock,
}

impl App {
    pub fn new(store: Store, rules: Rulebook, clock: Clock) -> App {
        App {
            store,
            rules,
            clock,
        }
    }
}

/// Who did something, as the audit log names them.
pub const CLI_ACTOR: &str = "cli";
