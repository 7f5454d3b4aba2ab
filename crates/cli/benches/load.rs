//! The web application under load (SPEC 6): the release binary builds the demo register, serves it on
//! a free loopback port, and 64 concurrent clients read, for a fixed time each:
//! - the unit page of the constituency party whose membership is nearest 2,000 (its first page of
//!   members with their eligibility flags), with a logged-in browser session;
//! - `GET /api/v1/members/{n}` for members of that unit picked at random, with a bearer token.
//!
//! Prints throughput, p50, p99 and the slowest request for each. The clients run on the same machine
//! as the server, so the figures include their share of the CPU. The unit page is the same page each
//! time, so after the first request its list comes from the pages the app keeps while the register
//! is unchanged (`caucus_app::register::list_cache`); authorising the reader and logging the read are still done
//! on every request. A page worked out afresh costs about three times the server's CPU.
//!
//! Run by hand: `cargo bench -p caucus --bench load`. LOAD_MEMBERS (20000), LOAD_CLIENTS (64) and
//! LOAD_SECONDS (20 per phase) change the defaults; LOAD_DIR keeps the demo there to reuse.
#![allow(clippy::unwrap_used)]

use caucus_store::{organisation::geography, organisation::units, register::members, Store};
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server, stopped when the benchmark ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn build_demo(dir: &Path, members: u64) {
    let db = dir.join("demo.db");
    if db.exists() && dir.join("logins.json").exists() {
        println!("reusing the demo in {}", dir.display());
        return;
    }
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_caucus"))
        .args(["demo", "--no-serve", "--members", &members.to_string()])
        .arg("--demo-db")
        .arg(format!("sqlite://{}", db.display()))
        .arg("--logins")
        .arg(dir.join("logins.json"))
        .current_dir(dir)
        .output()
        .expect("run caucus demo");
    assert!(
        out.status.success(),
        "caucus demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "built the demo register of {members} members in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The current set's CLP whose membership is nearest 2,000: its code, and its members' numbers.
async fn unit_of_about_2000(db: &str) -> (String, Vec<String>) {
    let store = Store::connect(db).await.unwrap();
    let set = geography::current_set(&store).await.unwrap();
    let mut best: Option<(String, Vec<String>)> = None;
    let mut after = 0;
    loop {
        let page = units::list(&store, Some("clp"), after, 200).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        for u in page
            .iter()
            .filter(|u| Some(&u.boundary_set) == set.as_ref())
        {
            let found = members::page(&store, Some(&[u.id]), 0, 100_000)
                .await
                .unwrap();
            let numbers: Vec<String> = found.into_iter().map(|m| m.row.membership_number).collect();
            let distance = |n: usize| n.abs_diff(2_000);
            if best
                .as_ref()
                .is_none_or(|(_, b)| distance(numbers.len()) < distance(b.len()))
            {
                best = Some((u.code.clone(), numbers));
            }
        }
    }
    store.close().await;
    best.expect("a constituency party in the current set")
}

fn serve(db: &str) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caucus"))
        .args(["--db", db, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caucus serve");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let port = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("listening on http://127.0.0.1:")
                .map(str::to_string)
        })
        .expect("the server did not start");
    (server, format!("http://127.0.0.1:{port}"))
}

/// The code of `secret` `steps_ahead` 30-second steps from now (a code works once: a second login
/// takes the next step's, which the server accepts a step early).
fn totp(secret: &str, steps_ahead: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    caucus_app::access::accounts::totp_code(secret, now + 30 * steps_ahead).unwrap()
}

fn cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// A bearer token and a browser session cookie for `login` (the general secretary: every unit).
async fn log_in(client: &Client, base: &str, login: &Value) -> (String, String) {
    let email = login["email"].as_str().unwrap();
    let password = login["password"].as_str().unwrap();
    let secret = login["totp_secret"].as_str().unwrap();
    let r = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": email, "password": password, "totp": totp(secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let r = client.get(format!("{base}/login")).send().await.unwrap();
    let csrf = cookie(&r, "caucus_login_csrf");
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", format!("caucus_login_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("totp", &totp(secret, 1)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the page login failed");
    (token, cookie(&r, "caucus_session"))
}

/// One phase: `clients` tasks sending `request(i)` until `seconds` pass; every answer must be 200.
async fn phase(
    name: &str,
    clients: u64,
    seconds: u64,
    request: Arc<dyn Fn(u64) -> reqwest::RequestBuilder + Send + Sync>,
) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let mut failures = 0u64;
            let mut i = c;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match request(i).send().await {
                    Ok(r) => r.status() == StatusCode::OK && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                took.push(t.elapsed());
                failures += u64::from(!ok);
                i += clients;
            }
            (took, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (took, f) = t.await.unwrap();
        all.extend(took);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: {} requests in {elapsed:.1} s by {clients} clients: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {failures} not 200",
        all.len(),
        all.len() as f64 / elapsed,
        ms(at(0.50)),
        ms(at(0.99)),
        ms(*all.last().unwrap()),
    );
    assert_eq!(
        failures, 0,
        "{name}: {failures} requests did not answer 200"
    );
}

#[tokio::main]
async fn main() {
    let members = env_or("LOAD_MEMBERS", 20_000);
    let clients = env_or("LOAD_CLIENTS", 64);
    let seconds = env_or("LOAD_SECONDS", 20);
    let scratch = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("LOAD_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    build_demo(&dir, members);
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let (code, numbers) = unit_of_about_2000(&db).await;
    println!("unit {code}: {} members", numbers.len());
    let logins: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("logins.json")).unwrap()).unwrap();
    let login = logins
        .iter()
        .find(|l| l["role"] == "general_secretary")
        .expect("a general secretary login");

    let (_server, base) = serve(&db);
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(clients as usize)
        .build()
        .unwrap();
    let (token, session) = log_in(&client, &base, login).await;

    let page = {
        let (client, url) = (client.clone(), format!("{base}/units/{code}"));
        let session = format!("caucus_session={session}");
        Arc::new(move |_| client.get(&url).header("cookie", &session))
    };
    // Warm the server's caches and connections before measuring.
    phase("warm-up (unit page)", clients, 2, page.clone()).await;
    phase(
        &format!("GET /units/{code} (first page of its list)"),
        clients,
        seconds,
        page,
    )
    .await;

    let numbers = Arc::new(numbers);
    let member = {
        let client = client.clone();
        Arc::new(move |i: u64| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(i);
            let n = &numbers[rng.random_range(0..numbers.len())];
            client
                .get(format!("{base}/api/v1/members/{n}"))
                .bearer_auth(&token)
        })
    };
    phase("GET /api/v1/members/{n}", clients, seconds, member).await;
}
