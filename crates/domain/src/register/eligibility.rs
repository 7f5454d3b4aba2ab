//! Who may do what on a date: attend and vote at meetings, vote in a ballot judged at its freeze date,
//! hold office, stand for the candidates' panel. Each answer is a `Decision` whose reasons a member can
//! read ("not eligible: provisional until 2026-12-01") and which name their clauses.
use time::Date;

use crate::ballots::BallotType;
use crate::calendar::{add_months, has_lasted_months};
use crate::decision::{Decision, Reason};
use crate::register::member::MemberStatus;
use crate::register::membership_check::{dues_exceptions, MemberFacts};
use crate::register::status::{status_on, MemberHistory, StatusOn};
use crate::rulebook::{self as clauses, Rulebook};

fn deny(clause: &str, message: impl AsRef<str>) -> Decision {
    Decision::deny(vec![Reason::new(
        clause,
        format!("not eligible: {}", message.as_ref()),
    )])
}

fn allow(clause: &str, message: impl Into<String>) -> Decision {
    Decision::allow(vec![Reason::new(clause, message)])
}

/// The member's status on `on`, or the refusal for someone who is not a member that day.
fn member_on(history: &MemberHistory, on: Date, rulebook: &Rulebook) -> Result<StatusOn, Decision> {
    match status_on(history, on, rulebook) {
        None => Err(deny(clauses::CONDITIONS, format!("not a member on {on}"))),
        Some(s) if !s.status.is_member() => {
            let clause = s
                .reasons
                .last()
                .map_or(clauses::ENDED, |r| r.clause.as_str())
                .to_string();
            Err(deny(
                &clause,
                format!("{} since {}", words(s.status), s.since),
            ))
        }
        Some(s) => Ok(s),
    }
}

/// A status in words for a sentence ("in arrears", not "in_arrears").
fn words(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::InArrears => "in arrears",
        other => other.as_str(),
    }
}

fn provisional_until(s: &StatusOn) -> String {
    s.changes_on.map_or_else(
        || "provisional".to_string(),
        |d| format!("provisional until {d}"),
    )
}

fn in_unit(member_of_unit: bool, unit: &str) -> Decision {
    if member_of_unit {
        allow(
            clauses::BRANCH_MEMBERSHIP,
            format!("registered in the {unit}"),
        )
    } else {
        deny(
            clauses::BRANCH_MEMBERSHIP,
            format!("not registered at an address in the {unit}"),
        )
    }
}

fn good_standing(s: &StatusOn) -> Decision {
    allow(
        s.reasons
            .last()
            .map_or(clauses::PROVISIONAL, |r| r.clause.as_str()),
        format!("{} since {}", words(s.status), s.since),
    )
}

/// May the member attend a meeting of their branch on `on`? `member_of_branch`: their registered
/// address is in the branch's area (the caller knows the geography).
pub fn attend_branch_meeting(
    history: &MemberHistory,
    on: Date,
    member_of_branch: bool,
    rulebook: &Rulebook,
) -> Decision {
    attend_branch(
        &member_on(history, on, rulebook),
        member_of_branch,
        rulebook,
    )
}

/// `attend_branch_meeting` on a status already judged: a list judges each member's status once
/// for all its flags.
fn attend_branch(
    status: &Result<StatusOn, Decision>,
    member_of_branch: bool,
    rulebook: &Rulebook,
) -> Decision {
    let s = match status {
        Ok(s) => s,
        Err(refusal) => return refusal.clone(),
    };
    let standing = match s.status {
        MemberStatus::Suspended if !rulebook.suspension().may_attend_branch_meetings => deny(
            clauses::SUSPENSION_MEETINGS,
            format!("administratively suspended since {}", s.since),
        ),
        MemberStatus::InArrears if !rulebook.arrears().may_attend_meetings => {
            deny(clauses::ARREARS, format!("in arrears since {}", s.since))
        }
        _ => good_standing(s),
    };
    Decision::all([standing, in_unit(member_of_branch, "branch area")])
}

