//! Who may do what (SPEC 1 and 3.4): one pure function, `can(actor, action, resource, on)`, that the
//! app layer asks before every read and write. Rights come only from grants of a role over a unit for
//! a period; a grant covers the units beneath its unit; the answer names the grant or the rule behind it.
//! This is the core (roles, grants, actors, the grant loop `by_grants`); what a grant allows on a
//! context's records is that context's rule (`register::access`, `organisation::access`,
//! `offices::access`, `ballots::access`), beside the rest of its rules.
use time::Date;

use super::allowed::Allowed;
use super::grants::with_article;
pub use super::grants::{Actor, Grant, GrantUnit, Role};
use crate::ballots::access as ballots_access;
use crate::decision::{Decision, Reason};
use crate::offices::access as offices_access;
use crate::organisation::access as organisation_access;
use crate::organisation::unit::UnitKind;
use crate::register::access as register_access;
use crate::rulebook::{ACCESS_GRANTS, ACCESS_ROLES, ACCESS_SELF, ACCESS_SEPARATION};

crate::spelled_enum!(
    /// What an actor wants to do.
    Action, "action" {
        ReadMember => "read_member",
        ListMembers => "list_members",
        ReadUnit => "read_unit",
        ManageAccounts => "manage_accounts",
        ReadAuditLog => "read_audit_log",
        ChangeMemberStatus => "change_member_status",
        ManageBallots => "manage_ballots",
        ReadPetition => "read_petition",
    }
);

/// What is asked about. `units` lists every unit the thing sits in together with all their
/// ancestors (a member: their branch, CLP and local authority, and the region above them), so a
/// grant over any of them covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Member {
        member_id: i64,
        units: Vec<i64>,
    },
    Unit {
        kind: UnitKind,
        units: Vec<i64>,
    },
    Accounts,
    AuditLog,
    /// A recall petition of the Labour group that sits in `units`; it names its signatories.
    /// `in_group` says whether the asker's own member record is one of the group's councillors.
    Petition {
        units: Vec<i64>,
        in_group: bool,
    },
}

/// May `actor` do `action` to `resource` on `on`? Allowed with the grant (or rule) that allows it;
/// refused with, for each grant, why it does not. Each context's rule says what its records allow
/// beyond grants (the actor's own record, the actor's own group), then what one grant allows.
pub fn can(actor: &Actor, action: Action, resource: &Resource, on: Date) -> Decision {
    let beyond_grants = match (action, resource) {
        (Action::ReadMember, Resource::Member { member_id, .. }) => {
            register_access::own_record(actor, *member_id)
        }
        (Action::ReadPetition, Resource::Petition { in_group, .. }) => {
            offices_access::own_group(*in_group)
        }
        _ => None,
    };
    if let Some(allowed) = beyond_grants {
        return allowed;
    }
    by_grants(actor, on, |grant| permits(grant, action, resource))
}

/// `can`, as the proof a write needs: the `Allowed` when the decision allows, the refusing
/// `Decision` when it does not. The only way to an `Allowed` for an actor's request.
pub fn authorise(
    actor: &Actor,
    action: Action,
    resource: &Resource,
    on: Date,
) -> Result<Allowed, Decision> {
    Allowed::by_policy(actor.account_id, can(actor, action, resource, on))
}

/// `may_read_any_member` as an `Allowed`: the proof a search or a lookup by number logs its read with.
pub fn authorise_reading_members(actor: &Actor, on: Date) -> Result<Allowed, Decision> {
    Allowed::by_policy(actor.account_id, may_read_any_member(actor, on))
}

