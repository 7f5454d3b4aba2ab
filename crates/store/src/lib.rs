//! SQL for SQLite and PostgreSQL.
