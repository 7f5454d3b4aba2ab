//! A Labour group run for real over HTTP on every engine: the group is read from the register (its
//! councillors' seats), an LGC secretary opens a group leader election from the group's page, the
//! councillors vote, and publishing the result appoints the winner for four years under the
//! strong-leader model (with no set end without it), ending the previous leader's term; a recall
//! petition opened from the group's page takes the group from the register and triggers at
//! two-thirds of it.
use crate::ballots::{Browser, Journey};
use crate::support::{ok, TODAY};
use crate::web::PASSWORD;
use caucus_app::access::accounts::{actor, add_user, AddUser};
use caucus_app::offices::groups::{self, group_code};
use caucus_app::offices::{appoint, Appointment};
use caucus_app::{ballots, offices::recalls, AppError};
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::{Actor, Grant, Role};
use caucus_domain::offices::{Gender, OfficeKind};
use caucus_store::offices::held_on;
use caucus_store::{audit, register::members};
use reqwest::StatusCode;
use time::macros::date;
use time::Date;

const LIVERPOOL: &str = "E08000012";
const SEATED_ON: Date = date!(2023 - 05 - 05);

fn member_actor(member_id: i64) -> Actor {
    Actor {
        account_id: 0,
        member_id: Some(member_id),
        grants: Vec::<Grant>::new(),
    }
}

async fn member_id(j: &Journey, number: &str) -> i64 {
    members::by_number(&j.app.store, number)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Liverpool's Labour group with `n` councillors seated since May 2023 (active members living in
/// the city, in register order) and one former councillor whose seat ended in 2025; the seated
/// councillors' numbers and the former one's.
async fn group_of(j: &Journey, n: usize, strong: bool) -> (String, Vec<String>, String) {
    let unit = groups::set_up_group(
        &j.app,
        &Operator::at_the_command_line("test"),
        LIVERPOOL,
        "Liverpool Labour group",
        strong,
    )
    .await
    .unwrap();
    let living = members::page_in_local_authority(&j.app.store, LIVERPOOL, 0, 1000)
        .await
        .unwrap();
    let mut seated = Vec::new();
    let mut former = None;
    for m in living.iter().filter(|m| m.row.status == "active") {
        let number = m.row.membership_number.clone();
        let until = if former.is_none() && seated.len() == n {
            Some(date!(2025 - 01 - 01))
        } else {
            None
        };
        let done = appoint(
            &j.app,
            &Operator::at_the_command_line("test"),
            &Appointment {
                unit_code: unit.code.clone(),
                membership_number: number.clone(),
                office: OfficeKind::Councillor,
                from: SEATED_ON,
                until,
                gender: Gender::NotGiven,
                appointed_by: "test".into(),
            },
        )
        .await;
        match done {
            Ok(_) if until.is_some() => former = Some(number),
            Ok(_) => seated.push(number),
            Err(AppError::RuleRefused(_)) => continue,
            Err(e) => panic!("{e}"),
        }
        if former.is_some() {
            break;
        }
    }
    assert_eq!(seated.len(), n, "too few active members in Liverpool");
    (unit.code, seated, former.unwrap())
}

/// An LGC secretary over Liverpool, who runs the council's ballots, logged in through the form.
async fn lgc_secretary(j: &Journey) -> (Browser, Actor) {
    let added = add_user(
        &j.app,
        &Operator::at_the_command_line("test"),
        &AddUser {
            email: "lgc@test.invalid".into(),
            role: Role::LgcSecretary,
            unit_code: Some(LIVERPOOL.into()),
            password: Some(PASSWORD.into()),
            member_number: None,
            valid_from: None,
            valid_until: None,
        },
    )
    .await
    .unwrap();
    let browser = j
        .log_in("lgc@test.invalid", added.totp_secret.as_deref())
        .await;
    (browser, actor(&j.app, added.account_id).await.unwrap().1)
}

/// The leader's term held in the group on a day: (membership number, from, until).
async fn leader_on(j: &Journey, code: &str, on: Date) -> Option<(String, Date, Option<Date>)> {
    let unit = groups::find_group(&j.app, code).await.unwrap();
    held_on(&j.app.store, unit.id, on)
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.row.office == "group_leader")
        .map(|h| (h.membership_number, h.row.held_from, h.row.held_until))
}

