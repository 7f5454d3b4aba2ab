//! Throttling failed logins and proofs of a second factor: per address and account, per address,
//! and, far more loosely, per account from everywhere, so that no one can lock an account's owner
//! out from elsewhere. Failures are counted from the login attempts the store records.
use caucus_store::access::accounts as store;

use crate::{App, AppError, Result};

/// Failed logins counted for throttling: those of the last quarter of an hour.
pub const THROTTLE_WINDOW_SECONDS: i64 = 15 * 60;
/// Failures from one address at one account (email) before that address is held back from it. Other
/// addresses are not: a stranger's wrong guesses do not lock the owner out.
pub const MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT: i64 = 5;
/// Failures from one address at any accounts before it is held back from all (password spraying).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// Failures at one account from all addresses before every address is held back from it but those
/// it has logged in from lately: a guess spread over many addresses is slowed, and the owner, at an
/// address of theirs, still gets in.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 50;
/// An address the account logged in from within this long is its owner's as far as the
/// account-wide limit goes.
pub const KNOWN_ADDRESS_SECONDS: i64 = 30 * 24 * 3600;

/// Which limit holds a login back, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    Open,
    /// Too many failures from this address at this account.
    AddressAndAccount,
    /// Too many failures from this address, at any accounts.
    Address,
    /// Too many failures at this account from everywhere, and the address is not one it logged in from lately.
    Account,
}

/// The throttling rule over the failures counted in the window.
pub fn throttle(f: &store::Failures) -> Throttle {
    if f.address_and_account >= MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT {
        Throttle::AddressAndAccount
    } else if f.address >= MAX_FAILURES_PER_ADDRESS {
        Throttle::Address
    } else if f.account >= MAX_FAILURES_PER_ACCOUNT && !f.known_address {
        Throttle::Account
    } else {
        Throttle::Open
    }
}

/// Refuses (`TooManyAttempts`, saying `what`) a login or proof from `address` at the account `email`
/// that throttling holds back.
pub(crate) async fn check_throttle(
    app: &App,
    email: &str,
    address: &str,
    now: i64,
    what: &str,
) -> Result<()> {
    let failures = store::recent_failures(
        &app.store,
        email,
        address,
        now - THROTTLE_WINDOW_SECONDS,
        now - KNOWN_ADDRESS_SECONDS,
    )
    .await?;
    match throttle(&failures) {
        Throttle::Open => Ok(()),
        held => {
            tracing::info!(email = %email, address = %address, ?held, "{what} held back");
            Err(AppError::TooManyAttempts(format!(
                "too many {what}: wait a quarter of an hour and try again"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_cannot_lock_an_account_out_from_everywhere_else() {
        let f = |address_and_account, address, account, known_address| {
            throttle(&store::Failures {
                address_and_account,
                address,
                account,
                known_address,
            })
        };
        assert_eq!(f(4, 4, 4, false), Throttle::Open);
        assert_eq!(f(5, 5, 5, false), Throttle::AddressAndAccount);
        // Five failures elsewhere do not hold back a new address.
        assert_eq!(f(0, 0, 5, false), Throttle::Open);
        // Spraying: few at each account, many from the address.
        assert_eq!(f(1, 20, 1, false), Throttle::Address);
        // A guess spread over many addresses: held back everywhere but where the owner logs in.
        assert_eq!(f(0, 0, 49, false), Throttle::Open);
        assert_eq!(f(0, 0, 50, false), Throttle::Account);
        assert_eq!(f(0, 0, 50, true), Throttle::Open);
        assert_eq!(f(5, 0, 50, true), Throttle::AddressAndAccount);
    }
}
