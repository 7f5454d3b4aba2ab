//! What a ballot is before anyone votes: its kind, counting method, seats, candidates, voting window,
//! freeze date and unit; checked once, when it is created, so the rest of the code can trust it.
use time::{Date, OffsetDateTime};

crate::spelled_enum!(
    /// How a ballot is counted, spelled as `caucus count --method` spells it, so the published
    /// ballot file can be recounted with the same word.
    CountingMethod, "counting method" {
        Fptp => "fptp",
        Block => "block",
        Approval => "approval",
        Irv => "irv",
        StvScottish => "stv-scottish",
        StvMeek => "stv-meek",
    }
);

/// How the voter marks the paper under each method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marking {
    /// One candidate (first past the post).
    One,
    /// Up to `seats` candidates, unordered (block vote).
    UpTo(u32),
    /// Any number of candidates, unordered (approval).
    Any,
    /// Candidates in order of preference (instant runoff, STV).
    Ranked,
}

impl CountingMethod {
    pub fn marking(self, seats: u32) -> Marking {
        match self {
            CountingMethod::Fptp => Marking::One,
            CountingMethod::Block => Marking::UpTo(seats),
            CountingMethod::Approval => Marking::Any,
            CountingMethod::Irv | CountingMethod::StvScottish | CountingMethod::StvMeek => {
                Marking::Ranked
            }
        }
    }
}

/// A ballot as its organiser sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotSpec {
    pub title: String,
    pub kind: super::BallotType,
    pub method: CountingMethod,
    pub seats: u32,
    pub candidates: Vec<String>,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
    /// The roll is judged on the register as it stood on this day.
    pub freeze_on: Date,
}

/// Names and titles travel in the published ballot file (BLT), where a name is a quoted string with
/// no escapes: a double quote or a line break inside one cannot be written.
fn printable(what: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{what} is empty"));
    }
    if text.contains('"') || text.contains('\n') || text.contains('\r') {
        return Err(format!(
            "{what} '{}' may not contain a double quote or a line break",
            text.trim()
        ));
    }
    Ok(())
}

impl BallotSpec {
    /// Every problem with the set-up, each as a sentence; empty when it can be created.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = printable("the title", &self.title) {
            out.push(e);
        }
        if self.seats == 0 {
            out.push("a ballot fills at least one seat".to_string());
        }
        if self.method == CountingMethod::Irv && self.seats > 1 {
            out.push(format!(
                "irv elects one candidate: use stv-scottish or stv-meek for {} seats",
                self.seats
            ));
        }
        if self.method == CountingMethod::Fptp && self.seats > 1 {
            out.push(format!(
                "fptp elects one candidate: use block for {} seats",
                self.seats
            ));
        }
        if self.kind.fills_office() && self.seats != 1 {
            out.push(format!(
                "a {} ballot elects one person: it has 1 seat, not {}",
                self.kind.as_str().replace('_', " "),
                self.seats
            ));
        }
        for c in &self.candidates {
            if let Err(e) = printable("a candidate's name", c) {
                out.push(e);
            }
        }
        let mut names: Vec<&str> = self.candidates.iter().map(|c| c.trim()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            out.push("each candidate may be named only once".to_string());
        }
        if (self.candidates.len() as u64) < u64::from(self.seats) + 1 {
            out.push(format!(
                "{} seats need at least {} candidates for a contest (found {})",
                self.seats,
                u64::from(self.seats) + 1,
                self.candidates.len()
            ));
        }
        if self.closes_at <= self.opens_at {
            out.push(format!(
                "voting must close after it opens (opens {}, closes {})",
                self.opens_at.date(),
                self.closes_at.date()
            ));
        }
        if self.freeze_on > self.opens_at.date() {
            out.push(format!(
                "the freeze date {} must not come after voting opens on {}",
                self.freeze_on,
                self.opens_at.date()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballots::BallotType;
    use time::macros::{date, datetime};

    fn spec() -> BallotSpec {
        BallotSpec {
            title: "CLP officers 2026".into(),
            kind: BallotType::Meeting,
            method: CountingMethod::StvScottish,
            seats: 2,
            candidates: vec!["Ann".into(), "Bob".into(), "Cy".into()],
            opens_at: datetime!(2026-11-22 00:00 UTC),
            closes_at: datetime!(2026-11-29 18:00 UTC),
            freeze_on: date!(2026 - 11 - 01),
        }
    }

    #[test]
    fn a_well_formed_ballot_has_no_problems() {
        assert_eq!(spec().problems(), Vec::<String>::new());
    }

    #[test]
    fn every_problem_of_a_bad_ballot_is_named() {
        let mut s = spec();
        s.method = CountingMethod::Irv;
        s.candidates = vec!["Ann".into(), "Ann".into(), "Say \"hi\"".into()];
        s.closes_at = s.opens_at;
        s.freeze_on = date!(2026 - 12 - 01);
        let p = s.problems();
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p[0].starts_with("irv elects one candidate"));
        assert!(p.iter().any(|m| m.contains("double quote")));
        assert!(p
            .iter()
            .any(|m| m == "each candidate may be named only once"));
        assert!(p.iter().any(|m| m.contains("close after it opens")));
        assert!(p.iter().any(|m| m.contains("freeze date 2026-12-01")));
    }

    #[test]
    fn seats_need_more_candidates_than_seats() {
        let mut s = spec();
        s.candidates.truncate(2);
        assert_eq!(
            s.problems(),
            vec!["2 seats need at least 3 candidates for a contest (found 2)".to_string()]
        );
    }

    #[test]
    fn a_group_leader_election_fills_one_seat() {
        let mut s = spec();
        s.kind = BallotType::GroupLeader;
        assert_eq!(
            s.problems(),
            vec!["a group leader ballot elects one person: it has 1 seat, not 2".to_string()]
        );
        s.seats = 1;
        s.method = CountingMethod::Irv;
        assert_eq!(s.problems(), Vec::<String>::new());
    }

    #[test]
    fn methods_are_spelled_as_the_count_command_spells_them() {
        assert_eq!(
            CountingMethod::parse("stv-scottish").unwrap(),
            CountingMethod::StvScottish
        );
        assert!(CountingMethod::parse("threshold").is_err());
        assert_eq!(CountingMethod::Block.marking(3), Marking::UpTo(3));
        assert_eq!(CountingMethod::StvMeek.marking(3), Marking::Ranked);
    }
}
