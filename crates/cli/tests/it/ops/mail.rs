//! Mail on every engine: a password reset emailed through a real SMTP server on loopback (Python's
//! aiosmtpd, which scripts/test installs) and followed to a new password; without an SMTP server the
//! mail waits in the outbox an admin reads; sending failures are kept and retried, then kept as
//! failed until an admin requeues them; reset requests are throttled and never tell whether an
//! address has an account.
use caucus_app::access::accounts::{add_user, totp_code, AddUser};
use caucus_app::access::password_reset::REQUEST_ANSWER;
use caucus_app::ops::mail::{deliver_due, Mailer, MAX_ATTEMPTS};
use caucus_app::{App, Clock};
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::Role;
use caucus_domain::rulebook::Rulebook;
use caucus_store::{audit, ops::outbox, Store};
use caucus_web::{Application, Config};
use reqwest::{Client, Response, StatusCode};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use crate::support::TODAY;

pub const PASSWORD: &str = "a long test password";

/// A real SMTP server (aiosmtpd) on a free loopback port, writing what it receives to a directory.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run python3 for the SMTP test server ({e}): install Python 3 and `python3 -m pip install aiosmtpd` (scripts/test does)")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Ok(port) = line.trim().parse::<u16>() else {
            let mut err = String::new();
            let _ = child.wait();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!(
                "the SMTP test server did not start. {}\n{err}",
                if err.contains("No module named 'aiosmtpd'") {
                    "aiosmtpd is not installed: run `python3 -m pip install aiosmtpd` (scripts/test does)."
                } else {
                    "Its error:"
                }
            );
        };
        SmtpSink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far for `to`.
    pub fn received_for(&self, to: &str) -> Vec<String> {
        received_in(self.dir.path(), to)
    }

    /// Waits (up to 20 s) until `n` messages for `to` have arrived; returns them.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let got = self.received_for(to);
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{n} message(s) for {to} expected over SMTP, {} received",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn received_in(dir: &Path, to: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|text| text.lines().any(|l| l == format!("To: {to}")))
        .collect()
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The application over a fresh database of the engine.
pub async fn app(url: &str) -> App {
    let today = caucus_app::clock::parse_date(TODAY).unwrap();
    App::new(
        Store::open(url).await.unwrap(),
        Rulebook::shipped().unwrap(),
        Clock::Today(today),
    )
}

/// An account with `role` (or the role granted to the account if it exists); returns the TOTP
/// secret when the account was created with one.
pub async fn account(app: &App, email: &str, role: Role) -> Option<String> {
    let exists = caucus_store::access::accounts::by_email(&app.store, email)
        .await
        .unwrap()
        .is_some();
    add_user(
        app,
        &Operator::at_the_command_line("test"),
        &AddUser {
            email: email.to_string(),
            role,
            unit_code: None,
            password: (!exists).then(|| PASSWORD.to_string()),
            member_number: None,
            valid_from: None,
            valid_until: None,
        },
    )
    .await
    .unwrap()
    .totp_secret
}

