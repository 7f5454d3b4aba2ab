//! Proof that an access decision allowed what is about to be written. A state change (and the audit
//! event that records it) can only be written with an `Allowed` in hand, and an `Allowed` can only
//! be made in four ways:
//!
//! - `policy::authorise`, for an actor's request: the policy allowed it;
//! - `Allowed::own_account`, for an account acting on itself just after authenticating;
//! - `Allowed::operator`, for an operator's command at the command line (an `Operator`);
//! - `Allowed::system`, for the server's own jobs, which have no actor.
//!
//! Its fields are private, so it cannot be made by hand outside this module:
//!
//! ```compile_fail
//! use caucus_domain::access::allowed::{Allowed, Authority};
//! let forged = Allowed { by: Authority::System("forged"), reasons: vec![] };
//! ```
//!
//! (With a constructor it compiles: `let _ = Allowed::system("a job");`.)
use crate::decision::{Decision, Reason};
use crate::rulebook::{ACCESS_GRANTS, ACCESS_SELF};

/// Who allowed a write: an account (by the policy, or acting on itself), an operator at the
/// command line, or one of the server's own jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    Account(i64),
    Operator(String),
    System(&'static str),
}

/// An allowed access decision, to be handed to whatever writes the state change it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    by: Authority,
    reasons: Vec<Reason>,
}

/// An operator running one of the `caucus` binary's commands (imports, reallocation, adding a user,
/// backup and restore, the demo's set-up). Made only by those commands (crates/cli/src) and the
/// tests that stand in for them, never by the web: whoever can run the binary against the database
/// already holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    name: String,
}

impl Operator {
    /// The operator of a command run at the command line, named for the record (the system user,
    /// or the command). Only the `caucus` binary's commands call this.
    pub fn at_the_command_line(name: impl Into<String>) -> Self {
        Operator { name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Allowed {
    /// Made by `policy::authorise` from a decision that allowed.
    pub(crate) fn by_policy(account_id: i64, decision: Decision) -> Result<Self, Decision> {
        if decision.allowed {
            Ok(Allowed {
                by: Authority::Account(account_id),
                reasons: decision.reasons,
            })
        } else {
            Err(decision)
        }
    }

    /// An account acting on itself (`what`: logging in or out, resetting its password by the token
    /// mailed to it, its second factor, its own API tokens). Only for code that has just
    /// authenticated the account (by its password, its session, its mailed token or its second
    /// factor): it allows anything the account does to itself.
    pub fn own_account(account_id: i64, what: &'static str) -> Self {
        Allowed {
            by: Authority::Account(account_id),
            reasons: vec![Reason::new(
                ACCESS_SELF,
                format!("an authenticated account acts on itself: {what}"),
            )],
        }
    }

    /// An operator's command at the command line.
    pub fn operator(op: &Operator) -> Self {
        Allowed {
            by: Authority::Operator(op.name.clone()),
            reasons: vec![Reason::new(
                ACCESS_GRANTS,
                format!(
                    "the operator {} runs a command at the command line",
                    op.name
                ),
            )],
        }
    }

    /// One of the server's own jobs, which no actor asks for (sending mail from the outbox,
    /// witnessing the audit head, recording a lost access-log file, the member digests' baseline
    /// on migration).
    pub fn system(job: &'static str) -> Self {
        Allowed {
            by: Authority::System(job),
            reasons: vec![Reason::new(
                ACCESS_GRANTS,
                format!("the server's own job: {job}"),
            )],
        }
    }

    /// Why it was allowed.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }

    /// Who allowed it.
    pub fn by(&self) -> &Authority {
        &self.by
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_names_who_allowed_it() {
        assert_eq!(
            Allowed::own_account(7, "login").by(),
            &Authority::Account(7)
        );
        let op = Operator::at_the_command_line("root");
        assert_eq!(
            Allowed::operator(&op).by(),
            &Authority::Operator("root".into())
        );
        assert_eq!(Allowed::system("mail").by(), &Authority::System("mail"));
        assert!(Allowed::by_policy(1, Decision::deny(vec![])).is_err());
        let a = Allowed::by_policy(1, Decision::allow(vec![Reason::new("c", "m")])).unwrap();
        assert_eq!(a.reasons().len(), 1);
    }
}
