//! The audit chain and its tampering.
pub(crate) mod tamper;
