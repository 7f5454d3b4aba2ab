use super::*;
use crate::rulebook::shipped_for_tests;
use proptest::prelude::*;
use time::macros::date;
use MemberStatus as S;
use TransitionReason as R;

fn t(effective_on: Date, status: MemberStatus, reason: TransitionReason) -> Transition {
    Transition {
        effective_on,
        status,
        reason,
    }
}

fn status(history: &MemberHistory, on: Date) -> MemberStatus {
    status_on(history, on, &shipped_for_tests()).unwrap().status
}

#[test]
fn before_joining_there_is_no_status() {
    let h = MemberHistory::joined(date!(2026 - 03 - 01));
    assert_eq!(
        status_on(&h, date!(2026 - 02 - 28), &shipped_for_tests()),
        None
    );
}

#[test]
fn a_new_member_is_provisional_for_eight_weeks_and_says_until_when() {
    let h = MemberHistory::joined(date!(2026 - 10 - 06));
    let s = status_on(&h, date!(2026 - 11 - 30), &shipped_for_tests()).unwrap();
    assert_eq!(s.status, S::Provisional);
    assert_eq!(s.since, date!(2026 - 10 - 06));
    assert_eq!(s.changes_on, Some(date!(2026 - 12 - 01)));
    assert_eq!(s.reasons[0].clause, "2.I.provisional");
    let s = status_on(&h, date!(2026 - 12 - 01), &shipped_for_tests()).unwrap();
    assert_eq!(s.status, S::Active);
    assert_eq!(s.since, date!(2026 - 12 - 01));
    assert_eq!(
        s.reasons[1],
        Reason::new("2.I.provisional", "provisional period ended on 2026-12-01")
    );
}

#[test]
fn an_objection_extends_the_provisional_period_but_never_beyond_the_maximum() {
    let mut h = MemberHistory::joined(date!(2026 - 01 - 01));
    h.provisional_extension_weeks = 2;
    assert_eq!(status(&h, date!(2026 - 03 - 11)), S::Provisional);
    assert_eq!(status(&h, date!(2026 - 03 - 12)), S::Active);
    h.provisional_extension_weeks = 40;
    assert_eq!(status(&h, date!(2026 - 03 - 26)), S::Active);
}

#[test]
fn arrears_start_the_day_after_the_paid_up_date_and_lapse_six_months_later() {
    let mut h = MemberHistory::joined(date!(2024 - 01 - 01));
    h.paid_up_until = Some(date!(2026 - 01 - 30));
    assert_eq!(status(&h, date!(2026 - 01 - 30)), S::Active);
    let s = status_on(&h, date!(2026 - 01 - 31), &shipped_for_tests()).unwrap();
    assert_eq!((s.status, s.since), (S::InArrears, date!(2026 - 01 - 31)));
    assert_eq!(s.changes_on, Some(date!(2026 - 07 - 31)));
    assert_eq!(s.reasons.last().unwrap().clause, "2.IV.arrears");
    assert_eq!(status(&h, date!(2026 - 07 - 30)), S::InArrears);
    let s = status_on(&h, date!(2026 - 07 - 31), &shipped_for_tests()).unwrap();
    assert_eq!((s.status, s.since), (S::Lapsed, date!(2026 - 07 - 31)));
    assert_eq!(s.reasons.last().unwrap().clause, "2.IV.lapse");
    assert_eq!(s.continuous_since, None);
}

#[test]
fn arrears_from_the_last_day_of_august_lapse_at_the_end_of_february() {
    let mut h = MemberHistory::joined(date!(2020 - 01 - 01));
    h.paid_up_until = Some(date!(2027 - 08 - 30));
    // In arrears from 31 August 2027; six months on is 29 February 2028 (a leap year).
    assert_eq!(status(&h, date!(2028 - 02 - 28)), S::InArrears);
    assert_eq!(status(&h, date!(2028 - 02 - 29)), S::Lapsed);
}

