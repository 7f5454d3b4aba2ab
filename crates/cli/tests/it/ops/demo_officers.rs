//! The demo's officers: every CLP and branch of the current set with members gets its officers,
//! appointed under the rules and audited; the units meet the gender rules, but for the CLP the
//! demo leaves short of women on purpose and says so, and small units without enough active women
//! (many at 2,000 members; a handful at the default 20,000).
use caucus_app::offices::compliance;
use caucus_store::{audit, organisation::geography, organisation::units};
use std::process::Command;

use crate::ops::mail::app;
use crate::support::{bin, TODAY};

#[tokio::test]
async fn the_demo_appoints_officers_who_meet_the_gender_rules_but_in_the_clp_left_short() {
    let dir = tempfile::tempdir().unwrap();
    // With no database chosen the demo builds caucus-demo.db here, afresh: a log file left by an
    // earlier demo goes with it.
    let url = format!("sqlite://{}", dir.path().join("caucus-demo.db").display());
    let stale_log = dir.path().join("caucus-demo.db-access-log");
    std::fs::write(&stale_log, "an earlier demo's access log").unwrap();
    let out = Command::new(bin())
        .args(["--today", TODAY, "demo", "--members", "2000", "--no-serve"])
        .env_remove("CAUCUS_CONFIG")
        .env_remove("CAUCUS_DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !std::fs::read(&stale_log)
            .unwrap()
            .starts_with(b"an earlier demo"),
        "the earlier demo's access log was kept"
    );
    let short = printed
        .lines()
        .find(|l| l.contains("left short of women on purpose"))
        .unwrap_or_else(|| panic!("the demo does not say which CLP is short:\n{printed}"));
    let code = short
        .split_once(" (")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(code, _)| code.to_string())
        .unwrap();
    assert!(short.contains("at least 3 must be"), "{short}");

    // A database already holding a register is never built over, whichever flag chose it; the
    // log lines on stderr carry no colour codes when it is not a terminal.
    let again = Command::new(bin())
        .args(["--db", &url, "--today", TODAY, "demo", "--no-serve"])
        .env_remove("CAUCUS_CONFIG")
        .env("CAUCUS_LOG", "debug")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(err.contains("already holds a register"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in a log written to a pipe: {err:?}"
    );

    let app = app(&url).await;
    let on = app.clock.today();
    let set = geography::current_set(&app.store).await.unwrap().unwrap();
    let (mut passing, mut failing, mut appointed) = (Vec::new(), Vec::new(), 0);
    let mut officered = Vec::new();
    for kind in ["clp", "branch"] {
        for unit in units::list(&app.store, Some(kind), 0, 10_000)
            .await
            .unwrap()
        {
            if unit.boundary_set != set {
                continue;
            }
            let c = compliance(&app, &unit.code, on).await.unwrap();
            if c.officers.is_empty() {
                continue;
            }
            appointed += c.officers.len();
            officered.push(unit.code.clone());
            if c.gender.unwrap().allowed {
                passing.push(unit.code);
            } else {
                // Short of women only on purpose, or for want of active women to appoint (so the
                // women's officer is vacant).
                assert!(
                    unit.code == code
                        || c.officers.iter().all(|o| o.row.office != "womens_officer"),
                    "{} fails the gender rule with {:?}",
                    unit.code,
                    c.officers
                );
                failing.push(unit.code);
            }
        }
    }
    assert!(failing.contains(&code), "{failing:?}");
    assert!(
        passing.len() >= 4 * failing.len(),
        "most units pass: {} pass, {failing:?} fail",
        passing.len()
    );
    // One audit event per officer of these units (the Labour group's seats are audited apart).
    let log = audit::list(&app.store, 0, 100_000).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "office.appoint"
                && e.unit.as_ref().is_some_and(|u| officered.contains(u)))
            .count(),
        appointed
    );
    assert!(matches!(
        audit::verify(&app.store).await.unwrap(),
        audit::Verification::Intact { .. }
    ));
    app.store.close().await;
}
