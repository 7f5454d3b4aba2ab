//! The member lifecycle of SPEC 3.3 as a state machine: which recorded transitions are allowed, from
//! which status, for which reason, and with which clause. The store records transitions only after
//! `check_transition` allows them; `status` derives the moves nobody records (provisional to active,
//! arrears, lapse).
use time::Date;

use crate::calendar::{add_months, add_weeks};
use crate::decision::{Decision, Reason};
use crate::member::MemberStatus;
use crate::rulebook::{self as clauses, Rulebook};

crate::spelled_enum!(
    /// Why a member's status changed: recorded with every transition.
    TransitionReason, "transition reason" {
        Joined => "joined",
        ProvisionalEnded => "provisional_ended",
        Renewed => "renewed",
        PaymentMissed => "payment_missed",
        GraceExpired => "grace_expired",
        ComplaintSuspension => "complaint_suspension",
        SuspensionLifted => "suspension_lifted",
        ExpelledNcc => "expelled_ncc",
        ExpelledNecFastTrack => "expelled_nec_fast_track",
        ProhibitedAct => "prohibited_act",
        RejectedProvisional => "rejected_provisional",
        RejectionOverturned => "rejection_overturned",
        Resigned => "resigned",
        Deceased => "deceased",
        ReadmittedNec => "readmitted_nec",
        Rejoined => "rejoined",
        Imported => "imported",
        Corrected => "corrected",
    }
);

use MemberStatus as S;

impl TransitionReason {
    /// The clause that authorises transitions for this reason.
    pub fn clause(self) -> &'static str {
        use TransitionReason as R;
        match self {
            R::Joined | R::ProvisionalEnded => clauses::PROVISIONAL,
            R::Renewed | R::PaymentMissed => clauses::ARREARS,
            R::GraceExpired => clauses::LAPSE,
            R::ComplaintSuspension | R::SuspensionLifted => clauses::SUSPENSION,
            R::ExpelledNcc | R::ExpelledNecFastTrack => clauses::SANCTIONS,
            R::ProhibitedAct => clauses::PROHIBITED_ACTS,
            R::RejectedProvisional | R::RejectionOverturned => clauses::REJECTION,
            R::Resigned | R::Deceased => clauses::ENDED,
            R::ReadmittedNec => clauses::READMISSION,
            R::Rejoined => clauses::REJOIN,
            R::Imported => clauses::IMPORT,
            R::Corrected => clauses::CORRECTION,
        }
    }

    /// Whether a transition for this reason starts a new spell of membership, so that continuity
    /// restarts (where the rulebook says rejoining resets it).
    pub fn starts_new_membership(self) -> bool {
        matches!(
            self,
            TransitionReason::Rejoined | TransitionReason::ReadmittedNec
        )
    }

    /// The statuses a member may move from (`None` in the list: not yet on the register) and the
    /// status they move to, for this reason. `None` as the target means any status (imports and
    /// corrections record what another authority decided).
    fn shape(self) -> (&'static [Option<MemberStatus>], Option<MemberStatus>) {
        use TransitionReason as R;
        const NONE: &[Option<MemberStatus>] = &[None];
        const PROVISIONAL: &[Option<MemberStatus>] = &[Some(S::Provisional)];
        const ACTIVE: &[Option<MemberStatus>] = &[Some(S::Active)];
        const IN_ARREARS: &[Option<MemberStatus>] = &[Some(S::InArrears)];
        const SUSPENDED: &[Option<MemberStatus>] = &[Some(S::Suspended)];
        const REJECTED: &[Option<MemberStatus>] = &[Some(S::Rejected)];
        const ARREARS_OR_ACTIVE: &[Option<MemberStatus>] = &[Some(S::Active), Some(S::InArrears)];
        const EXPELLABLE: &[Option<MemberStatus>] =
            &[Some(S::Active), Some(S::InArrears), Some(S::Suspended)];
        const ENDABLE: &[Option<MemberStatus>] = &[
            Some(S::Provisional),
            Some(S::Active),
            Some(S::InArrears),
            Some(S::Suspended),
        ];
        const EXCLUDABLE: &[Option<MemberStatus>] = &[
            Some(S::Provisional),
            Some(S::Active),
            Some(S::InArrears),
            Some(S::Lapsed),
            Some(S::Suspended),
            Some(S::Expelled),
            Some(S::Rejected),
            Some(S::Resigned),
        ];
        const DYING: &[Option<MemberStatus>] = &[
            Some(S::Provisional),
            Some(S::Active),
            Some(S::InArrears),
            Some(S::Lapsed),
            Some(S::Suspended),
            Some(S::Expelled),
            Some(S::Excluded),
            Some(S::Rejected),
            Some(S::Resigned),
        ];
        const GONE: &[Option<MemberStatus>] = &[Some(S::Expelled), Some(S::Excluded)];
        const LEFT: &[Option<MemberStatus>] = &[Some(S::Lapsed), Some(S::Resigned), None];
        const ANY: &[Option<MemberStatus>] = &[
            None,
            Some(S::Provisional),
            Some(S::Active),
            Some(S::InArrears),
            Some(S::Lapsed),
            Some(S::Suspended),
            Some(S::Expelled),
            Some(S::Excluded),
            Some(S::Rejected),
            Some(S::Resigned),
            Some(S::Deceased),
        ];
        match self {
            R::Joined => (NONE, Some(S::Provisional)),
            R::ProvisionalEnded => (PROVISIONAL, Some(S::Active)),
            R::Renewed => (IN_ARREARS, Some(S::Active)),
            R::PaymentMissed => (ACTIVE, Some(S::InArrears)),
            R::GraceExpired => (IN_ARREARS, Some(S::Lapsed)),
            R::ComplaintSuspension => (ARREARS_OR_ACTIVE, Some(S::Suspended)),
            R::SuspensionLifted => (SUSPENDED, Some(S::Active)),
            R::ExpelledNcc | R::ExpelledNecFastTrack => (EXPELLABLE, Some(S::Expelled)),
            R::ProhibitedAct => (EXCLUDABLE, Some(S::Excluded)),
            R::RejectedProvisional => (PROVISIONAL, Some(S::Rejected)),
            R::RejectionOverturned => (REJECTED, Some(S::Provisional)),
            R::Resigned => (ENDABLE, Some(S::Resigned)),
            R::Deceased => (DYING, Some(S::Deceased)),
            R::ReadmittedNec => (GONE, Some(S::Provisional)),
            R::Rejoined => (LEFT, Some(S::Provisional)),
            R::Imported | R::Corrected => (ANY, None),
        }
    }
}

