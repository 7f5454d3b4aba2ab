//! The register: members, their batches for imports, and import runs.
pub mod imports;
pub mod member_batches;
pub mod members;
