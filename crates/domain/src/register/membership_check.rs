//! The membership check (SPEC 3.3, Liverpool 2021): for one member on a date, the exceptions a
//! membership officer should look at (wrong rate, dues not by direct debit where required, electoral
//! registration not verified, another party's membership). An exception list, never a lapse.
use time::Date;

use crate::calendar::{age_on, has_lasted_months};
use crate::decision::Reason;
use crate::register::member::PaymentMethod;
use crate::rulebook::{self as clauses, Circumstance, Rate, Rulebook};

/// What the check reads about a member: plain data from the register.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberFacts {
    pub date_of_birth: Option<Date>,
    /// The rate id the member pays (a `rates.<id>` clause of the rulebook).
    pub rate: String,
    pub payment_method: Option<PaymentMethod>,
    /// Circumstances the member has declared (retired or unwaged, affiliated union, ...).
    pub circumstances: Vec<Circumstance>,
    pub electoral_registration_verified_on: Option<Date>,
    /// Another party's membership on record, by party id (`co_operative_party` is compatible).
    pub other_party: Option<String>,
}

crate::spelled_enum!(
    /// The kinds of exception, for grouping an exception list per CLP or region.
    ExceptionKind, "exception kind" {
        UnknownRate => "unknown_rate",
        WrongRate => "wrong_rate",
        NotDirectDebit => "not_direct_debit",
        RegistrationUnverified => "registration_unverified",
        RegistrationStale => "registration_stale",
        OtherParty => "other_party",
    }
);

/// One finding of the check, with its reason and clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub kind: ExceptionKind,
    pub reason: Reason,
}

/// The rates the member qualifies for on `on`: age within the rate's band (a rate with an age band
/// needs a known date of birth) and every required circumstance declared.
pub fn qualifying_rates<'r>(
    facts: &MemberFacts,
    on: Date,
    rulebook: &'r Rulebook,
) -> Vec<&'r Rate> {
    rulebook
        .rates()
        .iter()
        .filter(|rate| rate_condition_failure(rate, facts, on).is_none())
        .collect()
}

/// Why `rate` does not fit the member, or `None` if it does.
fn rate_condition_failure(rate: &Rate, facts: &MemberFacts, on: Date) -> Option<String> {
    if rate.min_age.is_some() || rate.max_age.is_some() {
        let band = match (rate.min_age, rate.max_age) {
            (Some(min), Some(max)) => format!("ages {min} to {max}"),
            (Some(min), None) => format!("ages {min} and over"),
            (None, Some(max)) => format!("ages up to {max}"),
            (None, None) => String::new(),
        };
        let Some(born) = facts.date_of_birth else {
            return Some(format!(
                "the {} rate is for {band}, and no date of birth is recorded",
                rate.id
            ));
        };
        let age = age_on(born, on);
        if rate.min_age.is_some_and(|min| age < min) || rate.max_age.is_some_and(|max| age > max) {
            return Some(format!(
                "the {} rate is for {band}; the member is {age} on {on}",
                rate.id
            ));
        }
    }
    let missing: Vec<&str> = rate
        .requires
        .iter()
        .filter(|c| !facts.circumstances.contains(c))
        .map(|c| c.as_str())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "the {} rate requires {}, which the member has not declared",
            rate.id,
            missing.join(" and ")
        ));
    }
    None
}

/// The exceptions for one member on `on`; empty when everything is in order.
pub fn check_member(facts: &MemberFacts, on: Date, rulebook: &Rulebook) -> Vec<Exception> {
    let mut found = dues_exceptions(facts, on, rulebook);
    let reverify = rulebook.electoral_register_reverify_months();
    match facts.electoral_registration_verified_on {
        None => found.push(Exception {
            kind: ExceptionKind::RegistrationUnverified,
            reason: Reason::new(
                clauses::CHECK_ELECTORAL_REGISTER,
                "electoral registration has not been verified",
            ),
        }),
        Some(verified) if has_lasted_months(verified, on, reverify) => found.push(Exception {
            kind: ExceptionKind::RegistrationStale,
            reason: Reason::new(
                clauses::CHECK_ELECTORAL_REGISTER,
                format!("electoral registration last verified on {verified}, more than {reverify} months ago"),
            ),
        }),
        Some(_) => {}
    }
    if let Some(party) = &facts.other_party {
        if !rulebook.other_party_exceptions().contains(party) {
            found.push(Exception {
                kind: ExceptionKind::OtherParty,
                reason: Reason::new(
                    clauses::CHECK_OTHER_PARTY,
                    format!(
                        "recorded as a member of another party ({party}), a prohibited act under clause {}",
                        clauses::PROHIBITED_ACTS
                    ),
                ),
            });
        }
    }
    found
}