/// The facts a transition's conditions depend on, beyond the two statuses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransitionFacts {
    /// When the current status began (needed for the provisional period, the grace period and
    /// the readmission bar).
    pub status_since: Option<Date>,
    /// Weeks the provisional period was extended on objection.
    pub provisional_extension_weeks: u32,
    /// A recorded NEC decision authorising the transition (readmission, an appeal).
    pub nec_decision: bool,
    /// The NEC expressly decided to readmit before the usual minimum period.
    pub nec_waived_minimum: bool,
    /// The latest prohibited act on record, which bars an appeal against rejection for a while.
    pub last_prohibited_act_on: Option<Date>,
}

/// Whether a member may move from `from` (`None`: not on the register) to `to` on `on` for `reason`.
pub fn check_transition(
    from: Option<MemberStatus>,
    to: MemberStatus,
    reason: TransitionReason,
    on: Date,
    facts: &TransitionFacts,
    rulebook: &Rulebook,
) -> Decision {
    let clause = reason.clause();
    let (sources, target) = reason.shape();
    let from_text = from.map_or("not on the register".to_string(), |s| s.to_string());
    if target.is_some_and(|t| t != to) {
        return Decision::deny(vec![Reason::new(
            clause,
            format!(
                "the reason {reason} moves a member to {}, not to {to}",
                target.map_or("", |t| t.as_str())
            ),
        )]);
    }
    if !sources.contains(&from) {
        return Decision::deny(vec![Reason::new(
            clause,
            format!("a member who is {from_text} cannot become {to} for the reason {reason}"),
        )]);
    }
    if from == Some(to) && target.is_none() && from.is_some() {
        // An import or correction to the same status changes nothing, which is harmless.
        return Decision::allow(vec![Reason::new(clause, format!("status stays {to}"))]);
    }
    let conditions = match reason {
        TransitionReason::ProvisionalEnded | TransitionReason::RejectedProvisional => {
            provisional_period(reason, on, facts, rulebook)
        }
        TransitionReason::GraceExpired => grace_period(on, facts, rulebook),
        TransitionReason::ReadmittedNec => readmission(on, facts, rulebook),
        TransitionReason::RejectionOverturned => rejection_appeal(on, facts, rulebook),
        _ => Decision::allow(vec![]),
    };
    if !conditions.allowed {
        return conditions;
    }
    let mut reasons = vec![Reason::new(
        clause,
        format!("{from_text} to {to} for the reason {reason}"),
    )];
    reasons.extend(conditions.reasons);
    Decision::allow(reasons)
}

