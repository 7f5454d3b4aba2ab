//! Reading a member's history back into the domain's terms, and the one write path for a change of
//! status: the rules decide (with reasons), the record is updated only if the caller saw its latest
//! version, and the transition and its audit event are written in the same transaction.
use crate::register::member_history::RecordDates;
use crate::{App, AppError, Result};
use caucus_domain::access::allowed::Allowed;
use caucus_domain::register::lifecycle::{TransitionFacts, TransitionReason};
use caucus_domain::register::member::MemberStatus;
use caucus_domain::register::status::{self, MemberHistory};
use caucus_store::audit::member_digests;
use caucus_store::audit::{self, NewEvent};
use caucus_store::register::members::{self, Member, StatusRow};
use time::Date;

/// The domain's view of a member: their recorded transitions and dates.
pub async fn history(app: &App, member: &Member) -> Result<MemberHistory> {
    let rows = members::status_history(&app.store, member.id).await?;
    history_from(member, &rows)
}

/// Builds the domain's history from a stored record and its transitions (in effective order).
pub fn history_from(member: &Member, rows: &[StatusRow]) -> Result<MemberHistory> {
    let dates = RecordDates {
        joined_on: member.row.joined_on,
        continuous_since: member.row.continuous_since,
        paid_up_until: member.row.paid_up_until,
    };
    crate::register::member_history::history(&member.row.membership_number, dates, rows)
}

/// A requested change of status.
#[derive(Debug, Clone)]
pub struct TransitionRequest {
    pub membership_number: String,
    pub to: MemberStatus,
    pub reason: TransitionReason,
    /// Defaults to today.
    pub effective_on: Option<Date>,
    /// The version the caller last saw (the API's `If-Match`); `None` takes the current one.
    pub expected_version: Option<i64>,
    /// A recorded NEC decision authorises it (readmission, an appeal).
    pub nec_decision: bool,
}