/// May the member attend a meeting of their CLP (General Committee or all-member meeting) on `on`?
pub fn attend_clp_meeting(
    history: &MemberHistory,
    on: Date,
    member_of_clp: bool,
    rulebook: &Rulebook,
) -> Decision {
    let s = match member_on(history, on, rulebook) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let standing = match s.status {
        MemberStatus::Provisional if !rulebook.provisional().may_attend_clp_meetings => {
            deny(clauses::PROVISIONAL, provisional_until(&s))
        }
        MemberStatus::Suspended if !rulebook.suspension().may_attend_clp_meetings => deny(
            clauses::SUSPENSION_MEETINGS,
            format!("administratively suspended since {}", s.since),
        ),
        MemberStatus::InArrears if !rulebook.arrears().may_attend_meetings => {
            deny(clauses::ARREARS, format!("in arrears since {}", s.since))
        }
        _ => good_standing(&s),
    };
    Decision::all([standing, in_unit(member_of_clp, "constituency")])
}

/// May the member vote at a meeting of their branch on `on`? Attendance, and the meeting rules of
/// `ballot.meeting` (no votes in arrears) and of provisional membership.
pub fn vote_at_branch_meeting(
    history: &MemberHistory,
    on: Date,
    member_of_branch: bool,
    rulebook: &Rulebook,
) -> Decision {
    let status = member_on(history, on, rulebook);
    let attend = attend_branch(&status, member_of_branch, rulebook);
    vote_branch(&status, attend, rulebook)
}

/// `vote_at_branch_meeting` on a status already judged, given the member's right to attend.
fn vote_branch(
    status: &Result<StatusOn, Decision>,
    attend: Decision,
    rulebook: &Rulebook,
) -> Decision {
    if !attend.allowed {
        return attend;
    }
    let Ok(s) = status else {
        return attend;
    };
    let meeting = rulebook.ballot(BallotType::Meeting);
    let vote = match s.status {
        MemberStatus::Provisional if !rulebook.provisional().may_vote_at_branch_meetings => {
            deny(clauses::PROVISIONAL, provisional_until(s))
        }
        MemberStatus::InArrears if !meeting.in_arrears_may_vote => {
            deny(&meeting.clause, format!("in arrears since {}", s.since))
        }
        _ => allow(&meeting.clause, "may vote at the meeting"),
    };
    Decision::all([attend, vote])
}

/// May the member vote in a ballot of `kind` whose roll is frozen on `freeze`? Judged on the status
/// and continuity of membership at the freeze date, by the ballot type's rules.
pub fn vote_in_ballot(
    history: &MemberHistory,
    kind: BallotType,
    freeze: Date,
    rulebook: &Rulebook,
) -> Decision {
    let rules = rulebook.ballot(kind);
    let s = match member_on(history, freeze, rulebook) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let standing = match s.status {
        MemberStatus::Provisional if !rulebook.provisional().may_vote_in_ballots => {
            deny(clauses::PROVISIONAL, format!("{} at the freeze date {freeze}", provisional_until(&s)))
        }
        MemberStatus::InArrears if !rules.in_arrears_may_vote => {
            deny(&rules.clause, format!("in arrears at the freeze date {freeze} (since {})", s.since))
        }
        MemberStatus::Suspended if !rules.all_member => deny(
            clauses::SUSPENSION_MEETINGS,
            format!("administratively suspended at the freeze date {freeze}; this is not an all-member ballot"),
        ),
        MemberStatus::Suspended if !rulebook.suspension().may_vote_in_all_member_ballots => {
            deny(clauses::SUSPENSION_OMOV, format!("administratively suspended at the freeze date {freeze}"))
        }
        MemberStatus::Suspended => allow(
            clauses::SUSPENSION_OMOV,
            "administratively suspended, but suspended members keep their vote in all-member ballots",
        ),
        _ => allow(&rules.clause, format!("{} at the freeze date {freeze}", words(s.status))),
    };
    let months = rules.min_continuous_months;
    let continuity = match s.continuous_since {
        _ if months == 0 => allow(&rules.clause, "no minimum period of membership"),
        Some(since) if has_lasted_months(since, freeze, months) => allow(
            &rules.clause,
            format!("a member continuously since {since}, at least {months} months before the freeze date"),
        ),
        Some(since) => deny(
            &rules.clause,
            format!(
                "a member continuously only since {since}; a {kind} ballot needs {months} months' membership at the freeze date {freeze} (reached on {})",
                add_months(since, months as i32)
            ),
        ),
        None => deny(&rules.clause, "no continuous membership at the freeze date"),
    };
    Decision::all([standing, continuity])
}

