//! The Labour group's part of its unit page: the leader with their term's end and the clause that
//! sets it, the chief whip, the councillors, and (for the officers who run the group's ballots)
//! plain forms to open a group leader election or a recall petition.
use caucus_app::offices::groups;
use caucus_app::{App, AppError};
use caucus_domain::access::policy::Actor;
use caucus_domain::organisation::unit::UnitKind;
use caucus_store::offices::Held;
use caucus_store::organisation::units::Unit;

use crate::error::ReasonBody;

/// Someone holding a post in the group, as the page lists them.
pub struct Holder {
    pub name: String,
    pub number: String,
    pub since: String,
}

impl From<&Held> for Holder {
    fn from(h: &Held) -> Self {
        Holder {
            name: h.name.clone(),
            number: h.membership_number.clone(),
            since: h.row.held_from.to_string(),
        }
    }
}

pub struct GroupSection {
    pub strong_leader_model: bool,
    pub leader: Option<Holder>,
    /// The day the leader's term ends, if it is set.
    pub leader_until: Option<String>,
    pub leader_term: Option<ReasonBody>,
    pub chief_whip: Option<Holder>,
    pub councillors: Vec<Holder>,
    pub may_manage: bool,
}

/// The section for a Labour group's unit; `None` for a unit of any other kind.
pub async fn section(
    app: &App,
    actor: &Actor,
    unit: &Unit,
) -> Result<Option<GroupSection>, AppError> {
    if unit.kind != UnitKind::LabourGroup.as_str() {
        return Ok(None);
    }
    let g = groups::view(app, unit, app.clock.today()).await?;
    Ok(Some(GroupSection {
        strong_leader_model: g.strong_leader_model,
        leader_until: g
            .leader
            .as_ref()
            .and_then(|l| l.row.held_until.map(|d| d.to_string())),
        leader: g.leader.as_ref().map(Holder::from),
        leader_term: g.leader_term.as_ref().map(ReasonBody::from),
        chief_whip: g.chief_whip.as_ref().map(Holder::from),
        councillors: g.councillors.iter().map(Holder::from).collect(),
        may_manage: groups::may_manage(app, actor, unit).await?,
    }))
}
