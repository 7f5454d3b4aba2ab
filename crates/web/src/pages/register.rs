//! Pages of the register: the list download and status transitions.
pub(crate) mod export;
pub(crate) mod transitions;