#[test]
fn suspension_holds_until_lifted_and_keeps_continuity() {
    let mut h = MemberHistory::joined(date!(2020 - 01 - 01));
    h.paid_up_until = Some(date!(2030 - 01 - 01));
    h.transitions = vec![
        t(date!(2025 - 05 - 01), S::Suspended, R::ComplaintSuspension),
        t(date!(2026 - 02 - 01), S::Active, R::SuspensionLifted),
    ];
    let s = status_on(&h, date!(2025 - 12 - 01), &shipped_for_tests()).unwrap();
    assert_eq!((s.status, s.since), (S::Suspended, date!(2025 - 05 - 01)));
    assert_eq!(s.reasons[0].clause, "6.I.suspension");
    assert_eq!(s.changes_on, None);
    let s = status_on(&h, date!(2026 - 02 - 01), &shipped_for_tests()).unwrap();
    assert_eq!(s.status, S::Active);
    assert_eq!(s.continuous_since, Some(date!(2020 - 01 - 01)));
}

#[test]
fn rejoining_after_a_lapse_starts_a_new_provisional_period_and_resets_continuity() {
    let mut h = MemberHistory::joined(date!(2015 - 01 - 01));
    h.paid_up_until = Some(date!(2030 - 01 - 01));
    h.transitions = vec![
        t(date!(2022 - 07 - 01), S::Lapsed, R::GraceExpired),
        t(date!(2026 - 03 - 10), S::Provisional, R::Rejoined),
    ];
    let s = status_on(&h, date!(2026 - 03 - 10), &shipped_for_tests()).unwrap();
    assert_eq!(s.status, S::Provisional);
    assert_eq!(s.continuous_since, Some(date!(2026 - 03 - 10)));
    assert_eq!(s.reasons[0].clause, "2.IV.rejoin");
    assert_eq!(status(&h, date!(2026 - 05 - 05)), S::Active);
    assert_eq!(status(&h, date!(2024 - 01 - 01)), S::Lapsed);
}

#[test]
fn a_recorded_renewal_ends_the_arrears() {
    let mut h = MemberHistory::joined(date!(2020 - 01 - 01));
    h.paid_up_until = Some(date!(2027 - 01 - 31));
    h.transitions = vec![
        t(date!(2026 - 02 - 01), S::InArrears, R::PaymentMissed),
        t(date!(2026 - 03 - 15), S::Active, R::Renewed),
    ];
    assert_eq!(status(&h, date!(2026 - 03 - 14)), S::InArrears);
    assert_eq!(status(&h, date!(2026 - 03 - 15)), S::Active);
    assert_eq!(status(&h, date!(2027 - 02 - 01)), S::InArrears);
}

#[test]
fn two_transitions_on_one_day_resolve_to_the_later_listed() {
    let mut h = MemberHistory::joined(date!(2020 - 01 - 01));
    h.transitions = vec![
        t(date!(2026 - 01 - 01), S::Suspended, R::ComplaintSuspension),
        t(date!(2026 - 01 - 01), S::Expelled, R::ExpelledNecFastTrack),
    ];
    assert_eq!(status(&h, date!(2026 - 01 - 01)), S::Expelled);
}

#[test]
fn an_imported_member_without_payment_data_stays_active() {
    let mut h = MemberHistory::joined(date!(2010 - 05 - 01));
    h.transitions = vec![t(date!(2026 - 11 - 01), S::Active, R::Imported)];
    let s = status_on(&h, date!(2040 - 01 - 01), &shipped_for_tests()).unwrap();
    assert_eq!(
        (s.status, s.since, s.changes_on),
        (S::Active, date!(2026 - 11 - 01), None)
    );
    assert_eq!(s.reasons[0].clause, "register.import");
    assert_eq!(s.continuous_since, Some(date!(2010 - 05 - 01)));
}

