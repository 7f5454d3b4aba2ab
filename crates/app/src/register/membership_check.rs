//! `caucus members check`: the membership check of SPEC 3.3 over the whole register on today's date.
//! Every member who is still a member is checked by the domain's `check_member`; the result is an
//! exception list grouped per CLP and region for membership officers to work through, never a lapse.
//! Members are read a page at a time, so memory stays flat however large the register.
use crate::organisation::unit_names::UnitNames;
use crate::register::member_history::{history, RecordDates};
use crate::{App, AppError, Progress, Result};
use caucus_domain::register::member::PaymentMethod;
use caucus_domain::register::membership_check::{check_member, ExceptionKind, MemberFacts};
use caucus_domain::register::status::status_on;
use caucus_domain::rulebook::Circumstance;
use caucus_store::register::member_batches::{self, CheckRow};
use caucus_store::register::members;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use time::Date;

/// Members per page: large enough that round trips do not dominate, small enough to stay flat.
pub const PAGE: i64 = 2_000;

/// The report's columns, one row per exception.
pub const REPORT_COLUMNS: [&str; 7] = [
    "membership_number",
    "clp_code",
    "clp_name",
    "region",
    "kind",
    "clause",
    "reason",
];

/// What the register holds of a member, as the check's facts.
///
/// - A recorded trade union is the declared membership of an affiliated union (the register keeps
///   no other circumstance yet, so the reduced and armed forces rates cannot be confirmed and are
///   reported for the officer to verify).
/// - Registration counts as verified only with a verification date; `registered_to_vote` alone is
///   the member's (or the source's) claim, and `false` is never verified whatever the date says.
/// - Other parties' memberships are not recorded yet, so none is reported.
pub fn facts_of(row: &CheckRow) -> MemberFacts {
    let mut circumstances = Vec::new();
    if row
        .trade_union
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
    {
        circumstances.push(Circumstance::AffiliatedTradeUnion);
    }
    MemberFacts {
        date_of_birth: row.date_of_birth,
        rate: row.rate.clone(),
        payment_method: PaymentMethod::parse(&row.payment_method).ok(),
        circumstances,
        electoral_registration_verified_on: row
            .registered_to_vote
            .then_some(row.registration_verified_on)
            .flatten(),
        other_party: None,
    }
}

/// The tally of one constituency party (or of members placed in none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClpTally {
    /// Empty for members not placed in a constituency party.
    pub clp_code: String,
    pub clp_name: String,
    pub region: String,
    pub members_checked: u64,
    pub members_with_exceptions: u64,
    pub by_kind: BTreeMap<ExceptionKind, u64>,
}

