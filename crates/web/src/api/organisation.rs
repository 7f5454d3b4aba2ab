//! The API's units and their membership lists.
pub(crate) mod units;
