//! The membership list downloaded from a unit's page, on every engine: an entitled officer gets the
//! CSV (watermarked with their address, recorded in the audit log), the unit page offers it only to
//! them, and everyone else is refused with a 403 naming the reason and its clause.
use crate::web::{hidden_csrf, set_cookie, Server, PASSWORD};
use caucus_domain::access::policy::Role;
use caucus_store::audit;
use reqwest::StatusCode;

/// Logs `role` in through the login form; returns the session cookie.
async fn page_session(s: &Server, role: Role) -> String {
    let r = s.client.get(s.url("/login")).send().await.unwrap();
    let cookie = set_cookie(&r, "caucus_login_csrf").unwrap();
    let csrf = hidden_csrf(&r.text().await.unwrap());
    let (email, secret) = &s.logins[&role];
    let code = secret.as_deref().map(|x| s.code(x)).unwrap_or_default();
    let r = s
        .client
        .post(s.url("/login"))
        .header("cookie", format!("caucus_login_csrf={cookie}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
            ("totp", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} could not log in");
    set_cookie(&r, "caucus_session").unwrap()
}

async fn exports(s: &Server) -> Vec<audit::Event> {
    audit::list(&s.app.store, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "members.export")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unit_list_downloads_as_csv_for_entitled_roles_and_is_refused_with_reasons_to_others() {
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let clp = s.places.clp.clone();
        let csv_path = format!("/units/{clp}/members.csv");
        let get = |path: &str, session: &str| {
            s.client
                .get(s.url(path))
                .header("cookie", format!("caucus_session={session}"))
                .send()
        };

        // Not logged in: to the login page, and no list.
        let r = s.client.get(s.url(&csv_path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", db.engine);

        // The CLP secretary: offered on the unit page, and downloaded.
        let secretary = page_session(&s, Role::ClpSecretary).await;
        let page = get(&format!("/units/{clp}"), &secretary)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(
                "href=\"/units/{}/members.csv\"",
                clp.replace(':', "%3A")
            )) || page.contains(&format!("href=\"/units/{clp}/members.csv\"")),
            "{page}"
        );
        let r = get(&csv_path, &secretary).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", db.engine);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            disposition,
            format!(
                "attachment; filename=\"members-{}-2026-11-22.csv\"",
                clp.replace(':', "-")
            )
        );
        let body = r.text().await.unwrap();
        let (watermark, list) = body.split_once('\n').unwrap();
        let email = &s.logins[&Role::ClpSecretary].0;
        assert!(
            watermark.starts_with(&format!("# Exported for {email} at 2026-11-22T")),
            "{watermark}"
        );
        let mut reader = csv::Reader::from_reader(list.as_bytes());
        assert_eq!(
            reader.headers().unwrap(),
            caucus_app::register::member_export::COLUMNS.as_slice()
        );
        let rows = reader.records().count();
        assert!(rows > 0, "an empty list for {clp}");
        let logged = exports(&s).await;
        assert_eq!(logged.len(), 1, "{}", db.engine);
        assert_eq!(logged[0].actor, *email);
        assert_eq!(logged[0].subject, clp);
        let digest = audit::digest(body.as_bytes());
        assert_eq!(logged[0].after_digest.as_deref(), Some(digest.as_str()));

        // A group leader gets the list of the area their council covers: the members living there.
        let leader = page_session(&s, Role::GroupLeader).await;
        let la = s.places.local_authority.clone();
        let r = get(&format!("/units/{la}/members.csv"), &leader)
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", db.engine);
        let body = r.text().await.unwrap();
        let rows = body.lines().count() - 2;
        assert!(rows > 0, "the group leader's list of {la} is empty");
        assert!(body.contains(&format!("members of {la} ")), "{body}");
        assert_eq!(exports(&s).await.len(), 2, "{}", db.engine);

        // Others: refused, told why with the clause, nothing exported and nothing logged.
        for (role, clause, words) in [
            (Role::Admin, "access.separation", "sees no member data"),
            (Role::Auditor, "access.roles", "audit and access logs only"),
            (
                Role::BranchSecretary,
                "access.grants",
                "does not cover this unit",
            ),
            (
                Role::Member,
                "access.roles",
                "may read only their own record",
            ),
        ] {
            let session = page_session(&s, role).await;
            let page = get(&format!("/units/{clp}"), &session)
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!page.contains("members.csv"), "{role} is offered the list");
            let r = get(&csv_path, &session).await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} on {}", db.engine);
            let html = r.text().await.unwrap();
            assert!(
                html.contains(&format!("(clause {clause})")) && html.contains(words),
                "{role}: {html}"
            );
            assert!(!html.contains("Exported for"), "{role}: {html}");
        }
        assert_eq!(exports(&s).await.len(), 2, "{}", db.engine);

        // A unit that does not exist is a 404 page.
        let r = get("/units/E99999999/members.csv", &secretary)
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        s.stop().await;
    }
}

