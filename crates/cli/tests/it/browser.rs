//! The web application in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver, against the real server on a random loopback port. A
//! CLP secretary logs in with a password and a TOTP code, finds a member who may not vote, reads why
//! on their page (the reason with its clause), and downloads the unit's membership list; axe-core is
//! run on every page of the journey and must find no serious or critical violation.
//!
//! Without chromedriver or axe-core (installed by scripts/test) the test fails under CI and, on a
//! developer's machine, says loudly what is missing and passes without a browser.
use crate::web::{Server, PASSWORD};
use caucus_domain::policy::Role;
use caucus_store::audit;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// What the browser test needs from the machine, or why it cannot run.
struct Tools {
    chromedriver: PathBuf,
    axe: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn tools() -> Result<Tools, String> {
    let chromedriver = find_on_path("chromedriver").ok_or(
        "chromedriver is not on PATH (Debian: apt-get install chromium chromium-driver; scripts/test does)",
    )?;
    if !Path::new(CHROMIUM).is_file() {
        return Err(format!(
            "{CHROMIUM} is missing (Debian: apt-get install chromium)"
        ));
    }
    let axe_path = workspace_root().join("node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path).map_err(|e| {
        format!(
            "cannot read {} ({e}): run `npm ci` at the workspace root (scripts/test does)",
            axe_path.display()
        )
    })?;
    Ok(Tools { chromedriver, axe })
}

/// The tools, or `None` after a loud message on a developer's machine; under CI a missing tool
/// fails the test.
fn tools_or_skip() -> Option<Tools> {
    match tools() {
        Ok(t) => Some(t),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the browser test cannot run under CI: {why}")
        }
        Err(why) => {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !! BROWSER TEST NOT RUN: {why}\n\
                 !! (under CI=true this is a failure)\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            None
        }
    }
}

/// chromedriver on a free loopback port, stopped with the test.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let d = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, downloads: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            // --no-sandbox: the tests may run as root (as CI does), where Chromium's sandbox refuses.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1024"],
            "prefs": {
                "download.default_directory": downloads.to_str().unwrap(),
                "download.prompt_for_download": false,
            },
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("open a Chromium session")
}

