//! What the register's records allow: a member reads their own record; a grant of a role that
//! reads members' records reads, and lists, the members of the units it covers; the General
//! Secretary and regional directors record changes of status there.
use crate::access::grants::{with_article, Actor, Grant, Role};
use crate::decision::{Decision, Reason};
use crate::rulebook::{ACCESS_GRANTS, ACCESS_ROLES, ACCESS_SELF, GROUP_LEADER_LISTS};

/// A member's own record is theirs to read, whatever their grants.
pub fn own_record(actor: &Actor, member_id: i64) -> Option<Decision> {
    (actor.member_id == Some(member_id))
        .then(|| Decision::allow(vec![Reason::new(ACCESS_SELF, "this is your own record")]))
}

/// Whether the grant's role reads members' records at all (before any member is looked up).
pub fn reads_members(grant: &Grant) -> Result<Reason, Reason> {
    let role = grant.role;
    if role.reads_member_records() {
        return Ok(Reason::new(
            ACCESS_GRANTS,
            format!(
                "{} reads the records of the members it covers",
                grant.describe()
            ),
        ));
    }
    Err(refusal(role))
}

/// A member's record, under a grant covering one of the units the member sits in.
pub fn read_member(grant: &Grant, units: &[i64]) -> Result<Reason, Reason> {
    covered(grant, units, "this member")
}

/// A unit's membership list, under a grant covering the unit.
pub fn list_members(grant: &Grant, units: &[i64]) -> Result<Reason, Reason> {
    covered(grant, units, "this unit").map(|_| {
        Reason::new(
            list_clause(grant.role),
            format!("{} covers the members of this unit", grant.describe()),
        )
    })
}

/// A change of a member's status: membership decisions are the General Secretary's nationally and
/// the regional director's in their region (SPEC 1); unit officers read only.
pub fn change_status(grant: &Grant, units: &[i64]) -> Result<Reason, Reason> {
    let role = grant.role;
    if !role.reads_member_records() {
        return Err(refusal(role));
    }
    if !role.changes_member_status() {
        return Err(Reason::new(
            ACCESS_ROLES,
            format!("{} may not change a member's status", with_article(role)),
        ));
    }
    if !grant.covers(units) {
        return Err(Reason::new(
            ACCESS_GRANTS,
            format!("{} does not cover this member", grant.describe()),
        ));
    }
    Ok(Reason::new(
        ACCESS_GRANTS,
        format!(
            "{} covers changes to this member's status",
            grant.describe()
        ),
    ))
}

/// A grant of a role that reads members' records, covering `units`.
fn covered(grant: &Grant, units: &[i64], what: &str) -> Result<Reason, Reason> {
    let role = grant.role;
    if !role.reads_member_records() {
        return Err(refusal(role));
    }
    if !grant.covers(units) {
        return Err(Reason::new(
            ACCESS_GRANTS,
            format!("{} does not cover {what}", grant.describe()),
        ));
    }
    Ok(Reason::new(
        list_clause(role),
        format!("{} covers {what}", grant.describe()),
    ))
}

/// The clause a covering grant reads under: the group leader's and chief whip's lists of the area
/// they represent have a rule of their own.
fn list_clause(role: Role) -> &'static str {
    match role {
        Role::GroupLeader | Role::ChiefWhip => GROUP_LEADER_LISTS,
        _ => ACCESS_GRANTS,
    }
}

/// Why a role that may not read members' records may not, with its clause.
fn refusal(role: Role) -> Reason {
    let (clause, why) = role.member_records_refusal();
    Reason::new(clause, format!("{} {why}", with_article(role)))
}
