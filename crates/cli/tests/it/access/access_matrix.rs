//! The access matrix, generated from the route table: every operation of the served OpenAPI
//! document is asked by every role of the policy (each logged in for real, with the scopes its login
//! gives), by an account whose only grant has expired, and by no one, on the real server. What each
//! should get is written out below, from the specification's table rather than from the policy; an
//! operation with no entry here fails the test, so a new route cannot ship without one. The server
//! holds real ballots (open, counted, published) and a recall petition, so their routes are
//! walked for real. The page routes have their own matrix in `pages`.
use crate::web::{Server, PASSWORD};
use caucus_app::access::accounts::{add_user, AddUser};
use caucus_app::{ballots, offices::groups, offices::recalls};
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::{Actor, Grant, Role};
use caucus_domain::ballots::spec::{BallotSpec, CountingMethod};
use caucus_domain::ballots::BallotType;
use caucus_domain::offices::Gender;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::macros::{date, datetime};

mod pages;

/// What the matrix's server holds beyond the register and the accounts: ballots of the CLP in
/// each state that matters to who may see what, and a recall petition of the council's group.
pub(crate) struct Held {
    /// Roll frozen, voting open (nothing counted, so no result yet).
    pub(crate) open: i64,
    /// Closed and counted, not published: the result is its officers' alone.
    pub(crate) counted: i64,
    /// Published: the result and papers are every account's.
    pub(crate) published: i64,
    /// A recall petition of the council's group, which none of the test's accounts is in.
    pub(crate) recall: i64,
    /// The membership number of the leader that petition would recall (its page names them).
    pub(crate) recall_leader: String,
}

/// An account with only the grant that expired on 30 June 2026 (a CLP secretary's), logging in
/// with the same password as the others; its TOTP secret.
pub(crate) async fn add_expired(s: &Server) -> String {
    add_user(
        &s.app,
        &Operator::at_the_command_line("test"),
        &AddUser {
            email: EXPIRED_EMAIL.into(),
            role: Role::ClpSecretary,
            unit_code: Some(s.places.clp.clone()),
            password: Some(PASSWORD.to_string()),
            member_number: None,
            valid_from: Some(date!(2025 - 01 - 01)),
            valid_until: Some(date!(2026 - 06 - 30)),
        },
    )
    .await
    .unwrap()
    .totp_secret
    .unwrap()
}

pub(crate) const EXPIRED_EMAIL: &str = "expired@test.invalid";

fn voter(member_id: i64) -> Actor {
    Actor {
        account_id: 0,
        member_id: Some(member_id),
        grants: Vec::<Grant>::new(),
    }
}

/// Runs the CLP's ballots through the use cases, as the General Secretary: one left open (with the
/// member's own login on its roll), one counted, one published (each of the last two with two
/// papers from other members); opens a recall petition whose group is two of those members.
pub(crate) async fn hold(s: &Server) -> Held {
    let (email, _) = &s.logins[&Role::GeneralSecretary];
    let account = caucus_store::access::accounts::by_email(&s.app.store, email)
        .await
        .unwrap()
        .unwrap();
    let (_, gs) = caucus_app::access::accounts::actor(&s.app, account.id)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for title in ["Open ballot", "Counted ballot", "Published ballot"] {
        let req = ballots::NewBallotRequest {
            unit_code: s.places.clp.clone(),
            spec: BallotSpec {
                title: title.into(),
                kind: BallotType::Meeting,
                method: CountingMethod::StvScottish,
                seats: 1,
                candidates: vec!["Ann Able".into(), "Bob Baker".into(), "Cy Cole".into()],
                opens_at: datetime!(2026-11-22 00:00 UTC),
                closes_at: datetime!(2026-11-23 00:00 UTC),
                freeze_on: date!(2026 - 11 - 22),
            },
        };
        let id = ballots::create(&s.app, &gs, &req).await.unwrap();
        ballots::freeze(&s.app, &gs, id).await.unwrap();
        ids.push(id);
    }
    let (_, roll) = ballots::roll_of(&s.app, &gs, ids[0]).await.unwrap();
    // The member's own login votes in the page matrix, so its member must be on the roll.
    assert!(
        roll.iter()
            .any(|l| l.membership_number == s.places.in_branch && l.standing.allowed),
        "member {} is not on the open ballot's roll",
        s.places.in_branch
    );
    let others: Vec<String> = roll
        .iter()
        .filter(|l| l.standing.allowed && l.membership_number != s.places.in_branch)
        .map(|l| l.membership_number.clone())
        .take(2)
        .collect();
    assert_eq!(others.len(), 2, "too few members on the roll");
    for &id in &ids[1..] {
        for (number, marks) in others.iter().zip([[0, 1], [1, 2]]) {
            let m = caucus_store::register::members::by_number(&s.app.store, number)
                .await
                .unwrap()
                .unwrap();
            ballots::cast(&s.app, &voter(m.id), id, &marks)
                .await
                .unwrap();
        }
        ballots::close_and_count(&s.app, &gs, id).await.unwrap();
    }
    ballots::publish(&s.app, &gs, ids[2]).await.unwrap();
    // The council's Labour group, from the register: two of the roll's members seated today, the
    // first its leader; the petition to recall them takes the group as it stands.
    let group = groups::group_code(&s.places.local_authority);
    groups::set_up_group(
        &s.app,
        &Operator::at_the_command_line("test"),
        &s.places.local_authority,
        "Labour group",
        true,
    )
    .await
    .unwrap();
    let today = s.app.clock.today();
    for number in &others {
        groups::seat_councillor(
            &s.app,
            &Operator::at_the_command_line("test"),
            &group,
            number,
            today,
            Gender::NotGiven,
        )
        .await
        .unwrap();
    }
    groups::record_leader(
        &s.app,
        &Operator::at_the_command_line("test"),
        &group,
        &others[0],
        today,
    )
    .await
    .unwrap();
    let recall = recalls::open(&s.app, &gs, &group).await.unwrap();
    Held {
        open: ids[0],
        counted: ids[1],
        published: ids[2],
        recall,
        recall_leader: others[0].clone(),
    }
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Role(Role),
    /// A CLP secretary whose grant ended before today.
    Expired,
    Anonymous,
}