/// Creates a group leader election through the form, freezes its roll, has the councillors vote
/// (the first voter through the form) and closes and counts it; its id.
async fn run_election(
    j: &Journey,
    officer: &Browser,
    code: &str,
    candidates: &[&str],
    votes: &[(&str, usize)],
) -> i64 {
    let (status, location) = j
        .post(
            officer,
            "/ballots/new",
            &[
                ("unit", code),
                ("title", "Group leader 2026"),
                ("kind", "group_leader"),
                ("method", "irv"),
                ("seats", "1"),
                ("candidates", &candidates.join("\n")),
                ("freeze_on", TODAY),
                ("opens_at", &format!("{TODAY}T00:00")),
                ("closes_at", "2026-11-23T00:00"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let id: i64 = location.strip_prefix("/ballots/").unwrap().parse().unwrap();
    let (status, _) = j.post(officer, &format!("/ballots/{id}/freeze"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for (i, (voter, choice)) in votes.iter().enumerate() {
        if i == 0 {
            let b = j.log_in(&j.member_login(voter).await, None).await;
            let rank = (choice + 1).to_string();
            let (status, html) = j.vote(&b, id, &[&rank]).await;
            assert_eq!(status, StatusCode::OK, "{html}");
        } else {
            ballots::cast(
                &j.app,
                &member_actor(member_id(j, voter).await),
                id,
                &[*choice],
            )
            .await
            .unwrap();
        }
    }
    let (status, _) = j.post(officer, &format!("/ballots/{id}/close"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_leader_election_appoints_the_winner_for_the_term_the_council_model_sets_on_every_engine(
) {
    for db in caucus_testkit::databases().await {
        let j = Journey::start(&db.url).await;
        let (code, c, former) = group_of(&j, 6, true).await;
        assert_eq!(code, group_code(LIVERPOOL));
        groups::record_leader(
            &j.app,
            &Operator::at_the_command_line("test"),
            &code,
            &c[0],
            date!(2023 - 05 - 22),
        )
        .await
        .unwrap();
        groups::appoint_group_officer(
            &j.app,
            &Operator::at_the_command_line("test"),
            &code,
            &c[5],
            OfficeKind::ChiefWhip,
            date!(2023 - 05 - 22),
        )
        .await
        .unwrap();
        let (officer, _) = lgc_secretary(&j).await;

        // The group's page: the sitting leader's term, why, the whip, the councillors and the forms.
        let (status, html) = j.page(&officer, &format!("/units/{code}")).await;
        assert_eq!(status, StatusCode::OK, "{}: {html}", db.engine);
        assert!(
            html.contains("2027-05-22")
                && html.contains("(clause 13.leader)")
                && html.contains("Councillors (6)")
                && html.contains(&c[5])
                && html.contains("kind=group_leader")
                && html.contains("action=\"/recalls/new\""),
            "{html}"
        );
        let (_, form) = j
            .page(
                &officer,
                &format!("/ballots/new?unit={code}&kind=group_leader"),
            )
            .await;
        assert!(
            form.contains("value=\"group_leader\" selected")
                && form.contains("value=\"irv\" selected"),
            "{form}"
        );

        // Candidates are councillors of the group on the freeze date; a former one is refused.
        let (status, html) = j
            .post(
                &officer,
                "/ballots/new",
                &[
                    ("unit", code.as_str()),
                    ("title", "Group leader 2026"),
                    ("kind", "group_leader"),
                    ("method", "irv"),
                    ("seats", "1"),
                    ("candidates", &format!("{}\n{former}", c[1])),
                    ("freeze_on", TODAY),
                    ("opens_at", &format!("{TODAY}T00:00")),
                    ("closes_at", "2026-11-23T00:00"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            html.contains("is not a councillor in Liverpool Labour group"),
            "{html}"
        );

        // The electorate is the group at the freeze date; the former councillor is left off, with why.
        let id = run_election(
            &j,
            &officer,
            &code,
            &[&c[1], &c[2]],
            &[(&c[3], 1), (&c[0], 1), (&c[4], 1), (&c[1], 0)],
        )
        .await;
        let (_, roll) = j.page(&officer, &format!("/ballots/{id}/roll")).await;
        assert!(
            roll.contains(&format!(
                "not eligible: not a councillor in Liverpool Labour group at the freeze date {TODAY}"
            )) && roll.contains("ballot.group_leader"),
            "{roll}"
        );
        let standing = ballots::standing(&j.app, &member_actor(member_id(&j, &former).await), id)
            .await
            .unwrap()
            .unwrap();
        let line = standing
            .on_roll
            .expect("the former councillor is judged on the roll");
        assert!(!line.allowed && !standing.voted, "{line:?}");

        // Publishing appoints the winner from today for four years and ends the previous term.
        let (status, _) = j
            .post(&officer, &format!("/ballots/{id}/publish"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", db.engine);
        let today = date!(2026 - 11 - 22);
        assert_eq!(
            leader_on(&j, &code, today).await,
            Some((c[2].clone(), today, Some(date!(2030 - 11 - 22))))
        );
        assert_eq!(
            leader_on(&j, &code, date!(2026 - 11 - 21)).await,
            Some((c[0].clone(), date!(2023 - 05 - 22), Some(today)))
        );
        let (_, html) = j.page(&officer, &format!("/units/{code}")).await;
        assert!(
            html.contains(&c[2])
                && html.contains(
                    "a 4-year term under the strong-leader model, from 2026-11-22 until 2030-11-22"
                ),
            "{html}"
        );
        let events = audit::list(&j.app.store, 0, 10_000).await.unwrap();
        let appointed = events
            .iter()
            .filter(|e| {
                e.action == "office.appoint"
                    && e.subject == format!("member:{}", c[2])
                    && e.detail.contains("\"office\":\"group_leader\"")
            })
            .collect::<Vec<_>>();
        assert_eq!(appointed.len(), 1);
        assert!(
            appointed[0].detail.contains(&format!("\"ballot\":{id}"))
                && appointed[0].detail.contains(&c[0]),
            "{}",
            appointed[0].detail
        );

        // Without the strong-leader model the next leader, taking office on a given day, has no set
        // end; the sitting leader's four-year term ends that day.
        groups::set_up_group(
            &j.app,
            &Operator::at_the_command_line("test"),
            LIVERPOOL,
            "Liverpool Labour group",
            false,
        )
        .await
        .unwrap();
        let id = run_election(
            &j,
            &officer,
            &code,
            &[&c[2], &c[4]],
            &[(&c[0], 1), (&c[1], 1), (&c[3], 0)],
        )
        .await;
        let (status, html) = j
            .post(
                &officer,
                &format!("/ballots/{id}/publish"),
                &[("takes_office_on", "2026-11-01")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains("before the result is published"), "{html}");
        let (status, html) = j
            .post(
                &officer,
                &format!("/ballots/{id}/publish"),
                &[("takes_office_on", "2026-11-23")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        let first = date!(2026 - 11 - 23);
        assert_eq!(
            leader_on(&j, &code, first).await,
            Some((c[4].clone(), first, None))
        );
        assert_eq!(
            leader_on(&j, &code, today).await,
            Some((c[2].clone(), today, Some(first)))
        );
        let unit = groups::find_group(&j.app, &code).await.unwrap();
        let later = groups::view(&j.app, &unit, first).await.unwrap();
        assert!(later.leader_term.unwrap().message.starts_with("no set end"));
        ok(&db.url, &["audit", "verify"]);
        j.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recall_petition_takes_the_group_from_the_register_and_triggers_at_two_thirds_on_every_engine(
) {
    for db in caucus_testkit::databases().await {
        let j = Journey::start(&db.url).await;
        let (code, c, former) = group_of(&j, 6, true).await;
        let (officer, lgc) = lgc_secretary(&j).await;

        // A group without a leader has no one to recall.
        match recalls::open(&j.app, &lgc, &code).await {
            Err(AppError::Invalid(m)) => assert!(m.contains("has no leader"), "{m}"),
            other => panic!("{}: opened without a leader: {other:?}", db.engine),
        }
        groups::record_leader(
            &j.app,
            &Operator::at_the_command_line("test"),
            &code,
            &c[0],
            date!(2023 - 05 - 22),
        )
        .await
        .unwrap();

        // The CLP secretary does not run the council's ballots; the LGC secretary opens it from
        // the group's page with nothing typed but the group.
        let clp_officer = j.officer().await;
        let (status, _) = j
            .post(&clp_officer, "/recalls/new", &[("unit", code.as_str())])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", db.engine);
        let (status, location) = j
            .post(&officer, "/recalls/new", &[("unit", code.as_str())])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: {location}", db.engine);
        let id: i64 = location.strip_prefix("/recalls/").unwrap().parse().unwrap();
        let state = recalls::state(&j.app, &lgc, id).await.unwrap();
        assert_eq!(
            (state.group_size, state.leader.as_str()),
            (6, c[0].as_str())
        );
        // It names its signatories, so reading it is logged.
        let reads =
            caucus_store::access::accounts::access_log_for(&j.app.store, &format!("recall:{id}"))
                .await
                .unwrap();
        assert_eq!(
            reads,
            vec![(
                format!("account:{}", lgc.account_id),
                "read_recall_petition".to_string()
            )],
            "{}",
            db.engine
        );

        // A councillor signs through the page; a former councillor cannot sign.
        let signer = j.log_in(&j.member_login(&c[1]).await, None).await;
        let (_, html) = j.page(&signer, &format!("/recalls/{id}")).await;
        assert!(html.contains("Sign the petition"), "{html}");
        let (status, _) = j.post(&signer, &format!("/recalls/{id}/sign"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        // Outside the group, a member with no role may not even read the petition (it names its
        // signatories); the officer who may read it, acting as that member, is refused by the rule.
        let former_id = member_id(&j, &former).await;
        match recalls::sign(&j.app, &member_actor(former_id), id).await {
            Err(AppError::Forbidden(_)) => {}
            other => panic!("{}: a former councillor signed: {other:?}", db.engine),
        }
        let reader_outside = Actor {
            member_id: Some(former_id),
            ..lgc.clone()
        };
        match recalls::sign(&j.app, &reader_outside, id).await {
            Err(AppError::RuleRefused(d)) => assert_eq!(d.reasons[0].clause, "13.leader"),
            other => panic!("{}: a former councillor signed: {other:?}", db.engine),
        }

        // Three of six is short of two-thirds; the fourth signature triggers the recall.
        for n in &c[2..4] {
            let d = recalls::sign(&j.app, &member_actor(member_id(&j, n).await), id)
                .await
                .unwrap();
            assert!(!d.allowed);
        }
        let d = recalls::state(&j.app, &lgc, id).await.unwrap().decision;
        assert_eq!(
            d.reasons[0].message,
            "3 of 6 councillors signed; a recall needs 2/3 of the group (4)"
        );
        let d = recalls::sign(&j.app, &member_actor(member_id(&j, &c[4]).await), id)
            .await
            .unwrap();
        assert!(d.allowed, "{d:?}");
        let state = recalls::state(&j.app, &lgc, id).await.unwrap();
        assert_eq!(state.row.triggered_on, Some(j.app.clock.today()));
        let (_, html) = j.page(&signer, &format!("/recalls/{id}")).await;
        assert!(
            html.contains("triggered on 2026-11-22") && html.contains("4 of 6"),
            "{html}"
        );
        ok(&db.url, &["audit", "verify"]);
        j.stop().await;
    }
}
