//! One module per command.
pub mod audit;
pub mod boundaries;
pub mod count;
pub mod demo;
pub mod generate;
pub mod import;
pub mod serve;
pub mod user;
