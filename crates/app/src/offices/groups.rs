//! Labour groups (SPEC 3.2): a group is a unit of kind `labour_group` under its local authority;
//! its members are the councillors holding a seat (an office of kind `councillor`) in it, so the
//! group on any day is read from the register. Whether the council has the strong-leader model is
//! recorded with the group; it decides the elected leader's term (`13.leader`). A leader takes
//! office by election (see `publish_ballot`) or, when the register is first set up, by
//! recording the sitting leader; either way the previous leader's term ends the day the new one
//! begins, in the same transaction as the audit event.
use crate::ballots;
use crate::offices::{appoint, Appointment};
use crate::organisation::units::find_unit;
use crate::register::members::history;
use crate::{App, AppError, Result};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::access::policy::Actor;
use caucus_domain::decision::{Decision, Reason};
use caucus_domain::offices::{group_leader_term, Gender, OfficeKind};
use caucus_domain::organisation::unit::UnitKind;
use caucus_domain::register::eligibility::hold_office;
use caucus_store::audit::{self, digest, NewEvent};
use caucus_store::offices::groups as store;
use caucus_store::offices::{self, Held, OfficeRow};
use caucus_store::organisation::units::{self, NewUnit, Unit};
use caucus_store::register::members::{self, Member};
use caucus_store::Tx;
use time::Date;

/// The code of the Labour group on the council with this local authority code.
pub fn group_code(local_authority: &str) -> String {
    format!("labour_group:{local_authority}")
}

/// Creates (or renames) the Labour group of a local authority and records its council's executive
/// model; returns the group's unit.
pub async fn set_up_group(
    app: &App,
    operator: &Operator,
    local_authority: &str,
    name: &str,
    strong_leader_model: bool,
) -> Result<Unit> {
    let la = find_unit(app, local_authority).await?;
    if la.kind != UnitKind::LocalAuthority.as_str() {
        return Err(AppError::Invalid(format!(
            "{local_authority} is a {}, not a local authority",
            la.kind.replace('_', " ")
        )));
    }
    if name.trim().is_empty() {
        return Err(AppError::Invalid("the group needs a name".into()));
    }
    let code = group_code(&la.code);
    let mut tx = app.store.begin().await?;
    let pending = audit::reserve(&mut tx, &Allowed::operator(operator)).await?;
    let (id, _) = units::upsert(
        &mut tx,
        &NewUnit {
            boundary_set: "",
            code: &code,
            kind: UnitKind::LabourGroup.as_str(),
            name: name.trim(),
            gss_code: None,
            parent_id: Some(la.id),
        },
    )
    .await?;
    store::set_model(&mut tx, id, strong_leader_model, pending.seq).await?;
    pending
        .write(
            &mut tx,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: operator.name().to_string(),
                action: "group.set_up".into(),
                subject: format!("unit:{code}"),
                unit: Some(code.clone()),
                before: None,
                after: None,
                detail: serde_json::json!({
                    "name": name.trim(), "local_authority": la.code,
                    "strong_leader_model": strong_leader_model,
                }),
            },
        )
        .await?;
    tx.commit().await?;
    units::get(&app.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("unit {code}")))
}

/// The Labour group with this code, refused if the unit is of another kind.
pub async fn find_group(app: &App, code: &str) -> Result<Unit> {
    let unit = find_unit(app, code).await?;
    if unit.kind != UnitKind::LabourGroup.as_str() {
        return Err(AppError::Invalid(format!(
            "{} is a {}, not a Labour group",
            unit.name,
            unit.kind.replace('_', " ")
        )));
    }
    Ok(unit)
}

/// Whether the group's council has the strong-leader model (no record: it does not).
pub async fn strong_leader_model(app: &App, group: &Unit) -> Result<bool> {
    Ok(store::strong_leader_model(&app.store, group.id)
        .await?
        .unwrap_or(false))
}

/// Seats a councillor in the group from `from` (an office of kind `councillor`, checked like any
/// office against the member's standing).
pub async fn seat_councillor(
    app: &App,
    operator: &Operator,
    group: &str,
    membership_number: &str,
    from: Date,
    gender: Gender,
) -> Result<i64> {
    let unit = find_group(app, group).await?;
    appoint(
        app,
        operator,
        &Appointment {
            unit_code: unit.code,
            membership_number: membership_number.to_string(),
            office: OfficeKind::Councillor,
            from,
            until: None,
            gender,
            appointed_by: operator.name().to_string(),
        },
    )
    .await
}

