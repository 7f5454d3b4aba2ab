//! The page matrix, generated from the page route table (`caucus_web::page_routes`, the very list
//! the router is built from): every page route, GET pages and form POSTs carrying a valid CSRF
//! token, is asked by every role of the policy (each with a browser session of its own), by an
//! account whose only grant has expired, and by no one, on the real server holding real ballots and
//! a recall petition. What each should get (the page, a redirect, a 403 page with its reasons, a
//! 404) is written out below; a page route with no entry fails the test. Where a page shows a
//! member's record or a list, the member's number must appear exactly for those entitled to it;
//! no page shows the test's members to the administrator or to anyone not logged in.
//!
//! To add a page route: one `.get`/`.post` line in the route table (crates/web/src/pages), and one
//! arm in `cases` below, keyed by the method and the path as the router spells it.
use super::{
    add_expired, audits, everyone, hides_elsewhere, hold, lists_branch, lists_clp, lists_la,
    reads_elsewhere, reads_in_branch, reads_petition, reads_some, runs_clp_ballots,
    runs_la_ballots, Held, EXPIRED_EMAIL,
};
use crate::web::{hidden_csrf, set_cookie, Server, PASSWORD};
use caucus_domain::access::policy::Role;
use reqwest::{Method, StatusCode};
use std::collections::BTreeMap;

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Role(Role),
    /// A CLP secretary whose grant ended before today.
    Expired,
    Anonymous,
}

/// What a request should get: a status, or a 303 to a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Status(StatusCode),
    To(String),
}

fn st(code: u16) -> Answer {
    Answer::Status(StatusCode::from_u16(code).unwrap())
}

fn to(path: &str) -> Answer {
    Answer::To(path.to_string())
}

/// Where a form's CSRF token comes from.
#[derive(Clone, Copy)]
enum Csrf {
    /// The session's, as every form of a logged-in page carries it.
    Session,
    /// The cookie a form page sets with its hidden field (the login and reset forms, which are
    /// used before there is a session): the page and the cookie's name.
    Cookie(&'static str, &'static str),
}

/// One request of a page route and what each asker should get.
struct Case {
    what: &'static str,
    path: String,
    /// A POST's fields besides the CSRF token.
    form: Vec<(&'static str, String)>,
    csrf: Csrf,
    allowed: fn(Role) -> bool,
    /// The roles answered 404 rather than `denied`: a member they may not read is, to those who
    /// may read some members, not there.
    hidden: Option<fn(Role) -> bool>,
    /// Whether an account whose only grant has expired gets the allowed answer.
    expired: bool,
    /// What such an account gets instead of the denied answer, where that differs.
    expired_denied: Option<Answer>,
    ok: Answer,
    denied: Answer,
    anonymous: Answer,
    /// A membership number the answer shows to those allowed and to no one else.
    reveals: Option<String>,
    /// The request ends the session it is sent with, so it is sent with one of its own.
    own_session: bool,
    /// The form is the login form, filled with the asker's own email, password and code.
    own_login: bool,
}

impl Case {
    /// A page any logged-in account sees and no one else: the defaults the methods below change.
    fn new(what: &'static str, path: impl Into<String>) -> Case {
        Case {
            what,
            path: path.into(),
            form: Vec::new(),
            csrf: Csrf::Session,
            allowed: everyone,
            hidden: None,
            expired: true,
            expired_denied: None,
            ok: st(200),
            denied: st(403),
            anonymous: to("/login"),
            reveals: None,
            own_session: false,
            own_login: false,
        }
    }

    /// Only these roles (in force) are let by.
    fn only(mut self, allowed: fn(Role) -> bool) -> Case {
        self.allowed = allowed;
        self.expired = false;
        self
    }

    /// These roles, when not let by, are told the member is not there (404).
    fn hidden_from(mut self, roles: fn(Role) -> bool) -> Case {
        self.hidden = Some(roles);
        self
    }

