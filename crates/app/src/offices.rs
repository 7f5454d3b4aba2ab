//! Appointing officers and reading a unit's compliance with the rules of office: an appointment is
//! checked against the member's eligibility to hold office (and, for an interim officer, who may
//! appoint and until when), then written with its audit event; a unit's officers are checked against
//! the gender rules, and a branch's delegate entitlement is computed from its membership.
pub mod groups;
pub mod recalls;

use crate::organisation::units::find_unit;
use crate::register::members::history;
use crate::{App, AppError, Result};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::decision::Decision;
use caucus_domain::offices::delegates::{gc_delegates, DelegateCount};
use caucus_domain::offices::{
    branch_officers_gender, check_interim_appointment, clp_executive_gender, Gender, OfficeKind,
    Officeholder,
};
use caucus_domain::organisation::unit::UnitKind;
use caucus_domain::register::eligibility::hold_office;
use caucus_store::audit::{self, digest, NewEvent};
use caucus_store::offices::{self, Held, OfficeRow};
use caucus_store::organisation::units::Unit;
use caucus_store::register::members;
use caucus_store::Tx;
use std::collections::HashMap;
use time::Date;

#[derive(Debug, Clone)]
pub struct Appointment {
    pub unit_code: String,
    pub membership_number: String,
    pub office: OfficeKind,
    pub from: Date,
    /// The day the term ends (exclusive): for an interim officer, the AGM.
    pub until: Option<Date>,
    pub gender: Gender,
    /// The role making the appointment (checked for interim officers).
    pub appointed_by: String,
}

/// Appoints a member to an office; refused with the rules' reasons when they may not hold it.
/// An operator's command (the CLI, the demo's set-up).
pub async fn appoint(app: &App, operator: &Operator, req: &Appointment) -> Result<i64> {
    let unit = find_unit(app, &req.unit_code).await?;
    let checked = check(app, &unit, req).await?;
    let mut tx = app.store.begin().await?;
    let id = write(app, &mut tx, operator, &checked).await?;
    tx.commit().await?;
    Ok(id)
}

