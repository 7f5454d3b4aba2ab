//! The register's bulk work end to end, on every engine: geography in two boundary sets, a generated
//! membership with planted bad rows, the 2023 reallocation, and the audit chain.
use crate::support::*;
use std::collections::HashMap;

async fn exec(url: &str, sql: &str) {
    let store = caucus_store::Store::connect(url).await.unwrap();
    caucus_store::on_pool!(&store, |c| sqlx_exec(c, sql).await);
    store.close().await;
}

async fn sqlx_exec<'c, E: sqlx::Executor<'c>>(c: E, sql: &str) {
    c.execute(sqlx::AssertSqlSafe(sql.to_string()))
        .await
        .unwrap();
}

#[tokio::test]
async fn import_reallocate_and_verify_on_every_engine() {
    let lookup: HashMap<String, (String, String)> = read_csv(&geo("postcodes_L_area.csv"))
        .into_iter()
        .map(|r| {
            (
                r["postcode"].clone(),
                (r["pcon_2010set_code"].clone(), r["pcon24cd"].clone()),
            )
        })
        .collect();
    for db in caucus_testkit::databases().await {
        let url = db.url.as_str();
        let dir = db.scratch();
        let dir = if db.engine == "postgres" {
            tempfile::tempdir().unwrap().keep()
        } else {
            dir
        };
        with_l_area(url);
        let members = generate(&dir, 20_000, 70, 7);
        let rejects = dir.join("rejects.csv");
        let out = ok(
            url,
            &[
                "import",
                "members",
                members.to_str().unwrap(),
                "--rejects",
                rejects.to_str().unwrap(),
            ],
        );
        assert_eq!(
            out.trim(),
            "imported 20000, updated 0, rejected 70",
            "{}",
            db.engine
        );

        let rejected = read_csv(&rejects);
        assert_eq!(rejected.len(), 70);
        let reasons: Vec<&str> = rejected.iter().map(|r| r["reason"].as_str()).collect();
        for expected in [
            "postcode L99 9ZZ is not in boundary set pcon2010",
            "postcode: 'NOT A PC' is not a UK postcode",
            "joined_on: '2020-13-45' is not a date",
            "unknown status 'zombie'",
            "unknown rate 'platinum'",
            "membership number repeated in the file (first on line 2)",
            "given_name is missing",
        ] {
            assert!(
                reasons.iter().any(|r| r.starts_with(expected)),
                "{}: no reject says {expected:?}: {reasons:?}",
                db.engine
            );
        }
        assert!(rejected
            .iter()
            .all(|r| r["line"].parse::<u64>().unwrap() >= 2));

        let again = ok(url, &["import", "members", members.to_str().unwrap()]);
        assert_eq!(
            again.trim(),
            "imported 0, updated 0, rejected 70",
            "{}",
            db.engine
        );

        let report = dir.join("reallocation.csv");
        let out = ok(
            url,
            &[
                "boundaries",
                "reallocate",
                "--to",
                "pcon2024",
                "--effective",
                "2023-10-12",
                "--report",
                report.to_str().unwrap(),
            ],
        );
        assert!(
            out.contains("20000 members from pcon2010 to pcon2024"),
            "{out}"
        );
        let rows = read_csv(&report);
        assert_eq!(rows.len(), 20_000);
        for r in &rows {
            let (old, new) = &lookup[&r["postcode"]];
            assert_eq!(&r["new_constituency"], new, "{}: {r:?}", db.engine);
            assert_eq!(&r["old_constituency"], old, "{}: {r:?}", db.engine);
            let outcome = if old == new { "unchanged" } else { "moved" };
            assert_eq!(r["outcome"], outcome);
        }

        let again = caucus(url, &["boundaries", "reallocate", "--to", "pcon2024"]);
        assert_eq!(again.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already the register's current set")
        );

        assert!(ok(url, &["audit", "verify"]).starts_with("audit chain intact"));
        exec(url, "UPDATE audit_events SET detail = '{}' WHERE seq = 5").await;
        let broken = caucus(url, &["audit", "verify"]);
        assert_eq!(broken.status.code(), Some(1), "{}", db.engine);
        let err = String::from_utf8_lossy(&broken.stderr);
        assert!(
            err.contains("audit chain broken at event 5"),
            "{}: {err}",
            db.engine
        );
    }
}

