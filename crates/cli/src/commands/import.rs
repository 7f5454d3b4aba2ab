//! `caucus import geography` and `caucus import members`.
use crate::progress_bar::Bar;
use crate::{parse_date_arg, Context};
use anyhow::Context as _;
use caucus_app::organisation::geography_import::{import_geography, GeographyOptions};
use caucus_app::register::member_import::{
    import_members, write_rejects, ImportOptions, DEFAULT_BATCH,
};
use caucus_app::CLI_ACTOR;
use caucus_domain::access::allowed::Operator;
use clap::Subcommand;
use std::path::PathBuf;
use time::Date;

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Postcode lookups (ONSPD, NSPL, or the simple lookup layout) into a boundary set.
    Geography {
        file: PathBuf,
        /// The boundary set's name, e.g. pcon2024.
        #[arg(long)]
        set: String,
        /// The column holding the constituency code, when the file has several.
        #[arg(long)]
        pcon_column: Option<String>,
        #[arg(long, value_parser = parse_date_arg)]
        from: Option<Date>,
        #[arg(long, value_parser = parse_date_arg)]
        until: Option<Date>,
    },
    /// The members CSV (SPEC 5.3), upserted by membership number.
    Members {
        file: PathBuf,
        /// Write the rejected rows here as CSV (line,membership_number,reason).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Rows per committed batch.
        #[arg(long, default_value_t = DEFAULT_BATCH, hide = true)]
        batch: usize,
    },
}

pub async fn run(ctx: &Context, cmd: ImportCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        ImportCommand::Geography {
            file,
            set,
            pcon_column,
            from,
            until,
        } => {
            let opts = GeographyOptions {
                set: set.clone(),
                pcon_column,
                from,
                until,
            };
            let s = import_geography(
                &app,
                &Operator::at_the_command_line(CLI_ACTOR),
                &file,
                &opts,
                &Bar::default(),
            )
            .await
            .with_context(|| format!("cannot import {}", file.display()))?;
            for (line, reason) in &s.bad {
                eprintln!("line {line}: {reason}");
            }
            if s.bad_rows > s.bad.len() as u64 {
                eprintln!("... and {} more bad rows", s.bad_rows - s.bad.len() as u64);
            }
            println!(
                "boundary set {set}: {} postcodes ({} terminated) from {} rows, {} bad rows; {} constituency parties, \
                 {} branches, {} units created or changed; layout {}, constituency column {}{}",
                s.postcodes,
                s.terminated,
                s.rows,
                s.bad_rows,
                s.clps,
                s.branches,
                s.units_changed,
                s.layout,
                s.pcon_column,
                if s.became_current { "; now the register's current set" } else { "" }
            );
        }
        ImportCommand::Members {
            file,
            rejects,
            batch,
        } => {
            let s = import_members(
                &app,
                &Operator::at_the_command_line(CLI_ACTOR),
                &file,
                &ImportOptions { batch },
                &Bar::default(),
            )
            .await
            .with_context(|| format!("cannot import {}", file.display()))?;
            if s.resumed_after_line > 0 {
                eprintln!(
                    "resumed an interrupted import of this file after line {}",
                    s.resumed_after_line
                );
            }
            if let Some(path) = rejects {
                write_rejects(&app, s.run_id, &path)
                    .await
                    .with_context(|| format!("cannot write the rejects to {}", path.display()))?;
            }
            println!("{s}");
        }
    }
    app.store.close().await;
    Ok(())
}
