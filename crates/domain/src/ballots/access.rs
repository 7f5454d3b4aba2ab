//! What a unit's ballots allow: the secretaries and staff who read a unit's members run its
//! ballots (create, freeze the roll, which names members, close and publish).
use crate::access::grants::{with_article, Grant};
use crate::decision::Reason;
use crate::rulebook::{ACCESS_GRANTS, ACCESS_ROLES};

/// Running the ballots of a unit, under a grant of a role that runs ballots covering it.
pub fn manage(grant: &Grant, units: &[i64]) -> Result<Reason, Reason> {
    let role = grant.role;
    if !role.runs_ballots() {
        return Err(Reason::new(
            ACCESS_ROLES,
            format!("{} does not run ballots", with_article(role)),
        ));
    }
    if !grant.covers(units) {
        return Err(Reason::new(
            ACCESS_GRANTS,
            format!("{} does not cover this unit", grant.describe()),
        ));
    }
    Ok(Reason::new(
        ACCESS_GRANTS,
        format!("{} runs the ballots of this unit", grant.describe()),
    ))
}
