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

/// What a search's text asks of postcodes, as the start every postcode it finds has: a whole postcode
/// however typed (`l18jq` gives `L1 8JQ`), an outward code alone (`L1` gives `L1 `, so that L10 and
/// L11 are not found), or an outward code and the start of an inward one (`l1 8` gives `L1 8`).
/// `None` when the text is no part of a postcode, so a name is not also looked for among postcodes.
/// Only letters, digits and one space come back, so the prefix needs no escaping in a LIKE pattern.
pub fn search_prefix(text: &str) -> Option<String> {
    if let Ok(p) = Postcode::parse(text) {
        return Some(p.0);
    }
    let upper = text.to_ascii_uppercase();
    let mut parts = upper.split_whitespace();
    let outward = parts.next()?;
    let inward = parts.next().unwrap_or("").as_bytes();
    let starts_inward = match inward.len() {
        0 => true,
        1 => inward[0].is_ascii_digit(),
        2 => inward[0].is_ascii_digit() && inward[1].is_ascii_alphabetic(),
        _ => false,
    };
    (parts.next().is_none() && valid_outward(outward) && starts_inward)
        .then(|| format!("{outward} {}", String::from_utf8_lossy(inward)))
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

    #[test]
    fn a_search_for_part_of_a_postcode_finds_the_postcodes_that_start_so() {
        let prefix = |t: &str| search_prefix(t);
        assert_eq!(prefix("l18jq").as_deref(), Some("L1 8JQ"));
        assert_eq!(prefix(" L1  8JQ ").as_deref(), Some("L1 8JQ"));
        assert_eq!(prefix("l1").as_deref(), Some("L1 "));
        assert_eq!(prefix("L18").as_deref(), Some("L18 "));
        assert_eq!(prefix("sw1a 2").as_deref(), Some("SW1A 2"));
        assert_eq!(prefix("L1 8j").as_deref(), Some("L1 8J"));
        for not_a_postcode in [
            "",
            "Lee",
            "Smith",
            "L",
            "L1 8JQX",
            "L1 J",
            "L1 8 J",
            "12345",
            "LAB000123",
            "Ló1",
        ] {
            assert_eq!(prefix(not_a_postcode), None, "{not_a_postcode}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_search_prefix_is_the_start_of_the_postcode_it_was_cut_from(
            s in "[A-Z][0-9] ?[0-9][A-Z]{2}", cut in 0usize..6
        ) {
            if let Ok(p) = Postcode::parse(&s) {
                let typed: String = p.as_str().chars().take(cut.max(2)).collect();
                let prefix = search_prefix(&typed).unwrap();
                proptest::prop_assert!(p.as_str().starts_with(prefix.trim_end()), "{typed} {prefix}");
            }
        }


        #[test]
        fn parsing_never_panics_and_is_idempotent(s in "\\PC{0,12}") {
            if let Ok(p) = Postcode::parse(&s) {
                proptest::prop_assert_eq!(Postcode::parse(p.as_str()).unwrap(), p);
            }
        }
    }
}