/// Whether a CSV cell would be read as a formula by a spreadsheet (OWASP's CSV Injection page).
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Every cell of a CSV text (its `#` watermark line skipped), each row as its cells.
fn cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_fields_are_formulas_is_listed_as_text_by_the_cli_and_the_web_on_every_engine(
) {
    use crate::support::ok;
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let clp = s.places.clp.clone();
        let postcode =
            caucus_store::register::members::by_number(&s.app.store, &s.places.in_branch)
                .await
                .unwrap()
                .unwrap()
                .row
                .postcode;
        // One member whose every free-text field is a formula, and a rejected row whose number is.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("formulas.csv");
        std::fs::write(
            &file,
            format!(
                "membership_number,given_name,family_name,email,phone,date_of_birth,address_line1,\
                 address_line2,town,postcode,joined_on,status,rate,payment_method,paid_up_until,\
                 registered_to_vote,trade_union\n\
                 L9900001,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",+SUM(A1:A2),-x@example.org,\
                 +44 7700 900123,1980-01-01,@cmd,-2+3,=1+1,{postcode},2020-01-01,active,standard,\
                 direct_debit,2027-01-01,true,\n\
                 =cmd|' /C calc'!A0,Ann,Lee,,,1980-01-01,1 Road,,Town,NOT A PC,2020-01-01,active,\
                 standard,direct_debit,2027-01-01,true,\n"
            ),
        )
        .unwrap();
        let rejects = dir.path().join("rejects.csv");
        ok(
            &db.url,
            &[
                "import",
                "members",
                file.to_str().unwrap(),
                "--rejects",
                rejects.to_str().unwrap(),
            ],
        );
        let rejected = cells(&std::fs::read_to_string(&rejects).unwrap());
        assert_eq!(rejected.len(), 2, "{}: {rejected:?}", db.engine);
        assert_eq!(rejected[1][1], "'=cmd|' /C calc'!A0", "{}", db.engine);

        // The command line's list and the web's download: the member is there, every formula
        // shown as text, and no cell of either starts as a formula would.
        let out = dir.path().join("list.csv");
        ok(
            &db.url,
            &[
                "export",
                "members",
                "--unit",
                &clp,
                "--as",
                "secretary@example.org",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let cli = std::fs::read_to_string(&out).unwrap();
        let secretary = page_session(&s, Role::ClpSecretary).await;
        let r = s
            .client
            .get(s.url(&format!("/units/{clp}/members.csv")))
            .header("cookie", format!("caucus_session={secretary}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", db.engine);
        let web = r.text().await.unwrap();
        for (source, text) in [("cli", &cli), ("web", &web)] {
            let rows = cells(text);
            assert_eq!(
                rows[0],
                caucus_app::register::member_export::COLUMNS,
                "{source} {}",
                db.engine
            );
            let row = rows
                .iter()
                .find(|r| r[0] == "L9900001")
                .unwrap_or_else(|| panic!("{source} {}: L9900001 is not listed", db.engine));
            assert_eq!(
                row[1..8],
                [
                    "'=HYPERLINK(\"http://x\",\"y\")",
                    "'+SUM(A1:A2)",
                    "'-x@example.org",
                    "'+44 7700 900123",
                    "'@cmd",
                    "'-2+3",
                    "'=1+1",
                ],
                "{source} {}",
                db.engine
            );
            for r in &rows {
                for cell in r {
                    assert!(!formula(cell), "{source} {}: {cell:?}", db.engine);
                }
            }
        }
        s.stop().await;
    }
}
