use super::*;
use crate::register::lifecycle::TransitionReason as R;
use crate::register::member::PaymentMethod;
use crate::register::status::Transition;
use crate::rulebook::shipped_for_tests;
use time::macros::date;
use MemberStatus as S;

fn member(joined: Date) -> MemberHistory {
    let mut h = MemberHistory::joined(joined);
    h.paid_up_until = Some(date!(2030 - 12 - 31));
    h
}

fn with(mut h: MemberHistory, on: Date, status: MemberStatus, reason: R) -> MemberHistory {
    h.transitions.push(Transition {
        effective_on: on,
        status,
        reason,
    });
    h
}

fn clauses_of(d: &Decision) -> Vec<&str> {
    d.reasons.iter().map(|r| r.clause.as_str()).collect()
}

#[test]
fn a_provisional_member_may_attend_but_not_vote_at_a_branch_meeting() {
    let book = shipped_for_tests();
    let h = member(date!(2026 - 10 - 06));
    let on = date!(2026 - 11 - 22);
    assert!(attend_branch_meeting(&h, on, true, &book).allowed);
    let vote = vote_at_branch_meeting(&h, on, true, &book);
    assert!(!vote.allowed);
    assert_eq!(
        vote.reasons,
        vec![Reason::new(
            "2.I.provisional",
            "not eligible: provisional until 2026-12-01"
        )]
    );
    assert!(vote_at_branch_meeting(&h, date!(2026 - 12 - 01), true, &book).allowed);
}

#[test]
fn a_provisional_member_may_not_attend_clp_meetings() {
    let book = shipped_for_tests();
    let h = member(date!(2026 - 10 - 06));
    let d = attend_clp_meeting(&h, date!(2026 - 11 - 22), true, &book);
    assert!(!d.allowed);
    assert_eq!(
        d.explain(),
        "not eligible: provisional until 2026-12-01 (clause 2.I.provisional)"
    );
}

#[test]
fn a_member_from_elsewhere_may_not_attend_the_branch() {
    let book = shipped_for_tests();
    let d = attend_branch_meeting(
        &member(date!(2020 - 01 - 01)),
        date!(2026 - 11 - 22),
        false,
        &book,
    );
    assert!(!d.allowed);
    assert_eq!(clauses_of(&d), vec!["15.III.1"]);
}

#[test]
fn a_suspended_member_is_turned_away_from_meetings_and_office_but_votes_in_all_member_ballots() {
    let book = shipped_for_tests();
    let h = with(
        member(date!(2020 - 01 - 01)),
        date!(2026 - 05 - 01),
        S::Suspended,
        R::ComplaintSuspension,
    );
    let on = date!(2026 - 11 - 22);
    let branch = attend_branch_meeting(&h, on, true, &book);
    assert!(!branch.allowed);
    assert_eq!(clauses_of(&branch), vec!["6.I.suspension.meetings"]);
    assert_eq!(
        clauses_of(&attend_clp_meeting(&h, on, true, &book)),
        vec!["6.I.suspension.meetings"]
    );
    let office = hold_office(&h, on, &book);
    assert!(!office.allowed);
    assert_eq!(clauses_of(&office), vec!["6.I.suspension.office"]);
    let ballot = vote_in_ballot(&h, BallotType::Leadership, on, &book);
    assert!(ballot.allowed);
    assert_eq!(ballot.reasons[0].clause, "6.I.suspension.omov");
    let meeting_ballot = vote_in_ballot(&h, BallotType::Meeting, on, &book);
    assert!(!meeting_ballot.allowed);
}

#[test]
fn ballot_eligibility_is_judged_at_the_freeze_date() {
    let book = shipped_for_tests();
    // Joined 1 March 2026: active from 26 April, six months' membership on 1 September.
    let h = member(date!(2026 - 03 - 01));
    let d = vote_in_ballot(
        &h,
        BallotType::ParliamentarySelection,
        date!(2026 - 08 - 31),
        &book,
    );
    assert!(!d.allowed);
    assert_eq!(d.reasons.len(), 1);
    assert_eq!(d.reasons[0].clause, "ballot.parliamentary_selection");
    assert!(d.reasons[0].message.contains(
        "needs 6 months' membership at the freeze date 2026-08-31 (reached on 2026-09-01)"
    ));
    assert!(
        vote_in_ballot(
            &h,
            BallotType::ParliamentarySelection,
            date!(2026 - 09 - 01),
            &book
        )
        .allowed
    );
    // A later suspension or lapse does not change a vote judged at an earlier freeze date.
    let later = with(
        h.clone(),
        date!(2026 - 10 - 01),
        S::Expelled,
        R::ExpelledNcc,
    );
    assert!(
        vote_in_ballot(
            &later,
            BallotType::ParliamentarySelection,
            date!(2026 - 09 - 01),
            &book
        )
        .allowed
    );
}

