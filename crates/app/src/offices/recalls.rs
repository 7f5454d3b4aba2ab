//! Recalling a Labour group's leader: an officer opens a petition and the register gives the group
//! as it stands that day (its leader, and the councillors who may sign); group members sign, each
//! once; the recall is triggered when the signatures reach the rulebook's share of the group
//! (`13.leader`, two-thirds), judged by `offices::group_leader_recall`. Signing is not secret: each signature is audited by name.
use crate::offices::groups;
use crate::organisation::units::find_unit;
use crate::{App, AppError, Result};
use caucus_domain::access::allowed::Allowed;
use caucus_domain::access::policy::{self, Action, Actor, Resource};
use caucus_domain::decision::{Decision, Reason};
use caucus_domain::offices::group_leader_recall;
use caucus_domain::organisation::unit::UnitKind;
use caucus_domain::rulebook::{ACCESS_SELF, GROUP_LEADER};
use caucus_store::audit::{self, NewEvent};
use caucus_store::offices::recalls::{self as store, PetitionRow};
use caucus_store::{organisation::units, register::members};
use time::Date;

fn actor_name(actor: &Actor) -> String {
    format!("account:{}", actor.account_id)
}

/// Opens a petition to recall the leader of the Labour group `group_code`, with the group as the
/// register has it on the day it opens: its sitting leader, and its councillors as the members who
/// may sign. For the officers who run the ballots of the group's council.
pub async fn open(app: &App, actor: &Actor, group_code: &str) -> Result<i64> {
    let unit = find_unit(app, group_code).await?;
    let resource = Resource::Unit {
        kind: UnitKind::parse(&unit.kind).unwrap_or(UnitKind::National),
        units: units::ancestors(&app.store, unit.id).await?,
    };
    let why = policy::authorise(actor, Action::ManageBallots, &resource, app.clock.today())
        .map_err(AppError::Forbidden)?;
    let unit = groups::find_group(app, group_code).await?;
    let today = app.clock.today();
    let mut tx = app.store.begin().await?;
    let (leader_id, ids) = groups::leader_and_members(app, &mut tx, &unit, today).await?;
    if ids.len() < 2 {
        return Err(AppError::Invalid(format!(
            "{} has {} councillor(s) on {today}; a group has at least two members",
            unit.name,
            ids.len()
        )));
    }
    let leader = members::number_of(&app.store, leader_id)
        .await?
        .unwrap_or_default();
    let id = store::insert(&mut tx, unit.id, leader_id, today, &actor_name(actor), &ids).await?;
    audit::append(
        &mut tx,
        &why,
        NewEvent {
            occurred_at: app.clock.stamp(),
            actor: actor_name(actor),
            action: "recall.open".into(),
            subject: format!("recall:{id}"),
            unit: Some(unit.code.clone()),
            before: None,
            after: None,
            detail: serde_json::json!({
                "leader": leader, "group_size": ids.len(), "opened_on": today.to_string(),
                "clauses": why.reasons().iter().map(|r| r.clause.clone()).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A petition as it stands: the signatures against the group and the rule's decision.
#[derive(Debug, Clone)]
pub struct PetitionState {
    pub row: PetitionRow,
    pub unit_name: String,
    pub leader: String,
    pub group_size: i64,
    pub signatures: Vec<(String, Date)>,
    pub decision: Decision,
}

/// The petition, if the actor may read it (it names its signatories): the group's own
/// councillors, the officers who run the ballots of its area, the auditor; refused otherwise.
async fn readable(app: &App, actor: &Actor, id: i64) -> Result<(PetitionRow, Allowed)> {
    let row = store::get(&app.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("recall petition {id}")))?;
    let in_group = match actor.member_id {
        Some(member) => {
            let mut tx = app.store.begin_read().await?;
            let found = store::in_group(&mut tx, id, member).await?;
            tx.commit().await?;
            found
        }
        None => false,
    };
    let resource = Resource::Petition {
        units: units::ancestors(&app.store, row.unit_id).await?,
        in_group,
    };
    let why = policy::authorise(actor, Action::ReadPetition, &resource, app.clock.today())
        .map_err(AppError::Forbidden)?;
    Ok((row, why))
}

/// The petition with its signatures, for those who may read it; the read is logged, as any read
/// of a list of members is.
pub async fn state(app: &App, actor: &Actor, id: i64) -> Result<PetitionState> {
    let (row, why) = readable(app, actor, id).await?;
    crate::register::records::log_read(
        app,
        actor,
        "read_recall_petition",
        &format!("recall:{id}"),
        &why,
    )
    .await?;
    let unit_name = units::get(&app.store, row.unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let leader = members::number_of(&app.store, row.leader_member_id)
        .await?
        .unwrap_or_default();
    let mut tx = app.store.begin_read().await?;
    let (group_size, _) = store::tally(&mut tx, id).await?;
    tx.commit().await?;
    let signatures = store::signatures(&app.store, id).await?;
    let decision = group_leader_recall(
        u32::try_from(signatures.len()).unwrap_or(u32::MAX),
        u32::try_from(group_size).unwrap_or(u32::MAX),
        &app.rules,
    );
    Ok(PetitionState {
        row,
        unit_name,
        leader,
        group_size,
        signatures,
        decision,
    })
}

/// Whether the actor's member record is in the petition's group and has not signed yet.
pub async fn may_sign(app: &App, actor: &Actor, id: i64) -> Result<bool> {
    let Some(member) = actor.member_id else {
        return Ok(false);
    };
    let mut tx = app.store.begin_read().await?;
    let in_group = store::in_group(&mut tx, id, member).await?;
    tx.commit().await?;
    let number = members::number_of(&app.store, member)
        .await?
        .unwrap_or_default();
    let signed = store::signatures(&app.store, id)
        .await?
        .iter()
        .any(|(n, _)| *n == number);
    Ok(in_group && !signed)
}

/// Signs the petition as the actor's member record. Refused for those who may not read it, for
/// anyone outside the group and for a second signature. Returns the rule's decision after the
/// signature: allowed once the recall is triggered (recorded on the day the threshold is reached).
pub async fn sign(app: &App, actor: &Actor, id: i64) -> Result<Decision> {
    let refuse = |message: String| {
        AppError::RuleRefused(Decision::deny(vec![Reason::new(GROUP_LEADER, message)]))
    };
    // Whoever may not read the petition is told only that, not whether they could sign it.
    let (petition, why) = readable(app, actor, id).await?;
    let member = actor.member_id.ok_or_else(|| {
        AppError::RuleRefused(Decision::deny(vec![Reason::new(
            ACCESS_SELF,
            "this account belongs to no member, so it cannot sign",
        )]))
    })?;
    let number = members::number_of(&app.store, member)
        .await?
        .unwrap_or_default();
    let unit = units::get(&app.store, petition.unit_id).await?;
    let today = app.clock.today();
    let mut tx = app.store.begin().await?;
    if !store::in_group(&mut tx, id, member).await? {
        return Err(refuse(
            "only members of the group may sign a petition to recall its leader".to_string(),
        ));
    }
    if !store::sign(&mut tx, id, member, today).await? {
        return Err(refuse("you have already signed this petition".to_string()));
    }
    let (group_size, signed) = store::tally(&mut tx, id).await?;
    let decision = group_leader_recall(
        u32::try_from(signed).unwrap_or(u32::MAX),
        u32::try_from(group_size).unwrap_or(u32::MAX),
        &app.rules,
    );
    let triggered_now = decision.allowed && petition.triggered_on.is_none();
    if triggered_now {
        store::set_triggered(&mut tx, id, today).await?;
    }
    // Allowed by the policy to read the petition, and by the group's rule (checked above) to sign.
    audit::append(
        &mut tx,
        &why,
        NewEvent {
            occurred_at: app.clock.stamp(),
            actor: actor_name(actor),
            action: "recall.sign".into(),
            subject: format!("recall:{id}"),
            unit: unit.map(|u| u.code),
            before: None,
            after: None,
            detail: serde_json::json!({
                "member": number, "signatures": signed, "group_size": group_size,
                "triggered": decision.allowed, "triggered_now": triggered_now,
                "reasons": decision.reasons,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(decision)
}