impl ClpTally {
    pub fn exceptions(&self) -> u64 {
        self.by_kind.values().sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSummary {
    pub on: Date,
    pub members_checked: u64,
    pub members_with_exceptions: u64,
    pub by_kind: BTreeMap<ExceptionKind, u64>,
    /// Per constituency party, in order of region then name.
    pub per_clp: Vec<ClpTally>,
}

impl CheckSummary {
    pub fn exceptions(&self) -> u64 {
        self.by_kind.values().sum()
    }
}

/// Runs the check on `app.clock.today()`, writing one CSV row per exception to `report` if given.
pub async fn check_register(
    app: &App,
    report: Option<&mut dyn Write>,
    progress: &dyn Progress,
) -> Result<CheckSummary> {
    let on = app.clock.today();
    let mut csv_out = report.map(crate::csv_out::Writer::from_writer);
    if let Some(w) = csv_out.as_mut() {
        w.write_record(REPORT_COLUMNS).map_err(report_error)?;
    }
    let total = members::count(&app.store).await?;
    progress.start(
        &format!("checking the register on {on}"),
        Some(total.max(0) as u64),
    );
    let mut names = UnitNames::default();
    let mut per_clp: HashMap<Option<i64>, ClpTally> = HashMap::new();
    let mut after_id = 0;
    let mut read = 0u64;
    loop {
        let page = member_batches::check_page(&app.store, after_id, PAGE).await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
        let histories = member_batches::status_histories(&app.store, &ids).await?;
        for m in &page {
            let dates = RecordDates {
                joined_on: m.joined_on,
                continuous_since: m.continuous_since,
                paid_up_until: m.paid_up_until,
            };
            let rows = histories.get(&m.id).map_or(&[][..], Vec::as_slice);
            let h = history(&m.membership_number, dates, rows)?;
            if !status_on(&h, on, &app.rules).is_some_and(|s| s.status.is_member()) {
                continue;
            }
            let found = check_member(&facts_of(m), on, &app.rules);
            let tally = match per_clp.entry(m.clp_unit_id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(labelled_tally(app, &mut names, m.clp_unit_id).await?),
            };
            tally.members_checked += 1;
            if !found.is_empty() {
                tally.members_with_exceptions += 1;
            }
            for e in &found {
                *tally.by_kind.entry(e.kind).or_default() += 1;
                if let Some(w) = csv_out.as_mut() {
                    w.write_record([
                        m.membership_number.as_str(),
                        &tally.clp_code,
                        &tally.clp_name,
                        &tally.region,
                        e.kind.as_str(),
                        &e.reason.clause,
                        &e.reason.message,
                    ])
                    .map_err(report_error)?;
                }
            }
        }
        read += page.len() as u64;
        progress.set(read);
    }
    progress.finish();
    if let Some(mut w) = csv_out {
        w.flush()
            .map_err(|e| AppError::Invalid(format!("cannot write the report: {e}")))?;
    }
    let mut per_clp: Vec<ClpTally> = per_clp.into_values().collect();
    // Unplaced members (no CLP code) last; otherwise by region, then constituency name.
    per_clp.sort_by(|a, b| {
        (a.clp_code.is_empty(), &a.region, &a.clp_name, &a.clp_code).cmp(&(
            b.clp_code.is_empty(),
            &b.region,
            &b.clp_name,
            &b.clp_code,
        ))
    });
    let mut by_kind = BTreeMap::new();
    for t in &per_clp {
        for (k, n) in &t.by_kind {
            *by_kind.entry(*k).or_default() += n;
        }
    }
    Ok(CheckSummary {
        on,
        members_checked: per_clp.iter().map(|t| t.members_checked).sum(),
        members_with_exceptions: per_clp.iter().map(|t| t.members_with_exceptions).sum(),
        by_kind,
        per_clp,
    })
}

fn report_error(e: csv::Error) -> AppError {
    AppError::Invalid(format!("cannot write the report: {e}"))
}

/// An empty tally named after the CLP, with the CLP's parent as its region.
async fn labelled_tally(app: &App, names: &mut UnitNames, clp: Option<i64>) -> Result<ClpTally> {
    let Some(clp_id) = clp else {
        return Ok(ClpTally {
            clp_name: "(not placed in a constituency party)".into(),
            ..ClpTally::default()
        });
    };
    let Some(unit) = names.get(&app.store, clp_id).await?.cloned() else {
        return Err(AppError::NotFound(format!(
            "constituency party unit {clp_id}"
        )));
    };
    let region = match unit.parent_id {
        Some(parent) => names
            .get(&app.store, parent)
            .await?
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(ClpTally {
        clp_code: unit.code,
        clp_name: unit.name,
        region,
        ..ClpTally::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn row() -> CheckRow {
        CheckRow {
            id: 1,
            membership_number: "L1".into(),
            date_of_birth: Some(date!(1980 - 01 - 01)),
            joined_on: date!(2010 - 01 - 01),
            continuous_since: date!(2010 - 01 - 01),
            paid_up_until: None,
            rate: "trade_union".into(),
            payment_method: "direct_debit".into(),
            registered_to_vote: true,
            registration_verified_on: Some(date!(2026 - 05 - 01)),
            trade_union: Some("UNISON".into()),
            clp_unit_id: None,
        }
    }

    #[test]
    fn a_recorded_union_is_the_declared_affiliated_union() {
        let f = facts_of(&row());
        assert_eq!(f.circumstances, vec![Circumstance::AffiliatedTradeUnion]);
        assert_eq!(f.payment_method, Some(PaymentMethod::DirectDebit));
        let without = facts_of(&CheckRow {
            trade_union: Some("  ".into()),
            ..row()
        });
        assert!(without.circumstances.is_empty());
    }

    #[test]
    fn registration_is_verified_only_with_a_date_and_the_flag() {
        assert_eq!(
            facts_of(&row()).electoral_registration_verified_on,
            Some(date!(2026 - 05 - 01))
        );
        let not_registered = CheckRow {
            registered_to_vote: false,
            ..row()
        };
        assert_eq!(
            facts_of(&not_registered).electoral_registration_verified_on,
            None
        );
        let undated = CheckRow {
            registration_verified_on: None,
            ..row()
        };
        assert_eq!(facts_of(&undated).electoral_registration_verified_on, None);
    }
}
