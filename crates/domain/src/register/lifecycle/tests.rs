use super::*;
use crate::rulebook::shipped_for_tests;
use time::macros::date;

fn facts_since(d: Date) -> TransitionFacts {
    TransitionFacts {
        status_since: Some(d),
        ..Default::default()
    }
}

#[test]
fn every_reason_has_a_spelling_and_a_clause_in_the_rulebook() {
    let book = shipped_for_tests();
    for r in TransitionReason::ALL {
        assert_eq!(TransitionReason::parse(r.as_str()).unwrap(), *r);
        assert!(
            book.clause(r.clause()).is_some(),
            "{r} cites a missing clause"
        );
    }
}

#[test]
fn a_provisional_member_becomes_active_only_when_the_period_ends() {
    let book = shipped_for_tests();
    let facts = facts_since(date!(2026 - 01 - 01));
    let early = check_transition(
        Some(S::Provisional),
        S::Active,
        TransitionReason::ProvisionalEnded,
        date!(2026 - 02 - 25),
        &facts,
        &book,
    );
    assert!(!early.allowed);
    assert_eq!(
        early.reasons,
        vec![Reason::new(
            "2.I.provisional",
            "the provisional period runs until 2026-02-26"
        )]
    );
    let on_time = check_transition(
        Some(S::Provisional),
        S::Active,
        TransitionReason::ProvisionalEnded,
        date!(2026 - 02 - 26),
        &facts,
        &book,
    );
    assert!(on_time.allowed);
}

#[test]
fn rejection_is_possible_only_during_the_provisional_period_and_its_extension() {
    let book = shipped_for_tests();
    let mut facts = facts_since(date!(2026 - 01 - 01));
    let late = check_transition(
        Some(S::Provisional),
        S::Rejected,
        TransitionReason::RejectedProvisional,
        date!(2026 - 03 - 01),
        &facts,
        &book,
    );
    assert!(!late.allowed);
    assert_eq!(late.reasons[0].clause, "2.I.rejection");
    facts.provisional_extension_weeks = 4;
    let extended = check_transition(
        Some(S::Provisional),
        S::Rejected,
        TransitionReason::RejectedProvisional,
        date!(2026 - 03 - 01),
        &facts,
        &book,
    );
    assert!(extended.allowed);
    let active = check_transition(
        Some(S::Active),
        S::Rejected,
        TransitionReason::RejectedProvisional,
        date!(2026 - 01 - 02),
        &facts,
        &book,
    );
    assert!(!active.allowed);
    assert_eq!(active.explain(), "a member who is active cannot become rejected for the reason rejected_provisional (clause 2.I.rejection)");
}

#[test]
fn readmission_needs_the_nec_and_normally_five_years() {
    let book = shipped_for_tests();
    let mut facts = facts_since(date!(2020 - 05 - 01));
    let no_nec = check_transition(
        Some(S::Expelled),
        S::Provisional,
        TransitionReason::ReadmittedNec,
        date!(2026 - 01 - 01),
        &facts,
        &book,
    );
    assert!(!no_nec.allowed);
    assert_eq!(no_nec.reasons[0].clause, "6.I.2");
    facts.nec_decision = true;
    let early = check_transition(
        Some(S::Excluded),
        S::Provisional,
        TransitionReason::ReadmittedNec,
        date!(2025 - 04 - 30),
        &facts,
        &book,
    );
    assert!(!early.allowed);
    assert!(early.reasons[0].message.contains("before 2025-05-01"));
    let due = check_transition(
        Some(S::Excluded),
        S::Provisional,
        TransitionReason::ReadmittedNec,
        date!(2025 - 05 - 01),
        &facts,
        &book,
    );
    assert!(due.allowed);
    facts.nec_waived_minimum = true;
    assert!(
        check_transition(
            Some(S::Excluded),
            S::Provisional,
            TransitionReason::ReadmittedNec,
            date!(2022 - 01 - 01),
            &facts,
            &book
        )
        .allowed
    );
}

#[test]
fn an_expelled_member_cannot_simply_rejoin() {
    let book = shipped_for_tests();
    let d = check_transition(
        Some(S::Expelled),
        S::Provisional,
        TransitionReason::Rejoined,
        date!(2030 - 01 - 01),
        &TransitionFacts::default(),
        &book,
    );
    assert!(!d.allowed);
    assert_eq!(d.reasons[0].clause, "2.IV.rejoin");
    assert!(
        check_transition(
            Some(S::Lapsed),
            S::Provisional,
            TransitionReason::Rejoined,
            date!(2030 - 01 - 01),
            &TransitionFacts::default(),
            &book
        )
        .allowed
    );
}

