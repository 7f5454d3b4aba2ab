//! One module per command.
pub mod audit;
pub mod backup;
pub mod boundaries;
pub mod count;
pub mod demo;
pub mod export;
pub mod generate;
pub mod import;
pub mod members;
pub mod serve;
pub mod user;
