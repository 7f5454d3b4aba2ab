//! The roll of a ballot: who may vote, judged on the register as it stood on the freeze date, with
//! the reason for every exclusion; and whether someone on it may cast their vote now.
use time::{Date, OffsetDateTime};

use super::BallotType;
use crate::decision::{Decision, Reason};
use crate::register::eligibility::vote_in_ballot;
use crate::register::status::MemberHistory;
use crate::rulebook::{self as clauses, Rulebook};

/// Whether a member belongs on the roll of a ballot of `kind` held in `unit` (its name, for the
/// reason), frozen on `freeze`. `in_unit` says whether the register placed the member in the unit
/// (or beneath it) on the freeze date; the caller reads that from the placement history.
/// Refused with every failing reason: a provisional member registered elsewhere hears both.
pub fn judge(
    history: &MemberHistory,
    in_unit: bool,
    unit: &str,
    kind: BallotType,
    freeze: Date,
    rulebook: &Rulebook,
) -> Decision {
    let placed = if in_unit {
        Decision::allow(vec![Reason::new(
            clauses::BRANCH_MEMBERSHIP,
            format!("registered in {unit} at the freeze date {freeze}"),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clauses::BRANCH_MEMBERSHIP,
            format!(
                "not eligible: not registered at an address in {unit} at the freeze date {freeze}"
            ),
        )])
    };
    Decision::all([vote_in_ballot(history, kind, freeze, rulebook), placed])
}

/// Whether a member belongs on the roll of a group leader election in the Labour group `group` (its
/// name), frozen on `freeze`: the electorate is the group, so `in_group` says whether the member held
/// a seat in it on the freeze date; the ballot type's freeze rules then apply as for any ballot.
pub fn judge_group(
    history: &MemberHistory,
    in_group: bool,
    group: &str,
    freeze: Date,
    rulebook: &Rulebook,
) -> Decision {
    let kind = BallotType::GroupLeader;
    let clause = &rulebook.ballot(kind).clause;
    let seat = if in_group {
        Decision::allow(vec![Reason::new(
            clause,
            format!("a councillor in {group} at the freeze date {freeze}"),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clause,
            format!("not eligible: not a councillor in {group} at the freeze date {freeze}"),
        )])
    };
    Decision::all([vote_in_ballot(history, kind, freeze, rulebook), seat])
}

/// The voting window and the one-vote rule, as they stand for one voter at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
    /// The count has begun: no paper can be added whatever the clock says.
    pub closed_early: bool,
}

/// May a voter with this standing on the roll (`None`: not on it) cast a vote at `now`? Refused
/// outside the window, for anyone not on the roll or excluded from it (with the roll's reasons), and
/// for a second vote. The reasons name the ballot type's clause, whose rules the roll applied.
pub fn may_cast(
    standing: Option<&Decision>,
    already_voted: bool,
    now: OffsetDateTime,
    window: Window,
    unit: &str,
    kind: BallotType,
    rulebook: &Rulebook,
) -> Decision {
    let clause = rulebook.ballot(kind).clause.clone();
    let refuse = |message: String| Decision::deny(vec![Reason::new(clause.clone(), message)]);
    if now < window.opens_at {
        return refuse(format!("voting opens at {}", words(window.opens_at)));
    }
    if window.closed_early || now >= window.closes_at {
        return refuse("voting has closed".to_string());
    }
    match standing {
        None => Decision::deny(vec![Reason::new(
            clauses::BRANCH_MEMBERSHIP,
            format!("not eligible: not on the roll of this ballot in {unit}"),
        )]),
        Some(d) if !d.allowed => d.clone(),
        Some(_) if already_voted => {
            refuse("you have already voted in this ballot; each member votes once".to_string())
        }
        Some(d) => d.clone(),
    }
}