/// One request of an operation and who may make it.
struct Case {
    what: &'static str,
    path: String,
    body: Option<Value>,
    /// Send `If-Match` with the member's current version.
    if_match: Option<String>,
    allowed: fn(Role) -> bool,
    /// The roles refused with 404 rather than 403: a member they may not read is, to those who may
    /// read some members, not there (as a number that does not exist is).
    hidden: fn(Role) -> bool,
    /// Whether an account whose only grant has expired is let by too (what any account may do).
    expired: bool,
    /// The status when allowed (a write the rules refuse answers 422 once the policy lets it by).
    ok: StatusCode,
}

fn everyone(_: Role) -> bool {
    true
}

fn nobody(_: Role) -> bool {
    false
}

/// Reads some member's record: a role that reads members' records in its units, or a member (their
/// own). To these, a member they may not read is not found; to the rest, every member number is
/// refused alike.
pub(crate) fn reads_some(r: Role) -> bool {
    r.reads_member_records() || r == Role::Member
}

/// Reads members, but not the member of another unit: told it is not there.
pub(crate) fn hides_elsewhere(r: Role) -> bool {
    reads_some(r) && !reads_elsewhere(r)
}

fn reads_in_branch(r: Role) -> bool {
    use Role::*;
    matches!(
        r,
        BranchSecretary
            | ClpSecretary
            | GroupLeader
            | ChiefWhip
            | LgcSecretary
            | RegionalDirector
            | GeneralSecretary
            | Member
    )
}

fn reads_elsewhere(r: Role) -> bool {
    matches!(r, Role::RegionalDirector | Role::GeneralSecretary)
}

fn lists_branch(r: Role) -> bool {
    use Role::*;
    matches!(
        r,
        BranchSecretary | ClpSecretary | RegionalDirector | GeneralSecretary
    )
}

fn lists_clp(r: Role) -> bool {
    use Role::*;
    matches!(r, ClpSecretary | RegionalDirector | GeneralSecretary)
}

fn lists_la(r: Role) -> bool {
    use Role::*;
    matches!(
        r,
        GroupLeader | ChiefWhip | LgcSecretary | RegionalDirector | GeneralSecretary
    )
}

fn changes_status(r: Role) -> bool {
    matches!(r, Role::RegionalDirector | Role::GeneralSecretary)
}

fn audits(r: Role) -> bool {
    r == Role::Auditor
}

/// Runs the ballots of the CLP the fixture's ballots are in.
fn runs_clp_ballots(r: Role) -> bool {
    use Role::*;
    matches!(r, ClpSecretary | RegionalDirector | GeneralSecretary)
}

/// Runs the ballots of the council's area (and so opens recall petitions there).
fn runs_la_ballots(r: Role) -> bool {
    use Role::*;
    matches!(r, LgcSecretary | RegionalDirector | GeneralSecretary)
}

