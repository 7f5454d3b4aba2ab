//! What a Labour group's recall petitions allow. A petition names the councillors who signed it:
//! beyond the group itself, only the officers who run the ballots of its area (and so open
//! petitions there) and the auditor read it.
use crate::access::grants::{with_article, Grant, Role};
use crate::decision::{Decision, Reason};
use crate::rulebook::{ACCESS_GRANTS, ACCESS_ROLES, GROUP_LEADER};

/// The group's own councillors read its petitions, whatever their grants.
pub fn own_group(in_group: bool) -> Option<Decision> {
    in_group.then(|| {
        Decision::allow(vec![Reason::new(
            GROUP_LEADER,
            "you are a member of the group this petition is about",
        )])
    })
}

/// A petition of the group sitting in `units`, under one grant.
pub fn read_petition(grant: &Grant, units: &[i64]) -> Result<Reason, Reason> {
    let role = grant.role;
    if role == Role::Auditor {
        return Ok(Reason::new(
            ACCESS_ROLES,
            format!("{} reads recall petitions, read-only", grant.describe()),
        ));
    }
    if role == Role::Admin {
        let (clause, why) = role.member_records_refusal();
        return Err(Reason::new(clause, why));
    }
    if !role.runs_ballots() {
        return Err(Reason::new(
            ACCESS_ROLES,
            format!("{} may not read recall petitions", with_article(role)),
        ));
    }
    if !grant.covers(units) {
        return Err(Reason::new(
            ACCESS_GRANTS,
            format!("{} does not cover this group", grant.describe()),
        ));
    }
    Ok(Reason::new(
        ACCESS_GRANTS,
        format!("{} runs the ballots of this group's area", grant.describe()),
    ))
}