/// A time as a voter reads it: `2026-11-22 18:00 UTC`.
pub fn words(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::lifecycle::TransitionReason;
    use crate::register::member::MemberStatus;
    use crate::register::status::Transition;
    use crate::rulebook::shipped_for_tests;
    use time::macros::{date, datetime};

    const FREEZE: Date = date!(2026 - 11 - 01);
    const UNIT: &str = "Liverpool Riverside";

    fn member(joined: Date) -> MemberHistory {
        let mut h = MemberHistory::joined(joined);
        h.paid_up_until = Some(date!(2030 - 12 - 31));
        h
    }

    fn suspended(mut h: MemberHistory, on: Date) -> MemberHistory {
        h.transitions.push(Transition {
            effective_on: on,
            status: MemberStatus::Suspended,
            reason: TransitionReason::ComplaintSuspension,
        });
        h
    }

    fn clauses_of(d: &Decision) -> Vec<&str> {
        d.reasons.iter().map(|r| r.clause.as_str()).collect()
    }

    #[test]
    fn an_active_member_registered_in_the_unit_is_on_the_roll_with_the_checks_that_passed() {
        let book = shipped_for_tests();
        let d = judge(
            &member(date!(2019 - 05 - 01)),
            true,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        assert!(d.allowed, "{d:?}");
        assert!(clauses_of(&d).contains(&"ballot.meeting"));
        assert!(clauses_of(&d).contains(&"15.III.1"));
    }

    #[test]
    fn a_member_provisional_at_the_freeze_date_is_excluded_with_the_date_it_ends() {
        let book = shipped_for_tests();
        let d = judge(
            &member(date!(2026 - 10 - 06)),
            true,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(
            d.reasons,
            vec![Reason::new(
                "2.I.provisional",
                "not eligible: provisional until 2026-12-01 at the freeze date 2026-11-01"
            )]
        );
    }

    #[test]
    fn a_member_in_arrears_at_the_freeze_date_is_excluded_under_the_ballot_types_clause() {
        let book = shipped_for_tests();
        let mut h = member(date!(2019 - 05 - 01));
        h.paid_up_until = Some(date!(2026 - 09 - 30));
        let d = judge(&h, true, UNIT, BallotType::Meeting, FREEZE, &book);
        assert!(!d.allowed);
        assert_eq!(clauses_of(&d), vec!["ballot.meeting"]);
        assert!(
            d.reasons[0]
                .message
                .contains("in arrears at the freeze date 2026-11-01 (since 2026-10-01)"),
            "{d:?}"
        );
    }

    #[test]
    fn a_suspended_member_votes_in_an_all_member_ballot_but_not_at_a_meeting() {
        let book = shipped_for_tests();
        let h = suspended(member(date!(2019 - 05 - 01)), date!(2026 - 06 - 01));
        assert!(judge(&h, true, UNIT, BallotType::Nec, FREEZE, &book).allowed);
        let d = judge(&h, true, UNIT, BallotType::Meeting, FREEZE, &book);
        assert!(!d.allowed);
        assert_eq!(clauses_of(&d), vec!["6.I.suspension.meetings"]);
    }

    #[test]
    fn a_group_leader_election_is_voted_by_the_councillors_of_the_group_at_the_freeze_date() {
        let book = shipped_for_tests();
        let group = "Liverpool Labour group";
        let h = member(date!(2019 - 05 - 01));
        let d = judge_group(&h, true, group, FREEZE, &book);
        assert!(d.allowed, "{d:?}");
        assert!(clauses_of(&d).iter().all(|c| *c == "ballot.group_leader"));
        let d = judge_group(&member(date!(2019 - 05 - 01)), false, group, FREEZE, &book);
        assert!(!d.allowed);
        assert_eq!(
            d.explain(),
            "not eligible: not a councillor in Liverpool Labour group at the freeze date 2026-11-01 (clause ballot.group_leader)"
        );
        let d = judge_group(
            &suspended(member(date!(2019 - 05 - 01)), date!(2026 - 06 - 01)),
            true,
            group,
            FREEZE,
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(clauses_of(&d), vec!["6.I.suspension.meetings"]);
    }

    #[test]
    fn a_member_registered_elsewhere_is_excluded_and_a_second_failure_is_named_too() {
        let book = shipped_for_tests();
        let d = judge(
            &member(date!(2019 - 05 - 01)),
            false,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(
            d.explain(),
            "not eligible: not registered at an address in Liverpool Riverside at the freeze date 2026-11-01 (clause 15.III.1)"
        );
        let both = judge(
            &member(date!(2026 - 10 - 06)),
            false,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        assert_eq!(clauses_of(&both), vec!["2.I.provisional", "15.III.1"]);
    }

    #[test]
    fn someone_who_joined_after_the_freeze_date_is_not_on_it() {
        let book = shipped_for_tests();
        let d = judge(
            &member(date!(2026 - 11 - 10)),
            true,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        assert!(!d.allowed);
        assert!(
            d.reasons[0].message.contains("not a member on 2026-11-01"),
            "{d:?}"
        );
    }

    fn window() -> Window {
        Window {
            opens_at: datetime!(2026-11-22 09:00 UTC),
            closes_at: datetime!(2026-11-22 21:00 UTC),
            closed_early: false,
        }
    }

    #[test]
    fn a_vote_is_taken_once_within_the_window_from_someone_on_the_roll() {
        let book = shipped_for_tests();
        let on = judge(
            &member(date!(2019 - 05 - 01)),
            true,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        let noon = datetime!(2026-11-22 12:00 UTC);
        let k = BallotType::Meeting;
        assert!(may_cast(Some(&on), false, noon, window(), UNIT, k, &book).allowed);
        let again = may_cast(Some(&on), true, noon, window(), UNIT, k, &book);
        assert!(!again.allowed);
        assert_eq!(clauses_of(&again), vec!["ballot.meeting"]);
        assert!(again.reasons[0].message.contains("already voted"));
        let early = may_cast(
            Some(&on),
            false,
            datetime!(2026-11-22 08:59 UTC),
            window(),
            UNIT,
            k,
            &book,
        );
        assert_eq!(
            early.reasons[0].message,
            "voting opens at 2026-11-22 09:00 UTC"
        );
        let late = may_cast(
            Some(&on),
            false,
            datetime!(2026-11-22 21:00 UTC),
            window(),
            UNIT,
            k,
            &book,
        );
        assert_eq!(late.reasons[0].message, "voting has closed");
        let counted = Window {
            closed_early: true,
            ..window()
        };
        assert!(!may_cast(Some(&on), false, noon, counted, UNIT, k, &book).allowed);
    }

    #[test]
    fn an_excluded_voter_hears_the_rolls_reason_and_a_stranger_that_they_are_not_on_it() {
        let book = shipped_for_tests();
        let off = judge(
            &member(date!(2026 - 10 - 06)),
            true,
            UNIT,
            BallotType::Meeting,
            FREEZE,
            &book,
        );
        let noon = datetime!(2026-11-22 12:00 UTC);
        let d = may_cast(
            Some(&off),
            false,
            noon,
            window(),
            UNIT,
            BallotType::Meeting,
            &book,
        );
        assert_eq!(d, off);
        let d = may_cast(
            None,
            false,
            noon,
            window(),
            UNIT,
            BallotType::Meeting,
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "not eligible: not on the roll of this ballot in Liverpool Riverside"
        );
    }
}
