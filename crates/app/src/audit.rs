//! The audit: reading the audit and access logs, and witnessing the chain's head outside the
//! database.
pub mod audit_logs;
pub mod audit_witness;
