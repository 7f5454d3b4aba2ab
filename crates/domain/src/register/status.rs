//! A member's status on any date, as a pure function of their recorded history and the rulebook:
//! the latest recorded transition on or before the date, then the moves nobody records (provisional
//! to active, active to in arrears, in arrears to lapsed) applied as time passes.
//!
//! Date rules: the provisional period ends (the member is active) on the day `weeks` (+ extension)
//! weeks after the membership spell began (joining, rejoining, readmission); a member is in arrears
//! from the day after their paid-up-until date; they lapse `grace_months` calendar months after the
//! arrears began (month ends clamp, see `calendar`).
//! A status always holds on the day it begins, so a recorded transition is what the register shows on
//! its own date.
use time::Date;

use crate::calendar::{add_days, add_months};
use crate::decision::{Decision, Reason};
use crate::register::lifecycle::{
    check_transition, provisional_end, TransitionFacts, TransitionReason,
};
use crate::register::member::MemberStatus;
use crate::rulebook::{self as clauses, Rulebook};

/// One recorded change of status, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub effective_on: Date,
    pub status: MemberStatus,
    pub reason: TransitionReason,
}

/// Everything the status depends on. Plain data: a store row and its transitions map onto it.
///
/// `paid_up_until` is the current value: derived arrears on past dates are exact only when payments
/// made late were recorded as `renewed` transitions (the store does so when dues arrive in arrears).
/// `provisional_extension_weeks` extends the latest provisional period (capped by the rulebook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberHistory {
    pub joined_on: Date,
    pub continuous_since: Option<Date>,
    pub paid_up_until: Option<Date>,
    pub provisional_extension_weeks: u32,
    pub transitions: Vec<Transition>,
}

impl MemberHistory {
    /// A member who joined on `joined_on` with nothing else recorded.
    pub fn joined(joined_on: Date) -> Self {
        MemberHistory {
            joined_on,
            continuous_since: None,
            paid_up_until: None,
            provisional_extension_weeks: 0,
            transitions: Vec::new(),
        }
    }
}

/// A member's status on a date, with why and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOn {
    pub status: MemberStatus,
    /// The first day of this status.
    pub since: Date,
    /// The day this status will change by itself if nothing is recorded meanwhile (the end of the
    /// provisional period, the first day of arrears, the day of lapse); `None` if it will not.
    pub changes_on: Option<Date>,
    /// Start of the current unbroken membership, for rules on continuous membership; `None` when the
    /// status is not that of a member.
    pub continuous_since: Option<Date>,
    pub reasons: Vec<Reason>,
}

/// The status on `on`, or `None` if the person was not yet on the register that day.
pub fn status_on(history: &MemberHistory, on: Date, rulebook: &Rulebook) -> Option<StatusOn> {
    // The latest transition on or before the date; of two on the same day, the one listed later.
    let recorded = history
        .transitions
        .iter()
        .enumerate()
        .filter(|(_, t)| t.effective_on <= on)
        .max_by_key(|(i, t)| (t.effective_on, *i))
        .map(|(_, t)| t);
    let (status, since, first_reason) = match recorded {
        Some(t) => (
            t.status,
            t.effective_on,
            Reason::new(
                t.reason.clause(),
                format!(
                    "recorded as {} from {} ({})",
                    t.status, t.effective_on, t.reason
                ),
            ),
        ),
        None if on >= history.joined_on => (
            MemberStatus::Provisional,
            history.joined_on,
            Reason::new(
                clauses::PROVISIONAL,
                format!("provisional from joining on {}", history.joined_on),
            ),
        ),
        None => return None,
    };
    let mut state = Derivation {
        status,
        since,
        provisional_from: spell_start(history, since),
        changes_on: None,
        reasons: vec![first_reason],
    };
    state.advance(history, on, rulebook);
    let continuous_since = if state.status.is_member() {
        Some(continuity_start(history, on, rulebook))
    } else {
        None
    };
    Some(StatusOn {
        status: state.status,
        since: state.since,
        changes_on: state.changes_on,
        continuous_since,
        reasons: state.reasons,
    })
}

struct Derivation {
    status: MemberStatus,
    since: Date,
    /// Where the provisional period is counted from: the start of the membership spell, so that a
    /// provisional status carried over by an import keeps the period that began on joining.
    provisional_from: Date,
    changes_on: Option<Date>,
    reasons: Vec<Reason>,
}

