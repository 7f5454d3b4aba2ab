//! Pages of access: password reset, the second factor and API tokens.
pub(crate) mod password_reset;
pub(crate) mod second_factor;
pub(crate) mod tokens;