/// Appoints a member of the group to one of its offices other than the leadership (the chief whip).
pub async fn appoint_group_officer(
    app: &App,
    operator: &Operator,
    group: &str,
    membership_number: &str,
    office: OfficeKind,
    from: Date,
) -> Result<i64> {
    if office == OfficeKind::GroupLeader || office == OfficeKind::Councillor {
        return Err(AppError::Invalid(format!(
            "a group's {} is not appointed this way",
            office.as_str().replace('_', " ")
        )));
    }
    let unit = find_group(app, group).await?;
    let seat = seat_on(app, &unit, membership_number, from).await?;
    appoint(
        app,
        operator,
        &Appointment {
            unit_code: unit.code,
            membership_number: membership_number.to_string(),
            office,
            from,
            until: None,
            gender: Gender::parse(&seat.row.gender).unwrap_or(Gender::NotGiven),
            appointed_by: operator.name().to_string(),
        },
    )
    .await
}

/// The member's seat in the group on a day, or refused under `13.leader` when they have none.
async fn seat_on(app: &App, group: &Unit, number: &str, on: Date) -> Result<Held> {
    offices::held_on(&app.store, group.id, on)
        .await?
        .into_iter()
        .find(|h| h.row.office == OfficeKind::Councillor.as_str() && h.membership_number == number)
        .ok_or_else(|| {
            AppError::RuleRefused(Decision::deny(vec![Reason::new(
                caucus_domain::rulebook::GROUP_LEADER,
                format!("{number} is not a councillor in {} on {on}", group.name),
            )]))
        })
}

