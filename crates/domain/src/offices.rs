//! Offices held for a term, and the gender rules on who holds them: branch officers, the CLP
//! executive, delegations and a Labour group's executive, plus the group leader's term and recall.
//! Gender here is what the officer gives for office purposes, supplied by the caller; it is not the
//! equality-monitoring data, which no rule ever reads.
pub mod access;
pub mod delegates;

use time::Date;

use crate::calendar::add_months;
use crate::decision::{Decision, Reason};
use crate::rulebook::{self as clauses, Rulebook};

crate::spelled_enum!(
    /// The offices of SPEC 3.2.
    OfficeKind, "office" {
        Chair => "chair",
        ViceChair => "vice_chair",
        Secretary => "secretary",
        Treasurer => "treasurer",
        WomensOfficer => "womens_officer",
        MembershipOfficer => "membership_officer",
        GroupLeader => "group_leader",
        ChiefWhip => "chief_whip",
        LgcSecretary => "lgc_secretary",
        AppointedOfficer => "appointed_officer",
        InterimOfficer => "interim_officer",
        Delegate => "delegate",
        // A seat in a Labour group: the group on a day is its councillors' terms held that day.
        Councillor => "councillor",
    }
);

crate::spelled_enum!(
    /// Gender as given by an officer or delegate for the gender rules of office.
    Gender, "gender" {
        Woman => "woman",
        Man => "man",
        NonBinary => "non_binary",
        NotGiven => "not_given",
    }
);

/// A member's term in an office of a unit: held from `from` up to, not including, `until` (the day the
/// successor takes over, such as the AGM); `until` is `None` while no end is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeTerm {
    pub office: OfficeKind,
    pub unit: String,
    pub from: Date,
    pub until: Option<Date>,
}

impl OfficeTerm {
    pub fn holds_on(&self, on: Date) -> bool {
        self.from <= on && self.until.is_none_or(|until| on < until)
    }
}

/// An interim officer's term: from the appointment until the AGM.
pub fn interim_term(unit: &str, from: Date, agm: Date) -> OfficeTerm {
    OfficeTerm {
        office: OfficeKind::InterimOfficer,
        unit: unit.to_string(),
        from,
        until: Some(agm),
    }
}

/// May `appointed_by` (a role id) appoint an interim officer from `from` until an AGM on `agm`?
pub fn check_interim_appointment(
    appointed_by: &str,
    from: Date,
    agm: Date,
    rulebook: &Rulebook,
) -> Decision {
    let who = rulebook.interim_officers_appointed_by();
    let by = if appointed_by == who {
        Decision::allow(vec![Reason::new(
            clauses::INTERIM_OFFICERS,
            format!("appointed by the {who}"),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clauses::INTERIM_OFFICERS,
            format!("interim officers are appointed by the {who}, not the {appointed_by}"),
        )])
    };
    let until = if agm > from {
        Decision::allow(vec![Reason::new(
            clauses::INTERIM_OFFICERS,
            format!("until the AGM on {agm}"),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clauses::INTERIM_OFFICERS,
            format!("the AGM on {agm} must come after the appointment on {from}"),
        )])
    };
    Decision::all([by, until])
}

/// One person holding an office, identified so that a person holding two posts counts once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officeholder {
    pub person: String,
    pub office: OfficeKind,
    pub gender: Gender,
}

fn women_among(officers: &[Officeholder]) -> usize {
    let mut women: Vec<&str> = officers
        .iter()
        .filter(|o| o.gender == Gender::Woman)
        .map(|o| o.person.as_str())
        .collect();
    women.sort_unstable();
    women.dedup();
    women.len()
}

fn minimum_women(officers: &[Officeholder], min: u32, clause: &str, body: &str) -> Decision {
    let women = women_among(officers);
    let reason = format!("{women} of the {body} are women; at least {min} must be");
    if women >= min as usize {
        Decision::allow(vec![Reason::new(clause, reason)])
    } else {
        Decision::deny(vec![Reason::new(clause, reason)])
    }
}

