//! The web application served for real on a random loopback port, over a register built by the real
//! binary, on every engine: logging in over the API (with a TOTP code computed from the secret),
//! reading members within and outside a grant, the HTML login with its CSRF token, health, readiness
//! and the security headers. Every route against every role is the access matrix's
//! (access_matrix.rs for the API, access_matrix/pages.rs for the pages).
use crate::support::{generate, ok, with_l_area, TODAY};
use caucus_app::access::accounts::{add_user, totp_code, AddUser};
use caucus_app::offices::{appoint, Appointment};
use caucus_app::{App, Clock};
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::Role;
use caucus_domain::offices::{Gender, OfficeKind};
use caucus_domain::organisation::unit::UnitKind;
use caucus_domain::rulebook::Rulebook;
use caucus_store::{
    access::accounts as account_store, organisation::units, register::members, Store,
};
use caucus_web::{Application, Config};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio::sync::oneshot;

pub(crate) const PASSWORD: &str = "a long test password";

/// The units and members the tests address: Liverpool's first branch, its CLP, the city council's
/// area and region; a member of that branch and one living outside Liverpool.
pub(crate) struct Places {
    pub(crate) branch: String,
    pub(crate) clp: String,
    pub(crate) local_authority: String,
    pub(crate) region: String,
    pub(crate) in_branch: String,
    pub(crate) outside: String,
}

