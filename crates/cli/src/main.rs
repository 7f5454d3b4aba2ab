//! The `caucus` command: one binary for the register's bulk work and the web application.
//! Exit status 0 on success, 1 when the work fails (one line on stderr says why), 2 on bad usage
//! (a bad flag, or a bad configuration file).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod commands;
mod config;
mod progress_bar;

/// mimalloc for every allocation in the process: with its `override` feature it also serves
/// SQLite's (the bundled library calls `malloc`), which after every committed write refills each
/// reading connection's page cache. Under the load benchmark glibc's allocator, with its arena
/// locks and `malloc_consolidate`, took a fifth of the server's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context as _;
use caucus_app::audit::audit_witness::Witness;
use caucus_app::{App, Clock};
use caucus_domain::rulebook::Rulebook;
use caucus_store::Store;
use clap::{Parser, Subcommand};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use time::Date;

#[derive(Parser, Debug)]
#[command(
    name = "caucus",
    version,
    about = "The governance system a political party runs on."
)]
struct Cli {
    /// A TOML file of settings (keys as the long options, `_` for `-`; see caucus.example.toml).
    /// A flag or its environment variable beats the file.
    #[arg(long, global = true, env = "CAUCUS_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://... [default: sqlite://caucus.db]
    #[arg(
        long,
        global = true,
        env = "CAUCUS_DATABASE_URL",
        hide_env_values = true
    )]
    db: Option<String>,
    /// A rulebook TOML file to use instead of the shipped Labour rulebook.
    #[arg(long, global = true, env = "CAUCUS_RULEBOOK")]
    rulebook: Option<PathBuf>,
    /// Treat this date as today (for reproducible runs and tests).
    #[arg(long, global = true, env = "CAUCUS_TODAY", value_parser = parse_date_arg)]
    today: Option<Date>,
    /// An append-only file witnessing the audit chain's head: every command that opens the register
    /// appends its checkpoints (`TIME seq=N hash=H`, once a second and at the end), and `audit verify`
    /// fails if the chain falls behind or differs from one.
    #[arg(long, global = true, env = "CAUCUS_AUDIT_WITNESS")]
    audit_witness: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply the database migrations.
    Migrate,
    /// Import geography or members.
    #[command(subcommand)]
    Import(commands::import::ImportCommand),
    /// Export lists: membership lists with eligibility flags, watermarked and logged.
    #[command(subcommand)]
    Export(commands::export::ExportCommand),
    /// Work on the register's members: the membership check.
    #[command(subcommand)]
    Members(commands::members::MembersCommand),
    /// Boundary reviews.
    #[command(subcommand)]
    Boundaries(commands::boundaries::BoundariesCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Count ballots (BLT or CSV cast vote records) by an exact method.
    Count(commands::count::CountArgs),
    /// Generate synthetic data for demos, tests and benchmarks.
    #[command(subcommand)]
    Generate(commands::generate::GenerateCommand),
    /// Build a demo register over the real Liverpool geography, create one login per role, and serve it.
    Demo(commands::demo::DemoArgs),
    /// Write a consistent snapshot of the register, taken while it is in use, to a new file.
    Backup { file: PathBuf },
    /// Restore a backup into this database (which must be empty unless --force).
    Restore {
        file: PathBuf,
        /// Replace whatever the database holds.
        #[arg(long)]
        force: bool,
    },
    /// Accounts and their grants.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Serve the web application and the API.
    Serve(commands::serve::ServeArgs),
}

pub fn parse_date_arg(s: &str) -> Result<Date, String> {
    caucus_app::clock::parse_date(s)
}

/// The database when neither a flag, the environment nor a configuration file names one.
pub const DEFAULT_DB: &str = "sqlite://caucus.db";

/// What commands get: the parsed global options, the configuration file's settings, and a way
/// to open the register.
pub struct Context {
    pub db: String,
    /// Whether the database was chosen (`--db`, its environment variable or the file), rather than
    /// the default: the demo builds its own register unless one was chosen.
    pub db_chosen: bool,
    pub rulebook: Option<PathBuf>,
    pub today: Option<Date>,
    pub file: config::FileConfig,
    /// The file witnessing the audit chain's head (`--audit-witness`, `CAUCUS_AUDIT_WITNESS` or the
    /// file's `audit_witness`), if the operator keeps one.
    pub audit_witness: Option<PathBuf>,
    /// The witness of the register this process works on, and that register's URL: started by
    /// the first register opened to work on (`watched`).
    witness: std::sync::OnceLock<(Witness, String)>,
}

