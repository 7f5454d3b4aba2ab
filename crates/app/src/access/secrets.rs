//! The secrets access is made of: random tokens and the hashes the database keeps of them, TOTP
//! secrets and the 30-second steps their codes belong to, and the browser session a login yields.
//! Shared by logging in (`accounts`), second factors, API tokens and password resets.
use caucus_store::audit::digest;
use rand::Rng;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

/// What a TOTP code that was already used is refused with.
pub const TOTP_REPLAYED: &str = "that code has already been used: wait for your authenticator app \
    to show the next one and enter that";

/// A secret of `bytes` random bytes as lower-case hex (tokens, generated passwords).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(buf.as_mut_slice());
    hex::encode(buf)
}

/// The SHA-256 of a bearer secret: what the database keeps instead of the secret.
pub fn token_hash(token: &str) -> String {
    digest(token.as_bytes())
}

/// A fresh TOTP secret, base32 as authenticator apps take it.
pub fn new_totp_secret() -> String {
    let mut raw = [0u8; 20];
    rand::rng().fill(&mut raw);
    match Secret::Raw(raw.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => hex::encode(raw),
    }
}

fn totp(secret_base32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// The 6-digit code of a base32 secret at a Unix time (tests and the demo compute it this way).
pub fn totp_code(secret_base32: &str, unix_seconds: u64) -> Option<String> {
    totp(secret_base32).map(|t| t.generate(unix_seconds))
}

/// Whether `code` is right for the secret at `unix_seconds`, one 30-second step either side allowed.
pub fn check_totp(secret_base32: &str, code: &str, unix_seconds: u64) -> bool {
    totp_step(secret_base32, code, unix_seconds).is_some()
}

/// The 30-second step (`unix_seconds / 30`) whose code `code` is, among the step of `unix_seconds`
/// and one either side (the latest, should two share a code); `None` when it is none of theirs. The
/// step is what replay protection keeps: a code of a step no later than the last used is refused.
pub fn totp_step(secret_base32: &str, code: &str, unix_seconds: u64) -> Option<i64> {
    let t = totp(secret_base32)?;
    let code = code.trim();
    let now = unix_seconds / t.step;
    let mut found = None;
    for step in now.saturating_sub(1)..=now + 1 {
        // Every step is compared, in constant time, so timing says nothing of which matched.
        if same_bytes(t.generate(step * t.step).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    found.and_then(|s| i64::try_from(s).ok())
}

/// Compares two byte strings in time that depends on their lengths only.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// A browser session: the cookie's secret, the CSRF token its forms carry, and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_totp_code_checks_in_its_own_step_and_not_two_steps_later() {
        let s = new_totp_secret();
        let code = totp_code(&s, 1_800_000_000).unwrap();
        assert_eq!(code.len(), 6);
        assert!(check_totp(&s, &code, 1_800_000_000));
        assert!(check_totp(&s, &code, 1_800_000_030));
        assert!(!check_totp(&s, &code, 1_800_000_090));
        assert!(!check_totp("not base32!", &code, 1_800_000_000));
    }

    #[test]
    fn a_totp_code_is_read_as_its_own_step_one_either_side_allowed() {
        let s = new_totp_secret();
        let at = 1_800_000_000u64;
        let step = (at / 30) as i64;
        let code = totp_code(&s, at).unwrap();
        assert_eq!(totp_step(&s, &code, at), Some(step));
        assert_eq!(totp_step(&s, &format!(" {code} "), at + 30), Some(step));
        assert_eq!(totp_step(&s, &code, at - 30), Some(step));
        assert_eq!(totp_step(&s, &code, at + 60), None);
        let next = totp_code(&s, at + 30).unwrap();
        if next != code {
            assert_eq!(totp_step(&s, &next, at), Some(step + 1));
        }
        assert_eq!(totp_step(&s, "12345", at), None);
        assert_eq!(totp_step("not base32!", &code, at), None);
    }
}