/// May a registered or affiliated supporter, registered on `registered_on`, vote in a ballot of `kind`
/// frozen on `freeze`? Only ballots the rulebook opens to supporters (leadership elections).
pub fn supporter_vote_in_ballot(
    kind: BallotType,
    registered_on: Date,
    freeze: Date,
    rulebook: &Rulebook,
) -> Decision {
    let rules = rulebook.ballot(kind);
    if !rules.supporters_may_vote {
        return deny(
            &rules.clause,
            format!("supporters do not vote in {kind} ballots"),
        );
    }
    if registered_on > freeze {
        return deny(
            &rules.clause,
            format!("registered as a supporter on {registered_on}, after the freeze date {freeze}"),
        );
    }
    allow(
        &rules.clause,
        format!("registered as a supporter on {registered_on}, by the freeze date {freeze}"),
    )
}

/// May the member hold (or be elected to) a party office on `on`?
pub fn hold_office(history: &MemberHistory, on: Date, rulebook: &Rulebook) -> Decision {
    office(&member_on(history, on, rulebook), rulebook)
}

/// `hold_office` on a status already judged.
fn office(status: &Result<StatusOn, Decision>, rulebook: &Rulebook) -> Decision {
    let s = match status {
        Ok(s) => s,
        Err(refusal) => return refusal.clone(),
    };
    match s.status {
        MemberStatus::Suspended if !rulebook.suspension().may_hold_office => deny(
            clauses::SUSPENSION_OFFICE,
            format!(
                "administratively suspended since {}; suspended members may not hold office",
                s.since
            ),
        ),
        MemberStatus::Provisional => deny(clauses::PROVISIONAL, provisional_until(s)),
        MemberStatus::InArrears if !rulebook.arrears().may_hold_office => {
            deny(clauses::ARREARS, format!("in arrears since {}", s.since))
        }
        _ => good_standing(s),
    }
}

/// The eligibility flags a branch membership list shows beside each member (SPEC 3.3), each with
/// its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFlags {
    pub can_attend: Decision,
    pub can_vote: Decision,
    pub can_hold_office: Decision,
}

/// The flags of one member on `on` for a list of the branch they are in (or not).
pub fn list_flags(
    history: &MemberHistory,
    on: Date,
    member_of_branch: bool,
    rulebook: &Rulebook,
) -> ListFlags {
    // The status is judged once: it replays the member's history and words its reasons.
    let status = member_on(history, on, rulebook);
    let can_attend = attend_branch(&status, member_of_branch, rulebook);
    ListFlags {
        can_vote: vote_branch(&status, can_attend.clone(), rulebook),
        can_hold_office: office(&status, rulebook),
        can_attend,
    }
}

/// The facts of an application to the panel of local government candidates (SPEC 3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelApplicant<'a> {
    pub history: &'a MemberHistory,
    pub member: &'a MemberFacts,
    /// The NEC approved an exception to the membership minimum.
    pub nec_waiver: bool,
    pub code_of_conduct_signed: bool,
    pub interests_register_complete: bool,
    /// Required training modules not yet completed (the training module works them out).
    pub training_outstanding: Vec<String>,
    /// Since when the applicant has been registered, living, working or owning property in the area.
    pub qualified_in_area_since: Option<Date>,
    pub standing_orders_undertaking: bool,
}

