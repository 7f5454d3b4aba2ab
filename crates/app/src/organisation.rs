//! The organisation: finding units, unit names, geography import and boundary reallocation.
pub mod geography_import;
pub mod names;
pub mod reallocate;
pub mod unit_names;
pub mod units;
