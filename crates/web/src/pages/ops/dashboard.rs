//! The page after logging in: what each role needs first. A member sees their membership; a unit
//! officer their unit with its member counts and compliance checks; the General Secretary the
//! national counts; the auditor the chain's status and the latest of both logs; an administrator
//! the accounts. Each part comes from a use case that asks the access policy.
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use caucus_app::{audit::audit_logs, ops::dashboard as uses, register::records};
use caucus_domain::access::policy::Role;
use caucus_store::access::logs::LogFilter;

use crate::api::organisation::units::DecisionBody;
use crate::auth::PageSession;
use crate::views::{render, Layout};
use crate::AppState;

struct GrantRow {
    role: String,
    unit: Option<String>,
    from: String,
    until: String,
    summary: &'static str,
}

/// What a role can do in the application today, in a few words for the dashboard.
fn role_summary(role: Role) -> &'static str {
    match role {
        Role::Member | Role::Councillor => "See your own record.",
        Role::BranchSecretary | Role::ClpSecretary => {
            "Membership list with eligibility flags; find and read members of your unit."
        }
        Role::GroupLeader | Role::ChiefWhip => {
            "Membership list of the area your council covers; find and read its members."
        }
        Role::LgcSecretary => {
            "Members of your local authority's area, for the panel and selections."
        }
        Role::RegionalDirector => "Members and units of your region.",
        Role::GeneralSecretary => "Any member's record, nationally.",
        Role::Admin => "Accounts and configuration; no member data (separation of duties).",
        Role::Auditor => "The audit and access logs.",
        Role::NecMember | Role::EqualityAnalyst => "Aggregate figures only.",
        Role::AppointedOfficer => "Recommendations and codes of your local authority.",
        Role::ComplaintsOfficer
        | Role::NecPanelMember
        | Role::NccMember
        | Role::IrbMember
        | Role::IcbMember
        | Role::WhistleblowingOfficer => "The cases assigned to you.",
    }
}

/// A member's own membership at a glance.
pub struct Mine {
    number: String,
    status: String,
    branch: String,
    clp: String,
    vote: DecisionBody,
}

/// A unit summary as shown.
pub struct UnitPanel {
    code: String,
    name: String,
    total: i64,
    by_status: Vec<(String, i64)>,
    gender: Option<DecisionBody>,
    delegates: Option<u32>,
    officers: usize,
}

pub struct LogLine {
    at: String,
    actor: String,
    action: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    email: String,
    grants: Vec<GrantRow>,
    mine: Option<Mine>,
    units: Vec<UnitPanel>,
    national: Option<Vec<(String, i64)>>,
    chain: Option<(bool, String)>,
    audit: Vec<LogLine>,
    access: Vec<LogLine>,
    accounts: Option<Vec<(String, String, bool)>>,
    /// Whether to link the outbox (mail sent and waiting), which account managers read.
    outbox: bool,
    problems: Vec<String>,
}