/// The dues part of the check (rate and payment method), which panel applications also require.
pub fn dues_exceptions(facts: &MemberFacts, on: Date, rulebook: &Rulebook) -> Vec<Exception> {
    let Some(rate) = rulebook.rate(&facts.rate) else {
        return vec![Exception {
            kind: ExceptionKind::UnknownRate,
            reason: Reason::new(
                clauses::CHECK_RATE,
                format!("'{}' is not a rate of the rulebook", facts.rate),
            ),
        }];
    };
    let mut found = Vec::new();
    if let Some(why) = rate_condition_failure(rate, facts, on) {
        let better: Vec<&str> = qualifying_rates(facts, on, rulebook)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let hint = if better.is_empty() {
            String::new()
        } else {
            format!(" (qualifies for: {})", better.join(", "))
        };
        found.push(Exception {
            kind: ExceptionKind::WrongRate,
            reason: Reason::new(
                clauses::CHECK_RATE,
                format!("{why}{hint} [clause {}]", rate.clause),
            ),
        });
    }
    if rate.direct_debit_required && facts.payment_method != Some(PaymentMethod::DirectDebit) {
        let paid_by = facts
            .payment_method
            .map_or("an unknown method", |m| m.as_str());
        found.push(Exception {
            kind: ExceptionKind::NotDirectDebit,
            reason: Reason::new(
                clauses::CHECK_DIRECT_DEBIT,
                format!(
                    "the {} rate is paid by direct debit, but the member pays by {paid_by}",
                    rate.id
                ),
            ),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::shipped_for_tests;
    use time::macros::date;

    fn clean_member() -> MemberFacts {
        MemberFacts {
            date_of_birth: Some(date!(1980 - 05 - 05)),
            rate: "standard".into(),
            payment_method: Some(PaymentMethod::DirectDebit),
            circumstances: vec![],
            electoral_registration_verified_on: Some(date!(2026 - 06 - 01)),
            other_party: None,
        }
    }

    fn kinds(e: &[Exception]) -> Vec<ExceptionKind> {
        e.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn a_member_in_order_has_no_exceptions() {
        assert!(
            check_member(&clean_member(), date!(2026 - 11 - 22), &shipped_for_tests()).is_empty()
        );
    }

    #[test]
    fn the_youth_rate_after_the_age_limit_is_an_exception_naming_the_better_rates() {
        let m = MemberFacts {
            date_of_birth: Some(date!(2006 - 03 - 01)),
            rate: "youth".into(),
            ..clean_member()
        };
        let found = check_member(&m, date!(2026 - 11 - 22), &shipped_for_tests());
        assert_eq!(kinds(&found), vec![ExceptionKind::WrongRate]);
        assert_eq!(found[0].reason.clause, "check.rate");
        assert_eq!(
            found[0].reason.message,
            "the youth rate is for ages 14 to 19; the member is 20 on 2026-11-22 (qualifies for: standard, young) [clause rates.youth]"
        );
        // The day before the 20th birthday the youth rate is still right.
        assert!(check_member(&m, date!(2026 - 02 - 28), &shipped_for_tests()).is_empty());
    }

    #[test]
    fn monthly_rates_need_a_direct_debit() {
        let m = MemberFacts {
            payment_method: Some(PaymentMethod::Card),
            ..clean_member()
        };
        let found = check_member(&m, date!(2026 - 11 - 22), &shipped_for_tests());
        assert_eq!(kinds(&found), vec![ExceptionKind::NotDirectDebit]);
        assert_eq!(found[0].reason.clause, "check.direct_debit");
        assert!(found[0].reason.message.contains("pays by card"));
        let armed = MemberFacts {
            rate: "armed_forces".into(),
            circumstances: vec![Circumstance::ArmedForces],
            payment_method: Some(PaymentMethod::Cheque),
            ..clean_member()
        };
        assert!(check_member(&armed, date!(2026 - 11 - 22), &shipped_for_tests()).is_empty());
    }

    #[test]
    fn the_reduced_rate_without_a_declared_circumstance_is_an_exception() {
        let m = MemberFacts {
            rate: "reduced".into(),
            ..clean_member()
        };
        let found = check_member(&m, date!(2026 - 11 - 22), &shipped_for_tests());
        assert_eq!(kinds(&found), vec![ExceptionKind::WrongRate]);
        assert!(found[0]
            .reason
            .message
            .contains("requires retired_or_unwaged"));
    }

    #[test]
    fn registration_must_be_verified_and_recent() {
        let book = shipped_for_tests();
        let never = MemberFacts {
            electoral_registration_verified_on: None,
            ..clean_member()
        };
        let found = check_member(&never, date!(2026 - 11 - 22), &book);
        assert_eq!(kinds(&found), vec![ExceptionKind::RegistrationUnverified]);
        assert_eq!(found[0].reason.clause, "check.electoral_register");
        let old = MemberFacts {
            electoral_registration_verified_on: Some(date!(2025 - 11 - 22)),
            ..clean_member()
        };
        assert_eq!(
            kinds(&check_member(&old, date!(2026 - 11 - 22), &book)),
            vec![ExceptionKind::RegistrationStale]
        );
        assert!(check_member(&old, date!(2026 - 11 - 21), &book).is_empty());
    }

    #[test]
    fn another_partys_membership_is_an_exception_except_the_co_operative_party() {
        let book = shipped_for_tests();
        let green = MemberFacts {
            other_party: Some("green_party".into()),
            ..clean_member()
        };
        let found = check_member(&green, date!(2026 - 11 - 22), &book);
        assert_eq!(kinds(&found), vec![ExceptionKind::OtherParty]);
        assert!(found[0].reason.message.contains("clause 2.I.5.B"));
        let coop = MemberFacts {
            other_party: Some("co_operative_party".into()),
            ..clean_member()
        };
        assert!(check_member(&coop, date!(2026 - 11 - 22), &book).is_empty());
    }

    #[test]
    fn an_unknown_rate_is_reported_alone() {
        let m = MemberFacts {
            rate: "gold".into(),
            payment_method: None,
            ..clean_member()
        };
        let found = dues_exceptions(&m, date!(2026 - 11 - 22), &shipped_for_tests());
        assert_eq!(kinds(&found), vec![ExceptionKind::UnknownRate]);
    }

    #[test]
    fn qualifying_rates_follow_age_and_circumstances() {
        let book = shipped_for_tests();
        let ids = |m: &MemberFacts, on: Date| -> Vec<String> {
            qualifying_rates(m, on, &book)
                .iter()
                .map(|r| r.id.clone())
                .collect()
        };
        let teen = MemberFacts {
            date_of_birth: Some(date!(2010 - 01 - 01)),
            ..clean_member()
        };
        assert_eq!(ids(&teen, date!(2026 - 11 - 22)), vec!["standard", "youth"]);
        let unwaged_union = MemberFacts {
            circumstances: vec![
                Circumstance::RetiredOrUnwaged,
                Circumstance::AffiliatedTradeUnion,
            ],
            ..clean_member()
        };
        assert_eq!(
            ids(&unwaged_union, date!(2026 - 11 - 22)),
            vec!["reduced", "standard", "trade_union"]
        );
        let unknown_age = MemberFacts {
            date_of_birth: None,
            ..clean_member()
        };
        assert_eq!(ids(&unknown_age, date!(2026 - 11 - 22)), vec!["standard"]);
    }
}