/// Appoints several officers at once (an AGM's results, or a demo's): each checked as `appoint`
/// checks it and written with its own audit event, all in one transaction, so either every
/// appointment is made or, when one is refused, none.
pub async fn appoint_all(app: &App, operator: &Operator, reqs: &[Appointment]) -> Result<Vec<i64>> {
    let mut units: HashMap<&str, Unit> = HashMap::new();
    for req in reqs {
        if !units.contains_key(req.unit_code.as_str()) {
            units.insert(&req.unit_code, find_unit(app, &req.unit_code).await?);
        }
    }
    let mut checked = Vec::with_capacity(reqs.len());
    for req in reqs {
        checked.push(check(app, &units[req.unit_code.as_str()], req).await?);
    }
    let mut tx = app.store.begin().await?;
    let mut ids = Vec::with_capacity(checked.len());
    for c in &checked {
        ids.push(write(app, &mut tx, operator, c).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

/// An appointment the rules allow, with what its write needs.
struct Checked<'a> {
    unit: &'a Unit,
    member: members::Member,
    req: &'a Appointment,
    decision: Decision,
}

/// The rules on an appointment: the member may hold office, and an interim officer is appointed
/// by whom the rulebook says until an AGM.
async fn check<'a>(app: &App, unit: &'a Unit, req: &'a Appointment) -> Result<Checked<'a>> {
    let member = members::by_number(&app.store, &req.membership_number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {}", req.membership_number)))?;
    if let Some(until) = req.until {
        if until <= req.from {
            return Err(AppError::Invalid(format!(
                "the term must end after it begins ({} to {until})",
                req.from
            )));
        }
    }
    let hist = history(app, &member).await?;
    let mut checks = vec![hold_office(&hist, req.from, &app.rules)];
    if req.office == OfficeKind::InterimOfficer {
        let agm = req.until.ok_or_else(|| {
            AppError::Invalid("an interim officer serves until the AGM: give its date".into())
        })?;
        checks.push(check_interim_appointment(
            &req.appointed_by,
            req.from,
            agm,
            &app.rules,
        ));
    }
    let decision = Decision::all(checks);
    if !decision.allowed {
        return Err(AppError::RuleRefused(decision));
    }
    Ok(Checked {
        unit,
        member,
        req,
        decision,
    })
}

/// Writes a checked appointment and its audit event in `tx`.
async fn write(app: &App, tx: &mut Tx, operator: &Operator, c: &Checked<'_>) -> Result<i64> {
    let (unit, member, req, decision) = (c.unit, &c.member, c.req, &c.decision);
    let interim = req.office == OfficeKind::InterimOfficer;
    let pending = audit::reserve(tx, &Allowed::operator(operator)).await?;
    let row = OfficeRow {
        unit_id: unit.id,
        member_id: member.id,
        office: req.office.as_str().to_string(),
        held_from: req.from,
        held_until: req.until,
        interim,
        appointed_by: req.appointed_by.clone(),
        gender: req.gender.as_str().to_string(),
        audit_seq: pending.seq,
    };
    let id = offices::insert(tx, &row).await?;
    pending
        .write(
            tx,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: operator.name().to_string(),
                action: "office.appoint".into(),
                subject: format!("member:{}", member.row.membership_number),
                unit: Some(unit.code.clone()),
                before: None,
                after: Some(digest(format!("{id}:{}:{}:{:?}", row.office, row.held_from, row.held_until))),
                detail: serde_json::json!({
                    "office": row.office, "from": row.held_from.to_string(),
                    "until": row.held_until.map(|d| d.to_string()), "interim": interim,
                    "clauses": decision.reasons.iter().map(|r| r.clause.clone()).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    Ok(id)
}

/// A unit's officers on a date, checked against the gender rule for its kind, and (for a branch) its
/// delegates to the General Committee.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub unit: Unit,
    pub officers: Vec<Held>,
    pub gender: Option<Decision>,
    pub gc_delegates: Option<DelegateCount>,
}

pub async fn compliance(app: &App, unit_code: &str, on: Date) -> Result<Compliance> {
    let unit = find_unit(app, unit_code).await?;
    compliance_of(app, unit, on).await
}

/// As `compliance`, for a unit already read.
pub async fn compliance_of(app: &App, unit: Unit, on: Date) -> Result<Compliance> {
    let officers = offices::held_on(&app.store, unit.id, on).await?;
    let holders: Vec<Officeholder> = officers
        .iter()
        .filter(|o| o.row.office != OfficeKind::Delegate.as_str())
        .map(|o| {
            Ok(Officeholder {
                person: o.membership_number.clone(),
                office: OfficeKind::parse(&o.row.office)
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
                gender: Gender::parse(&o.row.gender)
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
            })
        })
        .collect::<Result<_>>()?;
    let kind = UnitKind::parse(&unit.kind).map_err(|e| AppError::Invalid(e.to_string()))?;
    let gender = match kind {
        UnitKind::Branch => Some(branch_officers_gender(&holders, &app.rules)),
        UnitKind::Clp => Some(clp_executive_gender(&holders, &app.rules)),
        _ => None,
    };
    // Only a branch sends delegates to the General Committee, in proportion to its members.
    let gc = if kind == UnitKind::Branch {
        let members = offices::members_placed(&app.store, unit.id).await?;
        Some(gc_delegates(
            u32::try_from(members).unwrap_or(u32::MAX),
            &app.rules,
        ))
    } else {
        None
    };
    Ok(Compliance {
        unit,
        officers,
        gender,
        gc_delegates: gc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::members::tests::{register, tempfile_dir};
    use time::macros::date;

    #[tokio::test]
    async fn officers_are_appointed_within_the_rules_and_the_branch_checked() {
        for db in caucus_testkit::databases().await {
            let dir = tempfile_dir();
            let app = register(&db.url, &dir).await;
            let a1 = members::by_number(&app.store, "A1").await.unwrap().unwrap();
            let branch =
                caucus_store::organisation::units::get(&app.store, a1.branch_unit_id.unwrap())
                    .await
                    .unwrap()
                    .unwrap();
            let chair = Appointment {
                unit_code: branch.code.clone(),
                membership_number: "A1".into(),
                office: OfficeKind::Chair,
                from: date!(2026 - 03 - 01),
                until: None,
                gender: Gender::Woman,
                appointed_by: "branch_agm".into(),
            };
            appoint(
                &app,
                &Operator::at_the_command_line("secretary@example.org"),
                &chair,
            )
            .await
            .unwrap();
            let lapsed = Appointment {
                membership_number: "L1".into(),
                office: OfficeKind::Secretary,
                ..chair.clone()
            };
            match appoint(
                &app,
                &Operator::at_the_command_line("secretary@example.org"),
                &lapsed,
            )
            .await
            {
                Err(AppError::RuleRefused(d)) => {
                    assert!(d.reasons.iter().all(|r| !r.clause.is_empty()))
                }
                other => panic!(
                    "{}: a lapsed member cannot hold office, got {other:?}",
                    db.engine
                ),
            }
            let c = compliance(&app, &branch.code, date!(2026 - 11 - 22))
                .await
                .unwrap();
            assert_eq!(c.officers.len(), 1);
            let gender = c.gender.unwrap();
            assert!(
                !gender.allowed,
                "one woman officer is short of the branch minimum"
            );
            assert!(
                gender.reasons[0].message.contains("1 of the"),
                "{:?}",
                gender.reasons
            );
            assert_eq!(c.gc_delegates.unwrap().delegates, 1);
            app.store.close().await;
        }
    }

    #[tokio::test]
    async fn officers_appointed_together_are_each_checked_and_audited_and_all_or_none_made() {
        for db in caucus_testkit::databases().await {
            // Not the directory the other tests write their members.csv in at the same time.
            let dir = tempfile_dir().join("together");
            std::fs::create_dir_all(&dir).unwrap();
            let app = register(&db.url, &dir).await;
            let a1 = members::by_number(&app.store, "A1").await.unwrap().unwrap();
            let branch =
                caucus_store::organisation::units::get(&app.store, a1.branch_unit_id.unwrap())
                    .await
                    .unwrap()
                    .unwrap();
            let chair = Appointment {
                unit_code: branch.code.clone(),
                membership_number: "A1".into(),
                office: OfficeKind::Chair,
                from: date!(2026 - 11 - 22),
                until: Some(date!(2027 - 11 - 22)),
                gender: Gender::Woman,
                appointed_by: "branch_agm".into(),
            };
            let lapsed = Appointment {
                membership_number: "L1".into(),
                office: OfficeKind::Secretary,
                ..chair.clone()
            };
            let events = caucus_store::audit::list(&app.store, 0, 10_000)
                .await
                .unwrap()
                .len();
            // The lapsed member is refused, and so the chair is not appointed either.
            match appoint_all(
                &app,
                &Operator::at_the_command_line("demo"),
                &[chair.clone(), lapsed],
            )
            .await
            {
                Err(AppError::RuleRefused(_)) => {}
                other => panic!("{}: expected a refusal, got {other:?}", db.engine),
            }
            let on = date!(2026 - 11 - 22);
            assert!(compliance(&app, &branch.code, on)
                .await
                .unwrap()
                .officers
                .is_empty());
            let treasurer = Appointment {
                office: OfficeKind::Treasurer,
                ..chair.clone()
            };
            let ids = appoint_all(
                &app,
                &Operator::at_the_command_line("demo"),
                &[chair, treasurer],
            )
            .await
            .unwrap();
            assert_eq!(ids.len(), 2);
            assert_eq!(
                compliance(&app, &branch.code, on)
                    .await
                    .unwrap()
                    .officers
                    .len(),
                2
            );
            let log = caucus_store::audit::list(&app.store, 0, 10_000)
                .await
                .unwrap();
            assert_eq!(log.len(), events + 2, "{}", db.engine);
            assert!(log[events..].iter().all(|e| e.action == "office.appoint"));
            assert!(matches!(
                caucus_store::audit::verify(&app.store).await.unwrap(),
                caucus_store::audit::Verification::Intact { .. }
            ));
            app.store.close().await;
        }
    }
}
