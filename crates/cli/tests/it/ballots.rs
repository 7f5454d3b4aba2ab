//! A secret ballot run for real over HTTP on every engine: an officer creates a CLP ballot, freezes
//! its roll and, after the votes, closes, counts and publishes it; an eligible member votes and gets
//! a receipt, a provisional member is refused with the reason, a second vote is refused, and the
//! published papers recount (in-process and with `caucus count`) to the published result, with the
//! receipt among them. The stored papers are checked to hold nothing that leads to a voter.
//! Each step is a method of `Journey`, so a browser test can take the same path.
pub(crate) mod count;

use crate::support::{generate, ok, with_l_area, TODAY};
use crate::web::PASSWORD;
use caucus_app::access::accounts::{add_user, AddUser};
use caucus_app::ballots;
use caucus_app::{App, Clock};
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::{Actor, Grant, Role};
use caucus_domain::ballots::spec::CountingMethod;
use caucus_domain::rulebook::Rulebook;
use caucus_store::{organisation::units, register::members, Store};
use caucus_web::{Application, Config};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

/// A browser's view of the site: the cookie of its session and the CSRF token of its forms.
pub struct Browser {
    session: String,
    csrf: String,
}

pub struct Journey {
    base: String,
    client: Client,
    pub app: App,
    /// The CLP holding the ballot.
    pub clp: String,
    officer: (String, String),
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let at = html.find(start)? + start.len();
    Some(&html[at..at + html[at..].find(end)?])
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

impl Journey {
    /// A register built by the real binary, a CLP secretary over Liverpool's largest CLP, served.
    pub async fn start(url: &str) -> Journey {
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
        let mut best: Option<(usize, i64)> = None;
        for id in units::branches_in_local_authority(&app.store, "E08000012")
            .await
            .unwrap()
        {
            let b = units::get(&app.store, id).await.unwrap().unwrap();
            let clp = b.parent_id.unwrap();
            let n = members::page(&app.store, Some(&[clp]), 0, 1000)
                .await
                .unwrap()
                .len();
            if best.is_none_or(|(m, _)| n > m) {
                best = Some((n, clp));
            }
        }
        let clp = units::get(&app.store, best.unwrap().1)
            .await
            .unwrap()
            .unwrap()
            .code;
        let officer = add_user(
            &app,
            &Operator::at_the_command_line("test"),
            &AddUser {
                email: "secretary@test.invalid".into(),
                role: Role::ClpSecretary,
                unit_code: Some(clp.clone()),
                password: Some(PASSWORD.into()),
                member_number: None,
                valid_from: None,
                valid_until: None,
            },
        )
        .await
        .unwrap();
        let server = Application::build(
            app.clone(),
            Config {
                bind: "127.0.0.1:0".to_string(),
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
        Journey {
            base,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            app,
            clp,
            officer: (
                "secretary@test.invalid".into(),
                officer.totp_secret.unwrap(),
            ),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A TOTP code the server accepts now (its clock keeps today's date fixed) that no earlier
    /// call returned: each code works once.
    pub fn code(&self, secret: &str) -> String {
        crate::support::unused_totp_code(&self.app.clock, secret)
    }

    /// The officer's email and TOTP secret, for logging in through another client.
    pub fn officer_login(&self) -> (&str, &str) {
        (&self.officer.0, &self.officer.1)
    }

    /// Gives a member a login of their own (role member, no second factor); returns its email.
    pub async fn member_login(&self, number: &str) -> String {
        let email = format!("{}@members.test.invalid", number.to_lowercase());
        add_user(
            &self.app,
            &Operator::at_the_command_line("test"),
            &AddUser {
                email: email.clone(),
                role: Role::Member,
                unit_code: None,
                password: Some(PASSWORD.into()),
                member_number: Some(number.into()),
                valid_from: None,
                valid_until: None,
            },
        )
        .await
        .unwrap();
        email
    }

    /// Logs in through the HTML form (with its CSRF cookie) and reads the CSRF token of the session.
    pub async fn log_in(&self, email: &str, totp_secret: Option<&str>) -> Browser {
        let r = self.client.get(self.url("/login")).send().await.unwrap();
        let cookie = set_cookie(&r, "caucus_login_csrf").unwrap();
        let html = r.text().await.unwrap();
        let token = between(&html, "name=\"csrf\" value=\"", "\"")
            .unwrap()
            .to_string();
        let code = totp_secret.map(|s| self.code(s)).unwrap_or_default();
        let r = self
            .client
            .post(self.url("/login"))
            .header("cookie", format!("caucus_login_csrf={cookie}"))
            .form(&[
                ("csrf", token.as_str()),
                ("email", email),
                ("password", PASSWORD),
                ("totp", &code),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{email} could not log in"
        );
        let session = set_cookie(&r, "caucus_session").unwrap();
        let mut b = Browser {
            session,
            csrf: String::new(),
        };
        let (_, html) = self.page(&b, "/ballots").await;
        b.csrf = between(&html, "name=\"csrf\" value=\"", "\"")
            .unwrap()
            .to_string();
        b
    }

    /// The officer as the use cases know them, for reading what the pages show in bulk.
    pub async fn officer_actor(&self) -> Actor {
        let account = caucus_store::access::accounts::by_email(&self.app.store, &self.officer.0)
            .await
            .unwrap()
            .unwrap();
        caucus_app::access::accounts::actor(&self.app, account.id)
            .await
            .unwrap()
            .1
    }

    pub async fn officer(&self) -> Browser {
        self.log_in(&self.officer.0, Some(&self.officer.1)).await
    }

    pub async fn page(&self, b: &Browser, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(self.url(path))
            .header("cookie", format!("caucus_session={}", b.session))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form with the session's CSRF token; the status and either the page or the redirect.
    pub async fn post(
        &self,
        b: &Browser,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut all = vec![("csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self
            .client
            .post(self.url(path))
            .header("cookie", format!("caucus_session={}", b.session))
            .form(&all)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, location.unwrap_or(r.text().await.unwrap()))
    }

    /// The officer creates a ballot open all of today; its id.
    pub async fn create_ballot(
        &self,
        officer: &Browser,
        method: &str,
        seats: &str,
        candidates: &str,
    ) -> i64 {
        let (status, location) = self
            .post(
                officer,
                "/ballots/new",
                &[
                    ("unit", &self.clp),
                    ("title", "CLP officers 2026"),
                    ("kind", "meeting"),
                    ("method", method),
                    ("seats", seats),
                    ("candidates", candidates),
                    ("freeze_on", TODAY),
                    ("opens_at", &format!("{TODAY}T00:00")),
                    ("closes_at", "2026-11-23T00:00"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
        location.strip_prefix("/ballots/").unwrap().parse().unwrap()
    }

    /// Casts a vote through the form: preferences (1-based candidate numbers) in order. The status
    /// and the page (the receipt page, or the refusal with its reasons).
    pub async fn vote(&self, voter: &Browser, id: i64, ranks: &[&str]) -> (StatusCode, String) {
        let fields: Vec<(&str, &str)> = ranks.iter().map(|r| ("rank", *r)).collect();
        self.post(voter, &format!("/ballots/{id}/vote"), &fields)
            .await
    }

    /// More members vote, through the use case the form calls, so the count has stages: each
    /// membership number with its marks (0-based candidate positions, in order).
    pub async fn more_votes(&self, id: i64, votes: &[(&str, &[usize])]) {
        for (number, marks) in votes {
            let m = members::by_number(&self.app.store, number)
                .await
                .unwrap()
                .unwrap();
            ballots::cast(&self.app, &member_actor(m.id), id, marks)
                .await
                .unwrap();
        }
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        self.app.store.close().await;
    }
}

/// The marks of the members who vote after the first, giving an STV count for 2 of the 4
/// candidates several stages.
pub const MORE_VOTES: [&[usize]; 5] = [&[0, 2], &[2, 0, 1], &[3], &[1, 3, 2], &[0]];

fn member_actor(member_id: i64) -> Actor {
    Actor {
        account_id: 0,
        member_id: Some(member_id),
        grants: Vec::<Grant>::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_ballot_is_voted_refused_counted_published_and_recounted_on_every_engine() {
    for db in caucus_testkit::databases().await {
        let j = Journey::start(&db.url).await;
        let officer = j.officer().await;
        let id = j
            .create_ballot(
                &officer,
                "stv-scottish",
                "2",
                "Ann Able\nBob Baker\nCy Cole\nDee Dunn",
            )
            .await;

        // Before the roll is frozen nobody votes; the officer freezes it.
        let (status, _) = j
            .post(&officer, &format!("/ballots/{id}/freeze"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", db.engine);
        let (status, roll_page) = j.page(&officer, &format!("/ballots/{id}/roll")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            roll_page.contains("members considered are on the roll")
                && roll_page.contains("not eligible: "),
            "{}: {roll_page}",
            db.engine
        );

        // The roll, with its reasons: an active member on it, one left off (a provisional member
        // where the synthetic register has one in this CLP, else whoever was excluded first).
        let officer_actor = j.officer_actor().await;
        let (_, roll) = ballots::roll_of(&j.app, &officer_actor, id).await.unwrap();
        let on: Vec<&ballots::RollLine> = roll.iter().filter(|l| l.standing.allowed).collect();
        let provisional = roll
            .iter()
            .find(|l| {
                l.standing
                    .reasons
                    .iter()
                    .any(|r| r.clause == "2.I.provisional")
            })
            .or_else(|| roll.iter().find(|l| !l.standing.allowed))
            .expect("someone left off the roll");
        let refusal_clause = provisional.standing.reasons[0].clause.clone();
        assert!(
            on.len() >= 6,
            "{}: only {} on the roll",
            db.engine,
            on.len()
        );

        // An eligible member votes through the form and is given a receipt.
        let voter_number = on[0].membership_number.clone();
        let voter = j.log_in(&j.member_login(&voter_number).await, None).await;
        let (status, html) = j.page(&voter, &format!("/ballots/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Preference 1") && html.contains("Cast my vote"),
            "{html}"
        );
        // A paper with a second preference but no first is refused with the reason, not read as
        // if its second were its first; nothing is cast, so the voter may still vote.
        let (status, html) = j.vote(&voter, id, &["", "2", ""]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", db.engine);
        assert!(
            html.contains("preference 2 is marked but preference 1 is not"),
            "{html}"
        );
        let (status, html) = j.vote(&voter, id, &["2", "1", ""]).await;
        assert_eq!(status, StatusCode::OK, "{}: {html}", db.engine);
        let receipt = between(&html, "<strong id=\"receipt\">", "</strong>")
            .unwrap()
            .to_string();
        assert_eq!(receipt.len(), 19, "{receipt}");

        // With no metrics token configured, /metrics (which counts votes by route as they are
        // cast) is not served at all.
        let (status, _) = j.page(&voter, "/metrics").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A member may not read the roll nor run the ballot; a forged form is refused.
        let (status, _) = j.page(&voter, &format!("/ballots/{id}/roll")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = j.post(&voter, &format!("/ballots/{id}/close"), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let forged = Browser {
            session: voter.session.clone(),
            csrf: "forged".into(),
        };
        let (status, _) = j.vote(&forged, id, &["1"]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A second vote is refused, with the reason.
        let (status, html) = j.vote(&voter, id, &["1"]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", db.engine);
        assert!(html.contains("already voted"), "{html}");

        // The excluded member is refused with the roll's reason and its clause.
        let excluded = j
            .log_in(&j.member_login(&provisional.membership_number).await, None)
            .await;
        let (status, html) = j.vote(&excluded, id, &["1"]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", db.engine);
        assert!(
            html.contains("not eligible: ") && html.contains(&format!("(clause {refusal_clause})")),
            "{html}"
        );

        // More members vote (through the use case the form calls), so the count has stages.
        let votes: Vec<(&str, &[usize])> = on[1..6]
            .iter()
            .map(|l| l.membership_number.as_str())
            .zip(MORE_VOTES)
            .collect();
        j.more_votes(id, &votes).await;

        // Nothing is published before the count; the officer closes, counts and publishes.
        let (status, _) = j.page(&voter, &format!("/ballots/{id}/result")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = j.post(&officer, &format!("/ballots/{id}/close"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = j.page(&voter, &format!("/ballots/{id}/result")).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a counted result is the officers' until published"
        );
        let (status, _) = j
            .post(&officer, &format!("/ballots/{id}/publish"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, html) = j.vote(&excluded, id, &["1"]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("voting has closed"), "{html}");

        // The voter finds their paper in the published list by the receipt.
        let (status, html) = j
            .page(
                &voter,
                &format!("/ballots/{id}/result?code={}", receipt.to_lowercase()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("is in the published list, marked: 1. Bob Baker; 2. Ann Able"),
            "{html}"
        );
        assert!(html.contains("6 of the"), "{html}");
        let (_, html) = j
            .page(
                &voter,
                &format!("/ballots/{id}/result?code=2222-2222-2222-2222"),
            )
            .await;
        assert!(html.contains("No paper has the code"), "{html}");

        // The published BLT recounts to the published result, in process and with the binary.
        let (status, blt) = j.page(&voter, &format!("/ballots/{id}/ballots.blt")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(blt.contains(&format!("({receipt}) 1 2 1 0")), "{blt}");
        let token = {
            let r = j
                .client
                .post(j.url("/api/v1/session"))
                .json(&serde_json::json!({"email": format!("{}@members.test.invalid", voter_number.to_lowercase()), "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let r = j
            .client
            .get(j.url(&format!("/api/v1/ballots/{id}/result")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let published: Value = r.json().await.unwrap();
        assert_eq!(published["voted"], 6);
        assert_eq!(published["count"]["elected"].as_array().unwrap().len(), 2);
        let api_blt = j
            .client
            .get(j.url(&format!("/api/v1/ballots/{id}/ballots.blt")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(api_blt, blt);
        let profile = caucus_counting::parse::parse(blt.as_bytes()).unwrap();
        let recount = caucus_counting::count(
            &profile,
            &ballots::count_options(CountingMethod::StvScottish, 2),
        )
        .unwrap();
        let recount: Value =
            serde_json::from_str(&caucus_counting::report::json(&recount)).unwrap();
        assert_eq!(recount, published["count"], "{}", db.engine);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ballots.blt");
        std::fs::write(&file, &blt).unwrap();
        let out = ok(
            &db.url,
            &[
                "count",
                file.to_str().unwrap(),
                "--method",
                "stv-scottish",
                "--seats",
                "2",
                "--format",
                "json",
            ],
        );
        let by_binary: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(by_binary, published["count"], "{}", db.engine);

        // The stored papers: ballot, receipt and marks only, nothing naming or timing a voter.
        let shape = caucus_store::ops::schema_parity::shape(&j.app.store)
            .await
            .unwrap();
        for table in ["ballot_papers", "ballot_box"] {
            let columns: Vec<&str> = shape
                .columns
                .iter()
                .filter(|(t, _, _)| t == table)
                .map(|(_, c, _)| c.as_str())
                .collect();
            assert_eq!(
                columns,
                vec!["ballot_id", "marks", "receipt"],
                "{table} on {}",
                db.engine
            );
        }
        let papers = caucus_store::ballots::papers_published(&j.app.store, id)
            .await
            .unwrap();
        assert_eq!(papers.len(), 6);
        for (r, marks) in &papers {
            // A receipt is 16 random symbols, nothing derived from the voter.
            assert!(r.len() == 19 && r.split('-').all(|g| g.len() == 4), "{r}");
            assert!(marks
                .split(' ')
                .all(|m| m.parse::<usize>().is_ok_and(|n| (1..=4).contains(&n))));
        }
        // The count emptied the box into the kept papers in one transaction, in receipt order.
        let boxed: i64 = caucus_store::on_pool!(&j.app.store, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM ballot_box WHERE ballot_id = $1"
        )
        .bind(id)
        .fetch_one(c)
        .await)
        .unwrap();
        assert_eq!(boxed, 0, "{}", db.engine);
        if let Store::Postgres(pool) = &j.app.store {
            // Read in the table's own order, the kept papers follow their receipts, not the voting.
            let stored: Vec<String> =
                sqlx::query_scalar("SELECT receipt FROM ballot_papers WHERE ballot_id = $1")
                    .bind(id)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let mut sorted = stored.clone();
            sorted.sort();
            assert_eq!(stored, sorted);
            // One writing transaction for every kept paper, and none of the voters' marks'.
            let papers_xid: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT xmin::text FROM ballot_papers WHERE ballot_id = $1",
            )
            .bind(id)
            .fetch_all(pool)
            .await
            .unwrap();
            assert_eq!(papers_xid.len(), 1, "{papers_xid:?}");
            let marks_xid: Vec<String> =
                sqlx::query_scalar("SELECT xmin::text FROM ballot_voted WHERE ballot_id = $1")
                    .bind(id)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            assert_eq!(marks_xid.len(), 6);
            assert!(!marks_xid.contains(&papers_xid[0]));
        }
        // Nor has SQLite a hidden row id on the papers or the marks, which would keep casting order.
        if let Store::Sqlite(sqlite) = &j.app.store {
            let pool = sqlite.readers();
            for table in ["ballot_papers", "ballot_box", "ballot_voted"] {
                let sql = format!("SELECT rowid FROM {table}");
                let hidden = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await;
                assert!(hidden.is_err(), "{table} keeps a row id");
            }
        }
        // The vote's audit event says only that the member voted: no receipt, no marks.
        let events = caucus_store::audit::list(&j.app.store, 0, 10_000)
            .await
            .unwrap();
        let votes: Vec<_> = events
            .iter()
            .filter(|e| e.action == "ballot.vote")
            .collect();
        assert_eq!(votes.len(), 6);
        for e in &votes {
            assert!(
                !e.detail.contains(&receipt) && !e.detail.contains("marks"),
                "{}",
                e.detail
            );
            assert!(e.after_digest.is_none() && e.before_digest.is_none());
        }
        assert!(votes
            .iter()
            .any(|e| e.subject == format!("member:{voter_number}")));
        ok(&db.url, &["audit", "verify"]);
        j.stop().await;
    }
}
