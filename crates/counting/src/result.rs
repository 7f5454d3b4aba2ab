//! The outcome of a count: every round as an official result sheet prints it.
//! Tallies are integers in units of 10^-scale, so the exact decimal is printed, never a float.

/// The counting methods of SPEC 3.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Fptp,
    Block,
    Approval,
    Irv,
    StvScottish,
    StvMeek,
    Threshold,
}

impl Method {
    pub fn id(self) -> &'static str {
        match self {
            Method::Fptp => "fptp",
            Method::Block => "block",
            Method::Approval => "approval",
            Method::Irv => "irv",
            Method::StvScottish => "stv-scottish",
            Method::StvMeek => "stv-meek",
            Method::Threshold => "threshold",
        }
    }
}

/// One official stage of the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub number: usize,
    /// What the stage did, in the words of a result sheet.
    pub action: String,
    /// Every candidate's total at the end of the stage, in file order.
    pub tallies: Vec<i64>,
    /// Candidates deemed elected during this stage, in order of election.
    pub elected: Vec<usize>,
    /// Candidates excluded at the end of this stage (their papers move in the next).
    pub excluded: Vec<usize>,
    /// Papers with no further preference plus any value lost to rounding, cumulative.
    pub non_transferable: i64,
    /// The quota in force at the end of the stage, where it changes from stage to stage (Meek).
    pub quota: Option<i64>,
}

/// A tie the rules had to break, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tie {
    pub round: usize,
    /// `exclusion`, `surplus order`, `order of election`, `last seat`.
    pub purpose: String,
    pub between: Vec<usize>,
    pub chosen: usize,
    pub resolved_by: String,
}

/// The outcome of a threshold vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdOutcome {
    pub numerator: u64,
    pub denominator: u64,
    pub base_name: &'static str,
    pub base: u64,
    pub comparison: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountResult {
    pub method: Method,
    pub rule: String,
    pub title: Option<String>,
    pub candidates: Vec<String>,
    pub withdrawn: Vec<usize>,
    pub seats: u32,
    /// Decimal places of every tally.
    pub scale: u32,
    pub quota: Option<i64>,
    /// Valid votes in tally units (ballot weight times 10^scale).
    pub valid: i64,
    /// Ballots with no valid first preference (blank, or void at their first rank).
    pub rejected: u64,
    pub elected: Vec<usize>,
    pub rounds: Vec<Round>,
    pub ties: Vec<Tie>,
    pub threshold: Option<ThresholdOutcome>,
}

impl CountResult {
    pub fn fmt(&self, units: i64) -> String {
        fmt_units(units, self.scale)
    }

    pub fn names(&self, ids: &[usize]) -> Vec<String> {
        ids.iter().map(|&i| self.candidates[i].clone()).collect()
    }
}

/// Prints `units / 10^scale` with exactly `scale` decimals.
pub fn fmt_units(units: i64, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let p = 10i64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let a = units.unsigned_abs();
    let p = p as u64;
    format!("{sign}{}.{:0width$}", a / p, a % p, width = scale as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_print_as_exact_decimals() {
        assert_eq!(fmt_units(284_200_000, 5), "2842.00000");
        assert_eq!(fmt_units(11_284_448, 5), "112.84448");
        assert_eq!(fmt_units(7, 5), "0.00007");
        assert_eq!(fmt_units(-7, 2), "-0.07");
        assert_eq!(fmt_units(42, 0), "42");
    }
}
