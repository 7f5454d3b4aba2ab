//! Pages of offices: Labour groups and recall petitions.
pub(crate) mod groups;
pub(crate) mod recalls;
