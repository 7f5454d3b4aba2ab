//! Offices: Labour groups, leaders and recalls.
pub(crate) mod group;
