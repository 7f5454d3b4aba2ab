//! A branch's area (`7.VI.1`): one to three wards, all inside one constituency party. The caller
//! gives each ward with the CLP it falls in under the boundary set in force.
use crate::decision::{Decision, Reason};
use crate::rulebook::{self as clauses, Rulebook};

/// A ward proposed for a branch, and the CLP (by code) that the ward lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WardInClp {
    pub ward: String,
    pub clp: String,
}

/// Whether `wards` make a valid area for a branch of the CLP `clp`.
pub fn check_branch_area(clp: &str, wards: &[WardInClp], rulebook: &Rulebook) -> Decision {
    let rule = rulebook.branch_area();
    let clause = clauses::BRANCH_AREA;
    let mut distinct: Vec<&str> = wards.iter().map(|w| w.ward.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let count = distinct.len();
    let size = if count < rule.min_wards as usize || count > rule.max_wards as usize {
        Decision::deny(vec![Reason::new(
            clause,
            format!(
                "a branch covers {} to {} wards, not {count}",
                rule.min_wards, rule.max_wards
            ),
        )])
    } else {
        Decision::allow(vec![Reason::new(clause, format!("{count} wards"))])
    };
    let repeated = if count < wards.len() {
        Decision::deny(vec![Reason::new(clause, "a ward is listed more than once")])
    } else {
        Decision::allow(vec![])
    };
    let outside: Vec<&str> = wards
        .iter()
        .filter(|w| w.clp != clp)
        .map(|w| w.ward.as_str())
        .collect();
    let within = if !rule.within_one_clp || outside.is_empty() {
        Decision::allow(vec![Reason::new(
            clause,
            format!("every ward lies in {clp}"),
        )])
    } else {
        Decision::deny(vec![Reason::new(
            clause,
            format!(
                "wards outside the constituency party {clp}: {}",
                outside.join(", ")
            ),
        )])
    };
    Decision::all([size, repeated, within])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::shipped_for_tests;

    fn ward(ward: &str, clp: &str) -> WardInClp {
        WardInClp {
            ward: ward.into(),
            clp: clp.into(),
        }
    }

    const CLP: &str = "pcon2024:E14001345";

    #[test]
    fn one_to_three_wards_of_the_clp_make_a_branch() {
        let book = shipped_for_tests();
        assert!(check_branch_area(CLP, &[ward("E05015286", CLP)], &book).allowed);
        let three = [
            ward("E05015286", CLP),
            ward("E05015287", CLP),
            ward("E05015288", CLP),
        ];
        assert!(check_branch_area(CLP, &three, &book).allowed);
    }

    #[test]
    fn no_wards_or_four_wards_are_refused() {
        let book = shipped_for_tests();
        let d = check_branch_area(CLP, &[], &book);
        assert!(!d.allowed);
        assert_eq!(
            d.explain(),
            "a branch covers 1 to 3 wards, not 0 (clause 7.VI.1)"
        );
        let four: Vec<WardInClp> = (0..4).map(|i| ward(&format!("E0501528{i}"), CLP)).collect();
        assert!(!check_branch_area(CLP, &four, &book).allowed);
    }

    #[test]
    fn a_ward_of_another_clp_is_named() {
        let book = shipped_for_tests();
        let d = check_branch_area(
            CLP,
            &[
                ward("E05015286", CLP),
                ward("E05015300", "pcon2024:E14001346"),
            ],
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            format!("wards outside the constituency party {CLP}: E05015300")
        );
    }

    #[test]
    fn a_repeated_ward_is_refused() {
        let book = shipped_for_tests();
        let d = check_branch_area(
            CLP,
            &[ward("E05015286", CLP), ward("E05015286", CLP)],
            &book,
        );
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].message, "a ward is listed more than once");
    }
}
