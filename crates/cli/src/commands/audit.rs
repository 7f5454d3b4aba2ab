//! `caucus audit verify`.
use crate::Context;
use caucus_app::audit::audit_logs::verify_register;
use caucus_store::audit::Verification;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the whole hash chain, against the audit witness file if one is set (--audit-witness),
    /// and every member row against the digest the chain recorded of it; exit 1 naming the first
    /// problem.
    Verify,
}

pub async fn run(ctx: &Context, cmd: AuditCommand) -> anyhow::Result<()> {
    // Not `ctx.app()`: verifying reads the witness file and never writes it.
    let app = ctx.open().await?;
    match cmd {
        AuditCommand::Verify => {
            let outcome = verify_register(&app).await;
            app.store.close().await;
            match outcome? {
                Verification::Intact { events } => {
                    let witness = match &app.audit_witness {
                        Some(file) => format!(", agreeing with the witness {}", file.display()),
                        None => String::new(),
                    };
                    println!(
                        "audit chain intact: {events} events{witness}; every member row matches \
                         the digest the chain recorded of it"
                    );
                    Ok(())
                }
                Verification::Broken { seq, problem } => {
                    anyhow::bail!("audit chain broken at event {seq}: {problem}")
                }
            }
        }
    }
}
