//! A change of a member's status asked for by someone: the access policy decides whether they may
//! change this member's status at all, then the one write path (`members::record_transition`)
//! applies the rules, the version check and the audit event in one transaction.
use caucus_domain::decision::Decision;
use caucus_domain::policy::{can, Action, Actor, Resource};
use caucus_store::members::Member;

use crate::members::{record_transition, TransitionRequest};
use crate::{App, AppError, Result};

/// The policy's answer for this actor and member, without changing anything (to offer the form).
pub async fn may_change_status(app: &App, actor: &Actor, number: &str) -> Result<Decision> {
    let placed = crate::records::placed_member(app, number).await?;
    let resource = Resource::Member {
        member_id: placed.member.id,
        units: placed.units,
    };
    Ok(can(
        actor,
        Action::ChangeMemberStatus,
        &resource,
        app.clock.today(),
    ))
}

/// Records the change for `actor`: refused by the policy (`Forbidden`), by the rules
/// (`RuleRefused`), or as stale (`Stale`) when the member changed since the caller's version.
pub async fn change_status(app: &App, actor: &Actor, req: &TransitionRequest) -> Result<Member> {
    let allowed = may_change_status(app, actor, &req.membership_number).await?;
    if !allowed.allowed {
        return Err(AppError::Forbidden(allowed));
    }
    record_transition(app, &format!("account:{}", actor.account_id), req).await
}
