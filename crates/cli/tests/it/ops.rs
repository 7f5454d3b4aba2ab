//! Operations: backups, configuration, mail and the demo.
pub(crate) mod backup;
pub(crate) mod config;
pub(crate) mod demo_officers;
pub(crate) mod mail;
