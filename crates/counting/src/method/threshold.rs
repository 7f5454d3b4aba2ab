//! Threshold votes: does a candidate's (or a motion's) vote reach a fraction of a base,
//! exactly? Base `cast` is the valid ballots, base `roll` the size of the electorate
//! (a recall at two-thirds of the group). Compared as integers: votes x den against num x base.

use super::new_round;
use crate::error::CountError;
use crate::profile::{Policies, Profile};
use crate::result::{CountResult, Method, ThresholdOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Cast,
    Roll(u64),
}

pub(crate) struct Options {
    pub fraction: (u64, u64),
    pub base: Base,
    /// `true` for "more than", `false` for "at least".
    pub strict: bool,
    pub policies: Policies,
}

/// Reads `2/3`, `1/2` or a decimal such as `0.6` as an exact fraction in (0, 1].
pub fn parse_fraction(s: &str) -> Result<(u64, u64), CountError> {
    let bad = || CountError::BadFraction(s.to_string());
    let digits = |t: &str| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit());
    let (num, den) = if let Some((a, b)) = s.split_once('/') {
        let (a, b) = (a.trim(), b.trim());
        if !digits(a) || !digits(b) {
            return Err(bad());
        }
        (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?)
    } else if let Some((a, b)) = s.trim().split_once('.') {
        if !(a.is_empty() || digits(a)) || !digits(b) || b.len() > 12 {
            return Err(bad());
        }
        let den = 10u64.pow(b.len() as u32);
        let whole: u64 = if a.is_empty() {
            0
        } else {
            a.parse().map_err(|_| bad())?
        };
        let frac: u64 = b.parse().map_err(|_| bad())?;
        (
            whole
                .checked_mul(den)
                .and_then(|x| x.checked_add(frac))
                .ok_or_else(bad)?,
            den,
        )
    } else {
        return Err(bad());
    };
    if den == 0 || num == 0 || num > den {
        return Err(bad());
    }
    Ok((num, den))
}

pub(crate) fn count(profile: &Profile, opts: &Options) -> Result<CountResult, CountError> {
    let n = profile.candidates.len();
    let mut totals = vec![0i64; n];
    let mut cast: u64 = 0;
    let mut blank: u64 = 0;
    profile.for_each_clean(&opts.policies, |w, prefs| match prefs.first() {
        Some(&c) => {
            cast += w;
            totals[c as usize] += w as i64;
        }
        None => blank += w,
    });
    let (num, den) = opts.fraction;
    let (base, base_name) = match opts.base {
        Base::Cast => (cast, "valid ballots cast"),
        Base::Roll(r) => {
            if r < cast {
                return Err(CountError::RollTooSmall { roll: r, cast });
            }
            (r, "the roll")
        }
    };
    if base == 0 {
        return Err(CountError::EmptyBase);
    }
    // The fewest votes that meet the threshold, in whole votes: exact integer arithmetic.
    let need_scaled = u128::from(num) * u128::from(base);
    let den128 = u128::from(den);
    let needed = if opts.strict {
        need_scaled / den128 + 1
    } else {
        need_scaled.div_ceil(den128)
    };
    let meets = |v: i64| {
        let lhs = u128::from(v.max(0) as u64) * den128;
        if opts.strict {
            lhs > need_scaled
        } else {
            lhs >= need_scaled
        }
    };
    let elected: Vec<usize> = (0..n).filter(|&c| meets(totals[c])).collect();
    let comparison = if opts.strict { ">" } else { ">=" };
    let mut round = new_round(1, "Votes".into(), totals, 0);
    round.elected = elected.clone();
    Ok(CountResult {
        method: Method::Threshold,
        rule: format!(
            "Threshold: a candidate's first-preference votes x {den} {comparison} {num} x {base} ({base_name}), \
             i.e. votes {comparison} {num}/{den} of {base}; blank ballots not counted as cast; {}",
            opts.policies.describe()
        ),
        title: profile.title.clone(),
        candidates: profile.candidates.clone(),
        withdrawn: profile.withdrawn.clone(),
        seats: 1,
        scale: 0,
        quota: Some(i64::try_from(needed).unwrap_or(i64::MAX)),
        valid: cast as i64,
        rejected: blank,
        elected,
        rounds: vec![round],
        ties: Vec::new(),
        threshold: Some(ThresholdOutcome {
            numerator: num,
            denominator: den,
            base_name,
            base,
            comparison,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_of_zero_votes_is_refused() {
        let p = Profile {
            candidates: vec!["Yes".into()],
            ..Profile::default()
        };
        let o = Options {
            fraction: (2, 3),
            base: Base::Cast,
            strict: false,
            policies: Policies::default(),
        };
        assert_eq!(count(&p, &o).unwrap_err(), CountError::EmptyBase);
    }

    #[test]
    fn fractions_read_exactly() {
        assert_eq!(parse_fraction("2/3").unwrap(), (2, 3));
        assert_eq!(parse_fraction("0.6").unwrap(), (6, 10));
        assert!(parse_fraction("3/2").is_err());
        assert!(parse_fraction("0").is_err());
        assert!(parse_fraction("x/3").is_err());
    }
}
