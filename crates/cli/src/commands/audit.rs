//! `caucus audit verify`.
use crate::Context;
use caucus_store::audit::{verify, Verification};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the whole hash chain; exit 1 naming the first bad event.
    Verify,
}

pub async fn run(ctx: &Context, cmd: AuditCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        AuditCommand::Verify => {
            let outcome = verify(&app.store).await?;
            app.store.close().await;
            match outcome {
                Verification::Intact { events } => {
                    println!("audit chain intact: {events} events");
                    Ok(())
                }
                Verification::Broken { seq, problem } => {
                    anyhow::bail!("audit chain broken at event {seq}: {problem}")
                }
            }
        }
    }
}
