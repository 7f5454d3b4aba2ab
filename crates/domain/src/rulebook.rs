//! The rulebook: every number, duration and threshold the rules use, loaded from a TOML file of
//! clauses (`rulebook/labour.toml` ships as the default) and checked whole at load, so a bad file stops
//! the program naming the clause and the problem, and no later lookup can fail.
mod clause_ids;
mod loader;
mod params;
mod reader;

pub use clause_ids::*;
pub use params::*;

use std::collections::BTreeMap;
use toml::Table;

use crate::ballots::BallotType;
use loader::Loader;

/// The shipped default: Labour's rules as found in public sources.
const LABOUR: &str = include_str!("../../../rulebook/labour.toml");

/// Why a rulebook could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulebookError {
    #[error("rulebook is not valid TOML: {0}")]
    Syntax(String),
    #[error("rulebook: {0}")]
    Layout(String),
    #[error("rulebook clause \"{clause}\": {problem}")]
    Clause { clause: String, problem: String },
    #[error("rulebook clause \"{0}\" is required but missing")]
    MissingClause(String),
}

crate::spelled_enum!(
    /// Where a clause comes from: the rule book or law, the reviews, or caucus's default.
    Source, "source" {
        Rule => "R",
        Review => "P",
        Default => "D",
    }
);

/// A clause's identity as shown beside a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseInfo {
    pub id: String,
    pub title: String,
    pub source: Source,
}

/// The loaded, validated rulebook. Read it through the typed accessors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rulebook {
    name: String,
    edition: String,
    clauses: BTreeMap<String, ClauseInfo>,
    provisional: Provisional,
    rejection_appeal_bar_years: u32,
    other_party_exceptions: Vec<String>,
    prohibited_acts: Vec<String>,
    arrears: Arrears,
    lapse: Lapse,
    rejoin_resets_continuity: bool,
    readmission: Readmission,
    special_measures: SpecialMeasures,
    minimum_age: u32,
    suspension: SuspensionRights,
    suspension_review: SuspensionReview,
    rates: Vec<Rate>,
    electoral_register_reverify_months: u32,
    /// One entry per ballot type, in the order of `BallotType::ALL` (checked complete at load).
    ballots: Vec<BallotRules>,
    branch_area: BranchArea,
    branch_officers_min_women: u32,
    clp_executive_min_women: u32,
    lgc_officers_min_women: u32,
    delegations: DelegationBalance,
    group_executive_tolerance_seats: u32,
    gc_delegates: GcDelegates,
    interim_officers_appointed_by: String,
    conference_delegates: ConferenceDelegates,
    special_gc: Fraction,
    group_leader: GroupLeader,
    candidate_membership: CandidateMembership,
    legal_qualification_months: u32,
    interview_panel: InterviewPanel,
    relatives: Vec<String>,
    reassessment_every_terms: u32,
    panel_appeal_days: u32,
    panel_authority: PanelAuthority,
    all_male_ward_min_women: u32,
    trigger: Fraction,
    case_timelines: BTreeMap<String, CaseTimeline>,
    progress_report_weeks: u32,
    appeal_window_days: u32,
    icb_panel: IcbPanel,
    whistleblowing: Whistleblowing,
    interests: Interests,
    training: Training,
    suppression_threshold: u32,
}

impl Rulebook {
    /// Labour's rulebook as shipped (`rulebook/labour.toml`).
    pub fn shipped() -> Result<Rulebook, RulebookError> {
        Rulebook::from_toml(LABOUR)
    }

