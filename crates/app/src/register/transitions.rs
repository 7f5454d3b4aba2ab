//! A change of a member's status asked for by someone: the access policy decides whether they may
//! change this member's status at all, then the one write path (`members::record_transition`)
//! applies the rules, the version check and the audit event in one transaction.
use caucus_domain::access::policy::{self, can, Action, Actor, Resource};
use caucus_domain::decision::Decision;
use caucus_store::register::members::{self, Member};

use crate::register::members::{record_transition, TransitionRequest};
use crate::register::records::{log_not_found, log_refused, may_read_members, member_not_found};
use crate::{App, AppError, Result};

/// The policy's answer for this actor and member, without changing anything (to offer the form).
/// A member the actor may not read is not found, as on every read of a member.
pub async fn may_change_status(app: &App, actor: &Actor, number: &str) -> Result<Decision> {
    let placed = crate::register::records::placed_member(app, number).await?;
    let resource = Resource::Member {
        member_id: placed.member.id,
        units: placed.units,
    };
    let today = app.clock.today();
    if !can(actor, Action::ReadMember, &resource, today).allowed {
        return Err(member_not_found());
    }
    Ok(can(actor, Action::ChangeMemberStatus, &resource, today))
}

/// Records the change for `actor`: refused by the policy (`Forbidden`), by the rules
/// (`RuleRefused`), or as stale (`Stale`) when the member changed since the caller's version. As a
/// read is, a change is refused before the member is looked up to an actor who may read no member,
/// and to one who may read some, a member they may not read is not found; each refusal is in the
/// access log.
pub async fn change_status(app: &App, actor: &Actor, req: &TransitionRequest) -> Result<Member> {
    const WHAT: &str = "change_member_status";
    let number = req.membership_number.as_str();
    may_read_members(app, actor, WHAT, number).await?;
    let subject = format!("member:{number}");
    let Some(placed) = members::placed_by_number(&app.store, number).await? else {
        log_not_found(app, actor, WHAT, &subject, "{}".into()).await?;
        return Err(member_not_found());
    };
    let resource = Resource::Member {
        member_id: placed.member.id,
        units: placed.units,
    };
    let today = app.clock.today();
    let read = can(actor, Action::ReadMember, &resource, today);
    if !read.allowed {
        log_refused(app, actor, WHAT, &subject, &read).await?;
        return Err(member_not_found());
    }
    let change = match policy::authorise(actor, Action::ChangeMemberStatus, &resource, today) {
        Ok(allowed) => allowed,
        Err(refused) => {
            log_refused(app, actor, WHAT, &subject, &refused).await?;
            return Err(AppError::Forbidden(refused));
        }
    };
    record_transition(app, &change, &format!("account:{}", actor.account_id), req).await
}