/// Reads the council group's recall petition, which names its signatories: the officers who run
/// the council's ballots and the auditor (none of the test's accounts is in the group).
fn reads_petition(r: Role) -> bool {
    runs_la_ballots(r) || audits(r)
}

/// The expectation table: `None` for an operation nobody has written expectations for.
fn cases(key: &str, s: &Server, h: &Held) -> Option<Vec<Case>> {
    let p = &s.places;
    let get = |what, path: String, allowed: fn(Role) -> bool| Case {
        what,
        path,
        body: None,
        if_match: None,
        allowed,
        hidden: nobody,
        expired: false,
        ok: StatusCode::OK,
    };
    // Another unit's member: read by those whose grants cover them, not there to other readers.
    let elsewhere = |what, path: String| Case {
        hidden: hides_elsewhere,
        ..get(what, path, reads_elsewhere)
    };
    // What any account may ask, whatever its grants.
    let any = |what, path: String, ok| Case {
        what,
        path,
        body: None,
        if_match: None,
        allowed: everyone,
        hidden: nobody,
        expired: true,
        ok,
    };
    // A ballot's result and papers: open to any account once published, to the ballot's officers
    // once counted, to no one before the count.
    let results = |tail: &str| {
        vec![
            any(
                "published ballot",
                format!("/api/v1/ballots/{}/{tail}", h.published),
                StatusCode::OK,
            ),
            get(
                "counted ballot",
                format!("/api/v1/ballots/{}/{tail}", h.counted),
                runs_clp_ballots,
            ),
            any(
                "open ballot",
                format!("/api/v1/ballots/{}/{tail}", h.open),
                StatusCode::NOT_FOUND,
            ),
            any(
                "no such ballot",
                format!("/api/v1/ballots/999999/{tail}"),
                StatusCode::NOT_FOUND,
            ),
        ]
    };
    // A change of status the rules always refuse (the reason moves a member to deceased, not
    // active), so a role the policy lets through gets 422 and the register is left as it was.
    let refused_change = |what, number: &str, hidden: fn(Role) -> bool| Case {
        what,
        path: format!("/api/v1/members/{number}/transitions"),
        body: Some(json!({"to": "active", "reason": "deceased"})),
        if_match: Some(number.to_string()),
        allowed: changes_status,
        hidden,
        expired: false,
        ok: StatusCode::UNPROCESSABLE_ENTITY,
    };
    Some(match key {
        "GET /api/v1/me" => vec![any("me", "/api/v1/me".into(), StatusCode::OK)],
        "GET /api/v1/units" => vec![get("directory", "/api/v1/units".into(), everyone)],
        "GET /api/v1/units/{code}" => vec![
            get("a CLP", format!("/api/v1/units/{}", p.clp), everyone),
            get("a region", format!("/api/v1/units/{}", p.region), everyone),
        ],
        "GET /api/v1/units/{code}/members" => vec![
            get(
                "branch list",
                format!("/api/v1/units/{}/members", p.branch),
                lists_branch,
            ),
            get(
                "CLP list",
                format!("/api/v1/units/{}/members", p.clp),
                lists_clp,
            ),
            get(
                "council area list",
                format!("/api/v1/units/{}/members", p.local_authority),
                lists_la,
            ),
        ],
        "GET /api/v1/members/{number}" => vec![
            get(
                "own unit's member",
                format!("/api/v1/members/{}", p.in_branch),
                reads_in_branch,
            ),
            elsewhere(
                "another unit's member",
                format!("/api/v1/members/{}", p.outside),
            ),
            // Not there to every reader of members; refused (403) alike to the rest.
            Case {
                ok: StatusCode::NOT_FOUND,
                ..get(
                    "no such member",
                    "/api/v1/members/NO-SUCH-MEMBER".into(),
                    reads_some,
                )
            },
        ],
        "GET /api/v1/members/{number}/history" => vec![
            get(
                "own unit's member",
                format!("/api/v1/members/{}/history", p.in_branch),
                reads_in_branch,
            ),
            elsewhere(
                "another unit's member",
                format!("/api/v1/members/{}/history", p.outside),
            ),
        ],
        "GET /api/v1/members/{number}/eligibility" => vec![
            get(
                "own unit's member",
                format!(
                    "/api/v1/members/{}/eligibility?for=hold_office",
                    p.in_branch
                ),
                reads_in_branch,
            ),
            elsewhere(
                "another unit's member",
                format!(
                    "/api/v1/members/{}/eligibility?for=ballot:leadership",
                    p.outside
                ),
            ),
        ],
        "POST /api/v1/members/{number}/transitions" => vec![
            refused_change("own unit's member", &p.in_branch, nobody),
            refused_change("another unit's member", &p.outside, hides_elsewhere),
        ],
        "GET /api/v1/audit" => vec![get("audit log", "/api/v1/audit?limit=5".into(), audits)],
        "GET /api/v1/access-log" => {
            vec![get(
                "access log",
                "/api/v1/access-log?limit=5".into(),
                audits,
            )]
        }
        "GET /api/v1/audit/verification" => {
            vec![get("chain", "/api/v1/audit/verification".into(), audits)]
        }
        "GET /api/v1/ballots/{id}/result" => results("result"),
        "GET /api/v1/ballots/{id}/ballots.blt" => results("ballots.blt"),
        // Logging in and out are every account's: checked by logging each one in (above) and
        // out (below), rather than as cases here.
        "POST /api/v1/session" | "DELETE /api/v1/session" => Vec::new(),
        _ => return None,
    })
}

