//! `caucus demo`: a fresh register over the real Liverpool geography, built step by step as an
//! operator would: both boundary sets, a synthetic membership, the 2023 reallocation, the audit check;
//! then one login per role (over Liverpool's units where the role has a unit), and a ballot open in
//! their CLP; served until Ctrl-C.

// The demo's set-up, a file per context.
mod ballots;
mod groups;
mod offices;

use crate::commands::generate::{postcodes_from, write_members, L_AREA};
use crate::progress_bar::Bar;
use crate::Context;
use anyhow::Context as _;
use caucus_app::access::accounts::{add_user, AddUser};
use caucus_app::organisation::geography_import::{import_geography, GeographyOptions};
use caucus_app::organisation::reallocate::{reallocate, ReallocateOptions, CHUNK};
use caucus_app::register::member_import::{import_members, ImportOptions};
use caucus_app::App;
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::Role;
use caucus_domain::organisation::unit::UnitKind;
use caucus_store::audit::{verify, Verification};
use caucus_store::Store;
use caucus_store::{organisation::geography, organisation::units, register::members};
use clap::Args;
use std::path::PathBuf;
use time::macros::date;

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 20_000)]
    members: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to build the demo register (default: caucus-demo.db in the working directory, replaced).
    #[arg(long = "demo-db")]
    demo_db: Option<String>,
    /// Address to serve the demo on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Write the logins as JSON: [{"role", "email", "password", "unit", "totp_secret"}].
    #[arg(long)]
    logins: Option<PathBuf>,
    /// Build the register and the logins, then stop instead of serving.
    #[arg(long)]
    no_serve: bool,
}

pub async fn run(ctx: &Context, args: DemoArgs) -> anyhow::Result<()> {
    // The register goes where `--demo-db`, else the global `--db` (or its variable or the file),
    // says; with neither, a fresh caucus-demo.db here, with its access-log file, replaced.
    let chosen = args
        .demo_db
        .clone()
        .or_else(|| ctx.db_chosen.then(|| ctx.db.clone()));
    let url = match chosen {
        Some(u) => u,
        None => {
            for file in ["caucus-demo.db", "caucus-demo.db-access-log"] {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let _ = std::fs::remove_file(format!("{file}{suffix}"));
                }
            }
            "sqlite://caucus-demo.db".to_string()
        }
    };
    let shown = crate::redact(&url);
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the demo database {shown}"))?;
    // A chosen database is never overwritten: the demo builds a register only where there is none.
    if geography::current_set(&store).await?.is_some() {
        anyhow::bail!(
            "the database {shown} already holds a register: the demo needs an empty database \
             (or none, to build caucus-demo.db here)"
        );
    }
    let app = ctx.watched(App::new(store, ctx.rules()?, ctx.clock()), &url)?;
    let work = tempfile::tempdir().context("cannot make a scratch directory")?;
    let geo = work.path().join("postcodes_L_area.csv");
    std::fs::write(&geo, L_AREA).context("cannot write the geography file")?;

    println!("1. Importing the L postcode area as boundary set pcon2010 (constituencies until 2023-10-11)");
    let s = import_geography(
        &app,
        &Operator::at_the_command_line("demo"),
        &geo,
        &GeographyOptions {
            set: "pcon2010".into(),
            pcon_column: Some("pcon_2010set_code".into()),
            from: None,
            until: Some(date!(2023 - 10 - 11)),
        },
        &Bar::default(),
    )
    .await?;
    println!(
        "   {} postcodes, {} constituency parties, {} branches",
        s.postcodes, s.clps, s.branches
    );
    println!("2. Importing it again as pcon2024 (constituencies from 2023-10-12)");
    let s = import_geography(
        &app,
        &Operator::at_the_command_line("demo"),
        &geo,
        &GeographyOptions {
            set: "pcon2024".into(),
            pcon_column: Some("pcon24cd".into()),
            from: Some(date!(2023 - 10 - 12)),
            until: None,
        },
        &Bar::default(),
    )
    .await?;
    println!(
        "   {} postcodes, {} constituency parties, {} branches",
        s.postcodes, s.clps, s.branches
    );

    println!(
        "3. Generating {} synthetic members (seed {}) with 70 planted bad rows",
        args.members, args.seed
    );
    let members = work.path().join("members.csv");
    write_members(
        &members,
        args.members,
        args.seed,
        &postcodes_from(L_AREA),
        70,
    )?;
    let s = import_members(
        &app,
        &Operator::at_the_command_line("demo"),
        &members,
        &ImportOptions::default(),
        &Bar::default(),
    )
    .await?;
    println!("   {s}");

    println!("4. Reallocating every member to pcon2024, effective 2023-10-12");
    let report = PathBuf::from("caucus-demo-reallocation.csv");
    let r = reallocate(
        &app,
        &Operator::at_the_command_line("demo"),
        &ReallocateOptions {
            to_set: "pcon2024",
            effective: Some(date!(2023 - 10 - 12)),
            dry_run: false,
            report: Some(&report),
            chunk: CHUNK,
        },
        &Bar::default(),
    )
    .await?;
    println!(
        "   {} members: {} moved, {} unchanged, {} exceptions (report: {})",
        r.members,
        r.moved,
        r.unchanged,
        r.exceptions,
        report.display()
    );
    for (clp, c) in &r.per_clp {
        println!("   {clp:<50} {:>6} members", c.moved_in + c.unchanged);
    }

    println!("5. Verifying the audit chain");
    match verify(&app.store).await? {
        Verification::Intact { events } => println!("   intact: {events} events"),
        Verification::Broken { seq, problem } => {
            anyhow::bail!("audit chain broken at event {seq}: {problem}")
        }
    }

    let group = groups::set_up(&app, LIVERPOOL).await?;
    println!("6. Creating one login per role");
    let (logins, clp) = create_logins(&app, &group).await?;
    for l in &logins {
        println!(
            "   {:<24} {:<44} password {}{}{}",
            l.role,
            l.email,
            l.password,
            l.unit
                .as_deref()
                .map(|u| format!("  unit {u}"))
                .unwrap_or_default(),
            l.totp_secret
                .as_deref()
                .map(|s| format!("  totp {s}"))
                .unwrap_or_default()
        );
    }
    offices::run(&app, &clp.code).await?;
    println!("7. Opening a ballot in {} and freezing its roll", clp.name);
    let email_of = |role: Role| {
        logins
            .iter()
            .find(|l| l.role == role.as_str())
            .map(|l| l.email.clone())
            .unwrap_or_default()
    };
    let ballot = ballots::open(
        &app,
        &clp.code,
        &clp.name,
        &email_of(Role::ClpSecretary),
        &email_of(Role::Member),
    )
    .await?;
    println!(
        "   ballot {}: \"{}\", {} on the roll, {} left off (see /ballots/{}/roll as the CLP secretary)",
        ballot.id, ballot.title, ballot.included, ballot.excluded, ballot.id
    );
    println!("   the member login is {}", ballot.member_standing);
    let mut logins = logins;
    if let Some((email, password, why)) = &ballot.excluded_login {
        println!("   {email:<44} password {password}  (left off the roll: {why})");
        logins.push(DemoLogin {
            role: Role::Member.as_str(),
            email: email.clone(),
            password: password.clone(),
            unit: None,
            totp_secret: None,
            note: Some(format!("left off the roll: {why}")),
        });
    }
    if let Some(path) = &args.logins {
        let json =
            serde_json::to_string_pretty(&logins).context("cannot write the logins as JSON")?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
        println!("   logins written to {}", path.display());
    }
    println!("\nThe demo register is in {shown}. Explore it with, for example:");
    println!("  caucus --db {shown} audit verify");
    if args.no_serve {
        app.store.close().await;
        return Ok(());
    }
    println!("\n8. Serving the demo (Ctrl-C stops it)");
    crate::commands::serve::serve(
        app,
        caucus_web::Config {
            bind: args.bind.clone(),
            ..caucus_web::Config::default()
        },
    )
    .await
}

