//! The clause ids the code reads or cites. Decisions name these constants rather than spelling ids
//! by hand, and the loader refuses a rulebook that lacks any of them, so no lookup can fail later.

pub const PROVISIONAL: &str = "2.I.provisional";
pub const REJECTION: &str = "2.I.rejection";
pub const CONDITIONS: &str = "2.I.conditions";
pub const PROHIBITED_ACTS: &str = "2.I.5.B";
pub const ARREARS: &str = "2.IV.arrears";
pub const LAPSE: &str = "2.IV.lapse";
pub const REJOIN: &str = "2.IV.rejoin";
pub const ENDED: &str = "2.IV.ended";
pub const READMISSION: &str = "6.I.2";
pub const SPECIAL_MEASURES: &str = "2.I.special_measures";
pub const MINIMUM_AGE: &str = "2.I.minimum_age";
pub const SUSPENSION: &str = "6.I.suspension";
pub const SANCTIONS: &str = "6.I.1";
pub const IMPORT: &str = "register.import";
pub const CORRECTION: &str = "register.correction";
pub const SUSPENSION_OFFICE: &str = "6.I.suspension.office";
pub const SUSPENSION_MEETINGS: &str = "6.I.suspension.meetings";
pub const SUSPENSION_OMOV: &str = "6.I.suspension.omov";
pub const SUSPENSION_REVIEW: &str = "6.I.suspension.review";

pub const CHECK_RATE: &str = "check.rate";
pub const CHECK_DIRECT_DEBIT: &str = "check.direct_debit";
pub const CHECK_ELECTORAL_REGISTER: &str = "check.electoral_register";
pub const CHECK_OTHER_PARTY: &str = "check.other_party";

pub const BRANCH_MEMBERSHIP: &str = "15.III.1";
pub const BRANCH_AREA: &str = "7.VI.1";
pub const BRANCH_OFFICERS_WOMEN: &str = "15.officers.women";
pub const CLP_EXECUTIVE_WOMEN: &str = "7.VIII.2";
pub const LGC_OFFICERS_WOMEN: &str = "lgc.officers.women";
pub const DELEGATIONS_WOMEN: &str = "7.XI.4";
pub const GROUP_EXECUTIVE_BALANCE: &str = "13.executive.balance";
pub const GC_DELEGATES: &str = "7.gc_delegates";
pub const DELEGATE_TERM: &str = "A7.IV.6";
pub const INTERIM_OFFICERS: &str = "7.interim_officers";
pub const CONFERENCE_DELEGATES: &str = "3.I.1.B";
pub const SPECIAL_GC: &str = "7.special_gc";
pub const GROUP_LEADER: &str = "13.leader";
pub const GROUP_LEADER_LISTS: &str = "13.membership_lists";

pub const CANDIDATE_MEMBERSHIP: &str = "5.I.1.B";
pub const CANDIDATE_LEGAL_QUALIFICATION: &str = "5.legal_qualification";
pub const CANDIDATE_UNDERTAKING: &str = "5.III.undertaking";
pub const CANDIDATE_NOT_SUSPENDED: &str = "5.not_suspended";
pub const CANDIDATE_DECLARATIONS: &str = "5.declarations";
pub const CANDIDATE_DUES: &str = "5.dues";
pub const INTERVIEW_PANEL: &str = "A4.panel";
pub const RELATIVES: &str = "A4.relatives";
pub const REASSESSMENT: &str = "A4.reassessment";
pub const PANEL_APPEAL: &str = "A4.appeal";
pub const UPDATE_FORM: &str = "A4.update_form";
pub const PANEL_AUTHORITY: &str = "5.panel_authority";
pub const ALL_MALE_WARD: &str = "5.all_male_ward";
pub const TRIGGER: &str = "5.trigger";

pub const CASE_PREFIX: &str = "6.case.";
pub const CASE_NATIONAL: &str = "6.case.national";
pub const PROGRESS_REPORTS: &str = "6.progress_reports";
pub const APPEAL_WINDOW: &str = "6.appeal_window";
pub const ICB_PANEL: &str = "6.ICB.panel";
pub const IRB_REVIEW: &str = "6.IRB.review";
pub const SEXUAL_HARASSMENT: &str = "6.sexual_harassment";
pub const ANTISEMITISM_EDUCATION: &str = "6.antisemitism_education";
pub const WHISTLEBLOWING: &str = "whistleblowing.timescales";

pub const INTERESTS: &str = "interests.register";
pub const CODE_OF_CONDUCT: &str = "conduct.code";
pub const TRAINING: &str = "training.requirements";
pub const TRAINING_OVERDUE: &str = "training.overdue";
pub const SUPPRESSION: &str = "equality.suppression";

pub const ACCESS_GRANTS: &str = "access.grants";
pub const ACCESS_SELF: &str = "access.self";
pub const ACCESS_ROLES: &str = "access.roles";
pub const ACCESS_SEPARATION: &str = "access.separation";
pub const ACCESS_TOKENS: &str = "access.tokens";

pub const RATE_PREFIX: &str = "rates.";
pub const BALLOT_PREFIX: &str = "ballot.";

/// Clauses the code cites but whose parameters (if any) it does not read: they must exist, and may
/// carry only a title and a source.
pub(super) const CITED_ONLY: &[&str] = &[
    SUSPENSION,
    SANCTIONS,
    IMPORT,
    CORRECTION,
    ENDED,
    CHECK_RATE,
    CHECK_DIRECT_DEBIT,
    CHECK_OTHER_PARTY,
    BRANCH_MEMBERSHIP,
    DELEGATE_TERM,
    GROUP_LEADER_LISTS,
    CANDIDATE_UNDERTAKING,
    CANDIDATE_NOT_SUSPENDED,
    CANDIDATE_DECLARATIONS,
    CANDIDATE_DUES,
    UPDATE_FORM,
    IRB_REVIEW,
    SEXUAL_HARASSMENT,
    ANTISEMITISM_EDUCATION,
    CODE_OF_CONDUCT,
    TRAINING_OVERDUE,
    ACCESS_GRANTS,
    ACCESS_SELF,
    ACCESS_ROLES,
    ACCESS_SEPARATION,
    ACCESS_TOKENS,
];
