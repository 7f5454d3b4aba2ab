//! The organisation: units, geography (boundary sets and postcodes) and reallocation.
pub mod geography;
pub mod reallocation;
pub mod units;