/// One demo login, as printed and written with `--logins`.
#[derive(Debug, serde::Serialize)]
struct DemoLogin {
    role: &'static str,
    email: String,
    password: String,
    unit: Option<String>,
    totp_secret: Option<String>,
    /// Why this login is there, where its role does not say (the member left off the ballot's roll).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Liverpool's local authority, the unit of the council-level roles.
const LIVERPOOL: &str = "E08000012";

/// Creates an account per role: unit-scoped roles over Liverpool's units (its first branch, that
/// branch's CLP, the city council's area, its region); the member role belongs to a member of that
/// branch, so its login sees its own record; the group leader and chief whip logins belong to the
/// members holding those posts in the demo's Labour group.
async fn create_logins(
    app: &App,
    group: &groups::DemoGroup,
) -> anyhow::Result<(Vec<DemoLogin>, units::Unit)> {
    let set = geography::current_set(&app.store).await?;
    let la = units::find_by_code(&app.store, LIVERPOOL, set.as_deref())
        .await?
        .context("the demo geography has no Liverpool local authority")?;
    let branch_id = *units::branches_in_local_authority(&app.store, LIVERPOOL)
        .await?
        .first()
        .context("the demo geography has no branch in Liverpool")?;
    let branch = units::get(&app.store, branch_id)
        .await?
        .context("the branch vanished")?;
    let clp = match branch.parent_id {
        Some(id) => units::get(&app.store, id).await?,
        None => None,
    }
    .context("the demo branch has no CLP")?;
    let region = match la.parent_id {
        Some(id) => units::get(&app.store, id).await?,
        None => None,
    }
    .context("Liverpool has no region")?;
    // An active member, so the member login is on the roll of the demo ballot and can vote.
    // A small demo register may have nobody in the branch: then a member of its CLP.
    let mut in_branch = members::page(&app.store, Some(&[branch.id]), 0, 200).await?;
    if !in_branch.iter().any(|m| m.row.status == "active") {
        in_branch = members::page(&app.store, Some(&[clp.id]), 0, 200).await?;
    }
    let member = in_branch
        .iter()
        .find(|m| m.row.status == "active")
        .or(in_branch.first())
        .map(|m| m.row.membership_number.clone());
    let mut out = Vec::new();
    for role in Role::ALL {
        let unit = match role.unit_kind() {
            Some(UnitKind::Branch) => Some(branch.code.clone()),
            Some(UnitKind::Clp) => Some(clp.code.clone()),
            Some(UnitKind::LocalAuthority) => Some(la.code.clone()),
            Some(UnitKind::Region) => Some(region.code.clone()),
            _ => None,
        };
        let email = format!("{}@demo.caucus.invalid", role.as_str().replace('_', "."));
        let added = add_user(
            app,
            &Operator::at_the_command_line("demo"),
            &AddUser {
                email: email.clone(),
                role: *role,
                unit_code: unit.clone(),
                password: None,
                member_number: match role {
                    Role::Member => member.clone(),
                    Role::GroupLeader => Some(group.leader.clone()),
                    Role::ChiefWhip => Some(group.chief_whip.clone()),
                    _ => None,
                },
                valid_from: None,
                valid_until: None,
            },
        )
        .await
        .with_context(|| format!("cannot create the {role} login"))?;
        out.push(DemoLogin {
            role: role.as_str(),
            email,
            password: added.generated_password.unwrap_or_default(),
            unit,
            totp_secret: added.totp_secret,
            note: None,
        });
    }
    Ok((out, clp))
}