pub async fn dashboard(State(state): State<AppState>, s: PageSession) -> Response {
    let app = &state.app;
    let today = app.clock.today();
    let mut problems = Vec::new();
    let in_force: Vec<_> = s
        .actor
        .grants
        .iter()
        .filter(|g| g.valid_from <= today && g.valid_until.is_none_or(|u| today <= u))
        .collect();
    let holds = |r: Role| in_force.iter().any(|g| g.role == r);

    let mut mine = None;
    if let Ok(Some(number)) = records::own_number(app, &s.actor).await {
        match records::member(app, &s.actor, &number).await {
            Ok(r) => {
                mine = Some(Mine {
                    number: number.clone(),
                    status: r
                        .status_today
                        .as_ref()
                        .map_or_else(|| r.member.row.status.clone(), |st| st.status.to_string()),
                    branch: r
                        .branch
                        .as_ref()
                        .map_or_else(|| "none".into(), |u| u.name.clone()),
                    clp: r
                        .clp
                        .as_ref()
                        .map_or_else(|| "none".into(), |u| u.name.clone()),
                    vote: DecisionBody::from(&r.flags.can_vote),
                })
            }
            Err(e) => problems.push(format!("Your membership could not be read: {e}")),
        }
    }

    let mut units = Vec::new();
    for g in &in_force {
        let Some(u) = &g.unit else { continue };
        if !g.role.reads_member_records() || units.iter().any(|p: &UnitPanel| p.code == u.code) {
            continue;
        }
        match uses::unit_summary(app, &s.actor, &u.code).await {
            Ok(sum) => units.push(UnitPanel {
                code: sum.unit.code.clone(),
                name: sum.unit.name.clone(),
                total: sum.total,
                by_status: sum
                    .by_status
                    .iter()
                    .map(|(st, n)| (st.replace('_', " "), *n))
                    .collect(),
                gender: sum
                    .compliance
                    .as_ref()
                    .and_then(|c| c.gender.as_ref())
                    .map(DecisionBody::from),
                delegates: sum
                    .compliance
                    .as_ref()
                    .and_then(|c| c.gc_delegates.as_ref())
                    .map(|d| d.delegates),
                officers: sum.compliance.as_ref().map_or(0, |c| c.officers.len()),
            }),
            Err(e) => problems.push(format!("{}: {e}", u.code)),
        }
    }

    let national = if in_force
        .iter()
        .any(|g| g.unit.is_none() && g.role.reads_member_records())
    {
        match uses::national_counts(app, &s.actor).await {
            Ok(c) => Some(
                c.into_iter()
                    .map(|(st, n)| (st.replace('_', " "), n))
                    .collect(),
            ),
            Err(e) => {
                problems.push(format!("National counts: {e}"));
                None
            }
        }
    } else {
        None
    };

    let (mut chain, mut audit, mut access) = (None, Vec::new(), Vec::new());
    if holds(Role::Auditor) {
        let latest = LogFilter {
            limit: 5,
            ..Default::default()
        };
        match audit_logs::verify_chain(app, &s.actor).await {
            Ok(caucus_store::audit::Verification::Intact { events }) => {
                chain = Some((true, format!("Chain verified: {events} events intact.")))
            }
            Ok(caucus_store::audit::Verification::Broken { seq, problem }) => {
                chain = Some((false, format!("Chain broken at event {seq}: {problem}.")))
            }
            Err(e) => problems.push(format!("Chain: {e}")),
        }
        if let Ok(p) = audit_logs::audit_events(app, &s.actor, latest.clone()).await {
            audit = p
                .items
                .into_iter()
                .map(|e| LogLine {
                    at: e.occurred_at,
                    actor: e.actor,
                    action: e.action,
                    subject: e.subject,
                })
                .collect();
        }
        if let Ok(p) = audit_logs::access_log(app, &s.actor, latest).await {
            access = p
                .items
                .into_iter()
                .map(|r| LogLine {
                    at: r.occurred_at,
                    actor: r.actor,
                    action: r.action,
                    subject: r.subject,
                })
                .collect();
        }
    }

    let accounts = if holds(Role::Admin) {
        match uses::accounts(app, &s.actor).await {
            Ok(list) => Some(
                list.into_iter()
                    .map(|a| (a.email, a.roles, a.second_factor))
                    .collect(),
            ),
            Err(e) => {
                problems.push(format!("Accounts: {e}"));
                None
            }
        }
    } else {
        None
    };

    let grants = s
        .actor
        .grants
        .iter()
        .map(|g| GrantRow {
            role: g.role.to_string(),
            unit: g.unit.as_ref().map(|u| u.code.clone()),
            from: g.valid_from.to_string(),
            until: g
                .valid_until
                .map_or_else(|| "no end date".to_string(), |d| d.to_string()),
            summary: role_summary(g.role),
        })
        .collect();
    render(
        StatusCode::OK,
        &DashboardPage {
            layout: Layout::of("Dashboard", &s),
            email: s.email.clone(),
            grants,
            mine,
            units,
            national,
            chain,
            audit,
            access,
            accounts,
            outbox: caucus_app::ops::mail::may_read_outbox(app, &s.actor),
            problems,
        },
    )
}
