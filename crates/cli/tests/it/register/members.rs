//! The membership check and the membership lists end to end, on every engine: the L area, a
//! generated membership, `caucus members check` against what the generated file implies, and
//! `caucus export members` for a branch and a CLP (watermark, scope, flags, audit).
use crate::support::*;
use caucus_app::clock::parse_date;
use caucus_domain::calendar::age_on;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

type Row = HashMap<String, String>;

/// The statuses of people who are still members, whose records the check and the lists cover.
const STILL_MEMBERS: [&str; 4] = ["provisional", "active", "in_arrears", "suspended"];
const REQUESTER: &str = "secretary@example.org";

fn numbers<'a>(rows: impl IntoIterator<Item = &'a Row>) -> BTreeSet<String> {
    rows.into_iter()
        .map(|r| r["membership_number"].clone())
        .collect()
}

/// The exceptions the check must find for a generated row, worked out from the file alone.
fn expected_kinds(r: &Row) -> BTreeSet<&'static str> {
    let today = parse_date(TODAY).unwrap();
    let age = age_on(parse_date(&r["date_of_birth"]).unwrap(), today);
    let mut kinds = BTreeSet::new();
    let wrong_rate = match r["rate"].as_str() {
        "youth" => !(14..=19).contains(&age),
        "young" => !(20..=26).contains(&age),
        // The register records no retired/unwaged or armed forces declaration to qualify them.
        "reduced" | "armed_forces" => true,
        "trade_union" => r["trade_union"].is_empty(),
        _ => false,
    };
    if wrong_rate {
        kinds.insert("wrong_rate");
    }
    let monthly = ["standard", "reduced", "trade_union", "young"].contains(&r["rate"].as_str());
    if monthly && r["payment_method"] != "direct_debit" {
        kinds.insert("not_direct_debit");
    }
    // The import records the source's word on registration as a verification on the import date.
    if r["registered_to_vote"] != "true" {
        kinds.insert("registration_unverified");
    }
    kinds
}

/// Reads an exported list: checks and returns the watermark line, then the rows.
fn read_list(path: &Path) -> (String, Vec<Row>) {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap().to_string();
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap();
    let headers = r.headers().unwrap().clone();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    (first, rows)
}

async fn export_events(url: &str) -> Vec<caucus_store::audit::Event> {
    let store = caucus_store::Store::connect(url).await.unwrap();
    let events = caucus_store::audit::list(&store, 0, 100_000).await.unwrap();
    store.close().await;
    events
        .into_iter()
        .filter(|e| e.action == "members.export")
        .collect()
}

/// Exports `unit` and checks what every list must show; returns the rows.
async fn export_and_check(
    url: &str,
    dir: &Path,
    unit: &str,
    file: &str,
    generated: &HashMap<String, &Row>,
) -> Vec<Row> {
    let path = dir.join(file);
    let before = export_events(url).await.len();
    ok(
        url,
        &[
            "export",
            "members",
            "--unit",
            unit,
            "--as",
            REQUESTER,
            "--out",
            path.to_str().unwrap(),
        ],
    );
    let (watermark, rows) = read_list(&path);
    assert!(
        watermark.starts_with(&format!("# Exported for {REQUESTER} at {TODAY}T")),
        "{watermark}"
    );
    assert!(watermark.contains(unit), "{watermark}");
    assert!(watermark.contains("data protection"), "{watermark}");

    let clp_list = unit.starts_with("pcon");
    for r in &rows {
        let source = generated[&r["membership_number"]];
        assert!(STILL_MEMBERS.contains(&source["status"].as_str()), "{r:?}");
        let flags = [&r["can_attend"], &r["can_vote"], &r["can_hold_office"]];
        match r["status"].as_str() {
            "suspended" => {
                assert_eq!(source["status"], "suspended");
                assert_eq!(flags, ["false", "false", "false"], "{r:?}");
                assert!(
                    r["reasons"].contains("(clause 6.I.suspension.meetings)"),
                    "{r:?}"
                );
            }
            "provisional" => {
                let attend = if clp_list { "false" } else { "true" };
                assert_eq!(flags, [attend, "false", "false"], "{r:?}");
                assert!(r["reasons"].contains("(clause 2.I.provisional)"), "{r:?}");
            }
            "active" => assert_eq!(flags, ["true", "true", "true"], "{r:?}"),
            "in_arrears" => assert_eq!(r["can_hold_office"], "false", "{r:?}"),
            other => panic!("a list shows {other}: {r:?}"),
        }
        // Recently joined members are provisional whatever the source said of them.
        let joined = parse_date(&source["joined_on"]).unwrap();
        if (parse_date(TODAY).unwrap() - joined).whole_days() < 56 {
            assert_eq!(r["status"], "provisional", "{r:?}");
        }
    }

    let events = export_events(url).await;
    assert_eq!(events.len(), before + 1);
    let e = events.last().unwrap();
    assert_eq!(e.actor, REQUESTER);
    assert_eq!(e.subject, unit);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        e.after_digest.as_deref(),
        Some(caucus_store::audit::digest(&bytes).as_str())
    );
    let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
    assert_eq!(detail["rows"], rows.len() as u64);
    rows
}

