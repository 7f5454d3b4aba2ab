//! The kinds of ballot the party runs. Each has its own freeze rules in the rulebook
//! (`[clause."ballot.<kind>"]`), read through `Rulebook::ballot`.
crate::spelled_enum!(
    /// A kind of ballot, spelled as in the rulebook's clause ids and the API.
    BallotType, "ballot type" {
        Leadership => "leadership",
        ParliamentarySelection => "parliamentary_selection",
        LocalSelection => "local_selection",
        Trigger => "trigger",
        Nec => "nec",
        Meeting => "meeting",
    }
);

pub mod paper;
pub mod roll;
pub mod spec;