/// A members CSV of `rows` (number, status, paid_up_until), all joined in 2001 at one Liverpool
/// postcode.
fn members_csv(path: &std::path::Path, rows: &[(&str, &str, &str)]) {
    let mut text = caucus_app::register::member_import::COLUMNS.join(",");
    for (number, status, paid) in rows {
        text.push_str(&format!(
            "\n{number},Ada,Cole,ada@example.org,,1970-01-01,1 Dale Street,,Liverpool,L1 0AA,\
             2001-03-05,{status},standard,direct_debit,{paid},true,"
        ));
    }
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn a_reimported_status_is_recorded_only_where_the_rules_do_not_derive_it_on_every_engine() {
    for db in caucus_testkit::databases().await {
        let url = db.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("members.csv");
        with_l_area(url);
        members_csv(
            &file,
            &[
                ("A1", "in_arrears", "2026-09-30"),
                ("B2", "suspended", "2027-09-30"),
                ("C3", "active", "2027-09-30"),
            ],
        );
        let out = ok(url, &["import", "members", file.to_str().unwrap()]);
        assert_eq!(out.trim(), "imported 3, updated 0, rejected 0");
        // A renews (the new paid-up date makes them active by the rules), B's suspension ends and
        // C resigns, as the source says.
        members_csv(
            &file,
            &[
                ("A1", "active", "2027-09-30"),
                ("B2", "active", "2027-09-30"),
                ("C3", "resigned", "2027-09-30"),
            ],
        );
        let out = ok(url, &["import", "members", file.to_str().unwrap()]);
        assert_eq!(out.trim(), "imported 0, updated 3, rejected 0");

        let store = caucus_store::Store::connect(url).await.unwrap();
        let mut recorded = Vec::new();
        for number in ["A1", "B2", "C3"] {
            let m = caucus_store::register::members::by_number(&store, number)
                .await
                .unwrap()
                .unwrap();
            for r in caucus_store::register::members::status_history(&store, m.id)
                .await
                .unwrap()
            {
                recorded.push(format!(
                    "{number} {} {} {}",
                    r.effective_on, r.status, r.reason_code
                ));
            }
        }
        store.close().await;
        assert_eq!(
            recorded,
            [
                "A1 2001-03-05 provisional joined",
                "B2 2001-03-05 provisional joined",
                format!("B2 {TODAY} suspended imported").as_str(),
                format!("B2 {TODAY} active imported").as_str(),
                "C3 2001-03-05 provisional joined",
                format!("C3 {TODAY} resigned imported").as_str(),
            ],
            "{}",
            db.engine
        );
    }
}

#[test]
fn bad_usage_exits_2_and_a_failed_import_exits_1_with_one_line() {
    let db = caucus_testkit::TestDb::sqlite();
    assert_eq!(
        caucus(&db.url, &["import", "members"]).status.code(),
        Some(2)
    );
    let out = caucus(&db.url, &["import", "members", "/nonexistent.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no boundary set has been imported yet"),
        "{err}"
    );

    with_l_area(&db.url);
    let bad = db.scratch().join("bad-header.csv");
    std::fs::write(&bad, "membership_number,given_name,shoe_size\n").unwrap();
    let out = caucus(&db.url, &["import", "members", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown columns: shoe_size"));
}

/// A members file with CRLF line endings, as Python's csv module writes it, imports every row; so does
/// one with a lone CR ending each line (old Mac exports); rejects name the lines the rows are on.
#[test]
fn crlf_and_cr_members_files_import_every_row_and_reject_on_the_true_line() {
    let db = caucus_testkit::TestDb::sqlite();
    with_l_area(&db.url);
    let header = caucus_app::register::member_import::COLUMNS.join(",");
    let row = |number: &str, address: &str, postcode: &str| {
        format!(
            "{number},Ada,Cole,ada@example.org,,1970-01-01,{address},,Liverpool,{postcode},\
             2001-03-05,active,standard,direct_debit,2027-09-30,true,"
        )
    };

    // csv.writer(f).writerows(...): "\r\n" after every row, quotes only where a field needs them.
    let python = db.scratch().join("python.csv");
    std::fs::write(
        &python,
        format!(
            "{header}\r\n{}\r\n{}\r\n{}\r\n",
            row("C1", "\"1 Dale Street, Flat 2\"", "L1 0AA"),
            row("C2", "2 Dale Street", "L1 0AB"),
            row("C3", "3 Dale Street", "L1 0AA"),
        ),
    )
    .unwrap();
    let out = ok(&db.url, &["import", "members", python.to_str().unwrap()]);
    assert_eq!(out.trim(), "imported 3, updated 0, rejected 0");

    // A lone CR ends each line; a blank line, a bad postcode and a repeat among the rows.
    let mac = db.scratch().join("mac.csv");
    std::fs::write(
        &mac,
        format!(
            "{header}\r{}\r\r{}\r{}\r{}\r{}",
            row("D1", "1 Lord Street", "L1 0AA"),
            row("D2", "\"2 Lord Street\rBack Lane\"", "L1 0AB"),
            row("D3", "3 Lord Street", "NOT A PC"),
            row("D1", "4 Lord Street", "L1 0AA"),
            row("D4", "5 Lord Street", "L1 0AB"),
        ),
    )
    .unwrap();
    let rejects = db.scratch().join("mac-rejects.csv");
    let out = ok(
        &db.url,
        &[
            "import",
            "members",
            mac.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ],
    );
    assert_eq!(out.trim(), "imported 3, updated 0, rejected 2");
    let rejected: Vec<(String, String, String)> = read_csv(&rejects)
        .into_iter()
        .map(|r| {
            (
                r["line"].clone(),
                r["membership_number"].clone(),
                r["reason"].clone(),
            )
        })
        .collect();
    // D1 on line 2, a blank line 3, D2 on lines 4-5, D3 on 6, D1 again on 7, D4 on 8.
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(
        (rejected[0].0.as_str(), rejected[0].1.as_str()),
        ("6", "D3")
    );
    assert!(
        rejected[0].2.starts_with("postcode: 'NOT A PC'"),
        "{rejected:?}"
    );
    assert_eq!(
        rejected[1],
        (
            "7".to_string(),
            "D1".to_string(),
            "membership number repeated in the file (first on line 2)".to_string()
        )
    );
}

#[test]
fn onspd_files_of_both_schemas_import_with_pseudo_codes_as_none() {
    let db = caucus_testkit::TestDb::sqlite();
    for (file, set) in [
        ("onspd_sample_aug2024.csv", "onspd2024"),
        ("onspd_sample_nov2025.csv", "onspd2025"),
    ] {
        let out = ok(
            &db.url,
            &[
                "import",
                "geography",
                geo(file).to_str().unwrap(),
                "--set",
                set,
            ],
        );
        assert!(out.contains("4 postcodes"), "{out}");
        assert!(out.contains("layout onspd"), "{out}");
    }
}
