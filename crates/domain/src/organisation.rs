//! The organisation: units and their kinds, and branches over wards.
pub mod access;
pub mod branches;
pub mod unit;