#[test]
fn a_change_is_checked_against_the_status_on_its_date() {
    let book = shipped_for_tests();
    let mut h = MemberHistory::joined(date!(2020 - 01 - 01));
    h.paid_up_until = Some(date!(2025 - 12 - 31));
    // In arrears from 1 January 2026, so the grace period runs to 1 July 2026.
    let early = check_change(
        &h,
        S::Lapsed,
        R::GraceExpired,
        date!(2026 - 06 - 30),
        Default::default(),
        &book,
    );
    assert!(!early.allowed);
    assert!(early.reasons[0].message.contains("runs until 2026-07-01"));
    let joined = MemberHistory::joined(date!(2026 - 01 - 01));
    let before = check_change(
        &joined,
        S::Provisional,
        R::Joined,
        date!(2025 - 12 - 31),
        Default::default(),
        &book,
    );
    assert!(before.allowed);
    let reject = check_change(
        &joined,
        S::Rejected,
        R::RejectedProvisional,
        date!(2026 - 02 - 01),
        Default::default(),
        &book,
    );
    assert!(reject.allowed);
}

#[test]
fn an_imported_provisional_member_keeps_the_period_that_began_on_joining() {
    let mut h = MemberHistory::joined(date!(2026 - 11 - 01));
    h.transitions = vec![t(date!(2026 - 11 - 22), S::Provisional, R::Imported)];
    let s = status_on(&h, date!(2026 - 11 - 22), &shipped_for_tests()).unwrap();
    assert_eq!(
        (s.status, s.changes_on),
        (S::Provisional, Some(date!(2026 - 12 - 27)))
    );
    assert_eq!(status(&h, date!(2026 - 12 - 27)), S::Active);
}

#[test]
fn a_later_continuity_date_does_not_hide_an_earlier_spell() {
    let mut h = MemberHistory::joined(date!(2015 - 01 - 01));
    h.continuous_since = Some(date!(2024 - 06 - 01));
    h.transitions = vec![
        t(date!(2022 - 01 - 01), S::Lapsed, R::GraceExpired),
        t(date!(2024 - 06 - 01), S::Provisional, R::Rejoined),
    ];
    let book = shipped_for_tests();
    assert_eq!(
        status_on(&h, date!(2020 - 01 - 01), &book)
            .unwrap()
            .continuous_since,
        Some(date!(2015 - 01 - 01))
    );
    assert_eq!(
        status_on(&h, date!(2026 - 01 - 01), &book)
            .unwrap()
            .continuous_since,
        Some(date!(2024 - 06 - 01))
    );
}

#[test]
fn the_rejection_window_of_an_imported_provisional_member_runs_from_joining() {
    let book = shipped_for_tests();
    let mut h = MemberHistory::joined(date!(2026 - 11 - 01));
    h.transitions = vec![t(date!(2026 - 11 - 22), S::Provisional, R::Imported)];
    let on_time = check_change(
        &h,
        S::Rejected,
        R::RejectedProvisional,
        date!(2026 - 12 - 26),
        Default::default(),
        &book,
    );
    assert!(on_time.allowed);
    // From 27 December the member is active, so the rejection is refused as from the wrong status.
    let late = check_change(
        &h,
        S::Rejected,
        R::RejectedProvisional,
        date!(2026 - 12 - 27),
        Default::default(),
        &book,
    );
    assert!(!late.allowed);
    assert_eq!(late.reasons[0].clause, "2.I.rejection");
}

// ---- properties -------------------------------------------------------------------------------

fn any_date() -> impl Strategy<Value = Date> {
    // 2019-01-01 to about 2034: several leap days and every kind of month end.
    (0i64..5_500).prop_map(|d| add_days(date!(2019 - 01 - 01), d))
}

fn month_end_date() -> impl Strategy<Value = Date> {
    (2019i32..2034, 1u8..=12).prop_map(|(y, m)| {
        let month = time::Month::try_from(m).unwrap();
        Date::from_calendar_date(y, month, month.length(y)).unwrap()
    })
}