/// axe-core's serious and critical violations on the page as the browser shows it, one line each.
async fn axe_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("inject axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                      v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// axe-core's findings on the page at a desktop width and at 320 px (where tables scroll sideways
/// and the header wraps), the window left at the desktop width.
async fn accessibility_problems(c: &Client, axe: &str) -> Vec<String> {
    let mut found = axe_violations(c, axe).await;
    c.set_window_size(320, 800).await.unwrap();
    let width = c
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 400,
        "the window is {width} px wide"
    );
    found.extend(
        axe_violations(c, axe)
            .await
            .into_iter()
            .map(|p| format!("at 320 px: {p}")),
    );
    c.set_window_size(1280, 1024).await.unwrap();
    found
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits for the one finished download in `dir`.
async fn downloaded(dir: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        if let [only] = files.as_slice() {
            if only.extension().is_some_and(|e| e == "csv") {
                return only.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no finished download in {}: {files:?}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A member of `clp` who may not vote at a branch meeting because they are provisional or in
/// arrears, as the API lists them: (number, family name, the reason's message and clause).
async fn member_who_may_not_vote(s: &Server, clp: &str) -> (String, String, String, String) {
    let token = s.log_in(Role::ClpSecretary).await;
    let mut cursor = String::new();
    loop {
        let (status, page) = s
            .get(
                &format!("/api/v1/units/{clp}/members?limit=200{cursor}"),
                &token,
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        for m in page["items"].as_array().unwrap() {
            let status = m["status"].as_str().unwrap();
            let why = &m["can_vote"]["reasons"][0];
            if matches!(status, "provisional" | "in_arrears")
                && m["can_vote"]["allowed"] == json!(false)
                && why.is_object()
            {
                return (
                    m["membership_number"].as_str().unwrap().to_string(),
                    m["family_name"].as_str().unwrap().to_string(),
                    why["message"].as_str().unwrap().to_string(),
                    why["clause"].as_str().unwrap().to_string(),
                );
            }
        }
        match page["next"].as_str() {
            Some(n) => cursor = format!("&cursor={n}"),
            None => panic!("no provisional or in-arrears member in {clp}"),
        }
    }
}

/// Liverpool's Labour group with three councillors and a leader since May 2023 (four-year term
/// under the strong-leader model); its code.
async fn group_page_for(s: &Server) -> String {
    let code = caucus_app::groups::set_up_group(
        &s.app,
        "test",
        "E08000012",
        "Liverpool Labour group",
        true,
    )
    .await
    .unwrap()
    .code;
    let living = caucus_store::members::page_in_local_authority(&s.app.store, "E08000012", 0, 500)
        .await
        .unwrap();
    let mut seated = Vec::new();
    for m in living.iter().filter(|m| m.row.status == "active") {
        let number = &m.row.membership_number;
        let from = time::macros::date!(2023 - 05 - 05);
        let gender = caucus_domain::offices::Gender::NotGiven;
        if caucus_app::groups::seat_councillor(&s.app, "test", &code, number, from, gender)
            .await
            .is_ok()
        {
            seated.push(number.clone());
        }
        if seated.len() == 3 {
            break;
        }
    }
    let from = time::macros::date!(2023 - 05 - 22);
    caucus_app::groups::record_leader(&s.app, "test", &code, &seated[0], from)
        .await
        .unwrap();
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clp_secretary_logs_in_with_totp_finds_a_member_reads_why_they_cannot_vote_and_exports_the_list(
) {
    let Some(tools) = tools_or_skip() else { return };
    let db = caucus_testkit::TestDb::sqlite();
    let s = Server::start(&db.url).await;
    let clp = s.places.clp.clone();
    let (number, family_name, reason, clause) = member_who_may_not_vote(&s, &clp).await;

    let driver = Driver::start(&tools.chromedriver);
    let downloads = tempfile::tempdir().unwrap();
    let c = browser(&driver, downloads.path()).await;
    let mut problems = Vec::new();
    let mut check = |page: &str, found: Vec<String>| {
        problems.extend(found.into_iter().map(|p| format!("{page}: {p}")));
    };

    // Log in: password and the code an authenticator app would show now.
    c.goto(&s.url("/login")).await.unwrap();
    check("login", accessibility_problems(&c, &tools.axe).await);
    let (email, secret) = &s.logins[&Role::ClpSecretary];
    let code = s.code(secret.as_deref().unwrap());
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("totp"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/");
    assert_eq!(text_of(&c, "h1").await, "Dashboard");
    check("dashboard", accessibility_problems(&c, &tools.axe).await);

    // Search by family name, as typed into the form.
    c.find(Locator::LinkText("Find a member"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys(&family_name)
        .await
        .unwrap();
    c.find(Locator::Css("form[role=search] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let link = c
        .wait()
        .for_element(Locator::Css(&format!("a[href='/members/{number}']")))
        .await
        .unwrap();
    check("search", accessibility_problems(&c, &tools.axe).await);

    // The member page says they may not vote, and why, with the clause.
    link.click().await.unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//h2[normalize-space()='Eligibility today']",
        ))
        .await
        .unwrap();
    let row = c
        .find(Locator::XPath(
            "//tr[th[normalize-space()='Vote at a branch meeting']]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("No"), "{row}");
    assert!(
        row.contains(&format!("{reason} (clause {clause})")),
        "the member page does not say why {number} may not vote ({reason}, clause {clause}):\n{row}"
    );
    check("member", accessibility_problems(&c, &tools.axe).await);

    // The unit's page, and its list downloaded as CSV.
    c.goto(&s.url(&format!("/units/{clp}"))).await.unwrap();
    check("unit", accessibility_problems(&c, &tools.axe).await);
    c.find(Locator::LinkText("Download the membership list (CSV)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = downloaded(downloads.path()).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let (watermark, list) = text.split_once('\n').unwrap();
    assert!(
        watermark.starts_with(&format!("# Exported for {email} at 20")),
        "{watermark}"
    );
    assert!(watermark.contains(&clp), "{watermark}");
    let mut r = csv::Reader::from_reader(list.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let theirs = rows
        .iter()
        .find(|row| &row[col("membership_number")] == number.as_str())
        .unwrap_or_else(|| panic!("{number} is not in the downloaded list"));
    assert_eq!(&theirs[col("can_vote")], "false");
    assert!(theirs[col("reasons")].contains(&clause), "{theirs:?}");

    // The download is in the audit log, under the account's address, with the count of rows.
    let events = audit::list(&s.app.store, 0, 100_000).await.unwrap();
    let export = events
        .iter()
        .rev()
        .find(|e| e.action == "members.export")
        .expect("an audit event for the export");
    assert_eq!(export.actor, *email);
    assert_eq!(export.subject, clp);
    let detail: Value = serde_json::from_str(&export.detail).unwrap();
    assert_eq!(detail["rows"], json!(rows.len()));

    // A Labour group's page: its leader, term and councillors, readable by any officer.
    let group = group_page_for(&s).await;
    c.goto(&s.url(&format!("/units/{group}"))).await.unwrap();
    assert!(
        text_of(&c, "#leader-term").await.contains("2027-05-22"),
        "the group's page does not give the leader's term"
    );
    check("group", accessibility_problems(&c, &tools.axe).await);

    // axe-core is really looking: an image without a text alternative, planted, is found.
    c.execute(
        "document.querySelector('main').appendChild(document.createElement('img')).src = '/x.png'; return true;",
        vec![],
    )
    .await
    .unwrap();
    let planted = axe_violations(&c, &tools.axe).await;
    assert!(
        planted.iter().any(|p| p.contains("image-alt")),
        "axe-core did not report a planted image without alt text: {planted:?}"
    );

    c.close().await.unwrap();
    drop(driver);
    s.stop().await;
    assert!(
        problems.is_empty(),
        "axe-core found serious or critical problems:\n{}",
        problems.join("\n")
    );
}
