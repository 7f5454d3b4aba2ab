//! The web application in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver, against the real server on a random loopback port.
//! Two journeys, each in one browser session: a CLP secretary logs in with a password and a TOTP
//! code, finds a member who may not vote, reads why on their page (the reason with its clause), and
//! downloads the unit's membership list; and a secret ballot through its forms, from the officer
//! creating it to a voter recounting the published papers with `caucus count` (the path of the
//! HTTP journey in ballots.rs, with its server). axe-core is run on every page of both journeys, at
//! 1280 and 320 px, and must find no serious or critical violation.
//!
//! Without chromedriver or axe-core (installed by scripts/test) the test fails under CI and, on a
//! developer's machine, says loudly what is missing and passes without a browser.
use crate::ballots::{Journey, MORE_VOTES};
use crate::support::{ok, TODAY};
use crate::web::{Server, PASSWORD};
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::Role;
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

/// Runs axe-core on the page at both widths and notes what it finds under the page's name.
async fn audit(c: &Client, axe: &str, page: &str, problems: &mut Vec<String>) {
    problems.extend(
        accessibility_problems(c, axe)
            .await
            .into_iter()
            .map(|p| format!("{page}: {p}")),
    );
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until the browser is on the page headed `h1`.
async fn arrive(c: &Client, h1: &str) {
    c.wait()
        .for_element(Locator::XPath(&format!("//h1[normalize-space()='{h1}']")))
        .await
        .unwrap_or_else(|e| panic!("no page headed '{h1}': {e}"));
}

/// Presses the page's button labelled `label`.
async fn press(c: &Client, label: &str) {
    c.find(Locator::XPath(&format!(
        "//button[normalize-space()='{label}']"
    )))
    .await
    .unwrap_or_else(|e| panic!("no button '{label}': {e}"))
    .click()
    .await
    .unwrap();
}

/// Follows the page's link reading `text`.
async fn follow(c: &Client, text: &str) {
    c.find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("no link '{text}': {e}"))
        .click()
        .await
        .unwrap();
}

