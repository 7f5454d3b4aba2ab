//! The ballots as read from a file, before any counting rule is applied.
//! Marks keep skipped ranks and overvotes as they were cast; the named policies turn them into
//! clean rankings, so every method sees exactly the ballots the report says it saw.

use crate::error::CountError;

/// A mark at one rank: a candidate index, or one of the two markers below.
pub type Mark = u16;
/// A rank the voter left empty (`$UNDERVOTE`).
pub const SKIPPED: Mark = u16::MAX - 1;
/// A rank with more than one candidate marked (`$OVERVOTE`, or `a=b` in BLT).
pub const OVERVOTE: Mark = u16::MAX;
/// Candidate indexes stay below the markers.
pub const MAX_CANDIDATES: usize = (u16::MAX - 16) as usize;
/// Keeps every total, scaled by 10^6 for Meek, inside an i64.
pub const MAX_TOTAL_WEIGHT: u64 = 1_000_000_000_000;

/// Every ballot of an election, stored flat: one allocation for 500,000 ballots, not 500,000.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ballots {
    marks: Vec<Mark>,
    ends: Vec<u32>,
    weights: Vec<u64>,
    total_weight: u64,
}

impl Ballots {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one ballot (or `weight` identical ballots).
    pub fn push(&mut self, weight: u64, marks: &[Mark]) -> Result<(), CountError> {
        self.total_weight = self
            .total_weight
            .checked_add(weight)
            .filter(|t| *t <= MAX_TOTAL_WEIGHT)
            .ok_or(CountError::TooManyVotes(MAX_TOTAL_WEIGHT))?;
        self.marks.extend_from_slice(marks);
        let end = u32::try_from(self.marks.len())
            .map_err(|_| CountError::TooManyVotes(u64::from(u32::MAX)))?;
        self.ends.push(end);
        self.weights.push(weight);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    pub fn total_weight(&self) -> u64 {
        self.total_weight
    }

    /// The ballot at `i`: its weight and its marks in rank order.
    pub fn get(&self, i: usize) -> (u64, &[Mark]) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        (self.weights[i], &self.marks[start..self.ends[i] as usize])
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &[Mark])> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// A ballot file once read: candidates in file order, ballots, and what the file says of seats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub title: Option<String>,
    pub candidates: Vec<String>,
    pub seats: Option<u32>,
    pub withdrawn: Vec<usize>,
    pub ballots: Ballots,
}

/// What happens to a ballot when it reaches a rank marked for more than one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OvervotePolicy {
    /// The ballot stops counting at the overvoted rank (as in Burlington and most US rules).
    #[default]
    Exhaust,
    /// The overvoted rank is passed over and the next rank counts.
    SkipRank,
}

/// What happens to a ballot at a rank left empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkippedPolicy {
    /// The empty rank is passed over and the next marked rank counts.
    #[default]
    Skip,
    /// The ballot stops counting at the first empty rank.
    Exhaust,
}

/// The named treatment of imperfect ballots; printed in every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policies {
    pub overvote: OvervotePolicy,
    pub skipped: SkippedPolicy,
}

impl Policies {
    pub fn describe(&self) -> String {
        let over = match self.overvote {
            OvervotePolicy::Exhaust => "an overvoted rank exhausts the ballot",
            OvervotePolicy::SkipRank => "an overvoted rank is passed over",
        };
        let skipped = match self.skipped {
            SkippedPolicy::Skip => "a skipped rank is passed over",
            SkippedPolicy::Exhaust => "a skipped rank exhausts the ballot",
        };
        format!(
            "{over}; {skipped}; a repeated candidate counts at its first rank only; withdrawn candidates are passed over"
        )
    }

    /// Writes the clean ranking of `marks` into `out`: candidate indexes only, each once.
    pub fn clean(&self, marks: &[Mark], withdrawn: &[bool], out: &mut Vec<Mark>) {
        out.clear();
        for &m in marks {
            match m {
                OVERVOTE => match self.overvote {
                    OvervotePolicy::Exhaust => return,
                    OvervotePolicy::SkipRank => continue,
                },
                SKIPPED => match self.skipped {
                    SkippedPolicy::Exhaust => return,
                    SkippedPolicy::Skip => continue,
                },
                c => {
                    let ci = c as usize;
                    if withdrawn.get(ci).copied().unwrap_or(true) || out.contains(&c) {
                        continue;
                    }
                    out.push(c);
                }
            }
        }
    }
}

impl Profile {
    pub fn withdrawn_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.candidates.len()];
        for &w in &self.withdrawn {
            if let Some(m) = mask.get_mut(w) {
                *m = true;
            }
        }
        mask
    }

    /// Calls `f(weight, ranking)` for every ballot after the policies have cleaned it.
    pub fn for_each_clean(&self, policies: &Policies, mut f: impl FnMut(u64, &[Mark])) {
        let mask = self.withdrawn_mask();
        let mut buf = Vec::with_capacity(self.candidates.len());
        for (w, marks) in self.ballots.iter() {
            policies.clean(marks, &mask, &mut buf);
            f(w, &buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overvote_exhausts_the_ballot_by_default() {
        let mut out = Vec::new();
        Policies::default().clean(&[0, OVERVOTE, 1], &[false, false], &mut out);
        assert_eq!(out, vec![0]);
    }

    #[test]
    fn a_skipped_rank_is_passed_over_by_default_and_repeats_count_once() {
        let mut out = Vec::new();
        Policies::default().clean(&[SKIPPED, 1, 1, 0], &[false, false], &mut out);
        assert_eq!(out, vec![1, 0]);
    }

    #[test]
    fn withdrawn_candidates_are_passed_over() {
        let mut out = Vec::new();
        Policies::default().clean(&[0, 1], &[true, false], &mut out);
        assert_eq!(out, vec![1]);
    }

    #[test]
    fn the_exhaust_policies_stop_the_ballot() {
        let p = Policies {
            overvote: OvervotePolicy::SkipRank,
            skipped: SkippedPolicy::Exhaust,
        };
        let mut out = Vec::new();
        p.clean(&[0, OVERVOTE, 1, SKIPPED, 2], &[false; 3], &mut out);
        assert_eq!(out, vec![0, 1]);
    }
}
