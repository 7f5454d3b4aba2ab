//! The one integration-test binary: the real `caucus` binary against real databases (SQLite always,
//! PostgreSQL when CAUCUS_TEST_POSTGRES is set).
#![allow(clippy::unwrap_used)]

pub mod access;
mod api_v1;
pub mod audit;
pub mod ballots;
mod browser;
pub mod offices;
pub mod ops;
pub mod register;
mod support;
mod web;
