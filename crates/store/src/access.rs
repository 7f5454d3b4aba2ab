//! Access: accounts, sessions, second factors, API tokens, password resets and the access log
//! (in its own file on SQLite).
pub mod access_log_file;
pub mod accounts;
pub mod api_tokens;
pub mod logs;
pub mod password_resets;
pub mod second_factor;
