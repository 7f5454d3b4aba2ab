//! Pages of operations: the outbox and the dashboards.
pub(crate) mod dashboard;
pub(crate) mod outbox;
