//! The API's writes and the features around it, on the real server and every engine: a change of
//! status with If-Match (201, 428, 409, 422, 403) and its form on the member page; API tokens made
//! on the settings page (scoped, expiring, revocable, never beyond the owner); the auditor's logs,
//! filters and chain status; the dashboard of each role; the metrics.
use crate::web::Server;
use caucus_app::{App, Clock};
use caucus_domain::access::policy::Role;
use caucus_domain::rulebook::Rulebook;
use caucus_store::{access::accounts as account_store, register::members, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A browser session for a role's account: (cookie header, CSRF token).
async fn session(s: &Server, role: Role) -> (String, String) {
    let (email, _) = &s.logins[&role];
    let account = account_store::by_email(&s.app.store, email)
        .await
        .unwrap()
        .unwrap();
    let session = caucus_app::access::accounts::start_session(&s.app, account.id, None)
        .await
        .unwrap();
    (
        format!("caucus_session={}", session.token),
        session.csrf_token,
    )
}

async fn page(s: &Server, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = s
        .client
        .get(s.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post_form(
    s: &Server,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = s
        .client
        .post(s.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A member who is active today by the rules (so a suspension pending a complaint may be recorded).
async fn active_member(s: &Server) -> String {
    use caucus_domain::register::member::MemberStatus;
    let today = s.app.clock.today();
    for m in members::page(&s.app.store, None, 0, 1000).await.unwrap() {
        if m.row.membership_number == s.places.in_branch {
            continue;
        }
        let h = caucus_app::register::members::history(&s.app, &m)
            .await
            .unwrap();
        let now = caucus_domain::register::status::status_on(&h, today, &s.app.rules);
        if now.is_some_and(|st| st.status == MemberStatus::Active) {
            return m.row.membership_number;
        }
    }
    panic!("no member is active today")
}

async fn transition(
    s: &Server,
    token: &str,
    number: &str,
    if_match: Option<&str>,
    body: Value,
) -> (StatusCode, Value, Option<String>) {
    let mut req = s
        .client
        .post(s.url(&format!("/api/v1/members/{number}/transitions")))
        .bearer_auth(token)
        .json(&body);
    if let Some(v) = if_match {
        req = req.header("if-match", v);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let etag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.json().await.unwrap_or(Value::Null), etag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_needs_if_match_wins_once_and_is_refused_by_policy_and_rules() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let number = active_member(&s).await;
        let gs = s.log_in(Role::GeneralSecretary).await;
        let r = s
            .client
            .get(s.url(&format!("/api/v1/members/{number}")))
            .bearer_auth(&gs)
            .send()
            .await
            .unwrap();
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let m: Value = r.json().await.unwrap();
        assert_eq!(etag, format!("\"{}\"", m["version"]), "{}", db.engine);
        let suspend = json!({"to": "suspended", "reason": "complaint_suspension"});

        let (status, e, _) = transition(&s, &gs, &number, None, suspend.clone()).await;
        assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{e}");
        assert_eq!(e["error"]["code"], "precondition_required");
        let (status, _, _) = transition(&s, &gs, &number, Some("\"abc\""), suspend.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, done, new_tag) =
            transition(&s, &gs, &number, Some(&etag), suspend.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        assert_eq!(done["status"], "suspended");
        assert_eq!(done["version"], m["version"].as_i64().unwrap() + 1);
        assert_eq!(new_tag.unwrap(), format!("\"{}\"", done["version"]));

        // A second editor who read the same version loses: 409, nothing overwritten.
        let lift = json!({"to": "active", "reason": "suspension_lifted"});
        let (status, e, _) = transition(&s, &gs, &number, Some(&etag), lift.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "conflict");

        // The rules refuse with their reasons and clauses: 422.
        let current = format!("\"{}\"", done["version"]);
        let (status, e, _) = transition(
            &s,
            &gs,
            &number,
            Some(&current),
            json!({"to": "active", "reason": "deceased"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "refused");
        assert_eq!(e["error"]["reasons"][0]["clause"], "2.IV.ended");
        let (status, _, _) = transition(
            &s,
            &gs,
            &number,
            Some(&current),
            json!({"to": "sleeping", "reason": "deceased"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // A branch secretary reads the members of the branch but may not change their status; a
        // member outside the branch is not there to them.
        let bs = s.log_in(Role::BranchSecretary).await;
        let own = caucus_store::register::members::by_number(&s.app.store, &s.places.in_branch)
            .await
            .unwrap()
            .unwrap();
        let (status, e, _) = transition(
            &s,
            &bs,
            &s.places.in_branch,
            Some(&format!("\"{}\"", own.version)),
            lift.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
        assert_eq!(e["error"]["reasons"][0]["clause"], "access.roles");
        let (status, e, _) =
            transition(&s, &bs, &s.places.outside, Some(&current), lift.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

        let (status, done, _) = transition(&s, &gs, &number, Some(&current), lift).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        let events = caucus_store::audit::list(&s.app.store, 0, 100_000)
            .await
            .unwrap();
        let mine: Vec<_> = events
            .iter()
            .filter(|e| e.action == "member.transition" && e.subject == format!("member:{number}"))
            .collect();
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().all(|e| e.actor.starts_with("account:")));
        assert!(matches!(
            caucus_store::audit::verify(&s.app.store).await.unwrap(),
            caucus_store::audit::Verification::Intact { .. }
        ));

        // The form on the member page: offered to the General Secretary, not to a branch secretary.
        let (cookie, csrf) = session(&s, Role::GeneralSecretary).await;
        let (status, html) = page(&s, &cookie, &format!("/members/{number}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Record a change of status"), "{html}");
        let version = done["version"].to_string();
        let (status, _) = post_form(
            &s,
            &cookie,
            &format!("/members/{number}/transitions"),
            &[
                ("csrf", "forged"),
                ("version", &version),
                ("to", "suspended"),
                ("reason", "complaint_suspension"),
            ],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a forged CSRF token is refused"
        );
        let (status, _) = post_form(
            &s,
            &cookie,
            &format!("/members/{number}/transitions"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("to", "suspended"),
                ("reason", "complaint_suspension"),
                ("effective_on", "2026-11-22"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let now = members::by_number(&s.app.store, &number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.row.status, "suspended");
        let (status, html) = post_form(
            &s,
            &cookie,
            &format!("/members/{number}/transitions"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("to", "active"),
                ("reason", "suspension_lifted"),
            ],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "the page's version is stale now: {html}"
        );
        let (cookie, _) = session(&s, Role::BranchSecretary).await;
        let (status, html) = page(&s, &cookie, &format!("/members/{}", s.places.in_branch)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("Record a change of status"));
        s.stop().await;
    }
}

fn secret_in(html: &str) -> String {
    let at = html.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
    html[at..at + html[at..].find('<').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_scoped_expiring_revocable_and_never_beyond_their_owner() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let (cookie, csrf) = session(&s, Role::GeneralSecretary).await;
        let (status, html) = page(&s, &cookie, "/settings/tokens").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("write:members"),
            "the General Secretary may choose write:members"
        );
        let (status, html) = post_form(
            &s,
            &cookie,
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("label", "directory sync"),
                ("scope", "read:units"),
                ("days", "1"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{html}");
        let secret = secret_in(&html);
        assert_eq!(secret.len(), 64);

        let (status, me) = s.get("/api/v1/me", &secret).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["scopes"], json!(["read:units"]));
        let (status, _) = s.get("/api/v1/units", &secret).await;
        assert_eq!(status, StatusCode::OK);
        let (status, e) = s
            .get(&format!("/api/v1/members/{}", s.places.in_branch), &secret)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", db.engine);
        assert_eq!(e["error"]["reasons"][0]["clause"], "access.tokens");
        assert!(e["error"]["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("read:members"));

        // It expires: the day after tomorrow it opens nothing.
        let later = App::new(
            Store::open(&db.url).await.unwrap(),
            Rulebook::shipped().unwrap(),
            Clock::Today(time::macros::date!(2026 - 11 - 24)),
        );
        assert!(caucus_app::access::api_tokens::access(&later, &secret)
            .await
            .unwrap()
            .is_none());
        assert!(caucus_app::access::api_tokens::access(&s.app, &secret)
            .await
            .unwrap()
            .is_some());
        later.store.close().await;

        // Listed, then revoked.
        let (_, html) = page(&s, &cookie, "/settings/tokens").await;
        assert!(
            html.contains("directory sync") && html.contains(">live<"),
            "{html}"
        );
        let at = html.find("/settings/tokens/").unwrap() + "/settings/tokens/".len();
        let id = &html[at..at + html[at..].find('/').unwrap()];
        let (status, _) = post_form(
            &s,
            &cookie,
            &format!("/settings/tokens/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = s.get("/api/v1/units", &secret).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = post_form(
            &s,
            &cookie,
            &format!("/settings/tokens/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "revoked once only");

        // An administrator cannot make a token that reads members: their role never could.
        let (cookie, csrf) = session(&s, Role::Admin).await;
        let (_, html) = page(&s, &cookie, "/settings/tokens").await;
        assert!(!html.contains("value=\"read:members\""));
        let (status, html) = post_form(
            &s,
            &cookie,
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("label", "sneaky"),
                ("scope", "read:members"),
                ("days", "30"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(html.contains("access.tokens"), "{html}");
        let (status, _) = post_form(
            &s,
            &cookie,
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("label", "too long"),
                ("scope", "read:units"),
                ("days", "9999"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let events = caucus_store::audit::list(&s.app.store, 0, 100_000)
            .await
            .unwrap();
        for action in ["api_token.create", "api_token.revoke"] {
            assert_eq!(
                events.iter().filter(|e| e.action == action).count(),
                1,
                "{action}"
            );
        }
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auditor_pages_through_both_logs_with_filters_and_sees_the_chain_verified() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let bs = s.log_in(Role::BranchSecretary).await;
        let subject = format!("member:{}", s.places.in_branch);
        s.get(&format!("/api/v1/members/{}", s.places.in_branch), &bs)
            .await;

        let auditor = s.log_in(Role::Auditor).await;
        let (status, page1) = s.get("/api/v1/audit?limit=2", &auditor).await;
        assert_eq!(status, StatusCode::OK, "{page1}");
        let items = page1["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(
            items[0]["seq"].as_i64() > items[1]["seq"].as_i64(),
            "newest first"
        );
        let next = page1["next"].as_str().unwrap();
        let (_, page2) = s
            .get(&format!("/api/v1/audit?limit=2&cursor={next}"), &auditor)
            .await;
        assert!(page2["items"][0]["seq"].as_i64() < items[1]["seq"].as_i64());
        let (_, by_actor) = s.get("/api/v1/audit?actor=test&limit=200", &auditor).await;
        let by_actor = by_actor["items"].as_array().unwrap();
        assert!(!by_actor.is_empty() && by_actor.iter().all(|e| e["actor"] == "test"));
        let (status, _) = s.get("/api/v1/audit?from=yesterday", &auditor).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, reads) = s
            .get(
                &format!("/api/v1/access-log?subject={subject}&from=2026-11-22&until=2026-11-22"),
                &auditor,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{reads}");
        let reads = reads["items"].as_array().unwrap();
        assert!(
            reads.iter().any(|r| r["action"] == "read_member"),
            "{reads:?}"
        );
        assert!(reads.iter().all(|r| r["subject"] == subject.as_str()));

        let (status, v) = s.get("/api/v1/audit/verification", &auditor).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["intact"], true, "{v}");

        let (cookie, _) = session(&s, Role::Auditor).await;
        let (status, html) = page(&s, &cookie, "/audit").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Chain verified"), "{html}");
        let (status, html) = page(&s, &cookie, &format!("/access-log?subject={subject}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("read_member"));
        let (cookie, _) = session(&s, Role::Admin).await;
        let (status, _) = page(&s, &cookie, "/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", db.engine);

        // Reading the logs is itself on record.
        let log = account_store::access_log_for(&s.app.store, "log")
            .await
            .unwrap();
        assert!(log.iter().any(|(_, a)| a == "read_audit_log"));
        assert!(log.iter().any(|(_, a)| a == "read_access_log"));
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_lands_on_a_dashboard_of_what_it_needs_first_and_metrics_are_by_route() {
    let db = caucus_testkit::TestDb::sqlite();
    let s = Server::start(&db.url).await;
    for (role, shows) in [
        (Role::Member, "My membership"),
        (Role::BranchSecretary, "Delegates to the General Committee"),
        (Role::ClpSecretary, "Officers and the gender rule"),
        (Role::GroupLeader, "Membership list with eligibility flags"),
        (Role::GeneralSecretary, "The membership nationally"),
        (Role::Auditor, "Chain verified"),
        (Role::Admin, "auditor@test.invalid"),
    ] {
        let (cookie, _) = session(&s, role).await;
        let (status, html) = page(&s, &cookie, "/").await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert!(
            html.contains(shows),
            "{role}'s dashboard lacks '{shows}':\n{html}"
        );
    }
    let (cookie, _) = session(&s, Role::Admin).await;
    let (_, html) = page(&s, &cookie, "/").await;
    assert!(!html.contains("My membership") && !html.contains("nationally"));

    let token = s.log_in(Role::BranchSecretary).await;
    s.get(&format!("/api/v1/members/{}", s.places.in_branch), &token)
        .await;
    let text = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(crate::web::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "caucus_http_requests_total{route=\"/api/v1/members/{number}\",method=\"GET\",status=\"200\"} 1",
        "caucus_http_request_duration_seconds_bucket{route=\"/api/v1/members/{number}\",le=\"+Inf\"} 1",
        "caucus_http_request_duration_seconds_count{route=\"/\"}",
        "caucus_db_pool_connections{state=\"idle\"}",
        "caucus_db_pool_max_connections 8",
    ] {
        assert!(text.contains(line), "/metrics lacks {line}:\n{text}");
    }
    s.stop().await;
}
