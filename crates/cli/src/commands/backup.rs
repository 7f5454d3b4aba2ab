//! `caucus backup FILE` and `caucus restore FILE [--force]`: a consistent snapshot of the register in
//! one portable SQLite file, and its restore into an empty register of either engine. Both are
//! recorded in the audit chain (see `caucus_store::ops::backup`).
use crate::progress_bar::Bar;
use crate::{redact, Context};
use anyhow::Context as _;
use caucus_app::{Progress, CLI_ACTOR};
use caucus_domain::access::allowed::Operator;
use caucus_store::ops::backup::{self, Actor, Step};
use std::path::Path;
use std::sync::Mutex;

/// Tables smaller than this copy too fast for a bar to help.
const BAR_FROM_ROWS: u64 = 10_000;

/// A bar per large table, driven by the store's copy steps.
struct TableBars {
    bar: Bar,
    showing: Mutex<bool>,
}

impl TableBars {
    fn new() -> TableBars {
        TableBars {
            bar: Bar::default(),
            showing: Mutex::new(false),
        }
    }

    fn step(&self, step: Step) {
        let Ok(mut showing) = self.showing.lock() else {
            return;
        };
        match step {
            Step::Table { name, rows } => {
                if *showing {
                    self.bar.finish();
                }
                *showing = rows >= BAR_FROM_ROWS;
                if *showing {
                    self.bar.start(&format!("copying {name}"), Some(rows));
                }
            }
            Step::Rows(done) if *showing => self.bar.set(done),
            Step::Rows(_) => {}
            Step::Done => {
                if *showing {
                    self.bar.finish();
                }
                *showing = false;
            }
        }
    }
}

pub async fn backup(ctx: &Context, file: &Path) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let clock = app.clock;
    let now = move || clock.stamp();
    let bars = TableBars::new();
    let s = backup::backup(
        &app.store,
        file,
        &Actor {
            operator: &Operator::at_the_command_line(CLI_ACTOR),
            now: &now,
        },
        &|step| bars.step(step),
    )
    .await
    .with_context(|| format!("cannot back up {} to {}", redact(&ctx.db), file.display()))?;
    app.store.close().await;
    println!(
        "backed up {} rows, through audit event {}, to {} (sha256 {}); recorded as audit event {}",
        s.rows,
        s.through_event,
        file.display(),
        s.sha256,
        s.event
    );
    Ok(())
}

pub async fn restore(ctx: &Context, file: &Path, force: bool) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let clock = app.clock;
    let now = move || clock.stamp();
    let bars = TableBars::new();
    let outcome = backup::restore(
        &app.store,
        file,
        force,
        &Actor {
            operator: &Operator::at_the_command_line(CLI_ACTOR),
            now: &now,
        },
        &|step| bars.step(step),
    )
    .await;
    app.store.close().await;
    let s = match outcome {
        Ok(s) => s,
        Err(e) if e.to_string().starts_with(backup::NOT_EMPTY) => {
            return Err(anyhow::anyhow!(
                "{e}; restoring would replace everything in it, so rerun with --force if that is meant"
            ))
            .with_context(|| format!("refused to restore {}", file.display()));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!("cannot restore {} into {}", file.display(), redact(&ctx.db))
            })
        }
    };
    println!(
        "restored {} rows, through audit event {}, from {}{}; recorded as audit event {}",
        s.rows,
        s.through_event,
        file.display(),
        if s.replaced {
            " (replacing what the database held)"
        } else {
            ""
        },
        s.event
    );
    Ok(())
}
