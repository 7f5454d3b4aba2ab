//! Access: accounts and logins, second factors, API tokens, password resets and the access log;
//! the secrets they are made of and the throttling of failed logins.
pub mod access_log;
pub mod accounts;
pub mod api_tokens;
pub mod password_reset;
pub mod second_factor;
pub(crate) mod secrets;
pub(crate) mod throttle;
