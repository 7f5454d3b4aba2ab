//! Reads that do not succeed, on the real server on every engine: a member outside the reader's
//! grants is not there (404, the very answer a number that does not exist gets), an account that
//! reads no member at all is refused (403) alike for both, and each attempt, like a search that finds
//! no one, is in the access log with its outcome for the auditor, in the API and on the page.
use crate::web::Server;
use caucus_domain::access::policy::Role;
use caucus_store::access::accounts as account_store;
use reqwest::StatusCode;
use serde_json::Value;

/// A browser session cookie for a role's account.
async fn cookie(s: &Server, role: Role) -> String {
    let (email, _) = &s.logins[&role];
    let account = account_store::by_email(&s.app.store, email)
        .await
        .unwrap()
        .unwrap();
    let session = caucus_app::access::accounts::start_session(&s.app, account.id, None)
        .await
        .unwrap();
    format!("caucus_session={}", session.token)
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

async fn account_of(s: &Server, role: Role) -> String {
    let (email, _) = &s.logins[&role];
    let account = account_store::by_email(&s.app.store, email)
        .await
        .unwrap()
        .unwrap();
    format!("account:{}", account.id)
}

/// The access log's lines about `subject`, newest first, as the auditor reads them in the API.
async fn lines_about(s: &Server, auditor: &str, subject: &str) -> Vec<Value> {
    let (status, log) = s
        .get(
            &format!(
                "/api/v1/access-log?subject={}&limit=50",
                subject.replace(' ', "%20")
            ),
            auditor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_reads_and_fruitless_searches_are_logged_and_never_say_a_member_exists() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let p = &s.places;
        let secretary = s.log_in(Role::ClpSecretary).await;
        let auditor = s.log_in(Role::Auditor).await;
        let clp_secretary = account_of(&s, Role::ClpSecretary).await;

        // A CLP secretary asks for a member outside their CLP: not there, word for word as a
        // number that does not exist, on the record and its history, eligibility and transitions.
        for tail in ["", "/history", "/eligibility?for=hold_office"] {
            let (status, hidden) = s
                .get(&format!("/api/v1/members/{}{tail}", p.outside), &secretary)
                .await;
            let (none_status, none) = s
                .get(&format!("/api/v1/members/NO-SUCH-MEMBER{tail}"), &secretary)
                .await;
            assert_eq!(
                (status, none_status),
                (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
                "{}: {tail}: {hidden}",
                db.engine
            );
            assert_eq!(hidden, none, "{tail}");
            assert!(!hidden.to_string().contains(&p.outside), "{hidden}");
        }
        let (cookie_secretary, page_hidden) = {
            let c = cookie(&s, Role::ClpSecretary).await;
            let (status, html) = page(&s, &c, &format!("/members/{}", p.outside)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}", db.engine);
            (c, html)
        };
        let (_, page_none) = page(&s, &cookie_secretary, "/members/NO-SUCH-MEMBER").await;
        assert_eq!(page_hidden, page_none, "{}", db.engine);

        // The auditor sees each attempt, refused with the policy's reasons.
        let lines = lines_about(&s, &auditor, &format!("member:{}", p.outside)).await;
        let refused: Vec<&Value> = lines
            .iter()
            .filter(|l| l["actor"] == clp_secretary.as_str())
            .collect();
        assert_eq!(refused.len(), 4, "{}: {lines:?}", db.engine);
        for l in &refused {
            assert_eq!(l["outcome"], "refused", "{l}");
            assert_eq!(
                l["detail"]["refused_by"][0]["clause"], "access.grants",
                "{l}"
            );
        }
        let actions: Vec<&str> = refused
            .iter()
            .map(|l| l["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "read_member",
                "read_member_eligibility",
                "read_member_history",
                "read_member"
            ],
            "newest first"
        );
        let missing = lines_about(&s, &auditor, "member:NO-SUCH-MEMBER").await;
        assert!(
            !missing.is_empty() && missing.iter().all(|l| l["outcome"] == "not_found"),
            "{missing:?}"
        );

        // A search that finds no one is logged with its query, and one that finds someone with the
        // numbers it showed.
        let (_, html) = page(&s, &cookie_secretary, "/members?q=Zzyzxq").await;
        assert!(!html.contains(&p.in_branch));
        let lines = lines_about(&s, &auditor, "search:Zzyzxq").await;
        assert_eq!(lines.len(), 1, "{}: {lines:?}", db.engine);
        assert_eq!(lines[0]["outcome"], "not_found");
        assert_eq!(lines[0]["actor"], clp_secretary.as_str());
        assert_eq!(lines[0]["detail"]["found"], 0);
        let subject = caucus_store::register::members::by_number(&s.app.store, &p.in_branch)
            .await
            .unwrap()
            .unwrap();
        let surname: String = subject
            .row
            .family_name
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        let (_, html) = page(&s, &cookie_secretary, &format!("/members?q={surname}")).await;
        assert!(
            html.contains(&format!("/members/{}", p.in_branch)),
            "{html}"
        );
        let lines = lines_about(&s, &auditor, &format!("search:{surname}")).await;
        assert_eq!(lines[0]["outcome"], "allowed", "{lines:?}");
        assert!(
            lines[0]["detail"]["shown"]
                .as_array()
                .unwrap()
                .contains(&Value::from(p.in_branch.as_str())),
            "{lines:?}"
        );

        // The administrator reads no member at all: refused with the reason, the same for a
        // member and for a number that does not exist; both on the record.
        let admin = s.log_in(Role::Admin).await;
        let (status, refused) = s
            .get(&format!("/api/v1/members/{}", p.in_branch), &admin)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert_eq!(
            refused["error"]["reasons"][0]["clause"],
            "access.separation"
        );
        let (status, none) = s.get("/api/v1/members/NO-SUCH-MEMBER", &admin).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(refused, none);
        let admin_account = account_of(&s, Role::Admin).await;
        let lines = lines_about(&s, &auditor, &format!("member:{}", p.in_branch)).await;
        assert!(
            lines
                .iter()
                .any(|l| l["actor"] == admin_account.as_str() && l["outcome"] == "refused"),
            "{lines:?}"
        );
        // A search by an account that reads no member finds no one, and says why in the log.
        let (_, _) = page(&s, &cookie(&s, Role::Admin).await, "/members?q=Cole").await;
        let lines = lines_about(&s, &auditor, "search:Cole").await;
        assert_eq!(lines[0]["outcome"], "refused", "{lines:?}");
        assert_eq!(lines[0]["actor"], admin_account.as_str());

        // The auditor's page shows the outcome of each line.
        let (status, html) = page(
            &s,
            &cookie(&s, Role::Auditor).await,
            &format!("/access-log?subject=member:{}", p.outside),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<th scope=\"col\">Outcome</th>"), "{html}");
        assert!(html.contains("<td>refused</td>"), "{html}");
        s.stop().await;
    }
}
