//! Running the real binary against a test database.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const TODAY: &str = "2026-11-22";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_caucus")
}

pub fn geo(file: &str) -> PathBuf {
    caucus_testkit::shared_data().join("geo").join(file)
}

/// Runs `caucus --db URL ARGS` with a fixed today; returns the output.
pub fn caucus(db: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .args(["--db", db, "--today", TODAY])
        .args(args)
        .env_remove("CAUCUS_DATABASE_URL")
        .output()
        .expect("run caucus")
}

/// Like `caucus` but fails the test unless it exits 0; returns stdout.
pub fn ok(db: &str, args: &[&str]) -> String {
    let out = caucus(db, args);
    assert!(
        out.status.success(),
        "caucus {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Both boundary sets of the L area imported, pcon2010 current.
pub fn with_l_area(db: &str) {
    let g = geo("postcodes_L_area.csv");
    let g = g.to_str().unwrap();
    ok(
        db,
        &[
            "import",
            "geography",
            g,
            "--set",
            "pcon2010",
            "--pcon-column",
            "pcon_2010set_code",
            "--until",
            "2023-10-11",
        ],
    );
    ok(
        db,
        &[
            "import",
            "geography",
            g,
            "--set",
            "pcon2024",
            "--pcon-column",
            "pcon24cd",
            "--from",
            "2023-10-12",
        ],
    );
}

pub fn generate(dir: &Path, count: u64, bad: u64, seed: u64) -> PathBuf {
    let path = dir.join(format!("members-{count}-{bad}-{seed}.csv"));
    let out = Command::new(bin())
        .args([
            "generate",
            "members",
            "--count",
            &count.to_string(),
            "--bad",
            &bad.to_string(),
        ])
        .args(["--seed", &seed.to_string(), "--out", path.to_str().unwrap()])
        .output()
        .expect("run caucus generate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// CSV rows as maps from column to value.
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A TOTP code of `secret` that a server on `clock` accepts now and that no earlier call returned.
/// Each code works once (the account keeps the last step used), so a test that logs in twice needs
/// a later step's code: the steps one either side of now are accepted, so three are to hand at once,
/// and a fourth waits for the next step.
pub fn unused_totp_code(clock: &caucus_app::Clock, secret: &str) -> String {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static USED: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    loop {
        let now = clock.now().unix_timestamp() as u64;
        let current = now / 30;
        // The step before works until the current one ends: taken only with time to spare.
        let earliest = if now % 30 <= 24 { current - 1 } else { current };
        let mut used = USED.lock().unwrap();
        let step = used
            .get(secret)
            .map_or(earliest, |last| (last + 1).max(earliest));
        if step <= current + 1 {
            used.insert(secret.to_string(), step);
            return caucus_app::access::accounts::totp_code(secret, step * 30).unwrap();
        }
        drop(used);
        std::thread::sleep(std::time::Duration::from_millis(
            (30 - now % 30) * 1000 + 100,
        ));
    }
}
