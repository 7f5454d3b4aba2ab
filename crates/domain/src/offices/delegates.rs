//! How many delegates a unit sends: a branch to its CLP's General Committee (`7.gc_delegates`), a CLP
//! to Annual Conference (`3.I.1.B`, counted on members paid up on 31 December), and the gender rule of
//! a conference delegation.
use time::Date;

use crate::calendar::year_end;
use crate::decision::{Decision, Reason};
use crate::offices::Gender;
use crate::register::member::MemberStatus;
use crate::register::status::{status_on, MemberHistory};
use crate::rulebook::{self as clauses, Rulebook};

/// A number of delegates with the reasons it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegateCount {
    pub delegates: u32,
    pub reasons: Vec<Reason>,
}

/// A branch's delegates to the General Committee: one per `members_per_delegate` members or part
/// thereof, and at least `min_delegates`.
pub fn gc_delegates(members: u32, rulebook: &Rulebook) -> DelegateCount {
    let rule = rulebook.gc_delegates();
    let by_ratio = members.div_ceil(rule.members_per_delegate);
    let delegates = by_ratio.max(rule.min_delegates);
    DelegateCount {
        delegates,
        reasons: vec![Reason::new(
            clauses::GC_DELEGATES,
            format!(
                "{members} members at one delegate per {} or part thereof (at least {}): {delegates}",
                rule.members_per_delegate, rule.min_delegates
            ),
        )],
    }
}

/// The date a CLP's members are counted for Annual Conference in `conference_year`: 31 December of
/// the year before.
pub fn conference_count_date(conference_year: i32) -> Option<Date> {
    year_end(conference_year - 1)
}

/// Whether a member counts towards the conference delegation: a member on the count date and paid up
/// on it (a member whose paid-up date is unknown counts, as the register shows no arrears).
pub fn counts_for_conference(
    history: &MemberHistory,
    count_date: Date,
    rulebook: &Rulebook,
) -> bool {
    let paid_up = history.paid_up_until.is_none_or(|p| p >= count_date);
    status_on(history, count_date, rulebook).is_some_and(|s| {
        matches!(
            s.status,
            MemberStatus::Provisional | MemberStatus::Active | MemberStatus::Suspended
        ) && paid_up
    })
}

/// A CLP's delegation to Annual Conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceDelegation {
    /// Delegates by membership: 1 for the first band, +1 per further band or part.
    pub by_membership: u32,
    /// An extra delegate (a woman) for a CLP with enough women members.
    pub extra_woman: bool,
    /// An extra delegate for a CLP with enough Young Labour members.
    pub extra_young: bool,
    pub reasons: Vec<Reason>,
}

impl ConferenceDelegation {
    pub fn total(&self) -> u32 {
        self.by_membership + u32::from(self.extra_woman) + u32::from(self.extra_young)
    }
}

/// The delegation of a CLP whose counts (paid-up members on the count date, women among them, Young
/// Labour members among them) are given.
pub fn conference_delegates(
    paid_up_members: u32,
    women_members: u32,
    young_labour_members: u32,
    rulebook: &Rulebook,
) -> ConferenceDelegation {
    let rule = rulebook.conference_delegates();
    let clause = clauses::CONFERENCE_DELEGATES;
    let by_membership = if paid_up_members == 0 {
        0
    } else {
        1 + paid_up_members
            .saturating_sub(rule.first_band_members)
            .div_ceil(rule.further_band_members)
    };
    let extra_woman = women_members >= rule.extra_delegate_women_members;
    let extra_young = young_labour_members >= rule.extra_delegate_young_labour_members;
    let mut reasons = vec![Reason::new(
        clause,
        format!(
            "{paid_up_members} paid-up members: 1 delegate for the first {}, 1 more per further {} or part: {by_membership}",
            rule.first_band_members, rule.further_band_members
        ),
    )];
    if extra_woman {
        reasons.push(Reason::new(
            clause,
            format!(
                "{women_members} women members (at least {}): an extra woman delegate",
                rule.extra_delegate_women_members
            ),
        ));
    }
    if extra_young {
        reasons.push(Reason::new(
            clause,
            format!(
                "{young_labour_members} Young Labour members (at least {}): an extra young delegate",
                rule.extra_delegate_young_labour_members
            ),
        ));
    }
    ConferenceDelegation {
        by_membership,
        extra_woman,
        extra_young,
        reasons,
    }
}