#[test]
fn a_provisional_member_at_the_freeze_date_cannot_vote_even_without_a_minimum_period() {
    let book = shipped_for_tests();
    let h = member(date!(2026 - 10 - 06));
    let d = vote_in_ballot(&h, BallotType::Nec, date!(2026 - 11 - 01), &book);
    assert!(!d.allowed);
    assert_eq!(
        d.reasons[0].message,
        "not eligible: provisional until 2026-12-01 at the freeze date 2026-11-01"
    );
}

#[test]
fn members_in_arrears_at_the_freeze_date_cannot_vote_where_the_ballot_says_so() {
    let book = shipped_for_tests();
    let mut h = member(date!(2015 - 01 - 01));
    h.paid_up_until = Some(date!(2026 - 06 - 30));
    let d = vote_in_ballot(&h, BallotType::Leadership, date!(2026 - 08 - 01), &book);
    assert!(!d.allowed);
    assert_eq!(
        d.reasons[0].message,
        "not eligible: in arrears at the freeze date 2026-08-01 (since 2026-07-01)"
    );
    assert_eq!(d.reasons[0].clause, "ballot.leadership");
    let lapsed = vote_in_ballot(&h, BallotType::Leadership, date!(2027 - 01 - 01), &book);
    assert!(!lapsed.allowed);
    assert_eq!(lapsed.reasons[0].clause, "2.IV.lapse");
    assert_eq!(
        lapsed.reasons[0].message,
        "not eligible: lapsed since 2027-01-01"
    );
}

#[test]
fn before_joining_nobody_is_eligible() {
    let book = shipped_for_tests();
    let d = vote_in_ballot(
        &member(date!(2027 - 01 - 01)),
        BallotType::Leadership,
        date!(2026 - 12 - 01),
        &book,
    );
    assert!(!d.allowed);
    assert_eq!(
        d.reasons[0].message,
        "not eligible: not a member on 2026-12-01"
    );
}

#[test]
fn officers_must_be_full_members_in_good_standing() {
    let book = shipped_for_tests();
    assert!(hold_office(&member(date!(2020 - 01 - 01)), date!(2026 - 11 - 22), &book).allowed);
    let d = hold_office(&member(date!(2026 - 11 - 01)), date!(2026 - 11 - 22), &book);
    assert_eq!(clauses_of(&d), vec!["2.I.provisional"]);
    let mut arrears = member(date!(2020 - 01 - 01));
    arrears.paid_up_until = Some(date!(2026 - 10 - 31));
    assert_eq!(
        clauses_of(&hold_office(&arrears, date!(2026 - 11 - 22), &book)),
        vec!["2.IV.arrears"]
    );
}

fn good_dues() -> MemberFacts {
    MemberFacts {
        date_of_birth: Some(date!(1980 - 01 - 01)),
        rate: "standard".into(),
        payment_method: Some(PaymentMethod::DirectDebit),
        circumstances: vec![],
        electoral_registration_verified_on: Some(date!(2026 - 01 - 01)),
        other_party: None,
    }
}

#[test]
fn a_qualified_applicant_passes_every_panel_gate() {
    let book = shipped_for_tests();
    let h = member(date!(2020 - 01 - 01));
    let dues = good_dues();
    let a = PanelApplicant {
        history: &h,
        member: &dues,
        nec_waiver: false,
        code_of_conduct_signed: true,
        interests_register_complete: true,
        training_outstanding: vec![],
        qualified_in_area_since: Some(date!(2019 - 01 - 01)),
        standing_orders_undertaking: true,
    };
    let d = stand_for_panel(&a, date!(2026 - 11 - 22), &book);
    assert!(d.allowed, "{}", d.explain());
    assert_eq!(d.reasons.len(), 7);
}