fn any_status() -> impl Strategy<Value = MemberStatus> {
    proptest::sample::select(MemberStatus::ALL.to_vec())
}

fn any_reason() -> impl Strategy<Value = TransitionReason> {
    proptest::sample::select(TransitionReason::ALL.to_vec())
}

fn any_history() -> impl Strategy<Value = MemberHistory> {
    (
        any_date(),
        proptest::option::of(any_date()),
        0u32..8,
        proptest::collection::vec((any_date(), any_status(), any_reason()), 0..6),
    )
        .prop_map(|(joined_on, paid_up_until, ext, ts)| MemberHistory {
            joined_on,
            continuous_since: None,
            paid_up_until,
            provisional_extension_weeks: ext,
            transitions: ts.into_iter().map(|(d, s, r)| t(d, s, r)).collect(),
        })
}

fn rank(s: MemberStatus) -> u8 {
    match s {
        S::Provisional => 0,
        S::Active => 1,
        S::InArrears => 2,
        S::Lapsed => 3,
        _ => 9,
    }
}

proptest! {
    #[test]
    fn the_day_before_the_provisional_period_ends_is_provisional_and_the_day_it_ends_is_active(
        joined in any_date(), ext in 0u32..=4
    ) {
        let book = shipped_for_tests();
        let mut h = MemberHistory::joined(joined);
        h.provisional_extension_weeks = ext;
        let end = add_days(joined, i64::from(7 * (8 + ext)));
        prop_assert_eq!(status_on(&h, add_days(end, -1), &book).unwrap().status, S::Provisional);
        prop_assert_eq!(status_on(&h, add_days(end, -1), &book).unwrap().changes_on, Some(end));
        let s = status_on(&h, end, &book).unwrap();
        prop_assert_eq!((s.status, s.since), (S::Active, end));
    }

    #[test]
    fn an_explicit_later_transition_always_wins_on_its_own_day(
        mut h in any_history(), status in any_status(), reason in any_reason(), gap in 1i64..400
    ) {
        let book = shipped_for_tests();
        let last = h.transitions.iter().map(|t| t.effective_on).max().unwrap_or(h.joined_on).max(h.joined_on);
        let day = add_days(last, gap);
        h.transitions.push(t(day, status, reason));
        let s = status_on(&h, day, &book).unwrap();
        prop_assert_eq!((s.status, s.since), (status, day));
        prop_assert_eq!(s.reasons[0].clause.as_str(), reason.clause());
    }

    #[test]
    fn without_recorded_transitions_the_status_only_moves_forward(
        joined in any_date(), paid in proptest::option::of(any_date()), ext in 0u32..=4,
        a in 0i64..4_000, b in 0i64..4_000
    ) {
        let book = shipped_for_tests();
        let h = MemberHistory { joined_on: joined, continuous_since: None, paid_up_until: paid,
            provisional_extension_weeks: ext, transitions: vec![] };
        let (early, late) = (add_days(joined, a.min(b)), add_days(joined, a.max(b)));
        let se = status_on(&h, early, &book).unwrap();
        let sl = status_on(&h, late, &book).unwrap();
        prop_assert!(rank(se.status) <= rank(sl.status));
        prop_assert!(se.since <= sl.since);
        prop_assert!(sl.since <= late);
    }

    #[test]
    fn a_member_paid_up_to_a_month_end_lapses_exactly_at_the_end_of_the_grace_period(
        paid in month_end_date()
    ) {
        let book = shipped_for_tests();
        let mut h = MemberHistory::joined(date!(2018 - 01 - 01));
        h.paid_up_until = Some(paid);
        let arrears = add_days(paid, 1);
        let lapse = add_months(arrears, 6);
        prop_assert_eq!(status_on(&h, paid, &book).unwrap().status, S::Active);
        prop_assert_eq!(status_on(&h, arrears, &book).unwrap().status, S::InArrears);
        prop_assert_eq!(status_on(&h, add_days(lapse, -1), &book).unwrap().status, S::InArrears);
        let s = status_on(&h, lapse, &book).unwrap();
        prop_assert_eq!((s.status, s.since), (S::Lapsed, lapse));
        prop_assert_eq!(lapse.day(), 1);
    }

    #[test]
    fn ending_statuses_stay_as_recorded_for_ever(
        joined in any_date(),
        ending in proptest::sample::select(vec![S::Expelled, S::Excluded, S::Rejected, S::Resigned, S::Deceased, S::Suspended]),
        gap in 0i64..300, later in 0i64..5_000, paid in proptest::option::of(any_date())
    ) {
        let book = shipped_for_tests();
        let mut h = MemberHistory::joined(joined);
        h.paid_up_until = paid;
        let day = add_days(joined, gap);
        h.transitions.push(t(day, ending, R::Corrected));
        let s = status_on(&h, add_days(day, later), &book).unwrap();
        prop_assert_eq!((s.status, s.since, s.changes_on), (ending, day, None));
    }

    #[test]
    fn suspension_then_reinstatement_returns_to_the_derived_course(
        joined in any_date(), start in 60i64..2_000, length in 1i64..600, probe in 0i64..2_000
    ) {
        let book = shipped_for_tests();
        let mut h = MemberHistory::joined(joined);
        h.paid_up_until = Some(add_days(joined, 9_000));
        let suspended = add_days(joined, start);
        let lifted = add_days(suspended, length);
        h.transitions = vec![
            t(suspended, S::Suspended, R::ComplaintSuspension),
            t(lifted, S::Active, R::SuspensionLifted),
        ];
        let day = add_days(suspended, probe);
        let s = status_on(&h, day, &book).unwrap();
        let expected = if day < lifted { S::Suspended } else { S::Active };
        prop_assert_eq!(s.status, expected);
        prop_assert_eq!(s.continuous_since, Some(joined));
    }

    #[test]
    fn rejoining_resets_continuity_to_the_rejoining_day(
        joined in any_date(), lapse_after in 100i64..2_000, rejoin_after in 1i64..2_000, probe in 0i64..1_000
    ) {
        let book = shipped_for_tests();
        let mut h = MemberHistory::joined(joined);
        let lapsed = add_days(joined, lapse_after);
        let rejoined = add_days(lapsed, rejoin_after);
        h.transitions = vec![
            t(lapsed, S::Lapsed, R::GraceExpired),
            t(rejoined, S::Provisional, R::Rejoined),
        ];
        let s = status_on(&h, add_days(rejoined, probe), &book).unwrap();
        prop_assert_eq!(s.continuous_since, Some(rejoined));
        let expected = if probe < 56 { S::Provisional } else { S::Active };
        prop_assert_eq!(s.status, expected);
        prop_assert_eq!(status_on(&h, add_days(rejoined, -1), &book).unwrap().continuous_since, None);
    }

    #[test]
    fn what_the_register_said_on_a_date_is_not_changed_by_later_transitions(
        h in any_history(), on in any_date(), status in any_status(), reason in any_reason(), gap in 1i64..1_000
    ) {
        let book = shipped_for_tests();
        let before = status_on(&h, on, &book);
        let mut later = h.clone();
        later.transitions.insert(0, t(add_days(on, gap), status, reason));
        prop_assert_eq!(status_on(&later, on, &book), before);
    }

    #[test]
    fn the_status_function_never_panics_and_since_is_never_after_the_date(
        h in any_history(), on in any_date()
    ) {
        let book = shipped_for_tests();
        if let Some(s) = status_on(&h, on, &book) {
            prop_assert!(s.since <= on);
            prop_assert!(s.changes_on.is_none_or(|c| c > on));
            prop_assert!(!s.reasons.is_empty());
            for r in &s.reasons {
                prop_assert!(book.clause(&r.clause).is_some(), "unknown clause {}", r.clause);
            }
        } else {
            prop_assert!(on < h.joined_on);
        }
    }
}