/// Every `every_nth_delegate_woman`-th delegate of a conference delegation is a woman: among `k`
/// delegates at least `k / n` (rounded down) are women, plus the extra woman delegate if there is one.
pub fn conference_delegation_gender(
    delegates: &[Gender],
    extra_woman: bool,
    rulebook: &Rulebook,
) -> Decision {
    let n = rulebook.conference_delegates().every_nth_delegate_woman as usize;
    let women = delegates.iter().filter(|g| **g == Gender::Woman).count();
    let by_membership = delegates.len().saturating_sub(usize::from(extra_woman));
    let required = by_membership / n + usize::from(extra_woman);
    let reason = Reason::new(
        clauses::CONFERENCE_DELEGATES,
        format!(
            "{women} of {} delegates are women; {} must be a woman, so at least {required}",
            delegates.len(),
            every_nth(n)
        ),
    );
    if women >= required {
        Decision::allow(vec![reason])
    } else {
        Decision::deny(vec![reason])
    }
}

fn every_nth(n: usize) -> String {
    match n {
        1 => "every delegate".to_string(),
        2 => "every second delegate".to_string(),
        3 => "every third delegate".to_string(),
        n => format!("every {n}th delegate"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::shipped_for_tests;
    use time::macros::date;

    #[test]
    fn a_branch_sends_one_delegate_per_fifteen_members_or_part() {
        let book = shipped_for_tests();
        assert_eq!(gc_delegates(15, &book).delegates, 1);
        assert_eq!(gc_delegates(16, &book).delegates, 2);
        assert_eq!(gc_delegates(150, &book).delegates, 10);
        assert_eq!(gc_delegates(0, &book).delegates, 1);
        assert_eq!(gc_delegates(16, &book).reasons[0].clause, "7.gc_delegates");
    }

    #[test]
    fn conference_delegates_follow_the_749_and_250_bands() {
        let book = shipped_for_tests();
        let count = |m| conference_delegates(m, 0, 0, &book).total();
        assert_eq!(count(0), 0);
        assert_eq!(count(1), 1);
        assert_eq!(count(749), 1);
        assert_eq!(count(750), 2);
        assert_eq!(count(999), 2);
        assert_eq!(count(1000), 3);
        assert_eq!(count(1001), 3);
        assert_eq!(count(1250), 4);
        let d = conference_delegates(1000, 100, 30, &book);
        assert_eq!((d.by_membership, d.total()), (3, 5));
        assert_eq!(d.reasons.len(), 3);
        assert!(d.reasons.iter().all(|r| r.clause == "3.I.1.B"));
    }

    #[test]
    fn members_are_counted_when_paid_up_on_the_31st_of_december() {
        let book = shipped_for_tests();
        let count_date = conference_count_date(2027).unwrap();
        assert_eq!(count_date, date!(2026 - 12 - 31));
        let mut h = MemberHistory::joined(date!(2020 - 01 - 01));
        h.paid_up_until = Some(date!(2026 - 12 - 31));
        assert!(counts_for_conference(&h, count_date, &book));
        h.paid_up_until = Some(date!(2026 - 12 - 30));
        assert!(!counts_for_conference(&h, count_date, &book));
        let late = MemberHistory::joined(date!(2027 - 01 - 01));
        assert!(!counts_for_conference(&late, count_date, &book));
    }

    #[test]
    fn every_second_conference_delegate_is_a_woman() {
        let book = shipped_for_tests();
        use Gender::{Man, Woman};
        assert!(conference_delegation_gender(&[Man, Woman, Man], false, &book).allowed);
        let d = conference_delegation_gender(&[Man, Man, Woman, Man], false, &book);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "1 of 4 delegates are women; every second delegate must be a woman, so at least 2"
        );
        assert!(!conference_delegation_gender(&[Man, Woman, Man], true, &book).allowed);
    }

    proptest::proptest! {
        #[test]
        fn more_members_never_mean_fewer_delegates(a in 0u32..200_000, b in 0u32..200_000) {
            let book = shipped_for_tests();
            let (small, large) = (a.min(b), a.max(b));
            proptest::prop_assert!(gc_delegates(small, &book).delegates <= gc_delegates(large, &book).delegates);
            proptest::prop_assert!(
                conference_delegates(small, 0, 0, &book).total() <= conference_delegates(large, 0, 0, &book).total()
            );
            // "Or part thereof": the delegates cover every member, and one fewer would not.
            let gc = gc_delegates(large, &book).delegates;
            proptest::prop_assert!(gc * 15 >= large);
            proptest::prop_assert!(large == 0 || (gc - 1) * 15 < large);
        }
    }
}