#[test]
fn a_new_member_needs_twelve_months_or_an_nec_waiver_and_every_failing_gate_is_named() {
    let book = shipped_for_tests();
    let h = member(date!(2026 - 03 - 15));
    let dues = MemberFacts {
        payment_method: Some(PaymentMethod::Card),
        ..good_dues()
    };
    let mut a = PanelApplicant {
        history: &h,
        member: &dues,
        nec_waiver: false,
        code_of_conduct_signed: false,
        interests_register_complete: true,
        training_outstanding: vec!["antisemitism_awareness".into()],
        qualified_in_area_since: None,
        standing_orders_undertaking: true,
    };
    let d = stand_for_panel(&a, date!(2026 - 11 - 22), &book);
    assert!(!d.allowed);
    assert_eq!(
        clauses_of(&d),
        vec![
            "5.I.1.B",
            "5.declarations",
            "training.requirements",
            "5.dues",
            "5.legal_qualification"
        ]
    );
    assert_eq!(
        d.reasons[0].message,
        "not eligible: 12 months' continuous membership needed (a member continuously since 2026-03-15, so from 2027-03-15)"
    );
    a.nec_waiver = true;
    let waived = stand_for_panel(&a, date!(2026 - 11 - 22), &book);
    assert!(!clauses_of(&waived).contains(&"5.I.1.B"));
}

#[test]
fn a_suspended_applicant_is_refused() {
    let book = shipped_for_tests();
    let h = with(
        member(date!(2020 - 01 - 01)),
        date!(2026 - 09 - 01),
        S::Suspended,
        R::ComplaintSuspension,
    );
    let dues = good_dues();
    let a = PanelApplicant {
        history: &h,
        member: &dues,
        nec_waiver: false,
        code_of_conduct_signed: true,
        interests_register_complete: true,
        training_outstanding: vec![],
        qualified_in_area_since: Some(date!(2019 - 01 - 01)),
        standing_orders_undertaking: true,
    };
    let d = stand_for_panel(&a, date!(2026 - 11 - 22), &book);
    assert_eq!(clauses_of(&d), vec!["5.not_suspended"]);
}

#[test]
fn supporters_vote_only_in_leadership_ballots_and_only_if_registered_by_the_freeze_date() {
    let book = shipped_for_tests();
    assert!(
        supporter_vote_in_ballot(
            BallotType::Leadership,
            date!(2020 - 01 - 10),
            date!(2020 - 01 - 20),
            &book
        )
        .allowed
    );
    let late = supporter_vote_in_ballot(
        BallotType::Leadership,
        date!(2020 - 01 - 21),
        date!(2020 - 01 - 20),
        &book,
    );
    assert!(!late.allowed);
    assert_eq!(late.reasons[0].clause, "ballot.leadership");
    let selection = supporter_vote_in_ballot(
        BallotType::LocalSelection,
        date!(2020 - 01 - 10),
        date!(2020 - 01 - 20),
        &book,
    );
    assert_eq!(
        selection.reasons[0].message,
        "not eligible: supporters do not vote in local_selection ballots"
    );
}

mod properties {
    use super::*;
    use crate::calendar::add_days;
    use proptest::prelude::*;

    fn any_date() -> impl Strategy<Value = Date> {
        (0i64..5_000).prop_map(|d| add_days(date!(2019 - 01 - 01), d))
    }

    fn any_history() -> impl Strategy<Value = MemberHistory> {
        (
            any_date(),
            proptest::option::of(any_date()),
            proptest::collection::vec(
                (
                    any_date(),
                    proptest::sample::select(MemberStatus::ALL.to_vec()),
                    proptest::sample::select(R::ALL.to_vec()),
                ),
                0..5,
            ),
        )
            .prop_map(|(joined, paid, ts)| MemberHistory {
                joined_on: joined,
                continuous_since: None,
                paid_up_until: paid,
                provisional_extension_weeks: 0,
                transitions: ts
                    .into_iter()
                    .map(|(effective_on, status, reason)| Transition {
                        effective_on,
                        status,
                        reason,
                    })
                    .collect(),
            })
    }