#[test]
fn an_import_records_only_what_the_rules_do_not_derive() {
    let book = shipped_for_tests();
    let today = date!(2026 - 11 - 23);
    let joined = date!(2001 - 03 - 05);
    let recorded = |paid: Option<Date>, asserted: MemberStatus| {
        imported_history(joined, paid, asserted, today, &book)
            .into_iter()
            .map(|t| (t.effective_on, t.status, t.reason))
            .collect::<Vec<_>>()
    };
    let joining = (joined, S::Provisional, R::Joined);
    // Paid ahead: active since the provisional period ended, as the rules say.
    assert_eq!(
        recorded(Some(date!(2027 - 03 - 01)), S::Active),
        vec![joining]
    );
    let mut h = MemberHistory::joined(joined);
    h.paid_up_until = Some(date!(2027 - 03 - 01));
    h.transitions = vec![t(joined, S::Provisional, R::Joined)];
    let s = status_on(&h, today, &book).unwrap();
    assert_eq!((s.status, s.since), (S::Active, date!(2001 - 04 - 30)));
    // Paid up to September: in arrears since 1 October, derived.
    assert_eq!(
        recorded(Some(date!(2026 - 09 - 30)), S::InArrears),
        vec![joining]
    );
    // The source says lapsed though the grace period still runs: the source is recorded.
    assert_eq!(
        recorded(Some(date!(2026 - 09 - 30)), S::Lapsed),
        vec![joining, (today, S::Lapsed, R::Imported)]
    );
    // Nothing derives a resignation or a suspension.
    for s in [S::Resigned, S::Suspended, S::Deceased, S::Expelled] {
        assert_eq!(
            recorded(Some(date!(2027 - 03 - 01)), s),
            vec![joining, (today, s, R::Imported)]
        );
    }
    // A recent joiner the source calls active is recorded so; a provisional status never is.
    let recent = imported_history(date!(2026 - 11 - 01), None, S::Active, today, &book);
    assert_eq!(recent.len(), 2);
    assert_eq!(
        recorded(Some(date!(2027 - 03 - 01)), S::Provisional),
        vec![joining]
    );
}