impl Context {
    pub fn clock(&self) -> Clock {
        self.today.map_or(Clock::System, Clock::Today)
    }

    pub fn rules(&self) -> anyhow::Result<Rulebook> {
        Ok(match &self.rulebook {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the rulebook {}", path.display()))?;
                Rulebook::from_toml(&text)
                    .with_context(|| format!("the rulebook {} is invalid", path.display()))?
            }
            None => Rulebook::shipped().context("the shipped rulebook is invalid")?,
        })
    }

    /// The register, to work on: its audit head is witnessed while the command runs (`watched`).
    pub async fn app(&self) -> anyhow::Result<App> {
        let app = self.open().await?;
        self.watched(app, &self.db)
    }

    /// The register, without a witness of its own (for `audit verify`, which reads the witness).
    pub async fn open(&self) -> anyhow::Result<App> {
        let rules = self.rules()?;
        let store = Store::open(&self.db)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&self.db)))?;
        Ok(App::new(store, rules, self.clock()).with_audit_witness(self.audit_witness.clone()))
    }

    /// `app`, the register at `url`, with its audit head checkpointed once a second, to the witness
    /// file if there is one and to the log, from now until the process ends (`witness_last`).
    pub fn watched(&self, app: App, url: &str) -> anyhow::Result<App> {
        if self.witness.get().is_none() {
            let witness = match &self.audit_witness {
                Some(file) => Witness::open(file)?,
                None => Witness::log_only(),
            };
            witness.watch(app.store.clone());
            let _ = self.witness.set((witness, url.to_string()));
        }
        Ok(app.with_audit_witness(self.audit_witness.clone()))
    }

    /// After the command, however it ended: the head it left, witnessed (the watch ticks once a
    /// second, and a command may end between ticks). Only where a witness file is kept.
    pub async fn witness_last(&self) -> anyhow::Result<()> {
        let Some((witness, url)) = self.witness.get() else {
            return Ok(());
        };
        if witness.path().is_none() {
            return Ok(());
        }
        let store = Store::connect(url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(url)))?;
        let done = witness.checkpoint(&store).await;
        store.close().await;
        done?;
        Ok(())
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAUCUS_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or a pipe (nor when
        // NO_COLOR is set, as https://no-color.org asks).
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    let file = match &cli.config {
        Some(path) => match config::load(path) {
            Ok(file) => file,
            // Bad usage, like a bad flag: exit 2.
            Err(e) => {
                eprintln!("caucus: {e}");
                return ExitCode::from(2);
            }
        },
        None => config::FileConfig::default(),
    };
    let ctx = Context {
        db_chosen: cli.db.is_some() || file.db.is_some(),
        db: config::pick(cli.db, file.db.clone(), || DEFAULT_DB.to_string()),
        rulebook: cli.rulebook.or_else(|| file.rulebook.clone()),
        today: cli.today,
        audit_witness: cli.audit_witness.or_else(|| file.audit_witness.clone()),
        file,
        witness: std::sync::OnceLock::new(),
    };
    if let Command::Count(args) = &cli.command {
        return report(commands::count::run(args));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(Err(anyhow::anyhow!("cannot start the runtime: {e}"))),
    };
    let outcome = runtime.block_on(async move {
        let done = match cli.command {
            Command::Migrate => {
                ctx.app().await?;
                println!("the database is up to date");
                Ok(())
            }
            Command::Import(c) => commands::import::run(&ctx, c).await,
            Command::Export(c) => commands::export::run(&ctx, c).await,
            Command::Members(c) => commands::members::run(&ctx, c).await,
            Command::Boundaries(c) => commands::boundaries::run(&ctx, c).await,
            Command::Audit(c) => commands::audit::run(&ctx, c).await,
            Command::Generate(c) => commands::generate::run(&ctx, c).await,
            Command::Demo(args) => commands::demo::run(&ctx, args).await,
            Command::Backup { file } => commands::backup::backup(&ctx, &file).await,
            Command::Restore { file, force } => commands::backup::restore(&ctx, &file, force).await,
            Command::User(c) => commands::user::run(&ctx, c).await,
            Command::Serve(args) => commands::serve::run(&ctx, args).await,
            Command::Count(_) => Ok(()),
        };
        let witnessed = ctx.witness_last().await;
        done.and(witnessed)
    });
    report(outcome)
}

/// Prints the failure as one line: the outermost context and its causes.
fn report(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = e
                .chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("caucus: {line}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://caucus.db"), "sqlite://caucus.db");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