    proptest! {
        #[test]
        fn a_vote_judged_at_a_freeze_date_ignores_whatever_is_recorded_later(
            h in any_history(), freeze in any_date(), status in proptest::sample::select(MemberStatus::ALL.to_vec()),
            gap in 1i64..1_000, kind in proptest::sample::select(BallotType::ALL.to_vec())
        ) {
            let book = shipped_for_tests();
            let before = vote_in_ballot(&h, kind, freeze, &book);
            let later = with(h.clone(), add_days(freeze, gap), status, R::Corrected);
            prop_assert_eq!(vote_in_ballot(&later, kind, freeze, &book), before);
        }

        #[test]
        fn every_refusal_gives_a_reason_and_every_reason_cites_a_clause_of_the_rulebook(
            h in any_history(), on in any_date(), in_unit in any::<bool>(),
            kind in proptest::sample::select(BallotType::ALL.to_vec())
        ) {
            let book = shipped_for_tests();
            for d in [
                attend_branch_meeting(&h, on, in_unit, &book),
                attend_clp_meeting(&h, on, in_unit, &book),
                vote_at_branch_meeting(&h, on, in_unit, &book),
                vote_in_ballot(&h, kind, on, &book),
                hold_office(&h, on, &book),
            ] {
                prop_assert!(!d.reasons.is_empty());
                for r in &d.reasons {
                    prop_assert!(book.clause(&r.clause).is_some(), "unknown clause {}", r.clause);
                    if !d.allowed {
                        prop_assert!(r.message.starts_with("not eligible: "), "{}", r.message);
                    }
                }
            }
        }

        #[test]
        fn whoever_may_vote_at_a_branch_meeting_may_attend_it(
            h in any_history(), on in any_date(), in_unit in any::<bool>()
        ) {
            let book = shipped_for_tests();
            if vote_at_branch_meeting(&h, on, in_unit, &book).allowed {
                prop_assert!(attend_branch_meeting(&h, on, in_unit, &book).allowed);
            }
        }
    }
}

#[test]
fn a_member_in_arrears_may_attend_but_not_vote_at_a_branch_meeting_by_default() {
    let book = shipped_for_tests();
    let mut h = member(date!(2020 - 01 - 01));
    h.paid_up_until = Some(date!(2026 - 10 - 31));
    let on = date!(2026 - 11 - 22);
    assert!(attend_branch_meeting(&h, on, true, &book).allowed);
    assert!(attend_clp_meeting(&h, on, true, &book).allowed);
    let vote = vote_at_branch_meeting(&h, on, true, &book);
    assert_eq!(clauses_of(&vote), vec!["ballot.meeting"]);
    let strict = Rulebook::from_toml(&Rulebook::shipped_text().replacen(
        "may_attend_meetings = true",
        "may_attend_meetings = false",
        1,
    ))
    .unwrap();
    let d = attend_branch_meeting(&h, on, true, &strict);
    assert_eq!(
        d.reasons,
        vec![Reason::new(
            "2.IV.arrears",
            "not eligible: in arrears since 2026-11-01"
        )]
    );
}

#[test]
fn list_flags_show_what_a_provisional_member_may_do() {
    let book = shipped_for_tests();
    let flags = list_flags(
        &member(date!(2026 - 10 - 06)),
        date!(2026 - 11 - 22),
        true,
        &book,
    );
    assert!(flags.can_attend.allowed);
    assert!(!flags.can_vote.allowed);
    assert!(!flags.can_hold_office.allowed);
    assert_eq!(
        flags.can_vote.explain(),
        "not eligible: provisional until 2026-12-01 (clause 2.I.provisional)"
    );
}

#[test]
fn list_flags_say_what_each_judgement_says_alone() {
    let book = shipped_for_tests();
    let on = date!(2026 - 11 - 22);
    let joined = date!(2020 - 01 - 01);
    let histories = [
        member(date!(2026 - 10 - 06)),
        member(joined),
        with(
            member(joined),
            date!(2026 - 09 - 01),
            S::Suspended,
            R::ComplaintSuspension,
        ),
        with(
            member(joined),
            date!(2026 - 11 - 01),
            S::InArrears,
            R::PaymentMissed,
        ),
        with(
            member(joined),
            date!(2026 - 06 - 01),
            S::Lapsed,
            R::GraceExpired,
        ),
        member(date!(2027 - 01 - 01)),
    ];
    for h in &histories {
        for in_branch in [true, false] {
            assert_eq!(
                list_flags(h, on, in_branch, &book),
                ListFlags {
                    can_attend: attend_branch_meeting(h, on, in_branch, &book),
                    can_vote: vote_at_branch_meeting(h, on, in_branch, &book),
                    can_hold_office: hold_office(h, on, &book),
                },
                "{h:?}, in the branch: {in_branch}"
            );
        }
    }
}
