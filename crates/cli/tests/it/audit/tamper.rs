//! Tampering with the register behind caucus's back, on every engine, and `caucus audit verify`
//! finding it: the last events deleted with the head rewound to match (whole as a chain, but behind
//! the head witnessed in the operator's file), and a member row edited in the table (named by its
//! membership number, against the digest its latest audit event recorded). A register written only
//! through caucus, by every path that writes members, verifies.
use crate::support::*;
use caucus_app::register::members::{record_transition, TransitionRequest};
use caucus_app::{App, Clock};
use caucus_domain::access::allowed::{Allowed, Operator};
use caucus_domain::register::lifecycle::TransitionReason;
use caucus_domain::register::member::MemberStatus;
use caucus_domain::rulebook::Rulebook;
use caucus_store::Store;
use std::path::Path;
use std::process::Output;

async fn exec(url: &str, sql: &str) {
    let store = Store::connect(url).await.unwrap();
    caucus_store::on_writer!(&store, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(c)
        .await
        .map(|_| ()))
    .unwrap();
    store.close().await;
}

async fn head(url: &str) -> (i64, String) {
    let store = Store::connect(url).await.unwrap();
    let head = caucus_store::audit::head(&store).await.unwrap();
    store.close().await;
    head
}

/// `caucus --audit-witness FILE ARGS` (with `caucus`'s database and date).
fn witnessed(url: &str, witness: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--audit-witness", witness.to_str().unwrap()];
    all.extend_from_slice(args);
    caucus(url, &all)
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One boundary set of the L area, current.
fn with_pcon2024(url: &str) {
    let g = geo("postcodes_L_area.csv");
    ok(
        url,
        &[
            "import",
            "geography",
            g.to_str().unwrap(),
            "--set",
            "pcon2024",
            "--pcon-column",
            "pcon24cd",
        ],
    );
}

/// A members CSV of `rows` (number, given name, status), all joined in 2001 at one Liverpool
/// postcode and paid up.
fn members_csv(path: &Path, rows: &[(&str, &str, &str)]) {
    let mut text = caucus_app::register::member_import::COLUMNS.join(",");
    for (number, given, status) in rows {
        text.push_str(&format!(
            "\n{number},{given},Cole,ada@example.org,,1970-01-01,1 Dale Street,,Liverpool,L1 0AA,\
             2001-03-05,{status},standard,direct_debit,2027-09-30,true,"
        ));
    }
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn a_chain_cut_short_with_its_head_rewound_fails_verify_against_the_witness_on_every_engine()
{
    for db in caucus_testkit::databases().await {
        let url = db.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        let witness = dir.path().join("audit-witness");
        with_pcon2024(url);
        let members = dir.path().join("members.csv");
        members_csv(&members, &[("A1", "Ada", "active"), ("B2", "Bo", "active")]);
        succeeded(&witnessed(
            url,
            &witness,
            &["import", "members", members.to_str().unwrap()],
        ));
        let (kept, _) = head(url).await;
        for (email, role) in [("a@example.org", "auditor"), ("b@example.org", "admin")] {
            succeeded(&witnessed(
                url,
                &witness,
                &["user", "add", "--email", email, "--role", role],
            ));
        }
        let (last, last_hash) = head(url).await;
        assert!(last > kept, "{}", db.engine);
        // Each command left its last head in the file.
        let lines = std::fs::read_to_string(&witness).unwrap();
        assert!(
            lines
                .trim_end()
                .ends_with(&format!("seq={last} hash={last_hash}")),
            "{}: {lines}",
            db.engine
        );
        let intact = succeeded(&witnessed(url, &witness, &["audit", "verify"]));
        assert!(
            intact.starts_with(&format!("audit chain intact: {last} events, agreeing with")),
            "{intact}"
        );
        // Verifying writes nothing to the witness.
        assert_eq!(std::fs::read_to_string(&witness).unwrap(), lines);

        // The accounts' events deleted, and the head set back to the last event left.
        exec(url, &format!("DELETE FROM audit_events WHERE seq > {kept}")).await;
        exec(
            url,
            &format!(
                "UPDATE audit_head SET seq = {kept}, hash = (SELECT hash FROM audit_events WHERE seq = {kept})"
            ),
        )
        .await;
        // Whole as a chain: without the witness nothing shows ...
        let blind = ok(url, &["audit", "verify"]);
        assert!(
            blind.starts_with(&format!("audit chain intact: {kept} events")),
            "{}: {blind}",
            db.engine
        );
        // ... with it, the cut does.
        let err = failed(&witnessed(url, &witness, &["audit", "verify"]));
        assert!(
            err.contains(&format!(
                "audit chain broken at event {}: the chain ends at event {kept}, but event {last} was witnessed",
                kept + 1
            )) && err.contains("events were deleted from the end"),
            "{}: {err}",
            db.engine
        );
        // The same from the environment, as a service would set it.
        let out = std::process::Command::new(bin())
            .args(["--db", url, "--today", TODAY, "audit", "verify"])
            .env("CAUCUS_AUDIT_WITNESS", &witness)
            .env_remove("CAUCUS_DATABASE_URL")
            .output()
            .unwrap();
        assert!(failed(&out).contains("was witnessed"), "{}", db.engine);
        // A witness file that has gone is itself a failure, not a pass.
        let gone = dir.path().join("no-such-witness");
        let err = failed(&witnessed(url, &gone, &["audit", "verify"]));
        assert!(err.contains("cannot read the audit witness"), "{err}");
    }
}

#[tokio::test]
async fn a_member_row_edited_in_the_table_fails_verify_naming_the_member_on_every_engine() {
    for db in caucus_testkit::databases().await {
        let url = db.url.as_str();
        let dir = tempfile::tempdir().unwrap();
        with_pcon2024(url);
        let file = dir.path().join("members.csv");
        members_csv(
            &file,
            &[
                ("A1", "Ada", "active"),
                ("B2", "Bo", "active"),
                ("C3", "Cy", "active"),
            ],
        );
        ok(url, &["import", "members", file.to_str().unwrap()]);
        // Every path that writes a member row records its digest: an import's update, a change of
        // status and a reallocation (which writes placements only) leave a register that verifies.
        members_csv(
            &file,
            &[
                ("A1", "Ada", "active"),
                ("B2", "Bob", "active"),
                ("C3", "Cy", "resigned"),
                ("D4", "Di", "active"),
            ],
        );
        let out = ok(url, &["import", "members", file.to_str().unwrap()]);
        assert_eq!(
            out.trim(),
            "imported 1, updated 2, rejected 0",
            "{}",
            db.engine
        );
        let app = App::new(
            Store::open(url).await.unwrap(),
            Rulebook::shipped().unwrap(),
            Clock::Today(caucus_app::clock::parse_date(TODAY).unwrap()),
        );
        record_transition(
            &app,
            &Allowed::operator(&Operator::at_the_command_line("test")),
            "test",
            &TransitionRequest {
                membership_number: "A1".into(),
                to: MemberStatus::Suspended,
                reason: TransitionReason::parse("complaint_suspension").unwrap(),
                effective_on: None,
                expected_version: None,
                nec_decision: false,
            },
        )
        .await
        .unwrap();
        app.store.close().await;
        let untouched = ok(url, &["audit", "verify"]);
        assert!(
            untouched.starts_with("audit chain intact")
                && untouched.contains("every member row matches the digest"),
            "{}: {untouched}",
            db.engine
        );

        exec(
            url,
            "UPDATE members SET given_name = 'Mallory' WHERE membership_number = 'B2'",
        )
        .await;
        let err = failed(&caucus(url, &["audit", "verify"]));
        assert!(
            err.contains("member B2's row does not match the digest event")
                && err.contains("the members table was edited outside caucus"),
            "{}: {err}",
            db.engine
        );
        assert!(!err.contains("A1") && !err.contains("C3"), "{err}");
        // Put back as it was, the row matches again.
        exec(
            url,
            "UPDATE members SET given_name = 'Bob' WHERE membership_number = 'B2'",
        )
        .await;
        assert!(ok(url, &["audit", "verify"]).starts_with("audit chain intact"));
        // A member the table gained beside caucus has no digest at all.
        exec(
            url,
            "INSERT INTO members (membership_number, given_name, family_name, postcode, joined_on, \
             continuous_since, rate, payment_method, registered_to_vote, status, row_digest) VALUES \
             ('Z9', 'Eve', 'Nobody', 'L1 0AA', '2020-01-01', '2020-01-01', 'standard', 'card', TRUE, \
             'active', 'x')",
        )
        .await;
        let err = failed(&caucus(url, &["audit", "verify"]));
        assert!(
            err.contains("member Z9 has no digest in the audit log"),
            "{}: {err}",
            db.engine
        );
    }
}
