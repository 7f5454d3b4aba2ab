//! The member lifecycle of SPEC 3.3 as a state machine: which recorded transitions are allowed, from
//! which status, for which reason, and with which clause. The store records transitions only after
//! `check_transition` allows them; `status` derives the moves nobody records (provisional to active,
//! arrears, lapse).
use time::Date;

use crate::calendar::{add_months, add_weeks};
use crate::decision::{Decision, Reason};
use crate::register::member::MemberStatus;
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
mod tests;
