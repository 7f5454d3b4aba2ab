//! UK postcodes: normalised to upper case with one space before the three-character inward code, and
//! validated against the shape the Royal Mail allocates (outward `A9`, `A99`, `AA9`, `AA99`, `A9A`,
//! `AA9A`; inward `9AA`). Written by hand because the rule is a dozen lines and no crate adds to it.
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Postcode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    #[error("the postcode is empty")]
    Empty,
    #[error("'{0}' is not a UK postcode (expected a form like L1 0AA or SW1A 2AA)")]
    Malformed(String),
}

impl Postcode {
    pub fn parse(input: &str) -> Result<Postcode, PostcodeError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(PostcodeError::Empty);
        }
        let bad = || PostcodeError::Malformed(input.trim().to_string());
        if !compact.is_ascii() || compact.len() < 5 || compact.len() > 7 {
            return Err(bad());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        if compact == "GIR0AA" {
            return Ok(Postcode("GIR 0AA".to_string()));
        }
        if !valid_outward(outward) || !valid_inward(inward) {
            return Err(bad());
        }
        Ok(Postcode(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code, the part before the space (`L1` of `L1 0AA`).
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }
}

fn valid_inward(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_alphabetic()
}

fn valid_outward(s: &str) -> bool {
    let b = s.as_bytes();
    let alpha = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphabetic());
    let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    let alnum = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    match b.len() {
        2 => alpha(0) && digit(1),
        3 => alpha(0) && ((digit(1) && alnum(2)) || (alpha(1) && digit(2))),
        4 => alpha(0) && alpha(1) && digit(2) && alnum(3),
        _ => false,
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postcode_is_upper_cased_with_one_space_before_the_inward_code() {
        assert_eq!(Postcode::parse(" l1  0aa ").unwrap().as_str(), "L1 0AA");
        assert_eq!(Postcode::parse("sw1a2aa").unwrap().as_str(), "SW1A 2AA");
        assert_eq!(Postcode::parse("AL1  1AA").unwrap().as_str(), "AL1 1AA");
        assert_eq!(Postcode::parse("W1A 1AA").unwrap().as_str(), "W1A 1AA");
        assert_eq!(Postcode::parse("L18 1AB").unwrap().outward(), "L18");
    }

    #[test]
    fn malformed_postcodes_are_refused_with_the_input_named() {
        for bad in [
            "L1", "12345", "LL1 AAA", "L1 0A1", "ABCD 1AA", "L1 0AA X", "L£1 0AA",
        ] {
            let err = Postcode::parse(bad).unwrap_err();
            assert!(matches!(err, PostcodeError::Malformed(_)), "{bad}");
        }
        assert_eq!(Postcode::parse("  "), Err(PostcodeError::Empty));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(s in "\\PC{0,12}") {
            if let Ok(p) = Postcode::parse(&s) {
                proptest::prop_assert_eq!(Postcode::parse(p.as_str()).unwrap(), p);
            }
        }
    }
}
