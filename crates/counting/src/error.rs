//! Typed errors of the counting crate.
//! A parse error always carries the line and column where the input went wrong, so the
//! command line can print one precise sentence instead of a backtrace.

use thiserror::Error;

/// Input that could not be read as a ballot file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            message: message.into(),
        }
    }
}

/// A count that cannot be run on the ballots and options given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CountError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("the number of seats must be at least 1")]
    NoSeats,
    #[error("there are no candidates")]
    NoCandidates,
    #[error("the total weight of the ballots is too large to count exactly (over {0})")]
    TooManyVotes(u64),
    #[error("threshold fraction {0} is not a fraction between 0 and 1 such as 2/3")]
    BadFraction(String),
    #[error("a threshold vote on the roll needs the size of the roll (--roll N)")]
    MissingRoll,
    #[error("the roll ({roll}) is smaller than the number of ballots cast ({cast})")]
    RollTooSmall { roll: u64, cast: u64 },
    #[error("a threshold of a base of zero votes cannot be decided")]
    EmptyBase,
}
