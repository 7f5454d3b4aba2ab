//! The pure rules and types of caucus. Nothing here does IO: every function takes the facts it needs
//! and returns a value, and every decision carries its reasons, each naming a rulebook clause.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod vocabulary;

pub mod ballot;
pub mod branches;
pub mod calendar;
pub mod decision;
pub mod delegates;
pub mod eligibility;
pub mod lifecycle;
pub mod member;
pub mod membership_check;
pub mod membership_list;
pub mod offices;
pub mod policy;
pub mod postcode;
pub mod rulebook;
pub mod status;
pub mod suspension;
pub mod token_scope;
pub mod unit;
