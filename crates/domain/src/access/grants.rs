//! The core of access: the roles, a grant of a role over a unit for a period, and an actor (an
//! account with its member record and grants). Every context's rule reads these; the policy
//! (`policy.rs`) asks the rules. Nothing here knows any context's records.
use time::Date;

use crate::decision::Reason;
use crate::organisation::unit::UnitKind;
use crate::rulebook::{ACCESS_GRANTS, ACCESS_ROLES, ACCESS_SEPARATION};

crate::spelled_enum!(
    /// A role of SPEC section 1, spelled as in grants, the API and the demo's logins.
    Role, "role" {
        Member => "member",
        Councillor => "councillor",
        BranchSecretary => "branch_secretary",
        ClpSecretary => "clp_secretary",
        GroupLeader => "group_leader",
        ChiefWhip => "chief_whip",
        LgcSecretary => "lgc_secretary",
        RegionalDirector => "regional_director",
        AppointedOfficer => "appointed_officer",
        ComplaintsOfficer => "complaints_officer",
        NecPanelMember => "nec_panel_member",
        NccMember => "ncc_member",
        IrbMember => "irb_member",
        IcbMember => "icb_member",
        WhistleblowingOfficer => "whistleblowing_officer",
        GeneralSecretary => "general_secretary",
        NecMember => "nec_member",
        EqualityAnalyst => "equality_analyst",
        Auditor => "auditor",
        Admin => "admin",
    }
);

impl Role {
    /// Staff and officer roles must log in with a second factor (SPEC 3.4); members and councillors
    /// acting for themselves need not.
    pub fn needs_second_factor(self) -> bool {
        !matches!(self, Role::Member | Role::Councillor)
    }

    /// The kind of unit a grant of this role is over, or `None` for a national (or personal) role.
    pub fn unit_kind(self) -> Option<UnitKind> {
        match self {
            Role::BranchSecretary => Some(UnitKind::Branch),
            Role::ClpSecretary => Some(UnitKind::Clp),
            Role::GroupLeader | Role::ChiefWhip | Role::LgcSecretary | Role::AppointedOfficer => {
                Some(UnitKind::LocalAuthority)
            }
            Role::RegionalDirector => Some(UnitKind::Region),
            _ => None,
        }
    }

    /// May this role read the records of the members in the scope of its grant?
    pub fn reads_member_records(self) -> bool {
        matches!(
            self,
            Role::BranchSecretary
                | Role::ClpSecretary
                | Role::GroupLeader
                | Role::ChiefWhip
                | Role::LgcSecretary
                | Role::RegionalDirector
                | Role::GeneralSecretary
        )
    }

    /// May this role record a change of a member's status (a suspension, a lapse, a readmission) for
    /// the members in the scope of its grant? Membership decisions are the General Secretary's
    /// nationally and the regional director's in their region (SPEC 1); unit officers read only.
    pub fn changes_member_status(self) -> bool {
        matches!(self, Role::RegionalDirector | Role::GeneralSecretary)
    }

    /// May this role run the ballots (create, freeze the roll, close, publish) of the units its grant
    /// covers? The secretaries and staff who already read those members' records.
    pub fn runs_ballots(self) -> bool {
        matches!(
            self,
            Role::BranchSecretary
                | Role::ClpSecretary
                | Role::LgcSecretary
                | Role::RegionalDirector
                | Role::GeneralSecretary
        )
    }

    /// Why a role that may not read members' records may not, as a sentence.
    pub(crate) fn member_records_refusal(self) -> (&'static str, &'static str) {
        match self {
            Role::Admin => (
                ACCESS_SEPARATION,
                "a system administrator sees no member data",
            ),
            Role::NecMember | Role::EqualityAnalyst => (
                ACCESS_ROLES,
                "sees aggregate figures only, never an individual's record",
            ),
            Role::ComplaintsOfficer
            | Role::NecPanelMember
            | Role::NccMember
            | Role::IrbMember
            | Role::IcbMember
            | Role::WhistleblowingOfficer => (ACCESS_ROLES, "sees only the cases assigned to them"),
            Role::Auditor => (ACCESS_ROLES, "reads the audit and access logs only"),
            _ => (ACCESS_ROLES, "may read only their own record"),
        }
    }
}

/// The unit a grant is over: its id (to match) and code (to name in reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantUnit {
    pub id: i64,
    pub code: String,
}

/// A role held over a unit (or nationally when `unit` is `None`) from a day until a day (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub unit: Option<GrantUnit>,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
}

impl Grant {
    pub(crate) fn describe(&self) -> String {
        match &self.unit {
            Some(u) => format!("the {} grant for {}", self.role, u.code),
            None => format!("the national {} grant", self.role),
        }
    }

    /// Whether the grant is in force on `on`, or the reason it is not.
    pub(crate) fn in_force(&self, on: Date) -> Result<(), Reason> {
        if on < self.valid_from {
            return Err(Reason::new(
                ACCESS_GRANTS,
                format!("{} starts on {}", self.describe(), self.valid_from),
            ));
        }
        match self.valid_until {
            Some(until) if on > until => Err(Reason::new(
                ACCESS_GRANTS,
                format!("{} ended on {until}", self.describe()),
            )),
            _ => Ok(()),
        }
    }

    /// Does the grant reach a resource that sits in `units` (its units and all their ancestors)?
    pub(crate) fn covers(&self, units: &[i64]) -> bool {
        match &self.unit {
            None => true,
            Some(u) => units.contains(&u.id),
        }
    }
}

/// Who is asking: their account, the member record it belongs to (if any) and their grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub member_id: Option<i64>,
    pub grants: Vec<Grant>,
}

/// The role as words with its indefinite article, for a sentence: "an auditor", "an appointed
/// officer", "a CLP secretary", "an NEC member". The article goes by the sound: an initialism takes
/// "an" when its first letter's name begins with a vowel sound (en, el, ...).
pub(crate) fn with_article(role: Role) -> String {
    const INITIALISMS: [&str; 6] = ["clp", "lgc", "nec", "ncc", "irb", "icb"];
    let words: Vec<String> = role
        .as_str()
        .split('_')
        .map(|w| {
            if INITIALISMS.contains(&w) {
                w.to_uppercase()
            } else {
                w.to_string()
            }
        })
        .collect();
    let first = words.first().map(String::as_str).unwrap_or_default();
    let vowel_sounds = if INITIALISMS.contains(&first.to_lowercase().as_str()) {
        "AEFHILMNORSX"
    } else {
        "aeiou"
    };
    let article = match first.chars().next() {
        Some(c) if vowel_sounds.contains(c) => "an",
        _ => "a",
    };
    format!("{article} {}", words.join(" "))
}