/// Records the group's sitting leader from `from` (when the register is first set up, or after an
/// election held outside caucus): the term is set by the council's model, as for an elected leader.
pub async fn record_leader(
    app: &App,
    operator: &Operator,
    group: &str,
    membership_number: &str,
    from: Date,
) -> Result<i64> {
    let unit = find_group(app, group).await?;
    let member = members::by_number(&app.store, membership_number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {membership_number}")))?;
    let mut tx = app.store.begin().await?;
    let id = install_leader(
        app,
        &mut tx,
        operator.name(),
        &Allowed::operator(operator),
        &unit,
        &member,
        from,
        serde_json::json!({ "recorded": true }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes `member` the group's leader from `from` inside the caller's transaction: checks they sit
/// in the group and may hold office, ends the running leader's term on that day, sets the new
/// term's end by the council's model and writes the audit event (`detail` adds to it). Refused
/// when another leader's term is already set to begin on or after `from`.
#[allow(clippy::too_many_arguments)]
async fn install_leader(
    app: &App,
    tx: &mut Tx,
    actor: &str,
    allowed: &Allowed,
    group: &Unit,
    member: &Member,
    from: Date,
    mut detail: serde_json::Value,
) -> Result<i64> {
    let number = member.row.membership_number.clone();
    let seat = seat_on(app, group, &number, from).await?;
    let may_hold = hold_office(&history(app, member).await?, from, &app.rules);
    if !may_hold.allowed {
        return Err(AppError::RuleRefused(may_hold));
    }
    let leader = OfficeKind::GroupLeader.as_str();
    if let Some(later) = store::term_starting_from(tx, group.id, leader, from).await? {
        return Err(AppError::Invalid(format!(
            "a leader's term in {} already begins on {later}, not before {from}",
            group.name
        )));
    }
    let strong = strong_leader_model(app, group).await?;
    let (until, why) = group_leader_term(from, strong, &app.rules);
    let pending = audit::reserve(tx, allowed).await?;
    let ended = store::end_terms(tx, group.id, leader, from).await?;
    let row = OfficeRow {
        unit_id: group.id,
        member_id: member.id,
        office: leader.to_string(),
        held_from: from,
        held_until: until,
        interim: false,
        appointed_by: actor.to_string(),
        gender: seat.row.gender.clone(),
        audit_seq: pending.seq,
    };
    let id = offices::insert(tx, &row).await?;
    let mut previous = Vec::with_capacity(ended.len());
    for (_, member_id) in &ended {
        previous.push(
            members::number_of(&app.store, *member_id)
                .await?
                .unwrap_or_default(),
        );
    }
    if let Some(map) = detail.as_object_mut() {
        map.insert("office".into(), leader.into());
        map.insert("from".into(), from.to_string().into());
        map.insert("until".into(), until.map(|d| d.to_string()).into());
        map.insert("strong_leader_model".into(), strong.into());
        map.insert("term".into(), serde_json::json!(why));
        map.insert("previous_leader_ended".into(), previous.into());
    }
    pending
        .write(
            tx,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: actor.to_string(),
                action: "office.appoint".into(),
                subject: format!("member:{number}"),
                unit: Some(group.code.clone()),
                before: None,
                after: Some(digest(format!("{id}:{leader}:{from}:{until:?}"))),
                detail,
            },
        )
        .await?;
    Ok(id)
}

/// Publishes a counted ballot; a ballot that fills an office (a group leader election) also makes
/// its winner the group's leader, in the same transaction, from `takes_office_on` (default: the day
/// of publication, and never before it), ending the previous leader's term that day.
pub async fn publish_ballot(
    app: &App,
    actor: &Actor,
    id: i64,
    takes_office_on: Option<Date>,
) -> Result<()> {
    let (mut tx, decided) = ballots::publish_in(app, actor, id, takes_office_on).await?;
    if let Some(winner) = decided.winners.first() {
        install_leader(
            app,
            &mut tx,
            &ballots::actor_name(actor),
            &decided.why,
            &decided.ballot.unit,
            winner,
            decided.takes_office_on,
            serde_json::json!({ "ballot": id, "clauses": ballots::clauses(&decided.why) }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A Labour group as its page shows it on a day.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub unit: Unit,
    pub strong_leader_model: bool,
    pub leader: Option<Held>,
    /// Why the leader's term ends when it does (or has no set end), with the clause.
    pub leader_term: Option<Reason>,
    pub chief_whip: Option<Held>,
    pub councillors: Vec<Held>,
}

/// The group on `on`: its leader with the term's reason, its chief whip and its councillors. The
/// group's composition is public within the party (councillors hold public office).
pub async fn view(app: &App, unit: &Unit, on: Date) -> Result<GroupView> {
    let held = offices::held_on(&app.store, unit.id, on).await?;
    let strong = strong_leader_model(app, unit).await?;
    let take = |office: OfficeKind| -> Vec<Held> {
        held.iter()
            .filter(|h| h.row.office == office.as_str())
            .cloned()
            .collect()
    };
    let leader = take(OfficeKind::GroupLeader).pop();
    let leader_term = leader
        .as_ref()
        .map(|l| group_leader_term(l.row.held_from, strong, &app.rules).1);
    let mut councillors = take(OfficeKind::Councillor);
    councillors.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.membership_number.cmp(&b.membership_number))
    });
    Ok(GroupView {
        unit: unit.clone(),
        strong_leader_model: strong,
        leader,
        leader_term,
        chief_whip: take(OfficeKind::ChiefWhip).pop(),
        councillors,
    })
}

/// The group's leader and members on a day, as a recall petition takes them: the leader's member
/// id and the councillors' member ids.
pub async fn leader_and_members(
    app: &App,
    tx: &mut Tx,
    group: &Unit,
    on: Date,
) -> Result<(i64, Vec<i64>)> {
    let leader = offices::held_on(&app.store, group.id, on)
        .await?
        .into_iter()
        .find(|h| h.row.office == OfficeKind::GroupLeader.as_str())
        .ok_or_else(|| {
            AppError::Invalid(format!("{} has no leader on {on} to recall", group.name))
        })?;
    let members = store::members_on(tx, group.id, on).await?;
    Ok((leader.row.member_id, members))
}

/// May the actor run this group's ballots and petitions (the officers over its council)?
pub async fn may_manage(app: &App, actor: &Actor, group: &Unit) -> Result<bool> {
    Ok(ballots::may_manage(app, actor, group).await?.allowed)
}