    /// The text of the shipped rulebook, for `caucus` to show or copy.
    pub fn shipped_text() -> &'static str {
        LABOUR
    }

    pub fn from_toml(text: &str) -> Result<Rulebook, RulebookError> {
        let root: Table = text
            .parse()
            .map_err(|e: toml::de::Error| RulebookError::Syntax(e.message().to_string()))?;
        let mut loader = Loader::new(&root)?;
        let book = loader.load()?;
        loader.finish()?;
        Ok(book)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn edition(&self) -> &str {
        &self.edition
    }
    /// A clause's title and source, to show beside a reason that cites it.
    pub fn clause(&self, id: &str) -> Option<&ClauseInfo> {
        self.clauses.get(id)
    }
    pub fn clauses(&self) -> impl Iterator<Item = &ClauseInfo> {
        self.clauses.values()
    }
    pub fn provisional(&self) -> &Provisional {
        &self.provisional
    }
    /// Years before a rejection during which a prohibited act bars an appeal (`2.I.rejection`).
    pub fn rejection_appeal_bar_years(&self) -> u32 {
        self.rejection_appeal_bar_years
    }
    /// Parties whose membership is compatible with Labour's (`2.I.conditions`).
    pub fn other_party_exceptions(&self) -> &[String] {
        &self.other_party_exceptions
    }
    pub fn prohibited_acts(&self) -> &[String] {
        &self.prohibited_acts
    }
    pub fn arrears(&self) -> &Arrears {
        &self.arrears
    }
    pub fn lapse(&self) -> &Lapse {
        &self.lapse
    }
    pub fn rejoin_resets_continuity(&self) -> bool {
        self.rejoin_resets_continuity
    }
    pub fn readmission(&self) -> &Readmission {
        &self.readmission
    }
    pub fn special_measures(&self) -> &SpecialMeasures {
        &self.special_measures
    }
    pub fn minimum_age(&self) -> u32 {
        self.minimum_age
    }
    pub fn suspension(&self) -> &SuspensionRights {
        &self.suspension
    }
    pub fn suspension_review(&self) -> &SuspensionReview {
        &self.suspension_review
    }
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }
    pub fn rate(&self, id: &str) -> Option<&Rate> {
        self.rates.iter().find(|r| r.id == id)
    }
    pub fn electoral_register_reverify_months(&self) -> u32 {
        self.electoral_register_reverify_months
    }
    pub fn ballot(&self, kind: BallotType) -> &BallotRules {
        // The loader stores one entry per ballot type in declaration order, so the index exists.
        &self.ballots[kind as usize]
    }
    pub fn branch_area(&self) -> &BranchArea {
        &self.branch_area
    }
    pub fn branch_officers_min_women(&self) -> u32 {
        self.branch_officers_min_women
    }
    pub fn clp_executive_min_women(&self) -> u32 {
        self.clp_executive_min_women
    }
    pub fn lgc_officers_min_women(&self) -> u32 {
        self.lgc_officers_min_women
    }
    pub fn delegations(&self) -> &DelegationBalance {
        &self.delegations
    }
    pub fn group_executive_tolerance_seats(&self) -> u32 {
        self.group_executive_tolerance_seats
    }
    pub fn gc_delegates(&self) -> &GcDelegates {
        &self.gc_delegates
    }
    pub fn interim_officers_appointed_by(&self) -> &str {
        &self.interim_officers_appointed_by
    }
    pub fn conference_delegates(&self) -> &ConferenceDelegates {
        &self.conference_delegates
    }
    pub fn special_gc(&self) -> Fraction {
        self.special_gc
    }
    pub fn group_leader(&self) -> &GroupLeader {
        &self.group_leader
    }
    pub fn candidate_membership(&self) -> &CandidateMembership {
        &self.candidate_membership
    }
    pub fn legal_qualification_months(&self) -> u32 {
        self.legal_qualification_months
    }
    pub fn interview_panel(&self) -> &InterviewPanel {
        &self.interview_panel
    }
    /// Relations that disqualify a panel member (`A4.relatives`).
    pub fn relatives(&self) -> &[String] {
        &self.relatives
    }
    pub fn reassessment_every_terms(&self) -> u32 {
        self.reassessment_every_terms
    }
    pub fn panel_appeal_days(&self) -> u32 {
        self.panel_appeal_days
    }
    pub fn panel_authority(&self) -> &PanelAuthority {
        &self.panel_authority
    }
    pub fn all_male_ward_min_women(&self) -> u32 {
        self.all_male_ward_min_women
    }
    pub fn trigger(&self) -> Fraction {
        self.trigger
    }
    /// A complaint case type's timeline (`6.case.<case_type>`).
    pub fn case_timeline(&self, case_type: &str) -> Option<&CaseTimeline> {
        self.case_timelines.get(case_type)
    }
    pub fn case_timelines(&self) -> impl Iterator<Item = &CaseTimeline> {
        self.case_timelines.values()
    }
    pub fn progress_report_weeks(&self) -> u32 {
        self.progress_report_weeks
    }
    pub fn appeal_window_days(&self) -> u32 {
        self.appeal_window_days
    }
    pub fn icb_panel(&self) -> &IcbPanel {
        &self.icb_panel
    }
    pub fn whistleblowing(&self) -> &Whistleblowing {
        &self.whistleblowing
    }
    pub fn interests(&self) -> &Interests {
        &self.interests
    }
    pub fn training(&self) -> &Training {
        &self.training
    }
    pub fn suppression_threshold(&self) -> u32 {
        self.suppression_threshold
    }
}

/// For tests across the crate: the shipped rulebook, which a test of this module proves loads.
#[cfg(test)]
pub(crate) fn shipped_for_tests() -> Rulebook {
    Rulebook::shipped().unwrap()
}

#[cfg(test)]
mod tests;