/// The grant loop, written once: allowed by the first grant in force whose rule allows it; refused
/// with every grant's reason (one out of force, or what its rule says) when none does.
pub fn by_grants(
    actor: &Actor,
    on: Date,
    rule: impl Fn(&Grant) -> Result<Reason, Reason>,
) -> Decision {
    if actor.grants.is_empty() {
        return Decision::deny(vec![Reason::new(
            ACCESS_GRANTS,
            "this account holds no role",
        )]);
    }
    let mut refusals = Vec::new();
    for grant in &actor.grants {
        if let Err(r) = grant.in_force(on) {
            refusals.push(r);
            continue;
        }
        match rule(grant) {
            Ok(reason) => return Decision::allow(vec![reason]),
            Err(reason) => refusals.push(reason),
        }
    }
    Decision::deny(refusals)
}

/// May `actor` read any member's record at all on `on`: their own (an account of a member), or
/// those a grant in force of a role that reads members' records covers? Asked before a member is
/// looked up by number, so that an account with no such access is refused the same whether the
/// number exists or not; an account with some access is told a member it may not read is not
/// there, as a number that does not exist is (it may not learn that the member exists).
pub fn may_read_any_member(actor: &Actor, on: Date) -> Decision {
    if actor.member_id.is_some() {
        return Decision::allow(vec![Reason::new(
            ACCESS_SELF,
            "you may read your own record",
        )]);
    }
    by_grants(actor, on, register_access::reads_members)
}

/// Could a grant of `role`, over every unit, ever allow `action`? What a token's scope may be asked
/// for: a scope no grant of the owner could use is refused when the token is made.
pub fn role_may_ever(role: Role, action: Action) -> bool {
    let national = Grant {
        role,
        unit: None,
        valid_from: Date::MIN,
        valid_until: None,
    };
    let resource = match action {
        Action::ReadMember | Action::ChangeMemberStatus => Resource::Member {
            member_id: 0,
            units: Vec::new(),
        },
        Action::ListMembers | Action::ReadUnit | Action::ManageBallots => Resource::Unit {
            kind: UnitKind::National,
            units: Vec::new(),
        },
        Action::ManageAccounts => Resource::Accounts,
        Action::ReadAuditLog => Resource::AuditLog,
        Action::ReadPetition => Resource::Petition {
            units: Vec::new(),
            in_group: false,
        },
    };
    permits(&national, action, &resource).is_ok()
}

/// What one grant in force says about the request: the rule of the context the record belongs to.
fn permits(grant: &Grant, action: Action, resource: &Resource) -> Result<Reason, Reason> {
    match (action, resource) {
        (Action::ReadMember, Resource::Member { units, .. }) => {
            register_access::read_member(grant, units)
        }
        (Action::ListMembers, Resource::Unit { units, .. }) => {
            register_access::list_members(grant, units)
        }
        (Action::ChangeMemberStatus, Resource::Member { units, .. }) => {
            register_access::change_status(grant, units)
        }
        (Action::ReadUnit, Resource::Unit { .. }) => organisation_access::read_unit(grant),
        (Action::ManageAccounts, Resource::Accounts) => manage_accounts(grant),
        (Action::ReadAuditLog, Resource::AuditLog) => read_audit_log(grant),
        (Action::ManageBallots, Resource::Unit { units, .. }) => {
            ballots_access::manage(grant, units)
        }
        (Action::ReadPetition, Resource::Petition { units, .. }) => {
            offices_access::read_petition(grant, units)
        }
        _ => Err(Reason::new(
            ACCESS_ROLES,
            format!("{action} does not apply to this kind of record"),
        )),
    }
}

/// Accounts are the system administrator's alone (separation of duties: they see no member data).
fn manage_accounts(grant: &Grant) -> Result<Reason, Reason> {
    match grant.role {
        Role::Admin => Ok(Reason::new(
            ACCESS_SEPARATION,
            format!("{} manages accounts", grant.describe()),
        )),
        role => Err(Reason::new(
            ACCESS_ROLES,
            format!("{} may not manage accounts", with_article(role)),
        )),
    }
}

