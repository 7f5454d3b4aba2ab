//! Operations: mail and the dashboards.
pub mod dashboard;
pub mod mail;