/// At least the rulebook's number of a branch's officers are women (`15.officers.women`).
pub fn branch_officers_gender(officers: &[Officeholder], rulebook: &Rulebook) -> Decision {
    minimum_women(
        officers,
        rulebook.branch_officers_min_women(),
        clauses::BRANCH_OFFICERS_WOMEN,
        "branch officers",
    )
}

/// At least the rulebook's number of a CLP's executive officers are women (`7.VIII.2`).
pub fn clp_executive_gender(officers: &[Officeholder], rulebook: &Rulebook) -> Decision {
    minimum_women(
        officers,
        rulebook.clp_executive_min_women(),
        clauses::CLP_EXECUTIVE_WOMEN,
        "CLP executive officers",
    )
}

/// At least the rulebook's number of a Local Government Committee's officers are women
/// (`lgc.officers.women`).
pub fn lgc_officers_gender(officers: &[Officeholder], rulebook: &Rulebook) -> Decision {
    minimum_women(
        officers,
        rulebook.lgc_officers_min_women(),
        clauses::LGC_OFFICERS_WOMEN,
        "LGC officers",
    )
}

/// A delegation's gender balance (`7.XI.4`): at least the set share women where more than one
/// delegate; a single delegate must be a woman at least every `single_delegate_woman_every_years`
/// years, judged from the last year a woman was the delegate.
pub fn delegation_gender(
    delegates: &[Gender],
    year: i32,
    last_year_a_woman_was_sole_delegate: Option<i32>,
    rulebook: &Rulebook,
) -> Decision {
    let rule = rulebook.delegations();
    let clause = clauses::DELEGATIONS_WOMEN;
    let women = delegates.iter().filter(|g| **g == Gender::Woman).count();
    match delegates.len() {
        0 => Decision::allow(vec![Reason::new(clause, "no delegates")]),
        1 if women == 1 => {
            Decision::allow(vec![Reason::new(clause, "the single delegate is a woman")])
        }
        1 => {
            let every = rule.single_delegate_woman_every_years as i32;
            match last_year_a_woman_was_sole_delegate {
                Some(last) if year - last < every => Decision::allow(vec![Reason::new(
                    clause,
                    format!("the single delegate was a woman in {last}"),
                )]),
                _ => Decision::deny(vec![Reason::new(
                    clause,
                    format!("a single delegate must be a woman at least every {every} years, and was not in the last {} years", every - 1),
                )]),
            }
        }
        n => {
            let reason = format!(
                "{women} of {n} delegates are women; at least {}% must be",
                rule.min_women_percent
            );
            if women * 100 >= rule.min_women_percent as usize * n {
                Decision::allow(vec![Reason::new(clause, reason)])
            } else {
                Decision::deny(vec![Reason::new(clause, reason)])
            }
        }
    }
}

/// A Labour group's executive reflects the group's gender balance (`13.executive.balance`, source P):
/// the women on the executive are at least the group's share of women times the executive's size,
/// rounded down, less the rulebook's tolerance.
pub fn group_executive_gender(
    group: &[Gender],
    executive: &[Gender],
    rulebook: &Rulebook,
) -> Decision {
    let clause = clauses::GROUP_EXECUTIVE_BALANCE;
    let group_women = group.iter().filter(|g| **g == Gender::Woman).count();
    let exec_women = executive.iter().filter(|g| **g == Gender::Woman).count();
    if group.is_empty() {
        return Decision::allow(vec![Reason::new(clause, "the group has no members")]);
    }
    let proportional = executive.len() * group_women / group.len();
    let required = proportional.saturating_sub(rulebook.group_executive_tolerance_seats() as usize);
    let reason = format!(
        "{exec_women} of {} executive members are women; the group ({group_women} women of {}) needs at least {required}",
        executive.len(),
        group.len()
    );
    if exec_women >= required {
        Decision::allow(vec![Reason::new(clause, reason)])
    } else {
        Decision::deny(vec![Reason::new(clause, reason)])
    }
}

