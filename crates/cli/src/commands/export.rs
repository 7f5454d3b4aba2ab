//! `caucus export members`: a unit's membership list with eligibility flags, watermarked and logged.
//! The list is written to a temporary file first and handed out (moved into place, or copied to
//! stdout) only once its audit event is committed, so no list leaves unlogged.
use crate::Context;
use anyhow::Context as _;
use caucus_app::register::member_export::{export_members, Requester};
use caucus_app::CLI_ACTOR;
use caucus_domain::access::allowed::Operator;
use clap::Subcommand;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The membership list of a unit and the units beneath it, as CSV with eligibility flags for
    /// today (can_attend, can_vote, can_hold_office, and their reasons with clause ids).
    ///
    /// The first line is a watermark comment starting with '#', naming the requester and the time;
    /// read the file with a CSV reader told to skip comment lines (e.g. pandas `comment="#"`). Each
    /// export is recorded in the audit log (action members.export) with a digest of the file.
    /// A cell that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a
    /// carriage return) is written with a ' in front.
    ///
    /// Authorisation arrives with accounts: until then whoever can open the database may export,
    /// and --as names the requester for the watermark and the audit log.
    Members {
        /// The unit's code: a ward branch's ward code (E05...), a CLP's `SET:GSS` code
        /// (pcon2024:E14001337), a region's or local authority's GSS code.
        #[arg(long)]
        unit: String,
        /// The email address of the person the list is for.
        #[arg(long = "as", value_name = "EMAIL")]
        requester: String,
        /// Write the list here instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(ctx: &Context, cmd: ExportCommand) -> anyhow::Result<()> {
    match cmd {
        ExportCommand::Members {
            unit,
            requester,
            out,
        } => {
            let requester = Requester::parse(&requester).context("--as")?;
            let app = ctx.app().await?;
            let dir = match out.as_deref().map(Path::parent) {
                Some(Some(p)) if !p.as_os_str().is_empty() => p.to_path_buf(),
                Some(_) => PathBuf::from("."),
                None => std::env::temp_dir(),
            };
            let mut staged = tempfile::NamedTempFile::new_in(&dir)
                .with_context(|| format!("cannot create a file in {}", dir.display()))?;
            let summary = {
                let mut w = std::io::BufWriter::new(staged.as_file_mut());
                let s = export_members(
                    &app,
                    &Operator::at_the_command_line(CLI_ACTOR),
                    &unit,
                    &requester,
                    &mut w,
                )
                .await
                .with_context(|| format!("cannot export the members of {unit}"))?;
                w.flush().context("cannot write the membership list")?;
                s
            };
            app.store.close().await;
            match &out {
                Some(path) => {
                    staged
                        .persist(path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "exported {} members of {} ({}) to {} for {} (audit event {})",
                        summary.rows,
                        summary.unit_code,
                        summary.unit_name,
                        path.display(),
                        requester.as_str(),
                        summary.audit_seq
                    );
                }
                None => {
                    let f = staged.as_file_mut();
                    f.rewind().context("cannot read the staged list")?;
                    let mut stdout = std::io::stdout().lock();
                    std::io::copy(f, &mut stdout).context("cannot write to stdout")?;
                    stdout.flush().context("cannot write to stdout")?;
                }
            }
        }
    }
    Ok(())
}
