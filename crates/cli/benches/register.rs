//! The register's speed bars (SPEC 6), measured end to end with the release binary:
//! - `caucus import members` of N generated members on SQLite, against a bare prepared-statement
//!   insert of the same rows into the same `members` table (same batching), with the import's peak
//!   memory;
//! - `caucus boundaries reallocate` of those members to the 2024 constituencies, with and without the
//!   per-member report.
//!
//! Run by hand: `cargo bench -p caucus --bench register` (BENCH_MEMBERS=N to change the 1,000,000).
#![allow(clippy::unwrap_used)]

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

fn caucus(args: &[&str]) -> (f64, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(env!("CARGO_BIN_EXE_caucus"))
        .args(args)
        .output()
        .expect("run caucus under /usr/bin/time");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "caucus {args:?} failed: {stderr}");
    let last = stderr.lines().last().unwrap_or("");
    let mut parts = last.split_whitespace();
    let secs: f64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let kb: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (secs, kb)
}

/// The bare baseline: each CSV row bound as it is into one prepared INSERT, committed every 5,000 rows.
async fn bare_insert(csv_path: &Path, db: &Path) -> f64 {
    // The same schema as the import writes to, made by the import's own migrations.
    let url = format!("sqlite://{}", db.display());
    caucus_store::Store::open(&url).await.unwrap().close().await;
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let started = Instant::now();
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let mut n = 0u64;
    for rec in reader.records() {
        let r = rec.unwrap();
        let f = |i: usize| r.get(i).filter(|s| !s.is_empty());
        sqlx::query(
            "INSERT INTO members (membership_number, given_name, family_name, email, phone, date_of_birth, \
             address_line1, address_line2, town, postcode, joined_on, continuous_since, status, rate, payment_method, \
             paid_up_until, registered_to_vote, trade_union, row_digest) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17, '') \
             ON CONFLICT (membership_number) DO NOTHING",
        )
        .bind(f(0))
        .bind(f(1))
        .bind(f(2))
        .bind(f(3))
        .bind(f(4))
        .bind(f(5))
        .bind(f(6))
        .bind(f(7))
        .bind(f(8))
        .bind(f(9))
        .bind(f(10))
        .bind(f(11))
        .bind(f(12))
        .bind(f(13))
        .bind(f(14))
        .bind(f(15) == Some("true"))
        .bind(f(16))
        .execute(&mut *tx)
        .await
        .unwrap();
        n += 1;
        if n.is_multiple_of(5_000) {
            tx.commit().await.unwrap();
            tx = pool.begin().await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    pool.close().await;
    secs
}

fn main() {
    let members: u64 = std::env::var("BENCH_MEMBERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("members.csv");
    let geo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/geo/postcodes_L_area.csv");
    let geo = geo.to_str().unwrap();
    let csv = csv_path.to_str().unwrap();
    eprintln!("generating {members} members ...");
    caucus(&[
        "generate",
        "members",
        "--count",
        &members.to_string(),
        "--out",
        csv,
    ]);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    eprintln!("bare insert ...");
    let bare = rt.block_on(bare_insert(&csv_path, &dir.path().join("bare.db")));

    let db = format!("sqlite://{}", dir.path().join("register.db").display());
    let today = ["--db", db.as_str(), "--today", "2026-11-22"];
    let with = |rest: &[&str]| -> Vec<String> {
        today.iter().chain(rest).map(|s| s.to_string()).collect()
    };
    let run = |rest: &[&str]| {
        let args = with(rest);
        caucus(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(&[
        "import",
        "geography",
        geo,
        "--set",
        "pcon2010",
        "--pcon-column",
        "pcon_2010set_code",
        "--until",
        "2023-10-11",
    ]);
    run(&[
        "import",
        "geography",
        geo,
        "--set",
        "pcon2024",
        "--pcon-column",
        "pcon24cd",
        "--from",
        "2023-10-12",
    ]);
    eprintln!("caucus import members ...");
    let (import, import_kb) = run(&["import", "members", csv]);
    eprintln!("caucus boundaries reallocate ...");
    let (realloc, realloc_kb) = run(&[
        "boundaries",
        "reallocate",
        "--to",
        "pcon2024",
        "--effective",
        "2023-10-12",
        "--dry-run",
    ]);
    let report = dir.path().join("report.csv");
    let (realloc_report, _) = run(&[
        "boundaries",
        "reallocate",
        "--to",
        "pcon2024",
        "--effective",
        "2023-10-12",
        "--report",
        report.to_str().unwrap(),
    ]);

    println!("register benchmark, {members} members, SQLite, release build");
    println!(
        "  bare prepared-statement insert      {bare:>8.2} s  ({:>9.0} rows/s)",
        members as f64 / bare
    );
    println!(
        "  caucus import members               {import:>8.2} s  ({:>9.0} rows/s)  peak memory {:.0} MB",
        members as f64 / import,
        import_kb as f64 / 1024.0
    );
    println!(
        "  import speed / bare speed           {:>8.2}",
        bare / import
    );
    println!(
        "  reallocate (dry run, in one tx)     {realloc:>8.2} s  peak memory {:.0} MB",
        realloc_kb as f64 / 1024.0
    );
    println!("  reallocate with per-member report   {realloc_report:>8.2} s");
}
