//! The register: members and their history, import and export, the membership check, status
//! transitions, reading records and lists (and the kept list pages).
pub mod list_cache;
pub(crate) mod listed;
pub mod member_export;
pub mod member_history;
pub mod member_import;
pub mod members;
pub mod membership_check;
pub mod records;
pub mod transitions;