    fn ok(mut self, a: Answer) -> Case {
        self.ok = a;
        self
    }

    fn denied(mut self, a: Answer) -> Case {
        self.denied = a;
        self
    }

    /// What an account whose only grant has expired gets (a page every role in force sees).
    fn expired_gets(mut self, a: Answer) -> Case {
        self.expired = false;
        self.expired_denied = Some(a);
        self
    }

    /// Answered without a session too: what no one logged in gets.
    fn public(mut self, a: Answer) -> Case {
        self.anonymous = a;
        self
    }

    fn reveals(mut self, number: &str) -> Case {
        self.reveals = Some(number.to_string());
        self
    }

    fn form(mut self, fields: &[(&'static str, &str)]) -> Case {
        self.form = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self
    }

    fn cookie_csrf(mut self, page: &'static str, cookie: &'static str) -> Case {
        self.csrf = Csrf::Cookie(page, cookie);
        self
    }

    fn own_session(mut self) -> Case {
        self.own_session = true;
        self
    }

    fn own_login(mut self) -> Case {
        self.own_login = true;
        self.own_session()
    }

    fn expected(&self, who: Who) -> (&Answer, bool) {
        match who {
            Who::Anonymous => (&self.anonymous, false),
            Who::Expired if self.expired => (&self.ok, true),
            Who::Expired => (self.expired_denied.as_ref().unwrap_or(&self.denied), false),
            Who::Role(r) if (self.allowed)(r) => (&self.ok, true),
            Who::Role(r) if self.hidden.is_some_and(|h| h(r)) => (&NOT_THERE, false),
            Who::Role(_) => (&self.denied, false),
        }
    }
}

/// What a reader is told of a member they may not read.
static NOT_THERE: Answer = Answer::Status(StatusCode::NOT_FOUND);

fn admin(r: Role) -> bool {
    r == Role::Admin
}

fn member(r: Role) -> bool {
    r == Role::Member
}

fn searches_branch(r: Role) -> bool {
    r != Role::Member && reads_in_branch(r)
}

/// The expectation table: `None` for a page route nobody has written expectations for.
fn cases(key: &str, s: &Server, h: &Held, surname: &str, version: i64) -> Option<Vec<Case>> {
    let p = &s.places;
    let n = p.in_branch.as_str();
    let ballot = |id: i64, tail: &str| format!("/ballots/{id}{tail}");
    // A change of status the rules always refuse (the reason moves a member to deceased, not
    // active): 422 once the policy lets it by, and the register is left as it was.
    let refused_change = |what, number: &str| {
        Case::new(what, format!("/members/{number}/transitions"))
            .only(super::changes_status)
            .ok(st(422))
            .form(&[
                ("version", &version.to_string()),
                ("to", "active"),
                ("reason", "deceased"),
            ])
    };
    // A ballot's result and papers: any account's once published, its officers' once counted, no
    // one's before the count.
    let results = |tail: &str| {
        vec![
            Case::new("published ballot", ballot(h.published, tail)),
            Case::new("counted ballot", ballot(h.counted, tail)).only(runs_clp_ballots),
            Case::new("open ballot", ballot(h.open, tail)).ok(st(404)),
            Case::new("no such ballot", ballot(999_999, tail)).ok(st(404)),
        ]
    };
    Some(match key {
        "GET /" => vec![Case::new("dashboard", "/")],
        "GET /login" => vec![Case::new("login form", "/login").public(st(200))],
        // Each asker logs in with its own account; no one logged in has none (a wrong password).
        "POST /login" => vec![Case::new("log in", "/login")
            .own_login()
            .cookie_csrf("/login", "caucus_login_csrf")
            .ok(to("/"))
            .public(st(401))],
        "POST /logout" => vec![Case::new("log out", "/logout")
            .own_session()
            .ok(to("/login"))],
        "POST /logout-everywhere" => vec![Case::new("log out everywhere", "/logout-everywhere")
            .own_session()
            .ok(to("/login"))],
        "GET /members" => vec![
            Case::new("search form", "/members"),
            // Anyone may search; the results hold only the members the asker's grants read (a
            // member's own record is on their own page, not among the results).
            Case::new("search", format!("/members?q={surname}"))
                .only(searches_branch)
                .denied(st(200))
                .reveals(n),
        ],
        "GET /members/{number}" => vec![
            Case::new("own unit's member", format!("/members/{n}"))
                .only(reads_in_branch)
                .reveals(n),
            Case::new("another unit's member", format!("/members/{}", p.outside))
                .only(reads_elsewhere)
                .hidden_from(hides_elsewhere)
                .reveals(&p.outside),
            // Not there to every reader of members; refused (403) alike to the rest, so the
            // answer never tells them whether a number exists.
            Case::new("no such member", "/members/NO-SUCH-MEMBER")
                .only(reads_some)
                .ok(st(404)),
        ],
        "POST /members/{number}/transitions" => vec![
            refused_change("own unit's member", n),
            refused_change("another unit's member", &p.outside).hidden_from(hides_elsewhere),
        ],
        "GET /settings/tokens" => vec![Case::new("tokens", "/settings/tokens")],
        // A token may carry only scopes the asker's grants could use: reading the audit log is
        // the auditor's alone.
        "POST /settings/tokens" => vec![Case::new("make an audit token", "/settings/tokens")
            .only(audits)
            .ok(st(201))
            .form(&[("label", "matrix"), ("scope", "read:audit"), ("days", "1")])],
        "POST /settings/tokens/{id}/revoke" => vec![Case::new(
            "revoke no such token",
            "/settings/tokens/0000000000000000/revoke",
        )
        .ok(st(404))],
        "GET /audit" => vec![Case::new("audit log", "/audit").only(audits)],
        "GET /access-log" => vec![Case::new("access log", "/access-log").only(audits)],
        // The unit page is everyone's; its list of members only theirs who may list the unit.
        // Reading the directory of units takes a grant in force.
        "GET /units/{code}" => vec![
            Case::new("branch", format!("/units/{}", p.branch))
                .only(lists_branch)
                .denied(st(200))
                .expired_gets(st(403))
                .reveals(n),
            Case::new("region", format!("/units/{}", p.region)).expired_gets(st(403)),
            Case::new("no such unit", "/units/NO-SUCH-UNIT").ok(st(404)),
        ],
        "GET /units/{code}/members.csv" => vec![
            Case::new("branch list", format!("/units/{}/members.csv", p.branch))
                .only(lists_branch)
                .reveals(n),
            Case::new("CLP list", format!("/units/{}/members.csv", p.clp))
                .only(lists_clp)
                .reveals(n),
            Case::new(
                "council area list",
                format!("/units/{}/members.csv", p.local_authority),
            )
            .only(lists_la)
            .reveals(n),
        ],
        "GET /admin/outbox" => vec![Case::new("outbox", "/admin/outbox").only(admin)],
        "POST /admin/outbox/{id}/requeue" => {
            vec![
                Case::new("requeue no such mail", "/admin/outbox/999999/requeue")
                    .only(admin)
                    .ok(st(404)),
            ]
        }
        "GET /ballots" => vec![Case::new("ballots", "/ballots")],
        // The form, for the asker's own unit: to those who run ballots there, in force.
        "GET /ballots/new" => {
            vec![Case::new("new ballot form", "/ballots/new").only(Role::runs_ballots)]
        }
        // A ballot without a title: refused by the rules (400) once the policy lets it by.
        "POST /ballots/new" => vec![Case::new("untitled ballot", "/ballots/new")
            .only(runs_clp_ballots)
            .ok(st(400))
            .form(&[
                ("unit", &p.clp),
                ("title", ""),
                ("kind", "meeting"),
                ("method", "stv-scottish"),
                ("seats", "1"),
                ("candidates", "Ann Able\nBob Baker"),
                ("freeze_on", "2026-11-22"),
                ("opens_at", "2026-11-22T00:00"),
                ("closes_at", "2026-11-23T00:00"),
            ])],
        "GET /ballots/{id}" => vec![
            Case::new("open ballot", ballot(h.open, "")),
            Case::new("counted ballot", ballot(h.counted, "")),
            Case::new("published ballot", ballot(h.published, "")),
            Case::new("no such ballot", ballot(999_999, "")).ok(st(404)),
        ],
        // Only a member on the roll votes (once: the member's login asks once); an account of no
        // member has no vote, and no one votes once the ballot has closed.
        "POST /ballots/{id}/vote" => vec![
            Case::new("open ballot", ballot(h.open, "/vote"))
                .only(member)
                .denied(st(422))
                .form(&[("rank", "2"), ("rank", "1")]),
            Case::new("published ballot", ballot(h.published, "/vote"))
                .ok(st(422))
                .form(&[("rank", "1")]),
        ],
        // Each step the ballot's state refuses (400) once the policy lets the officer by.
        "POST /ballots/{id}/freeze" => vec![Case::new("frozen already", ballot(h.open, "/freeze"))
            .only(runs_clp_ballots)
            .ok(st(400))],
        "POST /ballots/{id}/close" => {
            vec![
                Case::new("published already", ballot(h.published, "/close"))
                    .only(runs_clp_ballots)
                    .ok(st(400)),
            ]
        }
        "POST /ballots/{id}/publish" => vec![Case::new("not counted", ballot(h.open, "/publish"))
            .only(runs_clp_ballots)
            .ok(st(400))],
        "GET /ballots/{id}/roll" => vec![Case::new("roll", ballot(h.open, "/roll"))
            .only(runs_clp_ballots)
            .reveals(n)],
        "GET /ballots/{id}/result" => results("/result"),
        "GET /ballots/{id}/result.html" => results("/result.html"),
        "GET /ballots/{id}/ballots.blt" => results("/ballots.blt"),
        "GET /recalls/new" => vec![Case::new("new petition form", "/recalls/new")],
        // A unit that is not a Labour group: refused (400) once the policy lets the officer by.
        "POST /recalls/new" => vec![Case::new("not a Labour group", "/recalls/new")
            .only(runs_la_ballots)
            .ok(st(400))
            .form(&[("unit", &p.local_authority)])],
        // A petition names its signatories: those who run the council's ballots and the auditor
        // read it (none of the askers is in the group); the rest, the admin included, are refused.
        "GET /recalls/{id}" => vec![
            Case::new("petition", format!("/recalls/{}", h.recall))
                .only(reads_petition)
                .reveals(&h.recall_leader),
            Case::new("no such petition", "/recalls/999999").ok(st(404)),
        ],
        // Those who may read it are outside the group, so the rule refuses their signature.
        "POST /recalls/{id}/sign" => vec![Case::new(
            "sign outside the group",
            format!("/recalls/{}/sign", h.recall),
        )
        .only(reads_petition)
        .ok(st(422))],
        "GET /account/second-factor" => vec![Case::new("second factor", "/account/second-factor")],
        "GET /account/second-factor/qr.svg" => {
            vec![
                Case::new("enrolment QR code", "/account/second-factor/qr.svg")
                    .only(|r| !r.needs_second_factor())
                    .denied(st(404)),
            ]
        }
        "POST /account/second-factor" => vec![Case::new("wrong code", "/account/second-factor")
            .ok(st(400))
            .form(&[("code", "000000")])],
        // Without the current code or a recovery code nothing changes: the page says why (400). A
        // blank code, which is not counted as a wrong guess, so the askers share no throttle.
        "POST /account/second-factor/recovery-codes" => vec![Case::new(
            "new recovery codes, no code",
            "/account/second-factor/recovery-codes",
        )
        .ok(st(400))
        .form(&[("code", "")])],
        "POST /account/second-factor/replace" => vec![Case::new(
            "replace the second factor, no code",
            "/account/second-factor/replace",
        )
        .ok(st(400))
        .form(&[("code", "")])],
        "POST /account/second-factor/replace/cancel" => vec![Case::new(
            "keep the current second factor",
            "/account/second-factor/replace/cancel",
        )
        .ok(to("/account/second-factor"))],
        "GET /password-reset" => vec![Case::new("reset form", "/password-reset").public(st(200))],
        "POST /password-reset/request" => {
            vec![Case::new("no email given", "/password-reset/request")
                .cookie_csrf("/password-reset", "caucus_reset_csrf")
                .ok(st(400))
                .public(st(400))
                .form(&[("email", "")])]
        }
        "POST /password-reset" => vec![Case::new("unknown link", "/password-reset")
            .cookie_csrf("/password-reset", "caucus_reset_csrf")
            .ok(st(410))
            .public(st(410))
            .form(&[
                ("token", &"0".repeat(64)),
                ("password", "another long password"),
                ("password_again", "another long password"),
            ])],
        _ => return None,
    })
}

/// The message of an error page (for the report of a wrong answer).
fn alert(html: &str) -> &str {
    let start = "role=\"alert\">";
    html.find(start)
        .map(|at| &html[at + start.len()..])
        .and_then(|rest| rest.find("</div>").map(|end| rest[..end].trim()))
        .unwrap_or("")
}

/// A browser session: its cookie and its CSRF token.
#[derive(Clone)]
struct Session {
    token: String,
    csrf: String,
}

async fn session_of(s: &Server, email: &str) -> Session {
    let account = caucus_store::access::accounts::by_email(&s.app.store, email)
        .await
        .unwrap()
        .unwrap();
    let made = caucus_app::access::accounts::start_session(&s.app, account.id, None)
        .await
        .unwrap();
    Session {
        token: made.token,
        csrf: made.csrf_token,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_route_answers_every_role_as_the_matrix_says() {
    let routes = caucus_web::page_routes();
    assert!(routes.len() >= 39, "only {} page routes", routes.len());
    for db in caucus_testkit::databases().await {
        let s = Server::start(&db.url).await;
        let expired_secret = add_expired(&s).await;
        let held = hold(&s).await;
        let subject = caucus_store::register::members::by_number(&s.app.store, &s.places.in_branch)
            .await
            .unwrap()
            .unwrap();
        // Enough of the surname to find the member by, in characters a query needs no escape for.
        let surname: String = subject
            .row
            .family_name
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        assert!(surname.len() >= 2, "{}", subject.row.family_name);

        // Who asks, with the email, password and code their login form takes.
        let mut askers: Vec<(Who, String, Option<String>)> = Role::ALL
            .iter()
            .map(|r| {
                let (email, secret) = &s.logins[r];
                (Who::Role(*r), email.clone(), secret.clone())
            })
            .collect();
        askers.push((Who::Expired, EXPIRED_EMAIL.into(), Some(expired_secret)));
        askers.push((Who::Anonymous, "nobody@test.invalid".into(), None));
        let mut sessions: BTreeMap<Who, Session> = BTreeMap::new();
        for (who, email, _) in &askers {
            if *who != Who::Anonymous {
                sessions.insert(*who, session_of(&s, email).await);
            }
        }

        let mut wrong = Vec::new();
        let mut checked = 0;
        for route in &routes {
            let key = format!("{} {}", route.method, route.path);
            let Some(cases) = cases(&key, &s, &held, &surname, subject.version) else {
                wrong.push(format!(
                    "{key}: no entry in the page matrix (crates/cli/tests/it/access_matrix/pages.rs)"
                ));
                continue;
            };
            let method = Method::from_bytes(route.method.as_bytes()).unwrap();
            for case in &cases {
                for (who, email, secret) in &askers {
                    let session = match sessions.get(who) {
                        Some(_) if case.own_session => Some(session_of(&s, email).await),
                        other => other.cloned(),
                    };
                    let mut cookies: Vec<String> = session
                        .iter()
                        .map(|x| format!("caucus_session={}", x.token))
                        .collect();
                    let mut fields: Vec<(&str, String)> = case.form.clone();
                    if method == Method::POST {
                        let csrf = match case.csrf {
                            Csrf::Session => session
                                .as_ref()
                                .map_or_else(|| "none".to_string(), |x| x.csrf.clone()),
                            Csrf::Cookie(page, name) => {
                                let r = s.client.get(s.url(page)).send().await.unwrap();
                                let cookie = set_cookie(&r, name).unwrap();
                                cookies.push(format!("{name}={cookie}"));
                                hidden_csrf(&r.text().await.unwrap())
                            }
                        };
                        fields.push(("csrf", csrf));
                    }
                    if case.own_login {
                        let password = match who {
                            Who::Anonymous => "not the password",
                            _ => PASSWORD,
                        };
                        let code = secret.as_deref().map(|x| s.code(x)).unwrap_or_default();
                        fields.extend([
                            ("email", email.clone()),
                            ("password", password.to_string()),
                            ("totp", code),
                        ]);
                    }
                    let mut req = s.client.request(method.clone(), s.url(&case.path));
                    if !cookies.is_empty() {
                        req = req.header("cookie", cookies.join("; "));
                    }
                    if method == Method::POST {
                        req = req.form(&fields);
                    }
                    let r = req.send().await.unwrap();
                    let got = match r.headers().get("location") {
                        Some(l) if r.status() == StatusCode::SEE_OTHER => {
                            Answer::To(l.to_str().unwrap().to_string())
                        }
                        _ => Answer::Status(r.status()),
                    };
                    let body = r.text().await.unwrap_or_default();
                    let (expected, allowed) = case.expected(*who);
                    checked += 1;
                    let what = format!("{who:?} {key} ({}, {})", case.what, case.path);
                    if got != *expected {
                        wrong.push(format!(
                            "{what}: {got:?}, expected {expected:?}: {}",
                            alert(&body)
                        ));
                    } else if got == st(403) && !body.contains("(clause ") {
                        wrong.push(format!("{what}: a refusal without reasons"));
                    }
                    // A refusal leaves a logged-in reader in the site: the navigation and the
                    // Log out button stay.
                    let refused = got == st(403) || got == st(422);
                    if refused && *who != Who::Anonymous && !body.contains(">Log out</button>") {
                        wrong.push(format!("{what}: a refusal without the site's layout"));
                    }
                    if let Some(number) = &case.reveals {
                        let shown = body.contains(number.as_str());
                        if shown && !allowed {
                            wrong.push(format!("{what}: shows member {number}"));
                        } else if !shown && allowed && got == st(200) {
                            wrong.push(format!("{what}: does not show member {number}"));
                        }
                    }
                    // No page shows member data to the administrator (separation of duties)
                    // nor to anyone not logged in.
                    if matches!(who, Who::Role(Role::Admin) | Who::Anonymous) {
                        for number in [&s.places.in_branch, &s.places.outside] {
                            if body.contains(number.as_str()) {
                                wrong.push(format!("{what}: shows member {number}"));
                            }
                        }
                    }
                    // A request that ended the session (logging out everywhere ends them all)
                    // leaves the asker a new one for the requests after it.
                    if case.own_session {
                        if let Some(x) = sessions.get_mut(who) {
                            *x = session_of(&s, email).await;
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}:\n{}", db.engine, wrong.join("\n"));
        assert!(checked >= 60 * 22, "only {checked} requests were checked");
        s.stop().await;
    }
}
