//! The register: members, imports and exports.
pub(crate) mod imports;
pub(crate) mod members;
pub(crate) mod web_export;