/// The token the test server's `/metrics` asks for.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789abcdef";

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) client: Client,
    pub(crate) app: App,
    pub(crate) places: Places,
    /// Role -> (email, TOTP secret).
    pub(crate) logins: BTreeMap<Role, (String, Option<String>)>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Builds a register with the real binary, creates one account per role, and serves it.
    pub(crate) async fn start(url: &str) -> Server {
        with_l_area(url);
        let dir = tempfile::tempdir().unwrap();
        let file = generate(dir.path(), 400, 0, 3);
        ok(url, &["import", "members", file.to_str().unwrap()]);
        let today = caucus_app::clock::parse_date(TODAY).unwrap();
        let app = App::new(
            Store::open(url).await.unwrap(),
            Rulebook::shipped().unwrap(),
            Clock::Today(today),
        );
        let places = places(&app).await;
        let mut logins = BTreeMap::new();
        for role in Role::ALL {
            let unit = match role.unit_kind() {
                Some(UnitKind::Branch) => Some(places.branch.clone()),
                Some(UnitKind::Clp) => Some(places.clp.clone()),
                Some(UnitKind::LocalAuthority) => Some(places.local_authority.clone()),
                Some(UnitKind::Region) => Some(places.region.clone()),
                _ => None,
            };
            let email = format!("{}@test.invalid", role.as_str());
            let added = add_user(
                &app,
                &Operator::at_the_command_line("test"),
                &AddUser {
                    email: email.clone(),
                    role: *role,
                    unit_code: unit,
                    password: Some(PASSWORD.to_string()),
                    member_number: (*role == Role::Member).then(|| places.in_branch.clone()),
                    valid_from: None,
                    valid_until: None,
                },
            )
            .await
            .unwrap();
            assert_eq!(
                added.totp_secret.is_some(),
                role.needs_second_factor(),
                "{role}"
            );
            logins.insert(*role, (email, added.totp_secret));
        }
        let server = Application::build(
            app.clone(),
            Config {
                bind: "127.0.0.1:0".to_string(),
                metrics_token: Some(METRICS_TOKEN.to_string()),
                ..Config::default()
            },
        )
        .await
        .unwrap();
        let base = format!("http://127.0.0.1:{}", server.port());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Server {
            base,
            client,
            app,
            places,
            logins,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A TOTP code the server accepts now (its clock keeps today's date fixed) that no earlier
    /// call returned: each code works once.
    pub(crate) fn code(&self, secret: &str) -> String {
        crate::support::unused_totp_code(&self.app.clock, secret)
    }

    pub(crate) async fn log_in(&self, role: Role) -> String {
        let (email, secret) = &self.logins[&role];
        let body = json!({
            "email": email,
            "password": PASSWORD,
            "totp": secret.as_deref().map(|s| self.code(s)),
        });
        let r = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{role} could not log in");
        let v: Value = r.json().await.unwrap();
        assert!(v["expires_at"].as_str().unwrap().starts_with("20"));
        v["token"].as_str().unwrap().to_string()
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        self.app.store.close().await;
    }
}

async fn places(app: &App) -> Places {
    let set = caucus_store::organisation::geography::current_set(&app.store)
        .await
        .unwrap();
    let la = units::find_by_code(&app.store, "E08000012", set.as_deref())
        .await
        .unwrap()
        .unwrap();
    let region = units::get(&app.store, la.parent_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    // The Liverpool branch with the most members, so it has some to read.
    let mut best: Option<(usize, units::Unit)> = None;
    for id in units::branches_in_local_authority(&app.store, "E08000012")
        .await
        .unwrap()
    {
        let n = members::page(&app.store, Some(&[id]), 0, 50)
            .await
            .unwrap()
            .len();
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, units::get(&app.store, id).await.unwrap().unwrap()));
        }
    }
    let (_, branch) = best.unwrap();
    let clp = units::get(&app.store, branch.parent_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    // A member of the branch who is a member today (so on its lists and its ballots' rolls).
    let today = app.clock.today();
    let mut in_branch = None;
    for m in members::page(&app.store, Some(&[branch.id]), 0, 50)
        .await
        .unwrap()
    {
        let h = caucus_app::register::members::history(app, &m)
            .await
            .unwrap();
        if caucus_domain::register::status::status_on(&h, today, &app.rules)
            .is_some_and(|st| st.status.is_member())
        {
            in_branch = Some(m);
            break;
        }
    }
    let in_branch = in_branch.expect("a member of the branch today");
    let liverpool_branches = units::branches_in_local_authority(&app.store, "E08000012")
        .await
        .unwrap();
    let all = members::page(&app.store, None, 0, 1000).await.unwrap();
    let outside = all
        .iter()
        .find(|m| {
            m.clp_unit_id.is_some()
                && m.clp_unit_id != Some(clp.id)
                && !m
                    .branch_unit_id
                    .is_some_and(|b| liverpool_branches.contains(&b))
        })
        .expect("a member outside Liverpool");
    Places {
        branch: branch.code,
        clp: clp.code,
        local_authority: la.code,
        region: region.code,
        in_branch: in_branch.row.membership_number,
        outside: outside.row.membership_number.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_logs_in_reads_within_scope_and_refuses_outside_it_on_every_engine() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let p = &s.places;

        // Without a token: 401 in the API's error shape.
        let r = s
            .client
            .get(s.url(&format!("/api/v1/members/{}", p.in_branch)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", db.engine);
        assert!(r.headers().contains_key("www-authenticate"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthenticated");

        // A staff role without its code is refused; with a wrong code too.
        let (email, secret) = &s.logins[&Role::BranchSecretary];
        let r = s
            .client
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("6-digit code"),
            "{v}"
        );
        let wrong = format!(
            "{:06}",
            (s.code(secret.as_deref().unwrap()).parse::<u32>().unwrap() + 1) % 1_000_000
        );
        let r = s
            .client
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": email, "password": PASSWORD, "totp": wrong}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        // The branch secretary reads a member of the branch, with the grant that allowed it.
        let token = s.log_in(Role::BranchSecretary).await;
        let (status, me) = s.get("/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["grants"][0]["role"], "branch_secretary");
        assert_eq!(me["grants"][0]["unit"], p.branch.as_str());
        let (status, m) = s
            .get(&format!("/api/v1/members/{}", p.in_branch), &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{m}");
        assert_eq!(m["membership_number"], p.in_branch.as_str());
        assert_eq!(m["branch"]["code"], p.branch.as_str());
        assert_eq!(m["clp"]["code"], p.clp.as_str());
        assert_eq!(m["read_allowed_by"][0]["clause"], "access.grants");
        // The one query that places the member finds what the separate reads do: the member, their
        // branch and CLP rows, every unit above them (the local authority and its region too) and
        // their status history.
        let placed = members::placed_by_number(&s.app.store, &p.in_branch)
            .await
            .unwrap()
            .unwrap();
        let alone = members::by_number(&s.app.store, &p.in_branch)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(placed.member, alone, "{}", db.engine);
        let history = members::status_history(&s.app.store, alone.id)
            .await
            .unwrap();
        assert!(!history.is_empty());
        assert_eq!(placed.history, history, "{}", db.engine);
        // Units of several members in one statement, each member's own.
        let elsewhere = members::placed_by_number(&s.app.store, &p.outside)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(placed.units, elsewhere.units);
        let each = members::units_of(&s.app.store, &[alone.id, elsewhere.member.id, -1])
            .await
            .unwrap();
        assert_eq!(each[&alone.id], placed.units, "{}", db.engine);
        assert_eq!(each[&elsewhere.member.id], elsewhere.units, "{}", db.engine);
        assert_eq!(each[&-1], Vec::<i64>::new());
        for code in [&p.branch, &p.clp, &p.local_authority, &p.region] {
            let unit = units::find_current(&s.app.store, code)
                .await
                .unwrap()
                .unwrap();
            assert!(placed.units.contains(&unit.id), "{}: {code}", db.engine);
        }
        for (row, id) in [
            (&placed.branch, alone.branch_unit_id),
            (&placed.clp, alone.clp_unit_id),
        ] {
            let want = units::get(&s.app.store, id.unwrap()).await.unwrap();
            assert_eq!(row, &want, "{}", db.engine);
        }
        assert!(members::placed_by_number(&s.app.store, "NO-SUCH")
            .await
            .unwrap()
            .is_none());
        assert!(
            m["can_vote"]["reasons"][0]["clause"].as_str().is_some(),
            "{m}"
        );

        // ... and the read is in the access log.
        let log = account_store::access_log_for(&s.app.store, &format!("member:{}", p.in_branch))
            .await
            .unwrap();
        assert!(
            log.iter().any(|(_, action)| action == "read_member"),
            "{log:?}"
        );

        // Another unit's member is not there, to a reader whose grants do not cover them: the
        // same answer as a number that does not exist, so it never says that the member exists.
        // The access log keeps the refusal with the reason naming the grant and its clause.
        let (status, e) = s
            .get(&format!("/api/v1/members/{}", p.outside), &token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
        let (_, none) = s.get("/api/v1/members/NO-SUCH-MEMBER", &token).await;
        assert_eq!(e, none);
        let refused = caucus_store::access::logs::access_rows(
            &s.app.store,
            &caucus_store::access::logs::LogFilter {
                subject: Some(format!("member:{}", p.outside)),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(refused[0].outcome, "refused", "{refused:?}");
        assert!(
            refused[0].detail.contains("access.grants")
                && refused[0].detail.contains("does not cover this member"),
            "{refused:?}"
        );

        // Eligibility with reasons and clause ids; a bad question is a 400.
        let (status, d) = s
            .get(
                &format!(
                    "/api/v1/members/{}/eligibility?for=ballot:leadership",
                    p.in_branch
                ),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["for"], "ballot:leadership");
        assert!(
            d["reasons"].as_array().is_some_and(|r| !r.is_empty()),
            "{d}"
        );
        let (status, e) = s
            .get(
                &format!("/api/v1/members/{}/eligibility?for=nonsense", p.in_branch),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(e["error"]["code"], "bad_request");

        // History, the unit list with flags, paging, and 404s.
        let (status, h) = s
            .get(&format!("/api/v1/members/{}/history", p.in_branch), &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!h["status"].as_array().unwrap().is_empty());
        // The latest placement is in the member's branch and CLP, named by their codes.
        let latest = h["placements"].as_array().unwrap().last().unwrap();
        assert_eq!(latest["branch"], p.branch.as_str(), "{h}");
        assert_eq!(latest["clp"], p.clp.as_str(), "{h}");
        let (status, list) = s
            .get(
                &format!("/api/v1/units/{}/members?limit=2", p.branch),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        assert!(list["items"][0]["can_attend"]["allowed"].is_boolean());
        let next = list["next"].as_str().unwrap().to_string();
        let (status, more) = s
            .get(
                &format!("/api/v1/units/{}/members?limit=2&cursor={next}", p.branch),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(
            more["items"][0]["membership_number"],
            list["items"][0]["membership_number"]
        );
        let (status, _) = s.get("/api/v1/members/NO-SUCH-MEMBER", &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, units) = s.get("/api/v1/units?kind=clp", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert!(units["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["kind"] == "clp"));
        let (status, _) = s.get("/api/v1/units?kind=parish", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // Logging out revokes the token.
        let r = s
            .client
            .delete(s.url("/api/v1/session"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, _) = s.get("/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // The group leader reads the members of the city council's area.
        let token = s.log_in(Role::GroupLeader).await;
        let (status, list) = s
            .get(
                &format!("/api/v1/units/{}/members", p.local_authority),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(!list["items"].as_array().unwrap().is_empty());
        let (status, m) = s
            .get(&format!("/api/v1/members/{}", p.in_branch), &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(m["read_allowed_by"][0]["clause"], "13.membership_lists");

        // The administrator sees no member data, by the separation-of-duties clause.
        let token = s.log_in(Role::Admin).await;
        let (status, e) = s
            .get(&format!("/api/v1/members/{}", p.in_branch), &token)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(e["error"]["reasons"][0]["clause"], "access.separation");

        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_headers_openapi_and_throttling() {
    let db = caucus_testkit::TestDb::sqlite();
    let s = Server::start(&db.url).await;

    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(!h["x-request-id"].is_empty());
    let r = s
        .client
        .get(s.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");

    // /metrics is for the operator's scraper only: no token or a wrong one is refused.
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let r = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth("0123456789abcdef0123456789abcdeX")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("caucus_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"));
    let r = s
        .client
        .get(s.url("/static/caucus.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");

    let r = s
        .client
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/units/{code}",
        "/api/v1/units/{code}/members",
        "/api/v1/members/{number}",
        "/api/v1/members/{number}/history",
        "/api/v1/members/{number}/eligibility",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let r = s.client.get(s.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let r = s
        .client
        .post(s.url("/api/v1/session"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Five wrong passwords lock the account for a while, even against the right one.
    let (email, _) = &s.logins[&Role::Member];
    for _ in 0..5 {
        let r = s
            .client
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": email, "password": "not the password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = s
        .client
        .post(s.url("/api/v1/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    let r = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // With the database gone, the server is alive but not ready.
    s.app.store.close().await;
    let r = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    s.stop().await;
}

pub(crate) fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

/// The body of the answer to `request`.
async fn text_of(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

pub(crate) fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_log_in_with_csrf_show_a_member_with_reasons_and_log_out() {
    let db = caucus_testkit::TestDb::sqlite();
    let s = Server::start(&db.url).await;
    let p = &s.places;

    let r = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");

    let r = s.client.get(s.url("/login")).send().await.unwrap();
    let cookie = set_cookie(&r, "caucus_login_csrf").unwrap();
    let form_token = hidden_csrf(&r.text().await.unwrap());
    assert_eq!(cookie, form_token);

    let (email, secret) = &s.logins[&Role::ClpSecretary];
    let code = s.code(secret.as_deref().unwrap());
    let fields = [
        ("csrf", form_token.as_str()),
        ("email", email),
        ("password", PASSWORD),
        ("totp", &code),
    ];
    // Without the cookie the form is refused: the token must match the browser's own.
    let r = s
        .client
        .post(s.url("/login"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s
        .client
        .post(s.url("/login"))
        .header("cookie", format!("caucus_login_csrf={cookie}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&r, "caucus_session").unwrap();
    let with_session = |path: &str| {
        s.client
            .get(s.url(path))
            .header("cookie", format!("caucus_session={session}"))
    };

    let html = text_of(with_session("/")).await;
    assert!(
        html.contains("Dashboard") && html.contains("clp_secretary"),
        "{html}"
    );
    let page_csrf = hidden_csrf(&html);

    let html = text_of(with_session(&format!("/members/{}", p.in_branch))).await;
    assert!(html.contains("Eligibility today"), "{html}");
    assert!(html.contains("(clause "), "{html}");

    // Search finds the member by number and by their postcode however it is typed; an outward code
    // finds only that district's postcodes; a member outside the secretary's CLP is never found.
    let search = |q: &str| with_session(&format!("/members?q={}", q.replace(' ', "+")));
    let found_postcodes = |html: &str| -> Vec<String> {
        html.split("</td></tr>")
            .filter_map(|row| row.rsplit_once("<td>").map(|(_, pc)| pc.to_string()))
            .filter(|pc| !pc.contains('<'))
            .collect()
    };
    let member = members::by_number(&s.app.store, &p.in_branch)
        .await
        .unwrap()
        .unwrap();
    let postcode = member.row.postcode.clone();
    let link = format!("href=\"/members/{}\"", p.in_branch);
    for q in [
        p.in_branch.clone(),
        postcode.clone(),
        postcode.replace(' ', "").to_lowercase(),
    ] {
        let html = text_of(search(&q)).await;
        assert!(html.contains(&link), "{q}: {html}");
    }
    let outward = postcode.split(' ').next().unwrap();
    let found = found_postcodes(&text_of(search(outward)).await);
    assert!(!found.is_empty(), "{outward}");
    assert!(
        found
            .iter()
            .all(|pc| pc.starts_with(&format!("{outward} "))),
        "{outward}: {found:?}"
    );
    let outsider = members::by_number(&s.app.store, &p.outside)
        .await
        .unwrap()
        .unwrap();
    for q in [outsider.row.postcode.as_str(), p.outside.as_str()] {
        let html = text_of(search(q)).await;
        assert!(html.contains("<h2>0 found</h2>"), "{q}: {html}");
    }

    // The unit page shows the unit's officers, its gender-rule check with the clause, and for a
    // branch its delegates to the General Committee.
    let html = text_of(with_session(&format!("/units/{}", p.clp))).await;
    assert!(html.contains("Can vote"), "{html}");
    // The list says why where a member may not; where they may, it says only so.
    let list = &html[html.find("<h2>Members</h2>").expect(&html)..];
    let refusals: Vec<&str> = list.split("<span class=\"no\">No</span>").skip(1).collect();
    assert!(
        !refusals.is_empty(),
        "no one on the list is refused anything: {list}"
    );
    for after in refusals {
        let reasons = after.trim_start();
        assert!(
            reasons.starts_with("<ul class=\"reasons\">\n<li>") && reasons.contains("(clause "),
            "{after}"
        );
    }
    assert!(
        !list.contains("<span class=\"yes\">Yes</span>\n<ul"),
        "{list}"
    );
    assert!(html.contains("No officers on record today."), "{html}");
    let chair = members::by_number(&s.app.store, &p.in_branch)
        .await
        .unwrap()
        .unwrap();
    appoint(
        &s.app,
        &Operator::at_the_command_line("test"),
        &Appointment {
            unit_code: p.clp.clone(),
            membership_number: p.in_branch.clone(),
            office: OfficeKind::Chair,
            from: time::macros::date!(2026 - 01 - 10),
            until: None,
            gender: Gender::Woman,
            appointed_by: "test".into(),
        },
    )
    .await
    .unwrap();
    let html = text_of(with_session(&format!("/units/{}", p.clp))).await;
    let officers = &html
        [html.find("<h2>Officers</h2>").expect(&html)..html.find("<h2>Members</h2>").expect(&html)];
    let name = format!("{} {}", chair.row.given_name, chair.row.family_name);
    assert!(
        officers.contains(&format!("<td>chair</td><td>{name}</td><td>2026-01-10</td>")),
        "{officers}"
    );
    let rule = &officers[officers.find("id=\"gender-rule\"").expect(officers)..];
    assert!(rule.contains("(clause "), "{rule}");
    assert!(
        !officers.contains("gc-delegates"),
        "a CLP sends no branch delegates: {officers}"
    );
    let html = text_of(with_session(&format!("/units/{}", p.branch))).await;
    let delegates = &html[html.find("id=\"gc-delegates\"").expect(&html)..];
    assert!(
        delegates.starts_with("id=\"gc-delegates\">Entitled to "),
        "{delegates}"
    );
    assert!(delegates.contains("(clause "), "{delegates}");
    let surname = members::by_number(&s.app.store, &p.in_branch)
        .await
        .unwrap()
        .unwrap()
        .row
        .family_name;
    let html = text_of(with_session(&format!("/members?q={}", &surname[..3]))).await;
    assert!(html.contains(&p.in_branch), "{html}");

    // Logging out needs the session's CSRF token.
    let r = s
        .client
        .post(s.url("/logout"))
        .header("cookie", format!("caucus_session={session}"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s
        .client
        .post(s.url("/logout"))
        .header("cookie", format!("caucus_session={session}"))
        .form(&[("csrf", page_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = with_session("/").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    s.stop().await;
}

#[test]
fn user_add_prints_a_generated_password_and_the_totp_secret_of_an_officer() {
    let db = caucus_testkit::TestDb::sqlite();
    with_l_area(&db.url);
    let out = ok(
        &db.url,
        &[
            "user",
            "add",
            "--email",
            "Sec@Example.org",
            "--role",
            "clp_secretary",
            "--unit",
            "pcon2010:E14000793",
        ],
    );
    assert!(out.contains("created account"), "{out}");
    assert!(out.contains("password: "), "{out}");
    assert!(out.contains("totp secret"), "{out}");
    let out = ok(
        &db.url,
        &[
            "user",
            "add",
            "--email",
            "sec@example.org",
            "--role",
            "councillor",
        ],
    );
    assert!(out.contains("granted"), "{out}");
    let bad = crate::support::caucus(
        &db.url,
        &[
            "user",
            "add",
            "--email",
            "x@example.org",
            "--role",
            "clp_secretary",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("needs --unit"));
    ok(&db.url, &["audit", "verify"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_a_login_for_every_role_as_written_to_the_logins_file() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let logins = dir.path().join("logins.json");
    let mut child = KillOnDrop(
        std::process::Command::new(crate::support::bin())
            .args([
                "--today",
                TODAY,
                "demo",
                "--members",
                "300",
                "--bind",
                "127.0.0.1:0",
            ])
            // The global --db, as every other command takes it (it was once ignored by the demo).
            .args(["--db", &db])
            .arg("--logins")
            .arg(&logins)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (printed, port) = tokio::task::spawn_blocking(move || {
        let mut printed = String::new();
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(port) = l.strip_prefix("listening on http://127.0.0.1:") {
                return (printed, Some(port.to_string()));
            }
            printed.push_str(&l);
            printed.push('\n');
        }
        (printed, None)
    })
    .await
    .unwrap();
    let port = port.expect("the demo did not start serving");
    assert!(dir.path().join("demo.db").exists(), "{printed}");
    assert!(!dir.path().join("caucus-demo.db").exists(), "{printed}");
    let written: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&logins).unwrap()).unwrap();
    // One login per role, and every login printed is in the file (the member left off the
    // ballot's roll among them).
    let per_role: Vec<&Value> = written.iter().filter(|l| l["note"].is_null()).collect();
    assert_eq!(per_role.len(), Role::ALL.len(), "{written:?}");
    for email in printed
        .split_whitespace()
        .filter(|w| w.ends_with("@demo.caucus.invalid"))
    {
        assert!(
            written.iter().any(|l| l["email"] == email),
            "{email} printed but not in the logins file"
        );
    }
    assert!(
        printed.contains("member.excluded@demo.caucus.invalid"),
        "{printed}"
    );
    let client = Client::new();
    let mut failures = Vec::new();
    for l in &written {
        let role = Role::parse(l["role"].as_str().unwrap()).unwrap();
        assert_eq!(
            l["totp_secret"].is_string(),
            role.needs_second_factor(),
            "{l}"
        );
        assert_eq!(l["unit"].is_string(), role.unit_kind().is_some(), "{l}");
        let totp = l["totp_secret"].as_str().map(|s| {
            let now = Clock::Today(caucus_app::clock::parse_date(TODAY).unwrap()).now();
            totp_code(s, now.unix_timestamp() as u64).unwrap()
        });
        let r = client
            .post(format!("http://127.0.0.1:{port}/api/v1/session"))
            .json(&json!({"email": l["email"], "password": l["password"], "totp": totp}))
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::CREATED {
            failures.push(format!("{}: {}", l["role"], r.status()));
        }
    }
    drop(child);
    assert!(failures.is_empty(), "{failures:?}");
}

/// A child process stopped when the test ends, whether it passes or panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A unit's membership list, walked a few members at a time by its cursor, is every member of the
/// unit once, in postcode then id order: for a CLP, a branch, the city council's area and the region.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_list_walked_page_by_page_is_every_member_once_in_postcode_order_on_every_engine() {
    use caucus_app::register::records::{self, ListCursor};
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let (email, _) = &s.logins[&Role::GeneralSecretary];
        let account = account_store::by_email(&s.app.store, email)
            .await
            .unwrap()
            .unwrap();
        let (_, actor) = caucus_app::access::accounts::actor(&s.app, account.id)
            .await
            .unwrap();
        let p = &s.places;
        // A membership number is found however its letters are typed, on every engine (it was
        // once matched case-sensitively on PostgreSQL, so a number with a letter was never found).
        for q in [p.in_branch.clone(), p.in_branch.to_lowercase()] {
            let found = records::search_members(&s.app, &actor, &q).await.unwrap();
            assert!(
                found.iter().any(|m| m.row.membership_number == p.in_branch),
                "{}: {q} found {} members",
                db.engine,
                found.len()
            );
        }
        let set = caucus_store::organisation::geography::current_set(&s.app.store)
            .await
            .unwrap();
        for code in [&p.clp, &p.branch, &p.local_authority, &p.region] {
            let mut walked = Vec::new();
            let mut after: Option<ListCursor> = None;
            loop {
                let page = records::unit_members(&s.app, &actor, code, after.as_ref(), 7)
                    .await
                    .unwrap();
                walked.extend(
                    page.items
                        .iter()
                        .map(|l| (l.member.postcode.clone(), l.member.id)),
                );
                match page.next {
                    // The cursor goes out as text and comes back parsed, as a reader's would.
                    Some(c) => after = Some(ListCursor::parse(&c.text()).unwrap()),
                    None => break,
                }
            }
            let mut sorted = walked.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(walked, sorted, "{code} on {}", db.engine);
            // The same members as the list in id order, read by another query.
            let unit = units::find_by_code(&s.app.store, code, set.as_deref())
                .await
                .unwrap()
                .unwrap();
            let by_id = if unit.kind == "local_authority" {
                members::page_in_local_authority(&s.app.store, code, 0, 100_000)
                    .await
                    .unwrap()
            } else {
                let beneath = units::descendants(&s.app.store, unit.id).await.unwrap();
                members::page(&s.app.store, Some(&beneath), 0, 100_000)
                    .await
                    .unwrap()
            };
            let mut expected: Vec<(String, i64)> = by_id
                .iter()
                .map(|m| (m.row.postcode.clone(), m.id))
                .collect();
            expected.sort();
            assert!(!expected.is_empty(), "{code} has no members");
            assert_eq!(walked, expected, "{code} on {}", db.engine);
        }
        assert!(ListCursor::parse("not a cursor").is_err());
        assert!(ListCursor::parse("zz.1").is_err());

        // A page read again is the same page; a change made by another process (here another App
        // on the same register, as `caucus` on the command line would be) shows on the next read.
        let first = records::unit_members(&s.app, &actor, &p.branch, None, 50)
            .await
            .unwrap();
        let again = records::unit_members(&s.app, &actor, &p.branch, None, 50)
            .await
            .unwrap();
        let numbers = |l: &records::MemberList| {
            l.items
                .iter()
                .map(|m| (m.member.membership_number.clone(), m.member.status.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(&first), numbers(&again));
        let chosen = first
            .items
            .iter()
            .find(|m| m.flags.can_attend.allowed)
            .expect("someone in the branch may attend");
        let other = App::new(
            Store::open(&db.url).await.unwrap(),
            Rulebook::shipped().unwrap(),
            s.app.clock,
        );
        caucus_app::register::members::record_transition(
            &other,
            &caucus_domain::access::allowed::Allowed::operator(&Operator::at_the_command_line(
                "test",
            )),
            "test",
            &caucus_app::register::members::TransitionRequest {
                membership_number: chosen.member.membership_number.clone(),
                to: caucus_domain::register::member::MemberStatus::Suspended,
                reason: caucus_domain::register::lifecycle::TransitionReason::ComplaintSuspension,
                effective_on: None,
                expected_version: None,
                nec_decision: false,
            },
        )
        .await
        .unwrap();
        let after = records::unit_members(&s.app, &actor, &p.branch, None, 50)
            .await
            .unwrap();
        let now = after
            .items
            .iter()
            .find(|m| m.member.id == chosen.member.id)
            .unwrap();
        assert_eq!(now.member.status, "suspended", "on {}", db.engine);
        assert!(!now.flags.can_attend.allowed, "on {}", db.engine);
        other.store.close().await;
        s.stop().await;
    }
}

/// `path` with each `{name}` of its template replaced by `value`.
fn filled(path: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        out.push_str(value);
        rest = after.split_once('}').map_or("", |(_, tail)| tail);
    }
    out.push_str(rest);
    out
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Input a route cannot take is answered as that route answers failures, with a 4xx: pages with the
/// HTML error page (or their own page), the API with its JSON error; never a 500, never axum's
/// plain-text rejection. Every templated route is tried with invalid UTF-8 in its path; a NUL
/// character, which PostgreSQL cannot hold, is refused in addresses, forms and JSON bodies alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_4xx_page_or_json_error_of_its_route_on_every_engine() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let engine = db.engine;
        let (email, _) = &s.logins[&Role::ClpSecretary];
        let account = account_store::by_email(&s.app.store, email)
            .await
            .unwrap()
            .unwrap();
        let session = caucus_app::access::accounts::start_session(&s.app, account.id, None)
            .await
            .unwrap();
        let cookie = format!("caucus_session={}", session.token);
        let token = s.log_in(Role::ClpSecretary).await;

        // A search of 50,000 characters: the search page, 400, saying how long a search may be,
        // its box holding no more than that.
        let long = "a".repeat(50_000);
        let r = s
            .client
            .get(s.url(&format!("/members?q={long}")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}");
        assert!(content_type(&r).starts_with("text/html"), "{engine}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Find a member"), "{engine}: {html}");
        assert!(html.contains("at most 100 characters"), "{engine}: {html}");
        assert!(html.contains("maxlength=\"100\""), "{engine}: {html}");
        assert!(
            !html.contains(&"a".repeat(101)),
            "{engine}: the whole text echoed"
        );
        // Too short is the same page and status.
        let r = s
            .client
            .get(s.url("/members?q=a"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}");
        assert!(r.text().await.unwrap().contains("at least two"), "{engine}");

        // A form without its CSRF field: the error page, 400, and the session is untouched.
        let r = s
            .client
            .post(s.url("/logout"))
            .header("cookie", &cookie)
            .form(&[("other", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}");
        assert!(content_type(&r).starts_with("text/html"), "{engine}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("The form could not be read") && html.contains("csrf"),
            "{engine}: {html}"
        );
        let r = s
            .client
            .get(s.url("/"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{engine}");
        // Nor is a login form without its fields, or a form that is not a form, a plain-text answer.
        for (content, body) in [
            ("application/x-www-form-urlencoded", ""),
            ("application/json", "{}"),
        ] {
            let r = s
                .client
                .post(s.url("/login"))
                .header("content-type", content)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}: {content}");
            assert!(content_type(&r).starts_with("text/html"), "{engine}");
        }

        // Invalid UTF-8 in the path of every page route that takes one: the error page, 400, with
        // or without a session (nothing is read before the address is).
        let templated: Vec<_> = caucus_web::page_routes()
            .into_iter()
            .filter(|r| r.path.contains('{'))
            .collect();
        assert!(templated.len() > 5, "{templated:?}");
        for route in &templated {
            let path = filled(route.path, "%FF");
            for with_session in [true, false] {
                let mut req = s.client.request(
                    reqwest::Method::from_bytes(route.method.as_bytes()).unwrap(),
                    s.url(&path),
                );
                if with_session {
                    req = req.header("cookie", &cookie);
                }
                if route.method == "POST" {
                    req = req.form(&[("csrf", session.csrf_token.as_str())]);
                }
                let r = req.send().await.unwrap();
                let at = format!("{engine}: {} {path}", route.method);
                assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{at}");
                assert!(content_type(&r).starts_with("text/html"), "{at}");
                let html = r.text().await.unwrap();
                assert!(
                    html.contains("The address could not be read"),
                    "{at}: {html}"
                );
            }
        }

        // The same in every API route that takes a path parameter, and a parameter of the wrong
        // kind: the API's JSON error, 400.
        let doc: Value = s
            .client
            .get(s.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut tried = 0;
        for (template, item) in doc["paths"].as_object().unwrap() {
            if !template.contains('{') {
                continue;
            }
            for method in item.as_object().unwrap().keys() {
                let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                for value in ["%FF", "%E2%82"] {
                    let path = filled(template, value);
                    let r = s
                        .client
                        .request(method.clone(), s.url(&path))
                        .bearer_auth(&token)
                        .header("if-match", "\"1\"")
                        .json(&json!({}))
                        .send()
                        .await
                        .unwrap();
                    let at = format!("{engine}: {method} {path}");
                    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{at}");
                    assert_eq!(content_type(&r), "application/json", "{at}");
                    let v: Value = r.json().await.unwrap();
                    assert_eq!(v["error"]["code"], "bad_request", "{at}: {v}");
                    tried += 1;
                }
            }
        }
        assert!(tried >= 8, "{tried}");
        // A NUL character, which PostgreSQL refuses to store or compare: 400 before it gets there.
        for path in [
            "/api/v1/members/a%00b",
            "/api/v1/units/a%00b/members",
            "/api/v1/audit?actor=a%00b",
        ] {
            let (status, v) = s.get(path, &token).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{engine}: {path}: {v}");
            assert_eq!(v["error"]["code"], "bad_request", "{engine}: {path}: {v}");
        }
        for path in ["/members/a%00b", "/units/a%00b", "/members?q=ab%00c"] {
            let r = s
                .client
                .get(s.url(path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}: {path}");
            assert!(
                content_type(&r).starts_with("text/html"),
                "{engine}: {path}"
            );
        }
        let r = s.client.get(s.url("/login")).send().await.unwrap();
        let login_csrf = set_cookie(&r, "caucus_login_csrf").unwrap();
        let r = s
            .client
            .post(s.url("/login"))
            .header("cookie", format!("caucus_login_csrf={login_csrf}"))
            .form(&[
                ("csrf", login_csrf.as_str()),
                ("email", "a\0b@test.invalid"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}");
        assert!(r.text().await.unwrap().contains("NUL"), "{engine}");
        let r = s
            .client
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": "a\u{0}b@test.invalid", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{engine}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_request", "{engine}: {v}");
        let (status, v) = s.get("/api/v1/ballots/not-a-number/result", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{engine}: {v}");
        assert_eq!(v["error"]["code"], "bad_request", "{engine}: {v}");
        s.stop().await;
    }
}