/// Whether the signatures recall the group leader (`13.leader`: two-thirds of the group).
pub fn group_leader_recall(signatures: u32, group_size: u32, rulebook: &Rulebook) -> Decision {
    let recall = rulebook.group_leader().recall;
    let needed = recall.needed(group_size);
    let reason = Reason::new(
        clauses::GROUP_LEADER,
        format!("{signatures} of {group_size} councillors signed; a recall needs {recall} of the group ({needed})"),
    );
    if recall.reached(signatures, group_size) {
        Decision::allow(vec![reason])
    } else {
        Decision::deny(vec![reason])
    }
}

/// The end of a group leader's term under the strong-leader model (the day the term is over), or
/// `None` where the group elects its leader yearly under its own standing orders.
pub fn group_leader_term_end(
    elected_on: Date,
    strong_leader_model: bool,
    rulebook: &Rulebook,
) -> Option<Date> {
    strong_leader_model.then(|| {
        add_months(
            elected_on,
            (rulebook.group_leader().strong_leader_term_years * 12) as i32,
        )
    })
}

/// The term of a newly elected group leader taking office on `from`: its end (exclusive) and why,
/// under the rulebook's clause (`13.leader`): a fixed term where the council has the strong-leader
/// model, no set end otherwise (the group's standing orders then decide when it elects again).
pub fn group_leader_term(
    from: Date,
    strong_leader_model: bool,
    rulebook: &Rulebook,
) -> (Option<Date>, Reason) {
    let until = group_leader_term_end(from, strong_leader_model, rulebook);
    let message = match until {
        Some(end) => format!(
            "a {}-year term under the strong-leader model, from {from} until {end}",
            rulebook.group_leader().strong_leader_term_years
        ),
        None => "no set end: the council does not have the strong-leader model, so the group's standing orders decide when it elects again".to_string(),
    };
    (until, Reason::new(clauses::GROUP_LEADER, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::shipped_for_tests;
    use time::macros::date;
    use Gender::{Man, NonBinary, Woman};

    fn holder(person: &str, office: OfficeKind, gender: Gender) -> Officeholder {
        Officeholder {
            person: person.into(),
            office,
            gender,
        }
    }

    #[test]
    fn a_term_is_held_from_its_first_day_up_to_its_end() {
        let term = interim_term(
            "pcon2024:E14001337",
            date!(2023 - 10 - 12),
            date!(2023 - 12 - 09),
        );
        assert!(!term.holds_on(date!(2023 - 10 - 11)));
        assert!(term.holds_on(date!(2023 - 10 - 12)));
        assert!(term.holds_on(date!(2023 - 12 - 08)));
        assert!(!term.holds_on(date!(2023 - 12 - 09)));
        assert_eq!(term.office, OfficeKind::InterimOfficer);
    }

    #[test]
    fn interim_officers_are_appointed_by_the_regional_director_until_a_later_agm() {
        let book = shipped_for_tests();
        assert!(
            check_interim_appointment(
                "regional_director",
                date!(2023 - 10 - 12),
                date!(2023 - 12 - 01),
                &book
            )
            .allowed
        );
        let d = check_interim_appointment(
            "clp_secretary",
            date!(2023 - 10 - 12),
            date!(2023 - 10 - 01),
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(d.reasons.len(), 2);
        assert!(d.reasons.iter().all(|r| r.clause == "7.interim_officers"));
    }

    #[test]
    fn a_branch_needs_two_women_officers_counted_once_each() {
        let book = shipped_for_tests();
        let mut officers = vec![
            holder("a", OfficeKind::Chair, Woman),
            holder("a", OfficeKind::WomensOfficer, Woman),
            holder("b", OfficeKind::Secretary, Man),
            holder("c", OfficeKind::Treasurer, NonBinary),
        ];
        let d = branch_officers_gender(&officers, &book);
        assert!(!d.allowed);
        assert_eq!(
            d.explain(),
            "1 of the branch officers are women; at least 2 must be (clause 15.officers.women)"
        );
        officers.push(holder("d", OfficeKind::ViceChair, Woman));
        assert!(branch_officers_gender(&officers, &book).allowed);
    }

    #[test]
    fn a_clp_executive_needs_three_women() {
        let book = shipped_for_tests();
        let officers: Vec<Officeholder> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .enumerate()
            .map(|(i, p)| holder(p, OfficeKind::Chair, if i < 2 { Woman } else { Man }))
            .collect();
        let d = clp_executive_gender(&officers, &book);
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].clause, "7.VIII.2");
    }

    #[test]
    fn an_lgc_needs_two_women_officers() {
        let book = shipped_for_tests();
        let mut officers = vec![
            holder("a", OfficeKind::Chair, Woman),
            holder("b", OfficeKind::Secretary, Man),
            holder("c", OfficeKind::LgcSecretary, Man),
        ];
        let d = lgc_officers_gender(&officers, &book);
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].clause, "lgc.officers.women");
        officers.push(holder("d", OfficeKind::Treasurer, Woman));
        assert!(lgc_officers_gender(&officers, &book).allowed);
    }

    #[test]
    fn delegations_of_more_than_one_are_at_least_half_women() {
        let book = shipped_for_tests();
        assert!(delegation_gender(&[Woman, Man], 2026, None, &book).allowed);
        assert!(delegation_gender(&[Woman, Man, Woman], 2026, None, &book).allowed);
        let d = delegation_gender(&[Woman, Man, Man], 2026, None, &book);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "1 of 3 delegates are women; at least 50% must be"
        );
    }

    #[test]
    fn a_single_delegate_is_a_woman_every_other_year() {
        let book = shipped_for_tests();
        assert!(delegation_gender(&[Man], 2026, Some(2025), &book).allowed);
        let d = delegation_gender(&[Man], 2026, Some(2024), &book);
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].clause, "7.XI.4");
        assert!(!delegation_gender(&[Man], 2026, None, &book).allowed);
        assert!(delegation_gender(&[Woman], 2026, None, &book).allowed);
    }

    #[test]
    fn a_group_executive_reflects_the_groups_share_of_women_rounded_down() {
        let book = shipped_for_tests();
        // 40 women in a group of 90: an executive of 7 needs 7 * 40 / 90 = 3.1, so 3 women.
        let group: Vec<Gender> = (0..90).map(|i| if i < 40 { Woman } else { Man }).collect();
        let exec =
            |w: usize| -> Vec<Gender> { (0..7).map(|i| if i < w { Woman } else { Man }).collect() };
        assert!(group_executive_gender(&group, &exec(3), &book).allowed);
        let d = group_executive_gender(&group, &exec(2), &book);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "2 of 7 executive members are women; the group (40 women of 90) needs at least 3"
        );
        assert_eq!(d.reasons[0].clause, "13.executive.balance");
    }

    #[test]
    fn a_recall_needs_two_thirds_of_the_group() {
        let book = shipped_for_tests();
        let d = group_leader_recall(40, 61, &book);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "40 of 61 councillors signed; a recall needs 2/3 of the group (41)"
        );
        assert!(group_leader_recall(41, 61, &book).allowed);
        assert!(group_leader_recall(2, 3, &book).allowed);
    }

    #[test]
    fn a_strong_leader_serves_four_years() {
        let book = shipped_for_tests();
        assert_eq!(
            group_leader_term_end(date!(2024 - 02 - 29), true, &book),
            Some(date!(2028 - 02 - 29))
        );
        assert_eq!(
            group_leader_term_end(date!(2024 - 05 - 01), false, &book),
            None
        );
    }

    #[test]
    fn an_elected_leaders_term_says_why_it_ends_or_does_not() {
        let book = shipped_for_tests();
        let (until, why) = group_leader_term(date!(2026 - 11 - 22), true, &book);
        assert_eq!(until, Some(date!(2030 - 11 - 22)));
        assert_eq!(why.clause, "13.leader");
        assert_eq!(
            why.message,
            "a 4-year term under the strong-leader model, from 2026-11-22 until 2030-11-22"
        );
        let (until, why) = group_leader_term(date!(2026 - 11 - 22), false, &book);
        assert_eq!(until, None);
        assert!(why.message.starts_with("no set end"), "{why:?}");
    }

    #[test]
    fn a_councillor_seat_is_an_office_spelled_for_the_register() {
        assert_eq!(
            OfficeKind::parse("councillor").unwrap(),
            OfficeKind::Councillor
        );
        assert_eq!(OfficeKind::Councillor.as_str(), "councillor");
    }
}