impl Derivation {
    /// Applies the unrecorded moves that have happened by `on`, each at most once and in order, so
    /// the loop ends after at most three steps.
    fn advance(&mut self, history: &MemberHistory, on: Date, rulebook: &Rulebook) {
        loop {
            let next = match self.status {
                MemberStatus::Provisional => {
                    // The status holds at least on its recorded day, like every other.
                    let end = provisional_end(
                        self.provisional_from,
                        history.provisional_extension_weeks,
                        rulebook,
                    )
                    .max(add_days(self.since, 1));
                    Some((
                        MemberStatus::Active,
                        end,
                        Reason::new(
                            clauses::PROVISIONAL,
                            format!("provisional period ended on {end}"),
                        ),
                    ))
                }
                MemberStatus::Active => history.paid_up_until.map(|paid| {
                    let from = add_days(paid, 1).max(add_days(self.since, 1));
                    (
                        MemberStatus::InArrears,
                        from,
                        Reason::new(
                            clauses::ARREARS,
                            format!("paid up until {paid}: in arrears from {from}"),
                        ),
                    )
                }),
                MemberStatus::InArrears => {
                    let months = rulebook.lapse().grace_months;
                    let lapses_on =
                        add_months(self.since, months as i32).max(add_days(self.since, 1));
                    Some((MemberStatus::Lapsed, lapses_on, Reason::new(
                        clauses::LAPSE,
                        format!("in arrears for the {months}-month grace period: lapsed on {lapses_on}"),
                    )))
                }
                _ => None,
            };
            match next {
                Some((status, from, reason)) if from <= on => {
                    self.status = status;
                    self.since = from;
                    self.reasons.push(reason);
                }
                Some((_, from, _)) => {
                    self.changes_on = Some(from);
                    return;
                }
                None => return,
            }
        }
    }
}

/// Whether the member whose history this is may be recorded as moving to `to` on `on` for `reason`:
/// `check_transition` from their status on that date, with the start of that status and their
/// provisional extension taken from the history (the other facts as given).
pub fn check_change(
    history: &MemberHistory,
    to: MemberStatus,
    reason: TransitionReason,
    on: Date,
    facts: TransitionFacts,
    rulebook: &Rulebook,
) -> Decision {
    let current = status_on(history, on, rulebook);
    // A provisional period is counted from the start of the spell, as in `status_on`.
    let since = current.as_ref().map(|s| match s.status {
        MemberStatus::Provisional => spell_start(history, s.since),
        _ => s.since,
    });
    let facts = TransitionFacts {
        status_since: since,
        provisional_extension_weeks: history.provisional_extension_weeks,
        ..facts
    };
    check_transition(current.map(|s| s.status), to, reason, on, &facts, rulebook)
}

/// What an import records for a new member: provisional from joining, then the source's status as
/// `imported_change` would record it. So a long-standing active member's history shows the end of
/// their provisional period, and a member in arrears the day their arrears began, each with its
/// clause, rather than a status that seems to begin on the day of the import.
pub fn imported_history(
    joined_on: Date,
    paid_up_until: Option<Date>,
    asserted: MemberStatus,
    today: Date,
    rulebook: &Rulebook,
) -> Vec<Transition> {
    let mut history = MemberHistory::joined(joined_on);
    history.paid_up_until = paid_up_until;
    history.transitions.push(Transition {
        effective_on: joined_on,
        status: MemberStatus::Provisional,
        reason: TransitionReason::Joined,
    });
    if let Some(change) = imported_change(&history, asserted, today, rulebook) {
        history.transitions.push(change);
    }
    history.transitions
}

/// What an import records when its source says a member's status is `asserted` on `today`, given
/// their history so far (with the source's dates, such as a new paid-up date): nothing where the
/// rules, run over that history, arrive at the status themselves, so that arrears keep the day they
/// began and a renewal needs no entry; nothing for a provisional status, whose period runs from
/// joining whatever the source says; otherwise the asserted status, imported, from `today` (or
/// joining, if later).
pub fn imported_change(
    history: &MemberHistory,
    asserted: MemberStatus,
    today: Date,
    rulebook: &Rulebook,
) -> Option<Transition> {
    let on = today.max(history.joined_on);
    let derived = status_on(history, on, rulebook).map(|s| s.status);
    (asserted != MemberStatus::Provisional && derived != Some(asserted)).then_some(Transition {
        effective_on: on,
        status: asserted,
        reason: TransitionReason::Imported,
    })
}

/// The start of the membership spell that includes `day`: joining, or the latest rejoining,
/// readmission or overturned rejection on or before it (each starts a provisional period afresh).
fn spell_start(history: &MemberHistory, day: Date) -> Date {
    history
        .transitions
        .iter()
        .filter(|t| {
            t.effective_on <= day
                && matches!(
                    t.reason,
                    TransitionReason::Joined
                        | TransitionReason::Rejoined
                        | TransitionReason::ReadmittedNec
                        | TransitionReason::RejectionOverturned
                )
        })
        .map(|t| t.effective_on)
        .fold(history.joined_on.min(day), Date::max)
}

/// The start of the member's current unbroken membership on `on`: the recorded `continuous_since`
/// (or the joining date), moved forward to the latest rejoining or readmission where the rulebook
/// says these reset continuity.
fn continuity_start(history: &MemberHistory, on: Date, rulebook: &Rulebook) -> Date {
    // A recorded continuity date after `on` belongs to a later spell: for an earlier date, count
    // from joining (and the resets before that date).
    let recorded = history
        .continuous_since
        .filter(|since| *since <= on)
        .unwrap_or(history.joined_on);
    if !rulebook.rejoin_resets_continuity() {
        return recorded;
    }
    history
        .transitions
        .iter()
        .filter(|t| t.effective_on <= on && t.reason.starts_new_membership())
        .map(|t| t.effective_on)
        .fold(recorded, Date::max)
}

#[cfg(test)]
mod tests;