/// May the applicant go forward to the panel on `on`? Every gate is checked and every failure named.
pub fn stand_for_panel(a: &PanelApplicant<'_>, on: Date, rulebook: &Rulebook) -> Decision {
    let s = match member_on(a.history, on, rulebook) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let rule = rulebook.candidate_membership();
    let membership = match s.continuous_since {
        Some(since) if has_lasted_months(since, on, rule.min_continuous_months) => allow(
            clauses::CANDIDATE_MEMBERSHIP,
            format!("a member continuously since {since}"),
        ),
        _ if a.nec_waiver && rule.nec_waiver => allow(
            clauses::CANDIDATE_MEMBERSHIP,
            "the NEC approved an exception to the membership minimum",
        ),
        Some(since) => deny(
            clauses::CANDIDATE_MEMBERSHIP,
            format!(
                "{} months' continuous membership needed (a member continuously since {since}, so from {})",
                rule.min_continuous_months,
                add_months(since, rule.min_continuous_months as i32)
            ),
        ),
        None => deny(clauses::CANDIDATE_MEMBERSHIP, "no continuous membership"),
    };
    let not_suspended = if s.status == MemberStatus::Suspended {
        deny(
            clauses::CANDIDATE_NOT_SUSPENDED,
            format!("administratively suspended since {}", s.since),
        )
    } else {
        allow(clauses::CANDIDATE_NOT_SUSPENDED, "not suspended")
    };
    let declarations = match (a.code_of_conduct_signed, a.interests_register_complete) {
        (true, true) => allow(clauses::CANDIDATE_DECLARATIONS, "code of conduct signed and register of interests complete"),
        (false, true) => deny(clauses::CANDIDATE_DECLARATIONS, "the code of conduct declaration is not signed"),
        (true, false) => deny(clauses::CANDIDATE_DECLARATIONS, "the register of interests is not complete"),
        (false, false) => deny(
            clauses::CANDIDATE_DECLARATIONS,
            "the code of conduct declaration is not signed and the register of interests is not complete",
        ),
    };
    let training = if a.training_outstanding.is_empty() {
        allow(clauses::TRAINING, "required training complete")
    } else {
        deny(
            clauses::TRAINING,
            format!(
                "training outstanding: {}",
                a.training_outstanding.join(", ")
            ),
        )
    };
    let dues_problems = dues_exceptions(a.member, on, rulebook);
    let dues = if dues_problems.is_empty() {
        allow(
            clauses::CANDIDATE_DUES,
            "dues paid by direct debit at the correct rate",
        )
    } else {
        Decision::deny(
            dues_problems
                .into_iter()
                .map(|e| {
                    Reason::new(
                        clauses::CANDIDATE_DUES,
                        format!("not eligible: {}", e.reason.message),
                    )
                })
                .collect(),
        )
    };
    let months = rulebook.legal_qualification_months();
    let qualified = match a.qualified_in_area_since {
        Some(since) if has_lasted_months(since, on, months) => allow(
            clauses::CANDIDATE_LEGAL_QUALIFICATION,
            format!("qualified in the area since {since}"),
        ),
        Some(since) => deny(
            clauses::CANDIDATE_LEGAL_QUALIFICATION,
            format!("qualified in the area only since {since}; {months} months are needed"),
        ),
        None => deny(
            clauses::CANDIDATE_LEGAL_QUALIFICATION,
            "not shown to be registered, living, working or owning property in the area",
        ),
    };
    let undertaking = if a.standing_orders_undertaking {
        allow(
            clauses::CANDIDATE_UNDERTAKING,
            "undertakes to accept the group's standing orders",
        )
    } else {
        deny(
            clauses::CANDIDATE_UNDERTAKING,
            "no undertaking to accept the group's standing orders",
        )
    };
    Decision::all([
        membership,
        not_suspended,
        declarations,
        training,
        dues,
        qualified,
        undertaking,
    ])
}

#[cfg(test)]
mod tests;
