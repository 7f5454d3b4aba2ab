//! Consistent online backups and restores.
