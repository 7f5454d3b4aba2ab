//! The API's members and their status transitions.
pub(crate) mod members;
pub(crate) mod transitions;
