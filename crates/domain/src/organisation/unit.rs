//! The kinds of unit the party is made of (SPEC 3.2) and how their codes are formed.
crate::spelled_enum!(
    /// A kind of unit, spelled as in the API.
    UnitKind, "unit kind" {
        National => "national",
        Nation => "nation",
        Region => "region",
        LocalAuthority => "local_authority",
        Clp => "clp",
        Branch => "branch",
        LabourGroup => "labour_group",
        WomensBranch => "womens_branch",
        YoungLabour => "young_labour",
        Affiliate => "affiliate",
    }
);

/// A constituency party's code: its constituency's GSS code prefixed by its boundary set
/// (`pcon2024:E14001337`), because some constituency codes repeat across sets.
pub fn clp_code(boundary_set: &str, constituency: &str) -> String {
    format!("{boundary_set}:{constituency}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clp_code_is_the_set_and_the_gss_code() {
        assert_eq!(clp_code("pcon2024", "E14001337"), "pcon2024:E14001337");
        assert_eq!(
            UnitKind::parse("labour_group").unwrap(),
            UnitKind::LabourGroup
        );
    }
}