#[test]
fn an_update_from_the_source_records_only_what_the_rules_do_not_derive() {
    let book = shipped_for_tests();
    let today = date!(2026 - 11 - 23);
    let joined = date!(2001 - 03 - 05);
    let member = |paid: Date, extra: &[Transition]| {
        let mut h = MemberHistory::joined(joined);
        h.paid_up_until = Some(paid);
        h.transitions = vec![t(joined, S::Provisional, R::Joined)];
        h.transitions.extend_from_slice(extra);
        h
    };
    let change = |h: &MemberHistory, asserted| imported_change(h, asserted, today, &book);
    // In arrears until the source brings a new paid-up date: the renewal is derived, not recorded.
    let arrears = member(date!(2026 - 09 - 30), &[]);
    assert_eq!(
        status_on(&arrears, today, &book).unwrap().status,
        S::InArrears
    );
    assert_eq!(change(&arrears, S::InArrears), None);
    let renewed = member(date!(2027 - 09 - 30), &[]);
    assert_eq!(change(&renewed, S::Active), None);
    // The source ends a recorded suspension, or says what no rule derives: recorded from today.
    let suspended = member(
        date!(2027 - 09 - 30),
        &[t(date!(2025 - 01 - 10), S::Suspended, R::Imported)],
    );
    assert_eq!(
        change(&suspended, S::Active),
        Some(t(today, S::Active, R::Imported))
    );
    assert_eq!(
        change(&renewed, S::Resigned),
        Some(t(today, S::Resigned, R::Imported))
    );
    assert_eq!(
        change(&arrears, S::Lapsed),
        Some(t(today, S::Lapsed, R::Imported))
    );
    // A provisional status is never recorded.
    assert_eq!(change(&suspended, S::Provisional), None);
}
