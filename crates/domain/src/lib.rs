//! The pure rules and types of caucus. Nothing here does IO: every function takes the facts it needs
//! and returns a value, and every decision carries its reasons, each naming a rulebook clause.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod access;
pub mod ballots;
pub mod calendar;
pub mod decision;
pub mod offices;
pub mod organisation;
pub mod register;
pub mod rulebook;
pub mod vocabulary;
