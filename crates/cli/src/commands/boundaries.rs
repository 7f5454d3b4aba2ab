//! `caucus boundaries reallocate`.
use crate::progress_bar::Bar;
use crate::{parse_date_arg, Context};
use anyhow::Context as _;
use caucus_app::organisation::reallocate::{reallocate, ReallocateOptions, CHUNK};
use caucus_app::CLI_ACTOR;
use caucus_domain::access::allowed::Operator;
use clap::Subcommand;
use std::path::PathBuf;
use time::Date;

#[derive(Subcommand, Debug)]
pub enum BoundariesCommand {
    /// Move every member to the units of another boundary set by postcode, and make it current.
    Reallocate {
        #[arg(long)]
        to: String,
        /// The date the new units take effect (default: the set's own start, else today).
        #[arg(long, value_parser = parse_date_arg)]
        effective: Option<Date>,
        /// Report what would happen, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the per-member report here as CSV.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Members per committed range.
        #[arg(long, default_value_t = CHUNK, hide = true)]
        chunk: i64,
    },
}

pub async fn run(ctx: &Context, cmd: BoundariesCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        BoundariesCommand::Reallocate {
            to,
            effective,
            dry_run,
            report,
            chunk,
        } => {
            let opts = ReallocateOptions {
                to_set: &to,
                effective,
                dry_run,
                report: report.as_deref(),
                chunk,
            };
            let s = reallocate(
                &app,
                &Operator::at_the_command_line(CLI_ACTOR),
                &opts,
                &Bar::default(),
            )
            .await
            .with_context(|| format!("cannot reallocate members to {to}"))?;
            if s.resumed {
                eprintln!("resumed an interrupted reallocation (run {})", s.run_id);
            }
            println!(
                "{:<60} {:>9} {:>9} {:>10}",
                "constituency party", "moved in", "unchanged", "exceptions"
            );
            for (clp, c) in &s.per_clp {
                println!(
                    "{clp:<60} {:>9} {:>9} {:>10}",
                    c.moved_in, c.unchanged, c.exceptions
                );
            }
            println!(
                "{}{} members from {} to {}: {} moved, {} unchanged, {} exceptions",
                if s.dry_run {
                    "dry run (nothing changed): "
                } else {
                    ""
                },
                s.members,
                s.from_set,
                s.to_set,
                s.moved,
                s.unchanged,
                s.exceptions
            );
        }
    }
    app.store.close().await;
    Ok(())
}