async fn version_of(s: &Server, number: &str) -> i64 {
    caucus_store::register::members::by_number(&s.app.store, number)
        .await
        .unwrap()
        .unwrap()
        .version
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_answers_every_role_as_the_matrix_says() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let expired = add_expired(&s).await;
        let held = hold(&s).await;

        let mut tokens: Vec<(Who, Option<String>)> = Vec::new();
        for role in Role::ALL {
            tokens.push((Who::Role(*role), Some(s.log_in(*role).await)));
        }
        let code = s.code(&expired);
        let r = s
            .client
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": EXPIRED_EMAIL, "password": PASSWORD, "totp": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "an expired grant still logs in"
        );
        let v: Value = r.json().await.unwrap();
        tokens.push((Who::Expired, Some(v["token"].as_str().unwrap().to_string())));
        tokens.push((Who::Anonymous, None));

        let doc: Value = s
            .client
            .get(s.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut wrong = Vec::new();
        let mut checked = 0;
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations += 1;
                let key = format!("{} {path}", method.to_uppercase());
                let Some(cases) = cases(&key, &s, &held) else {
                    wrong.push(format!(
                        "{key}: no entry in the access matrix (crates/cli/tests/it/access_matrix.rs)"
                    ));
                    continue;
                };
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                for case in &cases {
                    for (who, token) in &tokens {
                        let mut req = s.client.request(method.clone(), s.url(&case.path));
                        if let Some(t) = token {
                            req = req.bearer_auth(t);
                        }
                        if let Some(number) = &case.if_match {
                            let v = version_of(&s, number).await;
                            req = req.header("if-match", format!("\"{v}\""));
                        }
                        if let Some(b) = &case.body {
                            req = req.json(b);
                        }
                        let r = req.send().await.unwrap();
                        let status = r.status();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let expected = match who {
                            Who::Anonymous => StatusCode::UNAUTHORIZED,
                            Who::Expired if case.expired => case.ok,
                            Who::Expired => StatusCode::FORBIDDEN,
                            Who::Role(role) if (case.allowed)(*role) => case.ok,
                            Who::Role(role) if (case.hidden)(*role) => StatusCode::NOT_FOUND,
                            Who::Role(_) => StatusCode::FORBIDDEN,
                        };
                        checked += 1;
                        if status != expected {
                            wrong.push(format!(
                                "{who:?} {key} ({}): {status}, expected {expected}: {body}",
                                case.what
                            ));
                        } else if status == StatusCode::FORBIDDEN
                            && body["error"]["reasons"]
                                .as_array()
                                .is_none_or(|r| r.is_empty())
                        {
                            wrong.push(format!(
                                "{who:?} {key} ({}): a refusal without reasons",
                                case.what
                            ));
                        }
                    }
                }
            }
        }
        // Logging out works for every account and ends only that token.
        for (who, token) in &tokens {
            let Some(t) = token else { continue };
            let r = s
                .client
                .delete(s.url("/api/v1/session"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            if r.status() != StatusCode::NO_CONTENT {
                wrong.push(format!("{who:?} DELETE /api/v1/session: {}", r.status()));
            }
            let (status, _) = s.get("/api/v1/me", t).await;
            if status != StatusCode::UNAUTHORIZED {
                wrong.push(format!(
                    "{who:?}: the token still works after logging out: {status}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}:\n{}", db.engine, wrong.join("\n"));
        assert!(
            operations >= 13,
            "the document lists {operations} operations"
        );
        assert!(checked >= 24 * 22, "only {checked} requests were checked");
        s.stop().await;
    }
}
