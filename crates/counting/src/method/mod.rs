//! The counting methods. Each takes a profile and its options and returns every stage.

pub mod irv;
pub mod meek;
pub mod plurality;
pub mod scottish;
pub mod threshold;

use crate::result::Round;

/// Status of a candidate during a transferable count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Continuing,
    Elected,
    Excluded,
    Withdrawn,
}

pub(crate) fn new_round(number: usize, action: String, tallies: Vec<i64>, nt: i64) -> Round {
    Round {
        number,
        action,
        tallies,
        elected: Vec::new(),
        excluded: Vec::new(),
        non_transferable: nt,
        quota: None,
    }
}
