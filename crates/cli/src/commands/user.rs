//! `caucus user add`: create an account, or add a grant to one. Prints a generated password when none
//! was given, and the TOTP secret when the role needs a second factor (shown once, never stored in clear
//! anywhere but the account).
use crate::Context;
use caucus_app::access::accounts::{add_user, AddUser};
use caucus_app::CLI_ACTOR;
use caucus_domain::access::allowed::Operator;
use caucus_domain::access::policy::Role;
use clap::{Args, Subcommand};
use time::Date;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account or grant an existing one a role.
    Add(AddArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    #[arg(long)]
    email: String,
    /// A role id of SPEC section 1 (member, clp_secretary, group_leader, admin, ...).
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The unit the role is held over (its code), for unit-scoped roles.
    #[arg(long)]
    unit: Option<String>,
    /// The password (at least 12 characters); one is generated and printed if omitted.
    #[arg(long, env = "CAUCUS_NEW_PASSWORD")]
    password: Option<String>,
    /// The membership number of the member this account belongs to.
    #[arg(long)]
    member: Option<String>,
    /// The grant's first day (default today).
    #[arg(long, value_parser = crate::parse_date_arg)]
    from: Option<Date>,
    /// The grant's last day (default: open-ended).
    #[arg(long, value_parser = crate::parse_date_arg)]
    until: Option<Date>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

pub async fn run(ctx: &Context, cmd: UserCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        UserCommand::Add(a) => {
            let added = add_user(
                &app,
                &Operator::at_the_command_line(CLI_ACTOR),
                &AddUser {
                    email: a.email.clone(),
                    role: a.role,
                    unit_code: a.unit,
                    password: a.password,
                    member_number: a.member,
                    valid_from: a.from,
                    valid_until: a.until,
                },
            )
            .await?;
            app.store.close().await;
            let scope = added
                .unit_code
                .as_deref()
                .map_or_else(|| "nationally".to_string(), |u| format!("for {u}"));
            if added.created {
                println!(
                    "created account {} with the role {} {scope}",
                    a.email, a.role
                );
            } else {
                println!("granted {} the role {} {scope}", a.email, a.role);
            }
            if let Some(p) = added.generated_password {
                println!("password: {p}");
            }
            if let Some(s) = added.totp_secret {
                println!("totp secret (base32, add it to an authenticator app): {s}");
            }
            Ok(())
        }
    }
}