#[tokio::test]
async fn check_and_export_on_every_engine() {
    let lookup: HashMap<String, Row> = read_csv(&geo("postcodes_L_area.csv"))
        .into_iter()
        .map(|r| (r["postcode"].clone(), r))
        .collect();
    for db in caucus_testkit::databases().await {
        let url = db.url.as_str();
        let dir = if db.engine == "postgres" {
            tempfile::tempdir().unwrap().keep()
        } else {
            db.scratch()
        };
        with_l_area(url);
        let members = generate(&dir, 2_000, 0, 11);
        ok(url, &["import", "members", members.to_str().unwrap()]);
        let generated_rows = read_csv(&members);
        let generated: HashMap<String, &Row> = generated_rows
            .iter()
            .map(|r| (r["membership_number"].clone(), r))
            .collect();
        let current: Vec<&Row> = generated_rows
            .iter()
            .filter(|r| STILL_MEMBERS.contains(&r["status"].as_str()))
            .collect();

        // The check: exactly the exceptions the file implies, each under the member's CLP.
        let report = dir.join("check.csv");
        let out = ok(
            url,
            &["members", "check", "--report", report.to_str().unwrap()],
        );
        let found = read_csv(&report);
        let mut found_kinds: HashMap<String, BTreeSet<String>> = HashMap::new();
        for f in &found {
            found_kinds
                .entry(f["membership_number"].clone())
                .or_default()
                .insert(f["kind"].clone());
            let source = generated[&f["membership_number"]];
            let place = &lookup[&source["postcode"]];
            if place["pcon_2010set_code"].is_empty() {
                // A postcode without a constituency in the set: the member is listed unplaced.
                assert_eq!(f["clp_code"], "", "{}: {f:?}", db.engine);
                assert_eq!(f["region"], "", "{}: {f:?}", db.engine);
            } else {
                assert_eq!(
                    f["clp_code"],
                    format!("pcon2010:{}", place["pcon_2010set_code"]),
                    "{}: {f:?}",
                    db.engine
                );
                assert_eq!(f["clp_name"], place["pcon_2010set_name"]);
                assert!(!f["region"].is_empty(), "{f:?}");
            }
            assert!(f["clause"].starts_with("check."), "{f:?}");
        }
        for r in &current {
            let want: BTreeSet<String> = expected_kinds(r).iter().map(|k| k.to_string()).collect();
            let got = found_kinds
                .remove(&r["membership_number"])
                .unwrap_or_default();
            assert_eq!(got, want, "{}: {r:?}", db.engine);
        }
        assert!(
            found_kinds.is_empty(),
            "{}: members who are no longer members were checked: {:?}",
            db.engine,
            found_kinds.keys().collect::<Vec<_>>()
        );
        // The youth rate past the 19th birthday is reported with the rate's clause.
        let today = parse_date(TODAY).unwrap();
        let youth_over: BTreeSet<String> = numbers(current.iter().copied().filter(|r| {
            r["rate"] == "youth" && age_on(parse_date(&r["date_of_birth"]).unwrap(), today) > 19
        }));
        assert!(
            !youth_over.is_empty(),
            "the seed should give a youth member over 19"
        );
        for f in found
            .iter()
            .filter(|f| youth_over.contains(&f["membership_number"]))
        {
            if f["kind"] == "wrong_rate" {
                assert_eq!(f["clause"], "check.rate");
                assert!(
                    f["reason"].contains("the youth rate is for ages 14 to 19"),
                    "{f:?}"
                );
                assert!(f["reason"].ends_with("[clause rates.youth]"), "{f:?}");
            }
        }
        assert!(
            out.contains(&format!("checked {} members on {TODAY}", current.len())),
            "{}: {out}",
            db.engine
        );
        assert!(
            out.contains(&format!("{} exceptions\n", found.len())),
            "{}: {out}",
            db.engine
        );
        assert!(out.contains("Liverpool, Riverside"), "{out}");

        // A branch: a ward wholly inside one constituency (its branch is coded by the ward alone),
        // chosen as the one with the most current members.
        let mut ward_pcons: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for p in lookup.values() {
            ward_pcons
                .entry(p["ward_code"].as_str())
                .or_default()
                .insert(p["pcon_2010set_code"].as_str());
        }
        let mut per_ward: HashMap<&str, usize> = HashMap::new();
        for r in &current {
            let ward = lookup[&r["postcode"]]["ward_code"].as_str();
            if !ward.is_empty() && ward_pcons[ward].len() == 1 && !ward_pcons[ward].contains("") {
                *per_ward.entry(ward).or_default() += 1;
            }
        }
        let (ward, _) = per_ward.iter().max_by_key(|(w, n)| (**n, **w)).unwrap();
        let rows = export_and_check(url, &dir, ward, "branch.csv", &generated).await;
        let want = numbers(
            current
                .iter()
                .copied()
                .filter(|r| lookup[&r["postcode"]]["ward_code"] == *ward),
        );
        assert_eq!(numbers(&rows), want, "{}: the branch list", db.engine);
        assert!(rows.iter().all(|r| r["branch"] == *ward));

        // A CLP: every current member placed in the constituency, across its branches.
        let pcon = ward_pcons[ward].iter().next().unwrap().to_string();
        let clp = format!("pcon2010:{pcon}");
        let rows = export_and_check(url, &dir, &clp, "clp.csv", &generated).await;
        let want = numbers(
            current
                .iter()
                .copied()
                .filter(|r| lookup[&r["postcode"]]["pcon_2010set_code"] == pcon),
        );
        assert_eq!(numbers(&rows), want, "{}: the CLP list", db.engine);
        assert!(rows.iter().all(|r| r["clp"] == clp));
        assert!(rows.iter().any(|r| r["status"] == "provisional"));

        assert!(ok(url, &["audit", "verify"]).starts_with("audit chain intact"));

        // An unknown unit, or a requester who is not an email address, is a failure with one line.
        for (unit, who, says) in [
            ("E05999999", REQUESTER, "unit 'E05999999' not found"),
            (ward, "nobody", "is not an email address"),
        ] {
            let out_file = dir.join("refused.csv");
            let out = caucus(
                url,
                &[
                    "export",
                    "members",
                    "--unit",
                    unit,
                    "--as",
                    who,
                    "--out",
                    out_file.to_str().unwrap(),
                ],
            );
            assert_eq!(out.status.code(), Some(1), "{}", db.engine);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(says), "{err}");
            assert!(!out_file.exists());
        }
        assert_eq!(export_events(url).await.len(), 2, "{}", db.engine);
    }
}
