//! The one integration-test binary: the real `caucus` binary against real databases (SQLite always,
//! PostgreSQL when CAUCUS_TEST_POSTGRES is set).
#![allow(clippy::unwrap_used)]

mod support;

mod access_matrix;
mod account;
mod api_v1;
mod backup;
mod ballots;
mod browser;
mod config;
mod count;
mod demo_officers;
mod group;
mod mail;
mod members;
mod refusals;
mod register;
mod tamper;
mod web;
mod web_export;
