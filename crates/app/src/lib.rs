//! The use cases of caucus, called by the web and the CLI alike. Each one that changes the register
//! validates its input, writes in one transaction and appends the audit event in that transaction.
//! Errors are `AppError`: a plain sentence for the user, with the storage detail behind it for logs.
#![cfg_attr(test, allow(clippy::unwrap_used))]
pub mod access;
pub mod audit;
pub mod ballots;
pub mod clock;
pub mod csv_lines;
pub mod csv_out;
pub mod offices;
pub mod ops;
pub mod organisation;
pub mod progress;
pub mod register;

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
    /// The access policy refused (HTTP 403), with its reasons.
    #[error("not allowed: {}", .0.explain())]
    Forbidden(Decision),
    /// The party's rules refused the change (HTTP 422), with their reasons and clauses.
    #[error("refused by the rules: {}", .0.explain())]
    RuleRefused(Decision),
    /// The record changed since the caller read it (HTTP 409).
    #[error("the record was changed by someone else (version {expected} expected, {found} found); reload and try again")]
    Stale { expected: i64, found: i64 },
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Rulebook(#[from] RulebookError),
    /// Not logged in, or the login failed: the sentence says what to do, never which part was wrong.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    TooManyAttempts(String),
}

impl AppError {
    /// Lifts a storage error, keeping a stale version as the conflict it is.
    pub fn from_store(e: StoreError) -> AppError {
        match e {
            StoreError::Stale { expected, found } => AppError::Stale { expected, found },
            StoreError::NotFound(what) => AppError::NotFound(what),
            other => AppError::Store(other),
        }
    }
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
    pub access_log: access::access_log::AccessLog,
    /// Membership-list pages kept while the register is unchanged.
    pub lists: register::list_cache::ListCache,
    /// The file that witnesses the audit chain's head (`audit_witness`), which verifying the chain
    /// reads; `None` when the operator keeps none.
    pub audit_witness: Option<std::path::PathBuf>,
}

impl App {
    pub fn new(store: Store, rules: Rulebook, clock: Clock) -> App {
        App {
            store,
            rules,
            clock,
            access_log: access::access_log::AccessLog::default(),
            lists: register::list_cache::ListCache::default(),
            audit_witness: None,
        }
    }

    /// The same, verifying the audit chain against this witness file (`audit_witness`).
    pub fn with_audit_witness(mut self, file: Option<std::path::PathBuf>) -> App {
        self.audit_witness = file;
        self
    }
}

/// Who did something, as the audit log names them.
pub const CLI_ACTOR: &str = "cli";
