//! The kinds of ballot the party runs. Each has its own freeze rules in the rulebook
//! (`[clause."ballot.<kind>"]`), read through `Rulebook::ballot`.
pub mod access;
crate::spelled_enum!(
    /// A kind of ballot, spelled as in the rulebook's clause ids and the API.
    BallotType, "ballot type" {
        Leadership => "leadership",
        ParliamentarySelection => "parliamentary_selection",
        LocalSelection => "local_selection",
        Trigger => "trigger",
        Nec => "nec",
        Meeting => "meeting",
        // A Labour group electing its leader: the electorate is the group, not a unit's members.
        GroupLeader => "group_leader",
    }
);

impl BallotType {
    /// Whether the ballot fills an office with one of its candidates, who must then be members
    /// (identified, so the winner can be appointed when the result is published).
    pub fn fills_office(self) -> bool {
        matches!(self, BallotType::GroupLeader)
    }
}

pub mod paper;
pub mod roll;
pub mod spec;
