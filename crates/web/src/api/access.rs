//! The API's sessions.
pub(crate) mod session;
