//! The typed parameters of the rulebook's clauses, as the rules read them. Each struct is built and
//! checked once when the rulebook loads.
use time::Date;

/// `2.I.provisional`: the provisional period and what a provisional member may not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisional {
    pub weeks: u32,
    pub extension_weeks_max: u32,
    pub may_vote_at_branch_meetings: bool,
    pub may_attend_clp_meetings: bool,
    pub may_vote_in_ballots: bool,
}

/// `2.IV.arrears`: what a member in arrears may still do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrears {
    pub may_attend_meetings: bool,
    pub may_hold_office: bool,
}

/// `2.IV.lapse`: months in arrears before membership lapses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapse {
    pub grace_months: u32,
}

/// `6.I.2`: readmission after expulsion or exclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readmission {
    pub min_years: u32,
    pub decided_by: String,
}

/// `2.I.special_measures`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialMeasures {
    pub extra_id_documents: u32,
    pub audit_interval_months: u32,
}

/// What an administratively suspended member may do, gathered from the three suspension clauses
/// (their sources differ, so they are separate clauses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspensionRights {
    pub may_hold_office: bool,
    pub may_attend_branch_meetings: bool,
    pub may_attend_clp_meetings: bool,
    pub may_vote_in_all_member_ballots: bool,
}

/// `6.I.suspension.review`: review interval and escalation ages of suspensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspensionReview {
    pub review_interval_months: u32,
    pub escalate_after_months: u32,
    pub flag_to_nec_after_months: u32,
}

crate::spelled_enum!(
    /// A circumstance a member declares that qualifies them for a rate.
    Circumstance, "circumstance" {
        RetiredOrUnwaged => "retired_or_unwaged",
        AffiliatedTradeUnion => "affiliated_trade_union",
        ArmedForces => "armed_forces",
        Student => "student",
    }
);

crate::spelled_enum!(
    /// How often a rate's amount is due.
    RatePeriod, "rate period" {
        Month => "month",
        Year => "year",
    }
);

/// One membership rate (`rates.<id>`): its amount and the conditions that qualify a member for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub id: String,
    pub clause: String,
    pub title: String,
    pub amount_pence: u32,
    pub per: RatePeriod,
    /// Age band, inclusive, on the date the qualification is checked.
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    /// Every one of these circumstances must hold.
    pub requires: Vec<Circumstance>,
    pub direct_debit_required: bool,
}

/// `ballot.<type>`: who may vote in a kind of ballot, judged at its freeze date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotRules {
    pub clause: String,
    /// An all-member (one member one vote) ballot, where suspended members keep their vote.
    pub all_member: bool,
    pub min_continuous_months: u32,
    pub in_arrears_may_vote: bool,
    pub supporters_may_vote: bool,
}

/// `7.VI.1`: a branch covers between `min_wards` and `max_wards` wards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchArea {
    pub min_wards: u32,
    pub max_wards: u32,
    pub within_one_clp: bool,
}

/// `7.XI.4`: gender balance of delegations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationBalance {
    pub min_women_percent: u32,
    pub single_delegate_woman_every_years: u32,
}

/// `7.gc_delegates`: one delegate per `members_per_delegate` members or part thereof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcDelegates {
    pub members_per_delegate: u32,
    pub min_delegates: u32,
}

/// `3.I.1.B`: a CLP's delegates to Annual Conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceDelegates {
    pub first_band_members: u32,
    pub further_band_members: u32,
    pub every_nth_delegate_woman: u32,
    pub extra_delegate_women_members: u32,
    pub extra_delegate_young_labour_members: u32,
}

/// A share such as two-thirds, kept exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    pub numerator: u32,
    pub denominator: u32,
}

impl Fraction {
    /// True when `count` out of `total` reaches the fraction (2 of 3 reaches two-thirds).
    pub fn reached(self, count: u32, total: u32) -> bool {
        total > 0
            && u64::from(count) * u64::from(self.denominator)
                >= u64::from(self.numerator) * u64::from(total)
    }

    /// The smallest count out of `total` that reaches the fraction.
    pub fn needed(self, total: u32) -> u32 {
        let product = u64::from(self.numerator) * u64::from(total);
        product.div_ceil(u64::from(self.denominator)) as u32
    }
}

impl std::fmt::Display for Fraction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// `13.leader`: the group leader's term and recall threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLeader {
    pub strong_leader_term_years: u32,
    pub recall: Fraction,
}

/// `5.I.1.B`: a candidate's continuous membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateMembership {
    pub min_continuous_months: u32,
    pub nec_waiver: bool,
}

/// `A4.panel`: the assessment interview panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewPanel {
    pub size: u32,
    pub chair_from_other_authority: bool,
    pub lgc_members_not_full_members_elsewhere: bool,
}

/// One area whose panel is endorsed by a body other than the default, for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaAuthority {
    pub area: String,
    pub body: String,
    pub from: Option<Date>,
    pub until: Option<Date>,
}

/// `5.panel_authority`: who endorses the panel of candidates, per area and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelAuthority {
    pub default_body: String,
    pub areas: Vec<AreaAuthority>,
}

impl PanelAuthority {
    /// The body that endorses the panel for `area` on `on`: the first matching area entry whose
    /// period covers the date, else the default.
    pub fn body_for(&self, area: &str, on: Date) -> &str {
        self.areas
            .iter()
            .find(|a| {
                a.area == area
                    && a.from.is_none_or(|from| from <= on)
                    && a.until.is_none_or(|until| on <= until)
            })
            .map_or(self.default_body.as_str(), |a| a.body.as_str())
    }
}

/// The target of one stage of a case type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTarget {
    pub stage: String,
    pub days: u32,
    pub working_days: bool,
}

/// `6.case.<type>`: a complaint case type's stage targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTimeline {
    pub case_type: String,
    pub clause: String,
    pub stages: Vec<StageTarget>,
    pub completion_months: u32,
}

impl CaseTimeline {
    pub fn target(&self, stage: &str) -> Option<&StageTarget> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}

/// `6.ICB.panel`: the Independent Complaints Board's appeal panels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcbPanel {
    pub size: u32,
    pub members: Vec<String>,
    pub chair: String,
}

/// `whistleblowing.timescales`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whistleblowing {
    pub acknowledge_days: u32,
    pub feedback_months: u32,
}

/// `interests.register`: deadlines and thresholds of the register of interests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interests {
    pub deadline_days: u32,
    pub gift_threshold_pence: u32,
    pub securities_nominal_pence: u32,
    pub securities_share_denominator: u32,
}

/// Modules a role must complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRequirement {
    pub role: String,
    pub modules: Vec<String>,
}

/// `training.requirements`: compulsory training by role and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Training {
    pub due_months: u32,
    pub requirements: Vec<TrainingRequirement>,
}

impl Training {
    /// The modules `role` must complete (none for a role without requirements).
    pub fn modules_for(&self, role: &str) -> &[String] {
        self.requirements
            .iter()
            .find(|r| r.role == role)
            .map_or(&[], |r| r.modules.as_slice())
    }
}
