//! A stored member's history as the domain reads it: the record's dates plus the recorded status
//! transitions, turned into `status::MemberHistory`. The one place store rows become domain history,
//! so the check, the lists and later the ballots derive a status the same way.
use crate::{AppError, Result};
use caucus_domain::register::lifecycle::TransitionReason;
use caucus_domain::register::member::MemberStatus;
use caucus_domain::register::status::{MemberHistory, Transition};
use caucus_store::register::members::StatusRow;
use time::Date;

/// The record's dates that the status derivation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordDates {
    pub joined_on: Date,
    pub continuous_since: Date,
    pub paid_up_until: Option<Date>,
}

/// The domain history of member `number` from its record and its transitions (in effective order).
/// A transition the vocabulary does not know means the database was edited outside caucus: an
/// error naming the member, never a guess.
pub fn history(number: &str, dates: RecordDates, rows: &[StatusRow]) -> Result<MemberHistory> {
    let transitions = rows
        .iter()
        .map(|r| {
            let bad = |e: caucus_domain::vocabulary::UnknownValue| {
                AppError::Invalid(format!(
                    "member {number}: the status history recorded on {} is unreadable: {e}",
                    r.effective_on
                ))
            };
            Ok(Transition {
                effective_on: r.effective_on,
                status: MemberStatus::parse(&r.status).map_err(bad)?,
                reason: TransitionReason::parse(&r.reason_code).map_err(bad)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MemberHistory {
        joined_on: dates.joined_on,
        continuous_since: Some(dates.continuous_since),
        paid_up_until: dates.paid_up_until,
        provisional_extension_weeks: 0,
        transitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use caucus_domain::register::status::status_on;
    use caucus_domain::rulebook::Rulebook;
    use time::macros::date;

    fn row(on: Date, status: &str, reason: &str) -> StatusRow {
        StatusRow {
            member_id: 1,
            effective_on: on,
            status: status.into(),
            reason_code: reason.into(),
            actor: "cli".into(),
            audit_seq: 1,
        }
    }

    const DATES: RecordDates = RecordDates {
        joined_on: date!(2019 - 04 - 01),
        continuous_since: date!(2019 - 04 - 01),
        paid_up_until: Some(date!(2027 - 04 - 01)),
    };

    #[test]
    fn an_imported_suspension_is_the_status_from_the_import_date() {
        let h = history(
            "L1",
            DATES,
            &[
                row(date!(2019 - 04 - 01), "provisional", "joined"),
                row(date!(2026 - 11 - 22), "suspended", "imported"),
            ],
        )
        .unwrap();
        let book = Rulebook::shipped().unwrap();
        let on = |d| status_on(&h, d, &book).unwrap().status;
        assert_eq!(on(date!(2026 - 11 - 21)), MemberStatus::Active);
        assert_eq!(on(date!(2026 - 11 - 22)), MemberStatus::Suspended);
    }

    #[test]
    fn an_unknown_status_in_the_database_names_the_member() {
        let e = history(
            "L7",
            DATES,
            &[row(date!(2019 - 04 - 01), "zombie", "joined")],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("member L7: the status history recorded on 2019-04-01"),
            "{e}"
        );
        assert!(e.contains("unknown status 'zombie'"), "{e}");
    }
}
