//! The eligibility flags of a membership list (SPEC 3.3) for the unit the list is of: a branch's list
//! speaks of the branch's meetings, a wider unit's (a CLP, a region) of constituency meetings, where
//! provisional members may not attend. Each flag keeps its reasons, and `explain` lays them out for a
//! list column.
use time::Date;

use crate::decision::Decision;
use crate::register::eligibility::{
    attend_clp_meeting, hold_office, list_flags, vote_at_branch_meeting, ListFlags,
};
use crate::register::status::MemberHistory;
use crate::rulebook::Rulebook;

/// Which meetings a list's flags are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// A branch's list: its members' rights at branch meetings.
    Branch,
    /// A CLP's list, or a wider unit's: rights at constituency meetings.
    Constituency,
}

/// The flags of a member listed in a unit of `scope` on `on`. A listed member is registered in the
/// unit (the list is drawn from the unit's members), so the area tests pass by construction.
pub fn flags_for(
    history: &MemberHistory,
    on: Date,
    scope: ListScope,
    rulebook: &Rulebook,
) -> ListFlags {
    match scope {
        ListScope::Branch => list_flags(history, on, true, rulebook),
        ListScope::Constituency => {
            let can_attend = attend_clp_meeting(history, on, true, rulebook);
            // Voting at a constituency meeting needs the right to be there first; past that, the
            // meeting rules are those of any party meeting (no provisional or in-arrears votes).
            let can_vote = if can_attend.allowed {
                vote_at_branch_meeting(history, on, true, rulebook)
            } else {
                can_attend.clone()
            };
            ListFlags {
                can_attend,
                can_vote,
                can_hold_office: hold_office(history, on, rulebook),
            }
        }
    }
}

/// The reasons of all three flags on one line: `attend: ...; vote: ...; office: ...`, each reason
/// naming its clause.
pub fn explain(flags: &ListFlags) -> String {
    [
        ("attend", &flags.can_attend),
        ("vote", &flags.can_vote),
        ("office", &flags.can_hold_office),
    ]
    .iter()
    .map(|(what, d): &(&str, &Decision)| format!("{what}: {}", d.explain()))
    .collect::<Vec<_>>()
    .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::lifecycle::TransitionReason;
    use crate::register::member::MemberStatus;
    use crate::register::status::Transition;
    use crate::rulebook::shipped_for_tests;
    use time::macros::date;

    const ON: Date = date!(2026 - 11 - 22);

    fn member(joined: Date) -> MemberHistory {
        let mut h = MemberHistory::joined(joined);
        h.paid_up_until = Some(date!(2030 - 12 - 31));
        h
    }

    fn suspended() -> MemberHistory {
        let mut h = member(date!(2015 - 03 - 01));
        h.transitions.push(Transition {
            effective_on: date!(2026 - 09 - 01),
            status: MemberStatus::Suspended,
            reason: TransitionReason::ComplaintSuspension,
        });
        h
    }

    fn allowed(f: &ListFlags) -> [bool; 3] {
        [
            f.can_attend.allowed,
            f.can_vote.allowed,
            f.can_hold_office.allowed,
        ]
    }

    #[test]
    fn a_member_in_good_standing_may_do_everything_in_either_scope() {
        let book = shipped_for_tests();
        let h = member(date!(2015 - 03 - 01));
        for scope in [ListScope::Branch, ListScope::Constituency] {
            assert_eq!(allowed(&flags_for(&h, ON, scope, &book)), [true; 3]);
        }
    }

    #[test]
    fn a_provisional_member_attends_the_branch_but_not_the_constituency_and_votes_at_neither() {
        let book = shipped_for_tests();
        let h = member(date!(2026 - 10 - 06));
        let branch = flags_for(&h, ON, ListScope::Branch, &book);
        assert_eq!(allowed(&branch), [true, false, false]);
        let clp = flags_for(&h, ON, ListScope::Constituency, &book);
        assert_eq!(allowed(&clp), [false, false, false]);
        assert_eq!(clp.can_vote.reasons[0].clause, "2.I.provisional");
        assert_eq!(
            clp.can_attend.reasons[0].message,
            "not eligible: provisional until 2026-12-01"
        );
    }

    #[test]
    fn a_suspended_member_may_not_attend_or_hold_office_anywhere() {
        let book = shipped_for_tests();
        for scope in [ListScope::Branch, ListScope::Constituency] {
            let f = flags_for(&suspended(), ON, scope, &book);
            assert_eq!(allowed(&f), [false, false, false], "{scope:?}");
            assert_eq!(f.can_attend.reasons[0].clause, "6.I.suspension.meetings");
            assert_eq!(f.can_hold_office.reasons[0].clause, "6.I.suspension.office");
        }
    }

    #[test]
    fn the_explanation_names_each_flag_and_its_clauses() {
        let book = shipped_for_tests();
        let f = flags_for(&suspended(), ON, ListScope::Branch, &book);
        let line = explain(&f);
        assert!(line.starts_with("attend: not eligible: administratively suspended since 2026-09-01 (clause 6.I.suspension.meetings); vote: "), "{line}");
        assert!(line.contains("; office: not eligible: administratively suspended since 2026-09-01; suspended members may not hold office (clause 6.I.suspension.office)"), "{line}");
    }
}