/// The audit and access logs are the auditor's to read.
fn read_audit_log(grant: &Grant) -> Result<Reason, Reason> {
    match grant.role {
        Role::Auditor => Ok(Reason::new(
            ACCESS_ROLES,
            format!("{} reads the audit and access logs", grant.describe()),
        )),
        role => Err(Reason::new(
            ACCESS_ROLES,
            format!("{} may not read the audit log", with_article(role)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::{GROUP_LEADER, GROUP_LEADER_LISTS};

    #[test]
    fn a_role_takes_the_article_of_its_sound() {
        assert_eq!(with_article(Role::Auditor), "an auditor");
        assert_eq!(with_article(Role::AppointedOfficer), "an appointed officer");
        assert_eq!(with_article(Role::EqualityAnalyst), "an equality analyst");
        assert_eq!(with_article(Role::Member), "a member");
        assert_eq!(with_article(Role::ClpSecretary), "a CLP secretary");
        assert_eq!(with_article(Role::LgcSecretary), "an LGC secretary");
        assert_eq!(with_article(Role::NecMember), "an NEC member");
        assert_eq!(with_article(Role::IcbMember), "an ICB member");
        assert_eq!(with_article(Role::GeneralSecretary), "a general secretary");
    }
    use time::macros::date;

    const ON: Date = date!(2026 - 11 - 22);
    // A small tree: national 1 > region 2 > (local authority 3, CLP 4 > branches 5 and 6); CLP 7 elsewhere.
    const BRANCH_5_MEMBER: &[i64] = &[5, 4, 3, 2, 1];
    const BRANCH_6_MEMBER: &[i64] = &[6, 4, 3, 2, 1];
    const CLP_7_MEMBER: &[i64] = &[7, 2, 1];

    fn grant(role: Role, unit: Option<(i64, &str)>) -> Grant {
        Grant {
            role,
            unit: unit.map(|(id, code)| GrantUnit {
                id,
                code: code.to_string(),
            }),
            valid_from: date!(2026 - 01 - 01),
            valid_until: None,
        }
    }

    fn actor(grants: Vec<Grant>) -> Actor {
        Actor {
            account_id: 1,
            member_id: None,
            grants,
        }
    }

    fn member(id: i64, units: &[i64]) -> Resource {
        Resource::Member {
            member_id: id,
            units: units.to_vec(),
        }
    }

    fn clauses(d: &Decision) -> Vec<&str> {
        d.reasons.iter().map(|r| r.clause.as_str()).collect()
    }

    #[test]
    fn a_clp_secretary_reads_a_member_of_a_branch_beneath_their_clp() {
        let a = actor(vec![grant(Role::ClpSecretary, Some((4, "pcon2024:E1")))]);
        let d = can(&a, Action::ReadMember, &member(10, BRANCH_5_MEMBER), ON);
        assert!(d.allowed);
        assert_eq!(clauses(&d), vec![ACCESS_GRANTS]);
        assert_eq!(
            d.reasons[0].message,
            "the clp_secretary grant for pcon2024:E1 covers this member"
        );
    }

    #[test]
    fn a_branch_secretary_may_not_read_a_member_of_another_branch_and_is_told_why() {
        let a = actor(vec![grant(Role::BranchSecretary, Some((5, "E05000001")))]);
        let d = can(&a, Action::ReadMember, &member(10, BRANCH_6_MEMBER), ON);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons,
            vec![Reason::new(
                ACCESS_GRANTS,
                "the branch_secretary grant for E05000001 does not cover this member"
            )]
        );
    }

    #[test]
    fn an_expired_grant_grants_nothing() {
        let mut g = grant(Role::ClpSecretary, Some((4, "pcon2024:E1")));
        g.valid_until = Some(date!(2026 - 05 - 31));
        let d = can(
            &actor(vec![g]),
            Action::ReadMember,
            &member(10, BRANCH_5_MEMBER),
            ON,
        );
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "the clp_secretary grant for pcon2024:E1 ended on 2026-05-31"
        );
    }

    #[test]
    fn a_grant_counts_on_its_last_day_and_not_before_its_first() {
        let mut g = grant(Role::ClpSecretary, Some((4, "pcon2024:E1")));
        g.valid_until = Some(ON);
        assert!(
            can(
                &actor(vec![g.clone()]),
                Action::ReadMember,
                &member(10, BRANCH_5_MEMBER),
                ON
            )
            .allowed
        );
        g.valid_from = date!(2026 - 12 - 01);
        g.valid_until = None;
        let d = can(
            &actor(vec![g]),
            Action::ReadMember,
            &member(10, BRANCH_5_MEMBER),
            ON,
        );
        assert!(!d.allowed);
        assert!(d.reasons[0].message.contains("starts on 2026-12-01"));
    }

    #[test]
    fn a_group_leader_reads_the_members_of_their_local_authority_area_under_the_lists_clause() {
        let a = actor(vec![grant(Role::GroupLeader, Some((3, "E08000012")))]);
        let d = can(&a, Action::ReadMember, &member(10, BRANCH_5_MEMBER), ON);
        assert!(d.allowed);
        assert_eq!(clauses(&d), vec![GROUP_LEADER_LISTS]);
        let list = Resource::Unit {
            kind: UnitKind::LocalAuthority,
            units: vec![3, 2, 1],
        };
        assert!(can(&a, Action::ListMembers, &list, ON).allowed);
        assert!(!can(&a, Action::ReadMember, &member(11, CLP_7_MEMBER), ON).allowed);
    }

    #[test]
    fn an_administrator_never_reads_member_data_even_with_a_national_grant() {
        let a = actor(vec![grant(Role::Admin, None)]);
        let d = can(&a, Action::ReadMember, &member(10, BRANCH_5_MEMBER), ON);
        assert!(!d.allowed);
        assert_eq!(clauses(&d), vec![ACCESS_SEPARATION]);
        assert!(can(&a, Action::ManageAccounts, &Resource::Accounts, ON).allowed);
    }

    #[test]
    fn a_member_reads_their_own_record_and_no_one_elses() {
        let mut a = actor(vec![grant(Role::Member, None)]);
        a.member_id = Some(10);
        let d = can(&a, Action::ReadMember, &member(10, BRANCH_5_MEMBER), ON);
        assert!(d.allowed);
        assert_eq!(clauses(&d), vec![ACCESS_SELF]);
        let d = can(&a, Action::ReadMember, &member(11, BRANCH_5_MEMBER), ON);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "a member may read only their own record"
        );
    }

    #[test]
    fn nec_members_and_case_roles_are_refused_individual_records_with_their_rule() {
        for (role, words) in [
            (Role::NecMember, "aggregate figures only"),
            (Role::EqualityAnalyst, "aggregate figures only"),
            (Role::IrbMember, "cases assigned to them"),
            (Role::Auditor, "audit and access logs only"),
        ] {
            let d = can(
                &actor(vec![grant(role, None)]),
                Action::ReadMember,
                &member(10, BRANCH_5_MEMBER),
                ON,
            );
            assert!(!d.allowed, "{role}");
            assert_eq!(clauses(&d), vec![ACCESS_ROLES], "{role}");
            assert!(
                d.reasons[0].message.contains(words),
                "{role}: {}",
                d.reasons[0].message
            );
        }
    }

    #[test]
    fn the_general_secretary_reads_any_member_nationally() {
        let a = actor(vec![grant(Role::GeneralSecretary, None)]);
        assert!(can(&a, Action::ReadMember, &member(11, CLP_7_MEMBER), ON).allowed);
    }

    #[test]
    fn a_refusal_lists_why_each_grant_did_not_apply() {
        let mut old = grant(Role::ClpSecretary, Some((7, "pcon2024:E7")));
        old.valid_until = Some(date!(2025 - 12 - 31));
        let a = actor(vec![
            old,
            grant(Role::BranchSecretary, Some((6, "E05000006"))),
        ]);
        let d = can(&a, Action::ReadMember, &member(10, BRANCH_5_MEMBER), ON);
        assert!(!d.allowed);
        assert_eq!(d.reasons.len(), 2);
        assert!(d.reasons[0].message.contains("ended on 2025-12-31"));
        assert!(d.reasons[1].message.contains("does not cover this member"));
    }

    #[test]
    fn an_account_without_roles_may_do_nothing() {
        let d = can(
            &actor(vec![]),
            Action::ReadUnit,
            &Resource::Unit {
                kind: UnitKind::Clp,
                units: vec![4],
            },
            ON,
        );
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].message, "this account holds no role");
    }

    #[test]
    fn only_the_auditor_reads_the_audit_log() {
        assert!(
            can(
                &actor(vec![grant(Role::Auditor, None)]),
                Action::ReadAuditLog,
                &Resource::AuditLog,
                ON
            )
            .allowed
        );
        assert!(
            !can(
                &actor(vec![grant(Role::Admin, None)]),
                Action::ReadAuditLog,
                &Resource::AuditLog,
                ON
            )
            .allowed
        );
    }

    #[test]
    fn only_the_general_secretary_and_a_regional_director_change_status_within_their_grant() {
        let region = actor(vec![grant(Role::RegionalDirector, Some((2, "E12000002")))]);
        let d = can(
            &region,
            Action::ChangeMemberStatus,
            &member(10, BRANCH_5_MEMBER),
            ON,
        );
        assert!(d.allowed, "{d:?}");
        let elsewhere = member(11, &[9, 8, 1]);
        assert!(!can(&region, Action::ChangeMemberStatus, &elsewhere, ON).allowed);
        let national = actor(vec![grant(Role::GeneralSecretary, None)]);
        assert!(can(&national, Action::ChangeMemberStatus, &elsewhere, ON).allowed);
        let secretary = actor(vec![grant(Role::ClpSecretary, Some((4, "pcon2024:E1")))]);
        let d = can(
            &secretary,
            Action::ChangeMemberStatus,
            &member(10, BRANCH_5_MEMBER),
            ON,
        );
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "a CLP secretary may not change a member's status"
        );
        let mut own = actor(vec![grant(Role::Member, None)]);
        own.member_id = Some(10);
        assert!(
            !can(
                &own,
                Action::ChangeMemberStatus,
                &member(10, BRANCH_5_MEMBER),
                ON
            )
            .allowed,
            "reading your own record is not changing it"
        );
    }

    #[test]
    fn a_clp_secretary_runs_the_ballots_of_their_clp_and_a_member_runs_none() {
        let clp = Resource::Unit {
            kind: UnitKind::Clp,
            units: vec![4, 2, 1],
        };
        let other = Resource::Unit {
            kind: UnitKind::Clp,
            units: vec![7, 2, 1],
        };
        let a = actor(vec![grant(Role::ClpSecretary, Some((4, "pcon2024:E1")))]);
        assert!(can(&a, Action::ManageBallots, &clp, ON).allowed);
        let d = can(&a, Action::ManageBallots, &other, ON);
        assert!(!d.allowed);
        assert!(d.reasons[0].message.contains("does not cover this unit"));
        let d = can(
            &actor(vec![grant(Role::Member, None)]),
            Action::ManageBallots,
            &clp,
            ON,
        );
        assert!(!d.allowed);
        assert_eq!(d.reasons[0].message, "a member does not run ballots");
        assert!(
            can(
                &actor(vec![grant(Role::GeneralSecretary, None)]),
                Action::ManageBallots,
                &other,
                ON
            )
            .allowed
        );
    }

    #[test]
    fn a_recall_petition_is_read_by_its_group_the_officers_of_its_area_and_the_auditor() {
        // The group sits in local authority 3, under region 2.
        let petition = |in_group| Resource::Petition {
            units: vec![3, 2, 1],
            in_group,
        };
        let reads = |grants: Vec<Grant>, in_group| {
            can(
                &actor(grants),
                Action::ReadPetition,
                &petition(in_group),
                ON,
            )
        };
        let d = reads(vec![grant(Role::Councillor, Some((3, "LA")))], true);
        assert!(d.allowed);
        assert_eq!(clauses(&d), vec![GROUP_LEADER]);
        assert!(reads(vec![grant(Role::LgcSecretary, Some((3, "LA")))], false).allowed);
        assert!(reads(vec![grant(Role::RegionalDirector, Some((2, "R")))], false).allowed);
        assert!(reads(vec![grant(Role::GeneralSecretary, None)], false).allowed);
        assert!(reads(vec![grant(Role::Auditor, None)], false).allowed);
        // Not the group's councillors: a councillor elsewhere, an officer elsewhere, the admin.
        let d = reads(vec![grant(Role::Councillor, Some((3, "LA")))], false);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].message,
            "a councillor may not read recall petitions"
        );
        let d = reads(
            vec![grant(Role::ClpSecretary, Some((4, "pcon2024:E1")))],
            false,
        );
        assert!(!d.allowed);
        assert!(d.reasons[0].message.contains("does not cover this group"));
        let d = reads(vec![grant(Role::Admin, None)], false);
        assert!(!d.allowed);
        assert_eq!(clauses(&d), vec![ACCESS_SEPARATION]);
        let mut ended = grant(Role::LgcSecretary, Some((3, "LA")));
        ended.valid_until = Some(date!(2026 - 02 - 01));
        assert!(!reads(vec![ended], false).allowed);
    }

    #[test]
    fn what_a_role_may_ever_do_agrees_with_the_policy() {
        assert!(role_may_ever(Role::Auditor, Action::ReadAuditLog));
        assert!(!role_may_ever(Role::Admin, Action::ReadAuditLog));
        assert!(!role_may_ever(Role::Admin, Action::ReadMember));
        assert!(role_may_ever(Role::Admin, Action::ManageAccounts));
        assert!(role_may_ever(Role::BranchSecretary, Action::ListMembers));
        assert!(!role_may_ever(
            Role::BranchSecretary,
            Action::ChangeMemberStatus
        ));
        assert!(role_may_ever(Role::Member, Action::ReadUnit));
        assert!(!role_may_ever(Role::Member, Action::ReadMember));
    }

    #[test]
    fn reading_any_member_is_a_member_reading_role_in_force_or_an_account_of_a_member() {
        let a = actor(vec![grant(Role::BranchSecretary, Some((5, "B5")))]);
        assert!(may_read_any_member(&a, ON).allowed);
        let mut ended = grant(Role::ClpSecretary, Some((4, "C4")));
        ended.valid_until = Some(date!(2026 - 02 - 01));
        let d = may_read_any_member(&actor(vec![ended.clone()]), ON);
        assert!(!d.allowed);
        assert!(
            d.reasons[0].message.contains("ended on 2026-02-01"),
            "{d:?}"
        );
        let d = may_read_any_member(&actor(vec![grant(Role::Admin, None)]), ON);
        assert!(!d.allowed);
        assert_eq!(clauses(&d), vec![ACCESS_SEPARATION]);
        assert!(!may_read_any_member(&actor(Vec::new()), ON).allowed);
        // A member reads their own record, so a number that is not theirs is "not found" to them.
        let mut member = actor(vec![grant(Role::Member, None)]);
        member.member_id = Some(10);
        assert!(may_read_any_member(&member, ON).allowed);
        // An expired grant beside one in force: the one in force decides.
        let both = actor(vec![ended, grant(Role::RegionalDirector, Some((2, "R2")))]);
        assert!(may_read_any_member(&both, ON).allowed);
    }

    #[test]
    fn staff_and_officer_roles_need_a_second_factor_and_members_do_not() {
        assert!(!Role::Member.needs_second_factor());
        assert!(!Role::Councillor.needs_second_factor());
        assert!(Role::ClpSecretary.needs_second_factor());
        assert!(Role::Admin.needs_second_factor());
        assert_eq!(Role::ALL.len(), 20);
    }
}
