//! The demo's Labour group on Liverpool City Council: about 60 councillors drawn deterministically
//! from the active members living in the city (in register order), seated from the all-out
//! election of May 2023; the council moved to the leader-and-cabinet (strong-leader) model in 2023,
//! so the leader recorded then serves a four-year term; and a chief whip.
use anyhow::Context as _;
use caucus_app::offices::groups::{
    appoint_group_officer, record_leader, seat_councillor, set_up_group,
};
use caucus_app::{App, AppError};
use caucus_domain::access::allowed::Operator;
use caucus_domain::offices::{Gender, OfficeKind};
use caucus_store::register::members;
use time::macros::date;
use time::Date;

/// The councillors of the demo group: Liverpool's 85 seats, of which Labour holds about 60.
const SEATS: usize = 60;
/// The all-out election of 4 May 2023, after which the group sat and elected its leader.
const SEATED_ON: Date = date!(2023 - 05 - 05);
const LEADER_FROM: Date = date!(2023 - 05 - 22);

/// What the demo prints about its group, and the members its leader and whip logins belong to.
pub struct DemoGroup {
    pub code: String,
    pub name: String,
    pub councillors: usize,
    pub leader: String,
    pub leader_until: Option<Date>,
    pub chief_whip: String,
}

/// Sets up the Labour group of the local authority `lad_code` (Liverpool in the demo) and says so.
pub async fn set_up(app: &App, lad_code: &str) -> anyhow::Result<DemoGroup> {
    println!("5b. Setting up the Labour group on the council of {lad_code}");
    let g = build(app, lad_code).await?;
    println!(
        "   {} (see /units/{}): {} councillors; leader {} ({}), chief whip {}",
        g.name,
        g.code,
        g.councillors,
        g.leader,
        g.leader_until
            .map(|d| format!("term ends {d} under the strong-leader model"))
            .unwrap_or_else(|| "no set end to the term".into()),
        g.chief_whip
    );
    Ok(g)
}

async fn build(app: &App, lad_code: &str) -> anyhow::Result<DemoGroup> {
    let group = set_up_group(
        app,
        &Operator::at_the_command_line("demo"),
        lad_code,
        "Liverpool Labour group",
        true,
    )
    .await?;
    let mut seated = Vec::with_capacity(SEATS);
    let mut after = 0;
    'pages: loop {
        let page = members::page_in_local_authority(&app.store, lad_code, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for m in page.iter().filter(|m| m.row.status == "active") {
            let number = &m.row.membership_number;
            match seat_councillor(
                app,
                &Operator::at_the_command_line("demo"),
                &group.code,
                number,
                SEATED_ON,
                Gender::NotGiven,
            )
            .await
            {
                Ok(_) => seated.push(number.clone()),
                // Someone who may not hold office on the day (not yet a member then) is passed over.
                Err(AppError::RuleRefused(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            if seated.len() == SEATS {
                break 'pages;
            }
        }
    }
    let (leader, whip) = match seated.as_slice() {
        [leader, whip, ..] => (leader.clone(), whip.clone()),
        _ => anyhow::bail!("too few members live in {lad_code} to form a Labour group"),
    };
    record_leader(
        app,
        &Operator::at_the_command_line("demo"),
        &group.code,
        &leader,
        LEADER_FROM,
    )
    .await
    .context("cannot record the group's leader")?;
    appoint_group_officer(
        app,
        &Operator::at_the_command_line("demo"),
        &group.code,
        &whip,
        OfficeKind::ChiefWhip,
        LEADER_FROM,
    )
    .await
    .context("cannot appoint the group's chief whip")?;
    let view = caucus_app::offices::groups::view(app, &group, app.clock.today()).await?;
    Ok(DemoGroup {
        code: group.code.clone(),
        name: group.name.clone(),
        councillors: seated.len(),
        leader_until: view.leader.and_then(|l| l.row.held_until),
        leader,
        chief_whip: whip,
    })
}
