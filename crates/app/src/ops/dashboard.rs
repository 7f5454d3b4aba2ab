//! What the dashboard shows each role first, each part authorised like any other read: a unit
//! officer's unit with its member counts and compliance checks; the national picture for the General
//! Secretary; the accounts for an administrator. Counts carry no personal data, so they are not
//! written to the access log.
use caucus_domain::access::policy::{can, Action, Actor, Resource};
use caucus_domain::organisation::unit::UnitKind;
use caucus_store::ballots::counts::{self, AccountLine};
use caucus_store::organisation::units::{self, Unit};

use crate::offices::{compliance, Compliance};
use crate::organisation::units::find_unit;
use crate::{App, AppError, Result};

/// A unit an officer holds a grant over, with its members by status and its compliance checks.
#[derive(Debug, Clone)]
pub struct UnitSummary {
    pub unit: Unit,
    pub by_status: Vec<(String, i64)>,
    pub total: i64,
    pub compliance: Option<Compliance>,
}

/// The summary of a unit whose membership list the actor may read.
pub async fn unit_summary(app: &App, actor: &Actor, code: &str) -> Result<UnitSummary> {
    let unit = find_unit(app, code).await?;
    let kind = UnitKind::parse(&unit.kind).unwrap_or(UnitKind::National);
    let resource = Resource::Unit {
        kind,
        units: units::ancestors(&app.store, unit.id).await?,
    };
    let d = can(actor, Action::ListMembers, &resource, app.clock.today());
    if !d.allowed {
        return Err(AppError::Forbidden(d));
    }
    let by_status = match kind {
        UnitKind::LocalAuthority => {
            counts::members_by_status_in_local_authority(&app.store, &unit.code).await?
        }
        UnitKind::Branch | UnitKind::Clp => {
            counts::members_by_status(&app.store, Some(&[unit.id])).await?
        }
        UnitKind::National => counts::members_by_status(&app.store, None).await?,
        _ => {
            let beneath = units::descendants(&app.store, unit.id).await?;
            counts::members_by_status(&app.store, Some(&beneath)).await?
        }
    };
    let compliance = match kind {
        UnitKind::Branch | UnitKind::Clp => {
            Some(compliance(app, &unit.code, app.clock.today()).await?)
        }
        _ => None,
    };
    Ok(UnitSummary {
        total: by_status.iter().map(|(_, n)| n).sum(),
        unit,
        by_status,
        compliance,
    })
}

/// Members by status nationally, for a national grant that reads member records.
pub async fn national_counts(app: &App, actor: &Actor) -> Result<Vec<(String, i64)>> {
    let resource = Resource::Unit {
        kind: UnitKind::National,
        units: Vec::new(),
    };
    let d = can(actor, Action::ListMembers, &resource, app.clock.today());
    if !d.allowed {
        return Err(AppError::Forbidden(d));
    }
    Ok(counts::members_by_status(&app.store, None).await?)
}

/// The accounts (the first 200) with their roles, for an administrator.
pub async fn accounts(app: &App, actor: &Actor) -> Result<Vec<AccountLine>> {
    let d = can(
        actor,
        Action::ManageAccounts,
        &Resource::Accounts,
        app.clock.today(),
    );
    if !d.allowed {
        return Err(AppError::Forbidden(d));
    }
    Ok(counts::accounts(&app.store, 200).await?)
}