async fn type_into(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Logs in through the form on the login page the browser shows: the password and, for an account
/// with a second factor, the code an authenticator app would show now. Ends on the dashboard.
async fn log_in(c: &Client, email: &str, code: Option<&str>) {
    type_into(c, "email", email).await;
    type_into(c, "password", PASSWORD).await;
    if let Some(code) = code {
        type_into(c, "totp", code).await;
    }
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(c, "Dashboard").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/");
}

/// Logs out with the header's button, ending on the login page.
async fn log_out(c: &Client) {
    press(c, "Log out").await;
    arrive(c, "Log in").await;
}

/// Waits for the one finished download in `dir`, a file ending in `.ext`.
async fn downloaded(dir: &Path, ext: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        if let [only] = files.as_slice() {
            if only.extension().is_some_and(|e| e == ext) {
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
    let code = caucus_app::offices::groups::set_up_group(
        &s.app,
        &Operator::at_the_command_line("test"),
        "E08000012",
        "Liverpool Labour group",
        true,
    )
    .await
    .unwrap()
    .code;
    let living =
        caucus_store::register::members::page_in_local_authority(&s.app.store, "E08000012", 0, 500)
            .await
            .unwrap();
    let mut seated = Vec::new();
    for m in living.iter().filter(|m| m.row.status == "active") {
        let number = &m.row.membership_number;
        let from = time::macros::date!(2023 - 05 - 05);
        let gender = caucus_domain::offices::Gender::NotGiven;
        if caucus_app::offices::groups::seat_councillor(
            &s.app,
            &Operator::at_the_command_line("test"),
            &code,
            number,
            from,
            gender,
        )
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
    caucus_app::offices::groups::record_leader(
        &s.app,
        &Operator::at_the_command_line("test"),
        &code,
        &seated[0],
        from,
    )
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

    // Log in: password and the code an authenticator app would show now.
    c.goto(&s.url("/login")).await.unwrap();
    audit(&c, &tools.axe, "login", &mut problems).await;
    let (email, secret) = &s.logins[&Role::ClpSecretary];
    log_in(&c, email, Some(&s.code(secret.as_deref().unwrap()))).await;
    assert_eq!(text_of(&c, "h1").await, "Dashboard");
    audit(&c, &tools.axe, "dashboard", &mut problems).await;

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
    audit(&c, &tools.axe, "search", &mut problems).await;

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
    audit(&c, &tools.axe, "member", &mut problems).await;

    // The unit's page, and its list downloaded as CSV.
    c.goto(&s.url(&format!("/units/{clp}"))).await.unwrap();
    audit(&c, &tools.axe, "unit", &mut problems).await;
    c.find(Locator::LinkText("Download the membership list (CSV)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = downloaded(downloads.path(), "csv").await;
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
    audit(&c, &tools.axe, "group", &mut problems).await;

    // The tokens settings page with a token listed: its table scrolls sideways at 320 px, so its
    // wrapper must be reachable by keyboard.
    c.goto(&s.url("/settings/tokens")).await.unwrap();
    type_into(&c, "label", "branch spreadsheet").await;
    c.find(Locator::Id("scope-1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    press(&c, "Make the token").await;
    c.wait()
        .for_element(Locator::Css("main .notice[role=status] code.secret"))
        .await
        .unwrap();
    audit(&c, &tools.axe, "tokens", &mut problems).await;

    // The auditor's audit log, in the same browser: a wide table of events, the export among them.
    log_out(&c).await;
    let (auditor, auditor_secret) = &s.logins[&Role::Auditor];
    log_in(
        &c,
        auditor,
        auditor_secret.as_deref().map(|k| s.code(k)).as_deref(),
    )
    .await;
    c.goto(&s.url("/audit")).await.unwrap();
    arrive(&c, "Audit log").await;
    assert!(
        text_of(&c, "main table").await.contains("members.export"),
        "the audit log does not list the export"
    );
    audit(&c, &tools.axe, "audit log", &mut problems).await;

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

/// Types a date and time into a `datetime-local` control as a person would, field by field in the
/// browser's en-US order (month, day, year, then hour, minute, AM/PM), and checks what it holds.
async fn type_moment(c: &Client, id: &str, keys: &str, expected: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    field.send_keys(keys).await.unwrap();
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(expected),
        "typing {keys:?} into #{id} (is the browser's locale en-US?)"
    );
}

/// Chooses the option labelled `label` of the select control `id`.
async fn choose(c: &Client, id: &str, label: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_label(label)
        .await
        .unwrap();
}

/// The text of each cell of each row matched by `css`, as the browser renders it, in one round
/// trip (a roll has hundreds of cells).
async fn rows_of(c: &Client, css: &str) -> Vec<Vec<String>> {
    let rows = c
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]))
               .map(tr => Array.from(tr.children).map(cell => cell.innerText.trim()));",
            vec![json!(css)],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

/// The ballot's state as its page states it.
async fn ballot_state(c: &Client) -> String {
    c.find(Locator::XPath("//dt[.='State']/following-sibling::dd[1]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn no_vote_form(c: &Client) -> bool {
    c.find_all(Locator::Css("form[action$='/vote']"))
        .await
        .unwrap()
        .is_empty()
}

/// Follows the Ballots link to the ballot titled `title`.
async fn open_ballot(c: &Client, title: &str) {
    follow(c, "Ballots").await;
    arrive(c, "Ballots").await;
    follow(c, title).await;
    arrive(c, title).await;
}

const CANDIDATES: [&str; 4] = ["Ann Able", "Bob Baker", "Cy Cole", "Dee Dunn"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_is_set_up_voted_refused_counted_published_and_recounted_in_the_browser() {
    let Some(tools) = tools_or_skip() else { return };
    let db = caucus_testkit::TestDb::sqlite();
    let j = Journey::start(&db.url).await;
    let driver = Driver::start(&tools.chromedriver);
    let downloads = tempfile::tempdir().unwrap();
    // One browser for everyone, who log in and out in turn.
    let c = browser(&driver, downloads.path()).await;
    let mut problems = Vec::new();
    let title = "CLP officers 2026";

    // The officer creates the ballot through the form, open all of today, and freezes its roll.
    let (email, secret) = j.officer_login();
    c.goto(&j.url("/login")).await.unwrap();
    log_in(&c, email, Some(&j.code(secret))).await;
    follow(&c, "Ballots").await;
    arrive(&c, "Ballots").await;
    follow(&c, "Create a ballot").await;
    arrive(&c, "Create a ballot").await;
    audit(&c, &tools.axe, "new ballot", &mut problems).await;
    let unit = c.find(Locator::Id("unit")).await.unwrap();
    assert_eq!(
        unit.prop("value").await.unwrap().as_deref(),
        Some(j.clp.as_str()),
        "the form offers the officer's own CLP"
    );
    type_into(&c, "title", title).await;
    choose(&c, "kind", "meeting").await;
    choose(&c, "method", "stv-scottish").await;
    type_into(&c, "seats", "2").await;
    type_into(&c, "candidates", &CANDIDATES.join("\n")).await;
    type_into(&c, "freeze_on", TODAY).await;
    type_moment(&c, "opens_at", "11222026\u{e004}1200AM", "2026-11-22T00:00").await;
    type_moment(
        &c,
        "closes_at",
        "11232026\u{e004}1200AM",
        "2026-11-23T00:00",
    )
    .await;
    press(&c, "Create the ballot").await;
    arrive(&c, title).await;
    let id: i64 = c
        .current_url()
        .await
        .unwrap()
        .path()
        .strip_prefix("/ballots/")
        .and_then(|n| n.parse().ok())
        .expect("the new ballot's page");
    assert_eq!(ballot_state(&c).await, "being prepared (roll not frozen)");
    press(&c, "Freeze the roll").await;
    c.wait()
        .for_element(Locator::XPath(
            "//button[normalize-space()='Close voting and count']",
        ))
        .await
        .unwrap();
    assert_eq!(ballot_state(&c).await, "open for voting");
    audit(&c, &tools.axe, "ballot (officer)", &mut problems).await;

    // The roll, as the officer reads it: who is on it, and who is left off and why (a provisional
    // member where the synthetic register has one in this CLP, else whoever was left off first).
    follow(&c, "The roll, with the reason for every exclusion").await;
    arrive(&c, &format!("Roll: {title}")).await;
    audit(&c, &tools.axe, "roll", &mut problems).await;
    let roll = rows_of(&c, "main table tbody tr").await;
    let on: Vec<&str> = roll
        .iter()
        .filter(|r| r[2].starts_with("Yes"))
        .map(|r| r[1].as_str())
        .collect();
    let off: Vec<&Vec<String>> = roll.iter().filter(|r| r[2].starts_with("No")).collect();
    assert!(on.len() >= 6, "only {} on the roll", on.len());
    let excluded = off
        .iter()
        .find(|r| r[2].contains("(clause 2.I.provisional)"))
        .or(off.first())
        .expect("someone left off the roll");
    let (excluded_number, why) = (
        excluded[1].clone(),
        excluded[2].trim_start_matches("No").trim().to_string(),
    );
    assert!(
        why.starts_with("not eligible: ") && why.contains("(clause "),
        "{excluded:?}"
    );
    log_out(&c).await;

    // An eligible member finds the ballot, ranks two candidates and casts: a receipt. A second tab
    // opened on the form before the vote is how a second vote is tried; it is refused.
    let voter = j.member_login(on[0]).await;
    log_in(&c, &voter, None).await;
    follow(&c, "Ballots").await;
    arrive(&c, "Ballots").await;
    audit(&c, &tools.axe, "ballots (member)", &mut problems).await;
    follow(&c, title).await;
    arrive(&c, title).await;
    assert!(!no_vote_form(&c).await, "{} is not offered the form", on[0]);
    audit(&c, &tools.axe, "vote form", &mut problems).await;
    let first_tab = c.window().await.unwrap();
    let second_tab = c.new_window(true).await.unwrap().handle;
    c.switch_to_window(second_tab.clone()).await.unwrap();
    c.goto(&j.url(&format!("/ballots/{id}"))).await.unwrap();
    arrive(&c, title).await;
    c.switch_to_window(first_tab.clone()).await.unwrap();
    choose(&c, "rank1", "Bob Baker").await;
    choose(&c, "rank2", "Ann Able").await;
    press(&c, "Cast my vote").await;
    arrive(&c, "Your vote has been cast").await;
    let receipt = text_of(&c, "#receipt").await;
    assert!(
        receipt.len() == 19 && receipt.split('-').all(|g| g.len() == 4),
        "{receipt}"
    );
    audit(&c, &tools.axe, "receipt", &mut problems).await;
    follow(&c, title).await;
    arrive(&c, title).await;
    assert!(no_vote_form(&c).await, "the form is offered after the vote");
    assert!(text_of(&c, "main")
        .await
        .contains("You have voted in this ballot"));

    c.switch_to_window(second_tab).await.unwrap();
    choose(&c, "rank1", "Ann Able").await;
    press(&c, "Cast my vote").await;
    let refusal = c
        .wait()
        .for_element(Locator::Css("main .error[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        refusal.contains("you have already voted in this ballot; each member votes once"),
        "{refusal}"
    );
    audit(&c, &tools.axe, "second vote refused", &mut problems).await;
    c.close_window().await.unwrap();
    c.switch_to_window(first_tab).await.unwrap();
    log_out(&c).await;

    // The member left off the roll sees the ballot refused with the roll's reason and clause, and
    // no form; a vote posted anyway (a form built here by script, with the session's CSRF token)
    // is refused by the server for the same reason.
    let refused = j.member_login(&excluded_number).await;
    log_in(&c, &refused, None).await;
    open_ballot(&c, title).await;
    assert!(
        no_vote_form(&c).await,
        "{excluded_number} is offered the form"
    );
    let standing = text_of(&c, "main ul.reasons").await;
    assert_eq!(standing, why, "the ballot page and the roll disagree");
    audit(&c, &tools.axe, "ballot refused", &mut problems).await;
    c.execute(
        "const f = document.createElement('form');
         f.method = 'post';
         f.action = arguments[0];
         for (const [name, value] of [['csrf', document.querySelector('input[name=csrf]').value],
                                      ['rank', '1']]) {
           const i = f.appendChild(document.createElement('input'));
           i.type = 'hidden'; i.name = name; i.value = value;
         }
         document.body.appendChild(f).submit();
         return true;",
        vec![json!(format!("/ballots/{id}/vote"))],
    )
    .await
    .unwrap();
    let refusal = c
        .wait()
        .for_element(Locator::Css("main .error[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refusal.contains(&why), "{refusal}");
    audit(&c, &tools.axe, "vote refused", &mut problems).await;
    // The refusal keeps the reader in the site: its own heading, the navigation, the Log out button.
    assert_eq!(text_of(&c, "h1").await, "Refused by the rules");
    c.find(Locator::Css("nav[aria-label=Main] a[href='/ballots']"))
        .await
        .expect("the refusal page has the site's navigation");
    log_out(&c).await;

    // Five more members vote (through the use case the form calls), so the count has stages.
    let votes: Vec<(&str, &[usize])> = on[1..6].iter().copied().zip(MORE_VOTES).collect();
    j.more_votes(id, &votes).await;

    // The officer closes, counts and publishes.
    log_in(&c, email, Some(&j.code(secret))).await;
    follow(&c, "Ballots").await;
    arrive(&c, "Ballots").await;
    audit(&c, &tools.axe, "ballots (officer)", &mut problems).await;
    follow(&c, title).await;
    arrive(&c, title).await;
    press(&c, "Close voting and count").await;
    c.wait()
        .for_element(Locator::XPath(
            "//button[normalize-space()='Publish the result and the ballot papers']",
        ))
        .await
        .unwrap();
    assert_eq!(ballot_state(&c).await, "counted; result not yet published");
    press(&c, "Publish the result and the ballot papers").await;
    c.wait()
        .for_element(Locator::XPath("//dd[normalize-space()='result published']"))
        .await
        .unwrap();
    log_out(&c).await;

    // The voter reads the published result and finds their paper by the receipt.
    log_in(&c, &voter, None).await;
    open_ballot(&c, title).await;
    follow(&c, "The result").await;
    let heading = format!("Result: {title}");
    arrive(&c, &heading).await;
    audit(&c, &tools.axe, "result", &mut problems).await;
    let turnout = text_of(&c, "main h1 + p").await;
    assert!(
        turnout.starts_with("6 of the ") && turnout.ends_with(" members on the roll voted."),
        "{turnout}"
    );
    let elected: Vec<String> = rows_of(&c, "main ol").await.concat();
    let header = rows_of(&c, "main table thead tr").await.concat();
    let tallies = rows_of(&c, "main table tbody tr").await;
    type_into(&c, "code", &receipt.to_lowercase()).await;
    press(&c, "Find it").await;
    let found = c
        .wait()
        .for_element(Locator::Id("found"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        found.contains("is in the published list, marked: 1. Bob Baker; 2. Ann Able"),
        "{found}"
    );

    // The published papers, downloaded, hold the voter's paper and recount with `caucus count` to
    // exactly what the page shows: the winners, and every candidate's tally in every round.
    follow(&c, "Download the ballot papers (BLT)").await;
    let blt = downloaded(downloads.path(), "blt").await;
    let papers = std::fs::read_to_string(&blt).unwrap();
    assert!(papers.contains(&format!("({receipt}) 1 2 1 0")), "{papers}");
    let out = ok(
        &db.url,
        &[
            "count",
            blt.to_str().unwrap(),
            "--method",
            "stv-scottish",
            "--seats",
            "2",
            "--format",
            "json",
        ],
    );
    let recount: Value = serde_json::from_str(&out).unwrap();
    let rounds = recount["rounds"].as_array().unwrap();
    assert!(rounds.len() >= 2, "a count of one round: {out}");
    let winners: Vec<String> = recount["elected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(elected, winners, "the page's winners are not the recount's");
    let mut expected_header = vec!["Candidate".to_string()];
    expected_header.extend(rounds.iter().map(|r| format!("Round {}", r["round"])));
    assert_eq!(header, expected_header);
    let expected: Vec<Vec<String>> = CANDIDATES
        .iter()
        .map(|name| {
            let mut row = vec![name.to_string()];
            row.extend(
                rounds
                    .iter()
                    .map(|r| r["tallies"][*name].as_str().unwrap_or("").to_string()),
            );
            row
        })
        .collect();
    assert_eq!(tallies, expected, "the page's rounds are not the recount's");

    c.close().await.unwrap();
    drop(driver);
    j.stop().await;
    assert!(
        problems.is_empty(),
        "axe-core found serious or critical problems:\n{}",
        problems.join("\n")
    );
}