/// Records a change of status for `actor`, as `allowed` (the policy's decision for an account, or
/// an operator's command). Refused with the rules' reasons (`RuleRefused`), or as stale (`Stale`)
/// when the member changed since the caller's version.
pub async fn record_transition(
    app: &App,
    allowed: &Allowed,
    actor: &str,
    req: &TransitionRequest,
) -> Result<Member> {
    let member = members::by_number(&app.store, &req.membership_number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {}", req.membership_number)))?;
    let expected = req.expected_version.unwrap_or(member.version);
    if expected != member.version {
        return Err(AppError::Stale {
            expected,
            found: member.version,
        });
    }
    let on = req.effective_on.unwrap_or_else(|| app.clock.today());
    let hist = history(app, &member).await?;
    let facts = TransitionFacts {
        status_since: status::status_on(&hist, on, &app.rules).map(|s| s.since),
        nec_decision: req.nec_decision,
        ..Default::default()
    };
    let decision = status::check_change(&hist, req.to, req.reason, on, facts, &app.rules);
    if !decision.allowed {
        return Err(AppError::RuleRefused(decision));
    }
    // The event records the row before and as written (`MemberRow::audit_digest`), and stores the
    // latter beside it for `caucus audit verify` (`member_digests`).
    let before = member.row.audit_digest();
    let mut written = member.row.clone();
    written.status = req.to.as_str().to_string();
    let mut tx = app.store.begin().await?;
    members::set_status(&mut tx, member.id, req.to.as_str(), expected)
        .await
        .map_err(AppError::from_store)?;
    let pending = audit::reserve(&mut tx, allowed).await?;
    let after = member_digests::record(
        &mut tx,
        pending.seq,
        vec![(member.id, written.audit_digest())],
    )
    .await?;
    members::insert_status_history(
        &mut tx,
        &[StatusRow {
            member_id: member.id,
            effective_on: on,
            status: req.to.as_str().to_string(),
            reason_code: req.reason.as_str().to_string(),
            actor: actor.to_string(),
            audit_seq: pending.seq,
        }],
    )
    .await?;
    pending
        .write(
            &mut tx,
            NewEvent {
                occurred_at: app.clock.stamp(),
                actor: actor.to_string(),
                action: "member.transition".into(),
                subject: format!("member:{}", member.row.membership_number),
                unit: None,
                before: Some(before),
                after: Some(after),
                detail: serde_json::json!({
                    "from": member.row.status, "to": req.to.as_str(), "reason": req.reason.as_str(),
                    "effective_on": on.to_string(),
                    "clauses": decision.reasons.iter().map(|r| r.clause.clone()).collect::<Vec<_>>(),
                    member_digests::DETAIL_KEY: 1,
                }),
            },
        )
        .await?;
    tx.commit().await?;
    members::by_number(&app.store, &req.membership_number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {}", req.membership_number)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::organisation::geography_import::{import_geography, GeographyOptions};
    use crate::register::member_import::{import_members, ImportOptions};
    use crate::{Clock, NoProgress};
    use caucus_domain::access::allowed::Operator;
    use caucus_domain::rulebook::Rulebook;
    use caucus_store::Store;

    pub(crate) fn op() -> Operator {
        Operator::at_the_command_line(crate::CLI_ACTOR)
    }
    use time::macros::date;

    pub(crate) async fn register(url: &str, dir: &std::path::Path) -> App {
        let store = Store::open(url).await.unwrap();
        let app = App::new(
            store,
            Rulebook::shipped().unwrap(),
            Clock::Today(date!(2026 - 11 - 22)),
        );
        let geo = caucus_testkit::shared_data().join("geo/postcodes_liverpool_sample.csv");
        let opts = GeographyOptions {
            set: "pcon2024".into(),
            pcon_column: Some("pcon24cd".into()),
            ..Default::default()
        };
        import_geography(&app, &op(), &geo, &opts, &NoProgress)
            .await
            .unwrap();
        let csv = dir.join("members.csv");
        std::fs::write(
            &csv,
            "membership_number,given_name,family_name,email,phone,date_of_birth,address_line1,address_line2,town,\
             postcode,joined_on,status,rate,payment_method,paid_up_until,registered_to_vote,trade_union\n\
             A1,Ann,Active,,,1980-01-01,,,,L1 0AA,2015-03-01,active,standard,direct_debit,2027-01-01,true,\n\
             L1,Len,Lapsed,,,1970-01-01,,,,L1 0AB,2010-03-01,lapsed,standard,direct_debit,2019-01-01,true,\n",
        )
        .unwrap();
        let s = import_members(&app, &op(), &csv, &ImportOptions::default(), &NoProgress)
            .await
            .unwrap();
        assert_eq!((s.imported, s.rejected), (2, 0));
        app
    }

    fn request(
        number: &str,
        to: MemberStatus,
        reason: TransitionReason,
        version: Option<i64>,
    ) -> TransitionRequest {
        TransitionRequest {
            membership_number: number.into(),
            to,
            reason,
            effective_on: None,
            expected_version: version,
            nec_decision: false,
        }
    }

    #[tokio::test]
    async fn a_suspension_is_recorded_audited_and_a_stale_second_edit_is_refused() {
        for db in caucus_testkit::databases().await {
            let dir = tempfile_dir();
            let app = register(&db.url, &dir).await;
            let before = members::by_number(&app.store, "A1").await.unwrap().unwrap();
            let req = request(
                "A1",
                MemberStatus::Suspended,
                TransitionReason::ComplaintSuspension,
                Some(before.version),
            );
            let after =
                record_transition(&app, &Allowed::operator(&op()), "staff@example.org", &req)
                    .await
                    .unwrap();
            assert_eq!(
                (after.row.status.as_str(), after.version),
                ("suspended", before.version + 1),
                "{}",
                db.engine
            );
            let hist = history(&app, &after).await.unwrap();
            let now = status::status_on(&hist, date!(2026 - 11 - 22), &app.rules).unwrap();
            assert_eq!(now.status, MemberStatus::Suspended);

            // A second editor who read the record before the suspension loses, with a conflict.
            let lifted = request(
                "A1",
                MemberStatus::Active,
                TransitionReason::SuspensionLifted,
                Some(before.version),
            );
            match record_transition(
                &app,
                &Allowed::operator(&op()),
                "other@example.org",
                &lifted,
            )
            .await
            {
                Err(AppError::Stale { expected, found }) => {
                    assert_eq!((expected, found), (before.version, after.version))
                }
                other => panic!("{}: expected a stale refusal, got {other:?}", db.engine),
            }
            let events = caucus_store::audit::list(&app.store, 0, 1000)
                .await
                .unwrap();
            assert_eq!(
                events
                    .iter()
                    .filter(|e| e.action == "member.transition")
                    .count(),
                1
            );
            assert!(matches!(
                caucus_store::audit::verify(&app.store).await.unwrap(),
                caucus_store::audit::Verification::Intact { .. }
            ));
            app.store.close().await;
        }
    }

    #[tokio::test]
    async fn the_rules_refuse_an_impossible_change_with_their_reasons() {
        let db = caucus_testkit::TestDb::sqlite();
        let app = register(&db.url, &db.scratch()).await;
        let req = request(
            "L1",
            MemberStatus::Suspended,
            TransitionReason::ComplaintSuspension,
            None,
        );
        match record_transition(&app, &Allowed::operator(&op()), "staff@example.org", &req).await {
            Err(AppError::RuleRefused(d)) => {
                assert!(!d.allowed);
                assert!(
                    !d.reasons.is_empty() && d.reasons.iter().all(|r| !r.clause.is_empty()),
                    "{d:?}"
                );
            }
            other => panic!("expected the rules to refuse, got {other:?}"),
        }
        let unchanged = members::by_number(&app.store, "L1").await.unwrap().unwrap();
        assert_eq!(unchanged.row.status, "lapsed");
    }

    pub(crate) fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("caucus-app-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
