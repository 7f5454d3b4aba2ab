//! The age of an administrative suspension: when it must next be reviewed, and whether it is old
//! enough to be escalated or flagged to the NEC (`6.I.suspension.review`). Long suspensions were a
//! failing the reviews found, so these dates drive dashboards and reminders.
use time::Date;

use crate::calendar::{add_months, has_lasted_months};
use crate::decision::Reason;
use crate::rulebook::{self as clauses, Rulebook};

/// Where a suspension stands on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspensionAge {
    pub next_review_on: Date,
    pub review_due: bool,
    pub escalated: bool,
    pub flagged_to_nec: bool,
    pub reasons: Vec<Reason>,
}

/// The state on `on` of a suspension that began on `suspended_on` and was last reviewed on
/// `last_reviewed_on` (if ever).
pub fn suspension_age(
    suspended_on: Date,
    last_reviewed_on: Option<Date>,
    on: Date,
    rulebook: &Rulebook,
) -> SuspensionAge {
    let rule = rulebook.suspension_review();
    let clause = clauses::SUSPENSION_REVIEW;
    let reviewed = last_reviewed_on.unwrap_or(suspended_on).max(suspended_on);
    let next_review_on = add_months(reviewed, rule.review_interval_months as i32);
    let review_due = on >= next_review_on;
    let escalated = has_lasted_months(suspended_on, on, rule.escalate_after_months);
    let flagged_to_nec = has_lasted_months(suspended_on, on, rule.flag_to_nec_after_months);
    let mut reasons = vec![Reason::new(
        clause,
        format!(
            "review every {} months: next review on {next_review_on}",
            rule.review_interval_months
        ),
    )];
    if flagged_to_nec {
        reasons.push(Reason::new(
            clause,
            format!(
                "suspended since {suspended_on}, more than {} months: flagged to the NEC",
                rule.flag_to_nec_after_months
            ),
        ));
    } else if escalated {
        reasons.push(Reason::new(
            clause,
            format!(
                "suspended since {suspended_on}, more than {} months: escalated",
                rule.escalate_after_months
            ),
        ));
    }
    SuspensionAge {
        next_review_on,
        review_due,
        escalated,
        flagged_to_nec,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::shipped_for_tests;
    use time::macros::date;

    #[test]
    fn a_new_suspension_is_reviewed_after_three_months() {
        let book = shipped_for_tests();
        let a = suspension_age(date!(2026 - 01 - 31), None, date!(2026 - 04 - 29), &book);
        assert_eq!(a.next_review_on, date!(2026 - 04 - 30));
        assert!(!a.review_due && !a.escalated && !a.flagged_to_nec);
        assert!(
            suspension_age(date!(2026 - 01 - 31), None, date!(2026 - 04 - 30), &book).review_due
        );
    }

    #[test]
    fn a_review_moves_the_next_one_on() {
        let book = shipped_for_tests();
        let a = suspension_age(
            date!(2026 - 01 - 01),
            Some(date!(2026 - 04 - 01)),
            date!(2026 - 05 - 01),
            &book,
        );
        assert_eq!(a.next_review_on, date!(2026 - 07 - 01));
        assert!(!a.review_due);
    }

    #[test]
    fn old_suspensions_are_escalated_at_six_months_and_flagged_to_the_nec_at_eighteen() {
        let book = shipped_for_tests();
        let six = suspension_age(
            date!(2025 - 01 - 15),
            Some(date!(2025 - 06 - 01)),
            date!(2025 - 07 - 15),
            &book,
        );
        assert!(six.escalated && !six.flagged_to_nec);
        assert_eq!(
            six.reasons[1].message,
            "suspended since 2025-01-15, more than 6 months: escalated"
        );
        let eighteen = suspension_age(date!(2025 - 01 - 15), None, date!(2026 - 07 - 15), &book);
        assert!(eighteen.flagged_to_nec);
        assert_eq!(eighteen.reasons[1].clause, "6.I.suspension.review");
    }
}
