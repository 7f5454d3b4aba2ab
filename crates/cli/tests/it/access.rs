//! Access: every route against every role, accounts and logins, refused reads in the log.
pub(crate) mod access_matrix;
pub(crate) mod account;
pub(crate) mod refusals;