/// The date a provisional period that began on `since` ends (the first day of full membership).
pub fn provisional_end(since: Date, extension_weeks: u32, rulebook: &Rulebook) -> Date {
    let p = rulebook.provisional();
    let extension = extension_weeks.min(p.extension_weeks_max);
    add_weeks(since, i64::from(p.weeks + extension))
}

/// Whether the provisional period may be extended by `weeks` (on an objection).
pub fn check_provisional_extension(weeks: u32, rulebook: &Rulebook) -> Decision {
    let max = rulebook.provisional().extension_weeks_max;
    let reason = |m: String| vec![Reason::new(clauses::PROVISIONAL, m)];
    if weeks <= max {
        Decision::allow(reason(format!(
            "an extension of {weeks} weeks is within the {max} allowed"
        )))
    } else {
        Decision::deny(reason(format!(
            "the provisional period may be extended by at most {max} weeks, not {weeks}"
        )))
    }
}

fn provisional_period(
    reason: TransitionReason,
    on: Date,
    facts: &TransitionFacts,
    rulebook: &Rulebook,
) -> Decision {
    let Some(since) = facts.status_since else {
        return Decision::deny(vec![Reason::new(
            clauses::PROVISIONAL,
            "the start of the provisional period is not known",
        )]);
    };
    let end = provisional_end(since, facts.provisional_extension_weeks, rulebook);
    let ended = on >= end;
    match (reason, ended) {
        (TransitionReason::ProvisionalEnded, false) => Decision::deny(vec![Reason::new(
            clauses::PROVISIONAL,
            format!("the provisional period runs until {end}"),
        )]),
        (TransitionReason::RejectedProvisional, true) => Decision::deny(vec![Reason::new(
            clauses::REJECTION,
            format!(
                "a member can be rejected only during the provisional period, which ended on {end}"
            ),
        )]),
        _ => Decision::allow(vec![Reason::new(
            clauses::PROVISIONAL,
            format!("provisional period from {since} to {end}"),
        )]),
    }
}

fn grace_period(on: Date, facts: &TransitionFacts, rulebook: &Rulebook) -> Decision {
    let months = rulebook.lapse().grace_months;
    let Some(since) = facts.status_since else {
        return Decision::deny(vec![Reason::new(
            clauses::LAPSE,
            "the date the arrears began is not known",
        )]);
    };
    let lapses_on = add_months(since, months as i32);
    if on >= lapses_on {
        Decision::allow(vec![Reason::new(
            clauses::LAPSE,
            format!("in arrears since {since}, beyond the {months}-month grace period"),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clauses::LAPSE,
            format!("in arrears since {since}: the grace period of {months} months runs until {lapses_on}"),
        )])
    }
}

fn readmission(on: Date, facts: &TransitionFacts, rulebook: &Rulebook) -> Decision {
    let r = rulebook.readmission();
    if !facts.nec_decision {
        return Decision::deny(vec![Reason::new(
            clauses::READMISSION,
            format!(
                "readmission after expulsion or exclusion needs a decision of the {}",
                r.decided_by.to_uppercase()
            ),
        )]);
    }
    let Some(since) = facts.status_since else {
        return Decision::deny(vec![Reason::new(
            clauses::READMISSION,
            "the date of the expulsion or exclusion is not known",
        )]);
    };
    let earliest = add_months(since, (r.min_years * 12) as i32);
    if on >= earliest {
        Decision::allow(vec![Reason::new(
            clauses::READMISSION,
            format!(
                "readmitted by the NEC, {} years or more after {since}",
                r.min_years
            ),
        )])
    } else if facts.nec_waived_minimum {
        Decision::allow(vec![Reason::new(
            clauses::READMISSION,
            format!("readmitted by the NEC before the usual {} years (until {earliest}), by its express decision", r.min_years),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clauses::READMISSION,
            format!(
                "readmission is not normally considered before {earliest} ({} years after {since})",
                r.min_years
            ),
        )])
    }
}

fn rejection_appeal(on: Date, facts: &TransitionFacts, rulebook: &Rulebook) -> Decision {
    if !facts.nec_decision {
        return Decision::deny(vec![Reason::new(
            clauses::REJECTION,
            "overturning a rejection needs an NEC decision on appeal",
        )]);
    }
    let years = rulebook.rejection_appeal_bar_years();
    if let Some(act) = facts.last_prohibited_act_on {
        let bar_ends = add_months(act, (years * 12) as i32);
        if on < bar_ends {
            return Decision::deny(vec![Reason::new(
                clauses::REJECTION,
                format!("no appeal against rejection within {years} years of a prohibited act (on {act})"),
            )]);
        }
    }
    Decision::allow(vec![Reason::new(
        clauses::REJECTION,
        "rejection overturned by the NEC on appeal",
    )])
}

#[cfg(test)]
mod tests {
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
}
