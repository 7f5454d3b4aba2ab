//! Exact vote counting. Pure: ballots in, a result with every round out, no IO and no floating point.
//! `parse` reads BLT and CSV cast vote records, `count` runs one of the methods of SPEC 3.10,
//! `report` prints the result as a text sheet, JSON (SPEC 5.4) or HTML with an SVG chart.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod method;
pub mod papers;
pub mod parse;
pub mod profile;
pub mod report;
pub mod result;
pub mod tie;

pub use error::{CountError, ParseError};
pub use method::threshold::{parse_fraction, Base};
pub use profile::{OvervotePolicy, Policies, Profile, SkippedPolicy};
pub use result::{CountResult, Method, Round, Tie};

/// A threshold vote's question: is `fraction` of `base` reached, with `>` when `strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdSpec {
    pub fraction: (u64, u64),
    pub base: Base,
    pub strict: bool,
}

/// Everything a count needs besides the ballots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountOptions {
    pub method: Method,
    /// Overrides the seats given in the file; defaults to the file's, else 1.
    pub seats: Option<u32>,
    pub policies: Policies,
    /// Seed of the lot that breaks ties the earlier stages cannot.
    pub seed: u64,
    /// IRV only: exclude every candidate who can no longer win at once.
    pub batch_elimination: bool,
    pub threshold: Option<ThresholdSpec>,
}

impl CountOptions {
    pub fn new(method: Method) -> Self {
        Self {
            method,
            seats: None,
            policies: Policies::default(),
            seed: 1,
            batch_elimination: false,
            threshold: None,
        }
    }
}

/// Counts a profile by the method and options given.
pub fn count(profile: &Profile, opts: &CountOptions) -> Result<CountResult, CountError> {
    if profile.candidates.is_empty() {
        return Err(CountError::NoCandidates);
    }
    let seats = opts.seats.or(profile.seats).unwrap_or(1);
    if seats == 0 {
        return Err(CountError::NoSeats);
    }
    let p = opts.policies;
    let seed = opts.seed;
    Ok(match opts.method {
        Method::Fptp | Method::Block | Method::Approval => method::plurality::count(
            profile,
            &method::plurality::Options {
                method: opts.method,
                seats,
                policies: p,
                seed,
            },
        ),
        Method::Irv => method::irv::count(
            profile,
            &method::irv::Options {
                policies: p,
                batch: opts.batch_elimination,
                seed,
            },
        ),
        Method::StvScottish => method::scottish::count(
            profile,
            &method::scottish::Options {
                seats,
                policies: p,
                seed,
            },
        ),
        Method::StvMeek => method::meek::count(
            profile,
            &method::meek::Options {
                seats,
                policies: p,
                seed,
            },
        ),
        Method::Threshold => {
            let spec = opts.threshold.unwrap_or(ThresholdSpec {
                fraction: (1, 2),
                base: Base::Cast,
                strict: true,
            });
            method::threshold::count(
                profile,
                &method::threshold::Options {
                    fraction: spec.fraction,
                    base: spec.base,
                    strict: spec.strict,
                    policies: p,
                },
            )?
        }
    })
}