#[test]
fn suspension_applies_to_active_and_in_arrears_members_only() {
    let book = shipped_for_tests();
    let f = TransitionFacts::default();
    let on = date!(2026 - 06 - 01);
    assert!(
        check_transition(
            Some(S::Active),
            S::Suspended,
            TransitionReason::ComplaintSuspension,
            on,
            &f,
            &book
        )
        .allowed
    );
    assert!(
        check_transition(
            Some(S::InArrears),
            S::Suspended,
            TransitionReason::ComplaintSuspension,
            on,
            &f,
            &book
        )
        .allowed
    );
    let d = check_transition(
        Some(S::Lapsed),
        S::Suspended,
        TransitionReason::ComplaintSuspension,
        on,
        &f,
        &book,
    );
    assert!(!d.allowed);
    assert_eq!(d.reasons[0].clause, "6.I.suspension");
    assert!(
        check_transition(
            Some(S::Suspended),
            S::Active,
            TransitionReason::SuspensionLifted,
            on,
            &f,
            &book
        )
        .allowed
    );
    assert!(
        check_transition(
            Some(S::Suspended),
            S::Expelled,
            TransitionReason::ExpelledNcc,
            on,
            &f,
            &book
        )
        .allowed
    );
}

#[test]
fn anyone_may_be_excluded_for_a_prohibited_act_but_the_dead() {
    let book = shipped_for_tests();
    let f = TransitionFacts::default();
    let on = date!(2026 - 06 - 01);
    for from in [
        S::Provisional,
        S::Active,
        S::InArrears,
        S::Lapsed,
        S::Suspended,
        S::Resigned,
    ] {
        let d = check_transition(
            Some(from),
            S::Excluded,
            TransitionReason::ProhibitedAct,
            on,
            &f,
            &book,
        );
        assert!(d.allowed, "{from}");
        assert_eq!(d.reasons[0].clause, "2.I.5.B");
    }
    assert!(
        !check_transition(
            Some(S::Deceased),
            S::Excluded,
            TransitionReason::ProhibitedAct,
            on,
            &f,
            &book
        )
        .allowed
    );
}

#[test]
fn a_reason_must_lead_to_its_own_status() {
    let book = shipped_for_tests();
    let d = check_transition(
        Some(S::Active),
        S::Expelled,
        TransitionReason::Resigned,
        date!(2026 - 01 - 01),
        &TransitionFacts::default(),
        &book,
    );
    assert!(!d.allowed);
    assert_eq!(
        d.explain(),
        "the reason resigned moves a member to resigned, not to expelled (clause 2.IV.ended)"
    );
}

#[test]
fn lapse_waits_for_the_grace_period() {
    let book = shipped_for_tests();
    let f = facts_since(date!(2026 - 01 - 31));
    assert!(
        !check_transition(
            Some(S::InArrears),
            S::Lapsed,
            TransitionReason::GraceExpired,
            date!(2026 - 07 - 30),
            &f,
            &book
        )
        .allowed
    );
    assert!(
        check_transition(
            Some(S::InArrears),
            S::Lapsed,
            TransitionReason::GraceExpired,
            date!(2026 - 07 - 31),
            &f,
            &book
        )
        .allowed
    );
}

#[test]
fn an_appeal_against_rejection_is_barred_after_a_recent_prohibited_act() {
    let book = shipped_for_tests();
    let f = TransitionFacts {
        nec_decision: true,
        last_prohibited_act_on: Some(date!(2025 - 01 - 01)),
        ..Default::default()
    };
    let d = check_transition(
        Some(S::Rejected),
        S::Provisional,
        TransitionReason::RejectionOverturned,
        date!(2026 - 01 - 01),
        &f,
        &book,
    );
    assert!(!d.allowed);
    assert!(d.reasons[0].message.contains("within 2 years"));
    assert!(
        check_transition(
            Some(S::Rejected),
            S::Provisional,
            TransitionReason::RejectionOverturned,
            date!(2027 - 01 - 01),
            &f,
            &book
        )
        .allowed
    );
}

#[test]
fn imports_may_record_any_status_with_the_import_clause() {
    let book = shipped_for_tests();
    let d = check_transition(
        None,
        S::InArrears,
        TransitionReason::Imported,
        date!(2026 - 01 - 01),
        &TransitionFacts::default(),
        &book,
    );
    assert!(d.allowed);
    assert_eq!(d.reasons[0].clause, "register.import");
}

#[test]
fn extensions_beyond_four_weeks_are_refused() {
    let book = shipped_for_tests();
    assert!(check_provisional_extension(4, &book).allowed);
    let d = check_provisional_extension(5, &book);
    assert!(!d.allowed);
    assert_eq!(d.reasons[0].clause, "2.I.provisional");
}
