//! The member's vocabulary: statuses of the lifecycle and payment methods, with the spellings used in
//! the members CSV, the database and the API. The lifecycle's rules live in `lifecycle` and `status`.
use crate::vocabulary::UnknownValue;

crate::spelled_enum!(
    /// Where a member stands on a date (SPEC 3.3).
    MemberStatus, "status" {
        Provisional => "provisional",
        Active => "active",
        InArrears => "in_arrears",
        Lapsed => "lapsed",
        Suspended => "suspended",
        Expelled => "expelled",
        Excluded => "excluded",
        Rejected => "rejected",
        Resigned => "resigned",
        Deceased => "deceased",
    }
);

impl MemberStatus {
    /// Still a member of the party (whatever their rights), as opposed to someone whose membership
    /// has ended.
    pub fn is_member(self) -> bool {
        matches!(
            self,
            MemberStatus::Provisional
                | MemberStatus::Active
                | MemberStatus::InArrears
                | MemberStatus::Suspended
        )
    }
}

crate::spelled_enum!(
    /// How a member pays their dues.
    PaymentMethod, "payment method" {
        DirectDebit => "direct_debit",
        Card => "card",
        Cheque => "cheque",
    }
);

/// Parses the booleans of the members CSV: `true/false`, `yes/no`, `1/0`, in any case.
pub fn parse_bool(text: &str) -> Result<bool, UnknownValue> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(UnknownValue {
            what: "boolean",
            value: other.to_string(),
            expected: "true, false, yes, no, 1, 0".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_spelling() {
        for s in MemberStatus::ALL {
            assert_eq!(MemberStatus::parse(s.as_str()).unwrap(), *s);
        }
        assert_eq!(MemberStatus::ALL.len(), 10);
    }

    #[test]
    fn an_unknown_status_names_the_accepted_ones() {
        let e = MemberStatus::parse("zombie").unwrap_err();
        assert!(e.to_string().contains("unknown status 'zombie'"));
        assert!(e.to_string().contains("in_arrears"));
    }

    #[test]
    fn booleans_accept_the_three_spellings() {
        assert!(parse_bool("Yes").unwrap());
        assert!(!parse_bool("0").unwrap());
        assert!(parse_bool("maybe").is_err());
    }
}
