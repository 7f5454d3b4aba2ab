//! `caucus members check`: the membership check of SPEC 3.3, printed as a summary per CLP and
//! region, with every exception in a CSV report on request.
use crate::progress_bar::Bar;
use crate::Context;
use anyhow::Context as _;
use caucus_app::register::membership_check::{check_register, CheckSummary};
use caucus_domain::register::membership_check::ExceptionKind;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum MembersCommand {
    /// Check every member on today's date: the right rate for their age and circumstances, dues by
    /// direct debit where the rate needs it, electoral registration verified in the last year, no
    /// other party's membership. An exception list per CLP and region for officers to follow up:
    /// nobody's membership changes.
    Check {
        /// Write every exception here as CSV (membership_number, clp_code, clp_name, region, kind,
        /// clause, reason).
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

pub async fn run(ctx: &Context, cmd: MembersCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        MembersCommand::Check { report } => {
            let mut file = match &report {
                Some(path) => Some(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?,
                )),
                None => None,
            };
            let summary = check_register(
                &app,
                file.as_mut().map(|f| f as &mut dyn Write),
                &Bar::default(),
            )
            .await
            .context("cannot run the membership check")?;
            if let (Some(mut f), Some(path)) = (file, &report) {
                f.flush()
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            print!("{}", render(&summary));
        }
    }
    app.store.close().await;
    Ok(())
}

/// The summary table: exceptions by kind, then one line per CLP with its region.
fn render(s: &CheckSummary) -> String {
    let mut out = String::new();
    out.push_str(&format!("membership check on {}\n\n", s.on));
    out.push_str(&format!("{:<24} {:>10}\n", "exception", "count"));
    for kind in ExceptionKind::ALL {
        let n = s.by_kind.get(kind).copied().unwrap_or(0);
        out.push_str(&format!("{:<24} {n:>10}\n", kind.as_str()));
    }
    out.push('\n');
    // Only the kinds found get a column, so the table stays narrow.
    let kinds: Vec<ExceptionKind> = ExceptionKind::ALL
        .iter()
        .copied()
        .filter(|k| s.by_kind.contains_key(k))
        .collect();
    out.push_str(&format!(
        "{:<28} {:<22} {:<40} {:>8} {:>10}",
        "region", "clp", "constituency party", "checked", "exceptions"
    ));
    for k in &kinds {
        out.push_str(&format!(" {:>w$}", k.as_str(), w = k.as_str().len().max(6)));
    }
    out.push('\n');
    for t in &s.per_clp {
        out.push_str(&format!(
            "{:<28} {:<22} {:<40} {:>8} {:>10}",
            t.region,
            t.clp_code,
            t.clp_name,
            t.members_checked,
            t.exceptions()
        ));
        for k in &kinds {
            let n = t.by_kind.get(k).copied().unwrap_or(0);
            out.push_str(&format!(" {n:>w$}", w = k.as_str().len().max(6)));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "\nchecked {} members on {}: {} with exceptions, {} exceptions\n",
        s.members_checked,
        s.on,
        s.members_with_exceptions,
        s.exceptions()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use caucus_app::register::membership_check::ClpTally;
    use std::collections::BTreeMap;
    use time::macros::date;

    #[test]
    fn the_summary_shows_every_kind_and_a_line_per_clp() {
        let tally = ClpTally {
            clp_code: "pcon2010:E14000793".into(),
            clp_name: "Liverpool, Riverside".into(),
            region: "North West".into(),
            members_checked: 10,
            members_with_exceptions: 2,
            by_kind: BTreeMap::from([(ExceptionKind::WrongRate, 3)]),
        };
        let s = CheckSummary {
            on: date!(2026 - 11 - 22),
            members_checked: 10,
            members_with_exceptions: 2,
            by_kind: tally.by_kind.clone(),
            per_clp: vec![tally],
        };
        let text = render(&s);
        for kind in ExceptionKind::ALL {
            assert!(text.contains(kind.as_str()), "{kind} missing:\n{text}");
        }
        let line = text.lines().find(|l| l.starts_with("North West")).unwrap();
        assert!(line.contains("pcon2010:E14000793") && line.contains("Liverpool, Riverside"));
        assert!(line.split_whitespace().rev().take(3).eq(["3", "3", "10"]));
        assert!(
            text.ends_with("checked 10 members on 2026-11-22: 2 with exceptions, 3 exceptions\n")
        );
    }
}