/// The real server on a random loopback port, and a client that does not follow redirects.
pub struct Served {
    pub base: String,
    pub client: Client,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Served {
    pub async fn start(app: &App, smtp_url: Option<String>) -> Served {
        let server = Application::build(
            app.clone(),
            Config {
                bind: "127.0.0.1:0".to_string(),
                smtp_url,
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
        Served {
            base,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            app: app.clone(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// GET with the cookies given; (status, Set-Cookie pairs, Location, body).
    pub async fn get(&self, path: &str, cookies: &str) -> Page {
        let r = self
            .client
            .get(self.url(path))
            .header("cookie", cookies)
            .send()
            .await
            .unwrap();
        Page::read(r).await
    }

    pub async fn post(&self, path: &str, cookies: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(self.url(path))
            .header("cookie", cookies)
            .form(form)
            .send()
            .await
            .unwrap();
        Page::read(r).await
    }

    /// Logs in through the HTML form; the answer (a redirect with the session cookie on success).
    pub async fn log_in(&self, email: &str, password: &str, code: &str) -> Page {
        let form = self.get("/login", "").await;
        let csrf = form.hidden("csrf");
        let cookies = form.cookies();
        self.post(
            "/login",
            &cookies,
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("totp", code),
            ],
        )
        .await
    }

    /// A TOTP code the server accepts now (its clock keeps today's date fixed) that no earlier
    /// call returned: each code works once.
    pub fn code(&self, secret: &str) -> String {
        crate::support::unused_totp_code(&self.app.clock, secret)
    }

    /// The TOTP code of the current step, used or not (for codes meant to be refused).
    pub fn code_now(&self, secret: &str) -> String {
        totp_code(secret, self.app.clock.now().unix_timestamp() as u64).unwrap()
    }

    /// Asks for a reset link through the form; the answer.
    pub async fn request_reset(&self, email: &str) -> Page {
        let form = self.get("/password-reset", "").await;
        assert_eq!(form.status, StatusCode::OK);
        self.post(
            "/password-reset/request",
            &form.cookies(),
            &[("csrf", &form.hidden("csrf")), ("email", email)],
        )
        .await
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// An HTTP answer, read whole.
pub struct Page {
    pub status: StatusCode,
    pub set_cookies: Vec<String>,
    pub location: Option<String>,
    pub content_type: String,
    pub csp: String,
    pub body: String,
}

impl Page {
    async fn read(r: Response) -> Page {
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let content_type = header("content-type");
        let csp = header("content-security-policy");
        let set_cookies = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect();
        Page {
            status: r.status(),
            set_cookies,
            location,
            content_type,
            csp,
            body: r.text().await.unwrap(),
        }
    }

    /// The cookies the answer set, as a `Cookie` header sends them back.
    pub fn cookies(&self) -> String {
        self.set_cookies.join("; ")
    }

    /// The value of the cookie `name` set by the answer.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        })
    }

    /// The value of the hidden input `name`.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no hidden {name} in:\n{}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

/// The reset link in a mail's text.
fn link_in(mail: &str) -> String {
    let start = mail
        .find("http://")
        .unwrap_or_else(|| panic!("no link in the mail:\n{mail}"));
    mail[start..].split_whitespace().next().unwrap().to_string()
}

async fn events(app: &App) -> Vec<audit::Event> {
    audit::list(&app.store, 0, 10_000).await.unwrap()
}

#[tokio::test]
async fn a_reset_link_mailed_over_smtp_sets_a_new_password_once_and_ends_other_sessions() {
    let sink = SmtpSink::start();
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let email = format!("ann-{}@example.org", db.engine);
        account(&app, &email, Role::Member).await;
        let served = Served::start(&app, Some(sink.url())).await;

        // A session from before the reset, which the reset must end.
        let before = served.log_in(&email, PASSWORD, "").await;
        assert_eq!(before.status, StatusCode::SEE_OTHER, "{}", before.body);
        let old_session = format!(
            "caucus_session={}",
            before.cookie("caucus_session").unwrap()
        );
        assert_eq!(served.get("/", &old_session).await.status, StatusCode::OK);

        // The answer is the same for an account and for an address without one.
        let asked = served.request_reset(&email).await;
        let unknown = served
            .request_reset(&format!("nobody-{}@example.org", db.engine))
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        assert_eq!(unknown.status, asked.status);
        assert!(asked.body.contains(REQUEST_ANSWER), "{}", asked.body);
        let without_csrf = |p: &Page| p.body.replace(&p.hidden("csrf"), "");
        assert_eq!(without_csrf(&asked), without_csrf(&unknown));

        // The mail arrives over SMTP, to the account's address, with the link.
        let mail = sink.wait_for(&email, 1).await.remove(0);
        assert!(
            mail.contains("Subject: Reset your caucus password"),
            "{mail}"
        );
        let link = link_in(&mail);
        assert!(
            link.starts_with(&format!("{}/password-reset?token=", served.base)),
            "{link}"
        );
        let token = link.rsplit_once('=').unwrap().1.to_string();
        assert_eq!(token.len(), 64);
        // Nothing went to the address without an account, and the outbox shows the mail sent.
        assert!(sink
            .received_for(&format!("nobody-{}@example.org", db.engine))
            .is_empty());
        let start = Instant::now();
        loop {
            let kept = outbox::recent(&app.store, 10).await.unwrap();
            assert_eq!(kept.len(), 1);
            if kept[0].status == "sent" {
                assert_eq!(kept[0].attempts, 1);
                // Delivered: the database keeps only the copy without the link.
                assert!(!kept[0].body.contains(&token), "{}", kept[0].body);
                assert!(kept[0].body.contains("[redacted: a password-reset link"));
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{kept:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // The link opens the form; a new password is set with it.
        let form = served.get(&link, "").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert_eq!(form.hidden("token"), token);
        let new_password = "another long password";
        let mismatch = served
            .post(
                "/password-reset",
                &form.cookies(),
                &[
                    ("csrf", &form.hidden("csrf")),
                    ("token", &token),
                    ("password", new_password),
                    ("password_again", "something else entirely"),
                ],
            )
            .await;
        assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
        let forged = served
            .post(
                "/password-reset",
                &form.cookies(),
                &[
                    ("csrf", "not the form's token"),
                    ("token", &token),
                    ("password", new_password),
                    ("password_again", new_password),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let done = served
            .post(
                "/password-reset",
                &form.cookies(),
                &[
                    ("csrf", &form.hidden("csrf")),
                    ("token", &token),
                    ("password", new_password),
                    ("password_again", new_password),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("Your password has been changed"));

        // The old session is over; the old password no longer works, the new one does.
        let old = served.get("/", &old_session).await;
        assert_eq!(old.status, StatusCode::SEE_OTHER);
        assert_eq!(old.location.as_deref(), Some("/login"));
        assert_eq!(
            served.log_in(&email, PASSWORD, "").await.status,
            StatusCode::UNAUTHORIZED
        );
        let now_in = served.log_in(&email, new_password, "").await;
        assert_eq!(now_in.status, StatusCode::SEE_OTHER);
        assert_eq!(now_in.location.as_deref(), Some("/"));

        // The link works once.
        assert_eq!(served.get(&link, "").await.status, StatusCode::GONE);
        let form = served.get("/password-reset", "").await;
        let again = served
            .post(
                "/password-reset",
                &form.cookies(),
                &[
                    ("csrf", &form.hidden("csrf")),
                    ("token", &token),
                    ("password", "yet another long password"),
                    ("password_again", "yet another long password"),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::GONE);
        assert_eq!(
            served
                .log_in(&email, "yet another long password", "")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        // Both steps are audited, and the token is nowhere in the log.
        let log = events(&app).await;
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"account.password_reset_request"));
        assert!(actions.contains(&"account.password_reset"));
        assert_eq!(
            actions
                .iter()
                .filter(|a| a.starts_with("account.password_reset"))
                .count(),
            2,
            "the request for an address without an account is not an account's event"
        );
        assert!(log.iter().all(|e| !format!("{e:?}").contains(&token)));
        assert!(matches!(
            audit::verify(&app.store).await.unwrap(),
            audit::Verification::Intact { .. }
        ));
        served.stop().await;
        app.store.close().await;
    }
}

#[tokio::test]
async fn without_smtp_mail_waits_in_the_outbox_admins_read_and_requests_are_throttled() {
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let admin_secret = account(&app, "admin@example.org", Role::Admin)
            .await
            .unwrap();
        account(&app, "ann@example.org", Role::Member).await;
        let served = Served::start(&app, None).await;

        let asked = served.request_reset("ann@example.org").await;
        assert_eq!(asked.status, StatusCode::OK);
        let kept = outbox::recent(&app.store, 10).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].recipient, "ann@example.org");
        assert_eq!(kept[0].status, "queued");
        assert_eq!(kept[0].attempts, 0, "nothing tries to send it");

        // The admin reads it; a member may not.
        let admin = served
            .log_in("admin@example.org", PASSWORD, &served.code(&admin_secret))
            .await;
        assert_eq!(admin.status, StatusCode::SEE_OTHER, "{}", admin.body);
        let admin_cookie = admin.cookies();
        let page = served.get("/admin/outbox", &admin_cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("held: no SMTP server is configured"));
        assert!(page.body.contains("ann@example.org"));
        assert!(page.body.contains("Reset your caucus password"));
        // The link is the member's alone: the admin sees the message with it redacted.
        assert!(!page.body.contains("/password-reset?token="));
        assert!(page
            .body
            .contains("[redacted: a password-reset link for the recipient only]"));
        let member = served.log_in("ann@example.org", PASSWORD, "").await;
        let refused = served.get("/admin/outbox", &member.cookies()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(!refused.body.contains("/password-reset?token="));
        // The admin's dashboard leads there; the member's does not.
        let dashboard = served.get("/", &admin_cookie).await;
        assert!(
            dashboard.body.contains("href=\"/admin/outbox\""),
            "{}",
            dashboard.body
        );
        let dashboard = served.get("/", &member.cookies()).await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(!dashboard.body.contains("/admin/outbox"));

        // Three requests an hour per address, whether or not it has an account.
        for email in ["ann@example.org", "nobody@example.org"] {
            let already = usize::from(email.starts_with("ann"));
            for _ in already..3 {
                assert_eq!(served.request_reset(email).await.status, StatusCode::OK);
            }
            let fourth = served.request_reset(email).await;
            assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
            assert!(fourth.body.contains("Too many password reset requests"));
        }
        assert_eq!(outbox::recent(&app.store, 10).await.unwrap().len(), 3);
        served.stop().await;
        app.store.close().await;
    }
}

#[tokio::test]
async fn an_admin_reading_the_outbox_cannot_see_a_members_reset_link_which_still_works_for_the_member(
) {
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let admin_secret = account(&app, "admin@example.org", Role::Admin)
            .await
            .unwrap();
        account(&app, "ann@example.org", Role::Member).await;
        // No SMTP server: mail is held in the outbox, which the admin reads.
        let served = Served::start(&app, None).await;
        let admin = served
            .log_in("admin@example.org", PASSWORD, &served.code(&admin_secret))
            .await;
        assert_eq!(admin.status, StatusCode::SEE_OTHER, "{}", admin.body);
        let admin_cookie = admin.cookies();

        // The admin asks for a reset of the member's password (the form is open to anyone).
        let asked = served.request_reset("ann@example.org").await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        // The live link, as the database keeps it for sending to the member.
        let kept = outbox::recent(&app.store, 10).await.unwrap();
        assert_eq!(kept.len(), 1);
        let link = link_in(&kept[0].body);
        let token = link.rsplit_once('=').unwrap().1.to_string();
        assert_eq!(token.len(), 64);

        // The outbox page shows who, what, when and the state, but not the link.
        let page = served.get("/admin/outbox", &admin_cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("ann@example.org"));
        assert!(page.body.contains("Reset your caucus password"));
        assert!(page.body.contains("held: no SMTP server is configured"));
        assert!(page.body.contains(&caucus_app::clock::stamp(
            time::OffsetDateTime::from_unix_timestamp(kept[0].created_at).unwrap()
        )));
        assert!(page
            .body
            .contains("[redacted: a password-reset link for the recipient only]"));
        assert!(!page.body.contains(&token), "{}", page.body);
        assert!(!page.body.contains("/password-reset?token="));
        // Nor does what the use case hands any page, nor the audit log (the request's event).
        let admin_id = caucus_store::access::accounts::by_email(&app.store, "admin@example.org")
            .await
            .unwrap()
            .unwrap()
            .id;
        let (_, actor) = caucus_app::access::accounts::actor(&app, admin_id)
            .await
            .unwrap();
        let shown = caucus_app::ops::mail::outbox(&app, &actor, 10)
            .await
            .unwrap();
        assert_eq!(shown.len(), 1);
        assert!(shown[0].redacted);
        assert!(!format!("{shown:?}").contains(&token));
        let log = events(&app).await;
        assert!(log
            .iter()
            .any(|e| e.action == "account.password_reset_request"));
        assert!(log.iter().all(|e| !format!("{e:?}").contains(&token)));

        // The member, who has the link, sets a new password with it and logs in.
        let form = served.get(&link, "").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let new_password = "the member's own new password";
        let done = served
            .post(
                "/password-reset",
                &form.cookies(),
                &[
                    ("csrf", &form.hidden("csrf")),
                    ("token", &token),
                    ("password", new_password),
                    ("password_again", new_password),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let member = served.log_in("ann@example.org", new_password, "").await;
        assert_eq!(member.status, StatusCode::SEE_OTHER, "{}", member.body);
        assert_eq!(member.location.as_deref(), Some("/"));
        served.stop().await;
        app.store.close().await;
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn mail_that_cannot_be_sent_is_kept_retried_then_marked_failed_until_an_admin_requeues_it() {
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let admin_secret = account(&app, "admin@example.org", Role::Admin)
            .await
            .unwrap();
        account(&app, "ann@example.org", Role::Member).await;
        let dead_smtp = format!("smtp://127.0.0.1:{}", closed_port());

        // The server's sender tries at once, keeps the error and queues a retry.
        let served = Served::start(&app, Some(dead_smtp.clone())).await;
        assert_eq!(
            served.request_reset("ann@example.org").await.status,
            StatusCode::OK
        );
        let start = Instant::now();
        let mail = loop {
            let kept = outbox::recent(&app.store, 10).await.unwrap();
            assert_eq!(kept.len(), 1);
            if kept[0].last_error.is_some() {
                break kept[0].clone();
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{kept:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(mail.status, "queued");
        assert_eq!(mail.attempts, 1);
        let now = app.clock.now().unix_timestamp();
        assert!(
            mail.next_attempt_at > now + 30,
            "retried later, not at once"
        );
        let admin = served
            .log_in("admin@example.org", PASSWORD, &served.code(&admin_secret))
            .await;
        let page = served.get("/admin/outbox", &admin.cookies()).await;
        assert!(
            page.body.contains("waiting to be tried again"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Last error"));
        // Stopped, so that its sender does not race the rounds run here.
        served.stop().await;

        // Every later attempt fails too: after the last it is kept as failed, not dropped.
        let mailer = Mailer::from_url(&dead_smtp, caucus_web::DEFAULT_MAIL_FROM).unwrap();
        for _ in 1..MAX_ATTEMPTS {
            make_due(&db.url, mail.id).await;
            let round = deliver_due(&app, &mailer).await.unwrap();
            assert_eq!(round.sent, 0);
        }
        let failed = outbox::recent(&app.store, 10).await.unwrap().remove(0);
        assert_eq!(failed.status, "failed");
        assert_eq!(failed.attempts, MAX_ATTEMPTS);
        assert!(failed.last_error.is_some());
        make_due(&db.url, mail.id).await;
        assert_eq!(
            deliver_due(&app, &mailer).await.unwrap(),
            caucus_app::ops::mail::Delivery::default(),
            "a failed message is not tried again by itself"
        );

        // The admin puts it back in the queue (audited).
        let served = Served::start(&app, None).await;
        let admin = served
            .log_in("admin@example.org", PASSWORD, &served.code(&admin_secret))
            .await;
        let admin_cookie = admin.cookies();
        let page = served.get("/admin/outbox", &admin_cookie).await;
        assert!(page.body.contains("failed: given up after repeated errors"));
        let csrf = page.hidden("csrf");
        let requeued = served
            .post(
                &format!("/admin/outbox/{}/requeue", mail.id),
                &admin_cookie,
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(requeued.status, StatusCode::SEE_OTHER, "{}", requeued.body);
        let again = outbox::recent(&app.store, 10).await.unwrap().remove(0);
        assert_eq!(again.status, "queued");
        assert!(events(&app)
            .await
            .iter()
            .any(|e| e.action == "mail.requeue" && e.subject == format!("mail:{}", mail.id)));
        served.stop().await;
        app.store.close().await;
    }
}

/// Makes a queued message due now (its retry would otherwise be minutes away).
async fn make_due(url: &str, id: i64) {
    let store = Store::open(url).await.unwrap();
    caucus_store::on_pool!(&store, |c| sqlx::query(
        "UPDATE outbox SET next_attempt_at = 0 WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ())
    .unwrap());
    store.close().await;
}

#[tokio::test]
async fn a_reset_link_lasts_an_hour_and_then_no_longer_works() {
    use caucus_app::access::password_reset;
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        account(&app, "ann@example.org", Role::Member).await;
        password_reset::request(
            &app,
            "Ann@Example.org ",
            "192.0.2.1",
            "https://caucus.example",
        )
        .await
        .unwrap();
        let mail = outbox::recent(&app.store, 1).await.unwrap().remove(0);
        assert_eq!(mail.recipient, "ann@example.org");
        let link = link_in(&mail.body.replace("https://", "http://"));
        let token = link.rsplit_once('=').unwrap().1.to_string();
        assert!(password_reset::is_live(&app, &token).await.unwrap());
        let ages = sql_rows(
            &db.url,
            "SELECT expires_at - created_at AS n FROM password_resets",
        )
        .await;
        assert_eq!(ages, vec![password_reset::TOKEN_SECONDS]);
        // An hour later (moved back rather than waiting).
        sql_rows(
            &db.url,
            "UPDATE password_resets SET created_at = created_at - 3601, \
             expires_at = expires_at - 3601 RETURNING CAST(0 AS BIGINT) AS n",
        )
        .await;
        assert!(!password_reset::is_live(&app, &token).await.unwrap());
        let late = password_reset::reset(&app, &token, "a new long password", "192.0.2.1").await;
        assert!(
            matches!(late, Err(caucus_app::AppError::Unauthenticated(_))),
            "{late:?}"
        );
        app.store.close().await;
    }
}

/// Runs SQL returning a column `n` of integers, on either engine.
async fn sql_rows(url: &str, sql: &'static str) -> Vec<i64> {
    use sqlx::Row;
    let store = Store::open(url).await.unwrap();
    let rows: Vec<i64> = caucus_store::on_pool!(&store, |c| sqlx::query(sql)
        .fetch_all(c)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("n"))
        .collect());
    store.close().await;
    rows
}
