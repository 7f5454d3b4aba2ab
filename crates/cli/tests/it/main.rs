//! The one integration-test binary: the real `caucus` binary against real databases (SQLite always,
//! PostgreSQL when CAUCUS_TEST_POSTGRES is set).
#![allow(clippy::unwrap_used)]

mod support;

mod backup;
mod ballots;
mod count;
mod members;
mod register;
mod web;
