//! The scopes of an API token. A scope narrows what a token may be used for; it never widens it: the
//! access policy still decides every request by the owner's grants on the day. A scope that no grant
//! of the owner could use is refused when the token is made, so a token never claims more than its
//! owner holds.
use std::collections::BTreeSet;
use time::Date;

use crate::access::policy::{role_may_ever, Action, Actor};
use crate::decision::{Decision, Reason};
use crate::rulebook::ACCESS_TOKENS;

crate::spelled_enum!(
    /// What a token may be used for, spelled as in the API's OpenAPI security requirements.
    Scope, "scope" {
        ReadMembers => "read:members",
        ReadUnits => "read:units",
        WriteMembers => "write:members",
        ReadAudit => "read:audit",
    }
);

impl Scope {
    /// The policy's actions the scope opens.
    pub fn actions(self) -> &'static [Action] {
        match self {
            Scope::ReadMembers => &[Action::ReadMember, Action::ListMembers],
            Scope::ReadUnits => &[Action::ReadUnit],
            Scope::WriteMembers => &[Action::ChangeMemberStatus],
            Scope::ReadAudit => &[Action::ReadAuditLog],
        }
    }

    /// What the scope is for, in a few words (the settings page).
    pub fn describe(self) -> &'static str {
        match self {
            Scope::ReadMembers => "read members' records and membership lists",
            Scope::ReadUnits => "read the directory of units",
            Scope::WriteMembers => "record changes of a member's status",
            Scope::ReadAudit => "read the audit and access logs",
        }
    }
}

/// Reads a space- or comma-separated list of scopes (`read:members read:units`).
pub fn parse_scopes(text: &str) -> Result<BTreeSet<Scope>, crate::vocabulary::UnknownValue> {
    text.split([' ', ','])
        .filter(|s| !s.trim().is_empty())
        .map(Scope::parse)
        .collect()
}

/// The stored spelling of a set of scopes.
pub fn spell_scopes(scopes: &BTreeSet<Scope>) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Could the actor ever use the scope on `on`: does a grant in force (or, for reading members, their
/// own record) open one of its actions?
fn usable(actor: &Actor, scope: Scope, on: Date) -> bool {
    if scope == Scope::ReadMembers && actor.member_id.is_some() {
        return true;
    }
    actor.grants.iter().any(|g| {
        let in_force = g.valid_from <= on && g.valid_until.is_none_or(|u| on <= u);
        in_force && scope.actions().iter().any(|a| role_may_ever(g.role, *a))
    })
}

/// The scopes the actor's grants could use on `on`: what the settings page offers.
pub fn usable_scopes(actor: &Actor, on: Date) -> BTreeSet<Scope> {
    Scope::ALL
        .iter()
        .copied()
        .filter(|s| usable(actor, *s, on))
        .collect()
}

/// May the actor have a token with these scopes? Refused, naming each scope beyond their grants.
pub fn check_requested(actor: &Actor, scopes: &BTreeSet<Scope>, on: Date) -> Decision {
    if scopes.is_empty() {
        return Decision::deny(vec![Reason::new(
            ACCESS_TOKENS,
            "a token needs at least one scope",
        )]);
    }
    let beyond: Vec<Reason> = scopes
        .iter()
        .filter(|s| !usable(actor, **s, on))
        .map(|s| {
            Reason::new(
                ACCESS_TOKENS,
                format!(
                    "none of your roles may {}, so a token cannot be given {s}",
                    s.describe()
                ),
            )
        })
        .collect();
    if beyond.is_empty() {
        Decision::allow(vec![Reason::new(
            ACCESS_TOKENS,
            "every scope is within your roles",
        )])
    } else {
        Decision::deny(beyond)
    }
}

/// Does a token holding `held` carry every scope a route `needs`?
pub fn check_held(held: &BTreeSet<Scope>, needs: &[Scope]) -> Decision {
    let missing: Vec<Reason> = needs
        .iter()
        .filter(|s| !held.contains(s))
        .map(|s| {
            Reason::new(
                ACCESS_TOKENS,
                format!("this token was not given the {s} scope"),
            )
        })
        .collect();
    if missing.is_empty() {
        Decision::allow(Vec::new())
    } else {
        Decision::deny(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::policy::{Grant, Role};
    use time::macros::date;

    const ON: Date = date!(2026 - 11 - 22);

    fn actor(role: Role, until: Option<Date>) -> Actor {
        Actor {
            account_id: 1,
            member_id: None,
            grants: vec![Grant {
                role,
                unit: None,
                valid_from: date!(2026 - 01 - 01),
                valid_until: until,
            }],
        }
    }

    #[test]
    fn scopes_read_back_as_written_and_unknown_ones_are_refused() {
        let s = parse_scopes("read:units, read:members").unwrap();
        assert_eq!(spell_scopes(&s), "read:members read:units");
        assert!(parse_scopes("read:everything").is_err());
        assert!(parse_scopes("").unwrap().is_empty());
    }

    #[test]
    fn a_token_never_claims_more_than_its_owner_holds() {
        let admin = actor(Role::Admin, None);
        let d = check_requested(&admin, &parse_scopes("read:members").unwrap(), ON);
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].clause, ACCESS_TOKENS);
        assert!(d.reasons[0].message.contains("read:members"), "{d:?}");
        let auditor = actor(Role::Auditor, None);
        assert!(check_requested(&auditor, &parse_scopes("read:audit").unwrap(), ON).allowed);
        assert_eq!(
            spell_scopes(&usable_scopes(&auditor, ON)),
            "read:units read:audit"
        );
        let gs = actor(Role::GeneralSecretary, None);
        assert_eq!(usable_scopes(&gs, ON).len(), 3);
    }

    #[test]
    fn an_expired_grant_opens_no_scope_and_an_empty_request_is_refused() {
        let old = actor(Role::ClpSecretary, Some(date!(2026 - 06 - 30)));
        assert!(usable_scopes(&old, ON).is_empty());
        assert!(!check_requested(&old, &parse_scopes("read:units").unwrap(), ON).allowed);
        assert!(!check_requested(&actor(Role::Auditor, None), &BTreeSet::new(), ON).allowed);
    }

    #[test]
    fn a_route_needing_a_scope_the_token_lacks_is_refused_with_the_scope_named() {
        let held = parse_scopes("read:units").unwrap();
        assert!(check_held(&held, &[Scope::ReadUnits]).allowed);
        assert!(check_held(&held, &[]).allowed);
        let d = check_held(&held, &[Scope::ReadMembers]);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "this token was not given the read:members scope"
        );
    }
}
