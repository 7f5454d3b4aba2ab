//! The access matrix, generated from the route table: every operation of the served OpenAPI
//! document is asked by every role of the policy (each logged in for real, with the scopes its login
//! gives), by an account whose only grant has expired, and by no one, on the real server. What each
//! should get is written out below, from the specification's table rather than from the policy; an
//! operation with no entry here fails the test, so a new route cannot ship without one.
use crate::web::{Server, PASSWORD};
use caucus_app::accounts::{add_user, AddUser};
use caucus_domain::policy::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::macros::date;

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
    /// The status when allowed (a write the rules refuse answers 422 once the policy lets it by).
    ok: StatusCode,
}

fn everyone(_: Role) -> bool {
    true
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

/// The expectation table: `None` for an operation nobody has written expectations for.
fn cases(key: &str, s: &Server) -> Option<Vec<Case>> {
    let p = &s.places;
    let get = |what, path: String, allowed: fn(Role) -> bool| Case {
        what,
        path,
        body: None,
        if_match: None,
        allowed,
        ok: StatusCode::OK,
    };
    // A change of status the rules always refuse (the reason moves a member to deceased, not
    // active), so a role the policy lets through gets 422 and the register is left as it was.
    let refused_change = |what, number: &str| Case {
        what,
        path: format!("/api/v1/members/{number}/transitions"),
        body: Some(json!({"to": "active", "reason": "deceased"})),
        if_match: Some(number.to_string()),
        allowed: changes_status,
        ok: StatusCode::UNPROCESSABLE_ENTITY,
    };
    let no_ballot = |path: &str| Case {
        what: "no such ballot",
        path: path.to_string(),
        body: None,
        if_match: None,
        allowed: everyone,
        ok: StatusCode::NOT_FOUND,
    };
    Some(match key {
        "GET /api/v1/me" => vec![get("me", "/api/v1/me".into(), everyone)],
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
            get(
                "another unit's member",
                format!("/api/v1/members/{}", p.outside),
                reads_elsewhere,
            ),
        ],
        "GET /api/v1/members/{number}/history" => vec![
            get(
                "own unit's member",
                format!("/api/v1/members/{}/history", p.in_branch),
                reads_in_branch,
            ),
            get(
                "another unit's member",
                format!("/api/v1/members/{}/history", p.outside),
                reads_elsewhere,
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
            get(
                "another unit's member",
                format!(
                    "/api/v1/members/{}/eligibility?for=ballot:leadership",
                    p.outside
                ),
                reads_elsewhere,
            ),
        ],
        "POST /api/v1/members/{number}/transitions" => vec![
            refused_change("own unit's member", &p.in_branch),
            refused_change("another unit's member", &p.outside),
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
        // A ballot's result and papers are open to any account once published and to the ballot's
        // officers once counted (tests/it/ballots.rs walks both); here every caller is asked for a
        // ballot that does not exist, which any account may be told (404) and no one unlogged (401).
        "GET /api/v1/ballots/{id}/result" => vec![no_ballot("/api/v1/ballots/999999/result")],
        "GET /api/v1/ballots/{id}/ballots.blt" => {
            vec![no_ballot("/api/v1/ballots/999999/ballots.blt")]
        }
        // Logging in and out are every account's: checked by logging each one in (above) and
        // out (below), rather than as cases here.
        "POST /api/v1/session" | "DELETE /api/v1/session" => Vec::new(),
        _ => return None,
    })
}

async fn version_of(s: &Server, number: &str) -> i64 {
    caucus_store::members::by_number(&s.app.store, number)
        .await
        .unwrap()
        .unwrap()
        .version
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_answers_every_role_as_the_matrix_says() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let expired = add_user(
            &s.app,
            "test",
            &AddUser {
                email: "expired@test.invalid".into(),
                role: Role::ClpSecretary,
                unit_code: Some(s.places.clp.clone()),
                password: Some(PASSWORD.to_string()),
                member_number: None,
                valid_from: Some(date!(2025 - 01 - 01)),
                valid_until: Some(date!(2026 - 06 - 30)),
            },
        )
        .await
        .unwrap();

        let mut tokens: Vec<(Who, Option<String>)> = Vec::new();
        for role in Role::ALL {
            tokens.push((Who::Role(*role), Some(s.log_in(*role).await)));
        }
        let code = s.code(expired.totp_secret.as_deref().unwrap());
        let r = s
            .client
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": "expired@test.invalid", "password": PASSWORD, "totp": code}))
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
                let Some(cases) = cases(&key, &s) else {
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
                            Who::Expired if case.path == "/api/v1/me" => StatusCode::OK,
                            Who::Expired if case.path.starts_with("/api/v1/ballots/") => case.ok,
                            Who::Expired => StatusCode::FORBIDDEN,
                            Who::Role(role) if (case.allowed)(*role) => case.ok,
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
        assert!(checked >= 18 * 22, "only {checked} requests were checked");
        s.stop().await;
    }
}
