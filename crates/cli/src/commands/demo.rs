//! `caucus demo`: a fresh register over the real Liverpool geography, built step by step as an
//! operator would: both boundary sets, a synthetic membership, the 2023 reallocation, the audit check.
//! (The web application that serves it is the subject of a later issue; until then the demo is this
//! walk-through, and it leaves the database behind for the other commands to explore.)
use crate::commands::generate::{postcodes_from, write_members, L_AREA};
use crate::progress_bar::Bar;
use crate::Context;
use anyhow::Context as _;
use caucus_app::geography_import::{import_geography, GeographyOptions};
use caucus_app::member_import::{import_members, ImportOptions};
use caucus_app::reallocate::{reallocate, ReallocateOptions, CHUNK};
use caucus_app::App;
use caucus_store::audit::{verify, Verification};
use caucus_store::Store;
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
}

pub async fn run(ctx: &Context, args: DemoArgs) -> anyhow::Result<()> {
    let url = match args.demo_db {
        Some(u) => u,
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("caucus-demo.db{suffix}"));
            }
            "sqlite://caucus-demo.db".to_string()
        }
    };
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the demo database {url}"))?;
    let app = App::new(store, ctx.rules()?, ctx.clock());
    let work = tempfile::tempdir().context("cannot make a scratch directory")?;
    let geo = work.path().join("postcodes_L_area.csv");
    std::fs::write(&geo, L_AREA).context("cannot write the geography file")?;

    println!("1. Importing the L postcode area as boundary set pcon2010 (constituencies until 2023-10-11)");
    let s = import_geography(
        &app,
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
    let s = import_members(&app, &members, &ImportOptions::default(), &Bar::default()).await?;
    println!("   {s}");

    println!("4. Reallocating every member to pcon2024, effective 2023-10-12");
    let report = PathBuf::from("caucus-demo-reallocation.csv");
    let r = reallocate(
        &app,
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
    app.store.close().await;
    println!("\nThe demo register is in {url}. Explore it with, for example:");
    println!("  caucus --db {url} audit verify");
    println!("  caucus --db {url} import members FILE --rejects rejects.csv");
    Ok(())
}
