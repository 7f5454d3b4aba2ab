//! Operations: backup and restore, the mail outbox, and the schema parity check.
pub mod backup;
pub mod outbox;
pub mod schema_parity;
