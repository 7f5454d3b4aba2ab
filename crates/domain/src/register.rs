//! The register: members, their status and lifecycle on any date, eligibility, the membership
//! check and lists, suspensions and postcodes.
pub mod access;
pub mod eligibility;
pub mod lifecycle;
pub mod member;
pub mod membership_check;
pub mod membership_list;
pub mod postcode;
pub mod status;
pub mod suspension;
