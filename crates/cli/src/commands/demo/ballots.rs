//! The demo's ballot: an election of two CLP officers by Scottish STV in the CLP of the demo logins,
//! its roll frozen today, open for a fortnight, so the member login can vote and the CLP secretary
//! login can see the roll with its exclusions, close, count and publish. Deterministic but for the
//! receipt codes, which are random by design.
use anyhow::Context as _;
use caucus_app::access::accounts::{actor, add_user, AddUser};
use caucus_app::ballots::{self, NewBallotRequest};
use caucus_app::clock::midnight;
use caucus_app::App;
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::Role;
use caucus_domain::ballots::spec::{BallotSpec, CountingMethod};
use caucus_domain::ballots::BallotType;
use caucus_store::access::accounts as account_store;
use time::Duration;

/// What the demo prints about its ballot.
pub struct DemoBallot {
    pub id: i64,
    pub title: String,
    pub included: usize,
    pub excluded: usize,
    /// The member login's place on the roll, in words.
    pub member_standing: String,
    /// A login for a member left off the roll, and why.
    pub excluded_login: Option<(String, String, String)>,
}

/// Creates and freezes the ballot as the CLP secretary login (`secretary_email`) over `clp_code`.
pub async fn open(
    app: &App,
    clp_code: &str,
    clp_name: &str,
    secretary_email: &str,
    member_email: &str,
) -> anyhow::Result<DemoBallot> {
    let account = account_store::by_email(&app.store, secretary_email)
        .await?
        .context("the CLP secretary login is missing")?;
    let (_, officer) = actor(app, account.id).await?;
    let today = app.clock.today();
    let title = format!("{clp_name} CLP: vice-chairs 2026 (demo)");
    let id = ballots::create(
        app,
        &officer,
        &NewBallotRequest {
            unit_code: clp_code.to_string(),
            spec: BallotSpec {
                title: title.clone(),
                kind: BallotType::Meeting,
                method: CountingMethod::StvScottish,
                seats: 2,
                candidates: ["Amina Okafor", "Brian Doyle", "Ceri Hughes", "Dev Patel"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                opens_at: midnight(today),
                closes_at: midnight(today) + Duration::days(14),
                freeze_on: today,
            },
        },
    )
    .await?;
    let summary = ballots::freeze(app, &officer, id).await?;
    let (_, roll) = ballots::roll_of(app, &officer, id).await?;

    let member = account_store::by_email(&app.store, member_email)
        .await?
        .context("the member login is missing")?;
    let (_, member_actor) = actor(app, member.id).await?;
    let member_standing = match ballots::standing(app, &member_actor, id).await? {
        Some(s) => match s.on_roll {
            Some(d) if d.allowed => "on the roll: it can vote".to_string(),
            Some(d) => format!("left off the roll: {}", d.explain()),
            None => "not among those judged for the roll".to_string(),
        },
        None => "not a member".to_string(),
    };
    // A member left off the roll, a provisional one if there is one, with a login to try voting.
    let off = roll
        .iter()
        .find(|l| {
            l.standing
                .reasons
                .iter()
                .any(|r| r.clause == caucus_domain::rulebook::PROVISIONAL)
        })
        .or_else(|| roll.iter().find(|l| !l.standing.allowed));
    let excluded_login = match off {
        Some(line) => {
            let email = "member.excluded@demo.caucus.invalid".to_string();
            let added = add_user(
                app,
                &Operator::at_the_command_line("demo"),
                &AddUser {
                    email: email.clone(),
                    role: Role::Member,
                    unit_code: None,
                    password: None,
                    member_number: Some(line.membership_number.clone()),
                    valid_from: None,
                    valid_until: None,
                },
            )
            .await
            .context("cannot create the excluded member's login")?;
            Some((
                email,
                added.generated_password.unwrap_or_default(),
                line.standing.explain(),
            ))
        }
        None => None,
    };
    Ok(DemoBallot {
        id,
        title,
        included: summary.included,
        excluded: summary.excluded,
        member_standing,
        excluded_login,
    })
}
