//! `caucus serve`: the web application and the API until Ctrl-C or SIGTERM, then a graceful stop.
use crate::Context;
use anyhow::Context as _;
use caucus_web::{shutdown_signal, Application, Config};
use clap::Args;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CAUCUS_BIND")]
    pub bind: String,
    /// Mark cookies Secure: set this when users reach the server over HTTPS.
    #[arg(long, env = "CAUCUS_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// SMTP server for mail (smtp://host:25, smtp://user:pass@host:587?tls=required,
    /// smtps://user:pass@host); without one, mail is held in the outbox admins read.
    #[arg(long, env = "CAUCUS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of mail.
    #[arg(long, env = "CAUCUS_MAIL_FROM", default_value = caucus_web::DEFAULT_MAIL_FROM)]
    pub mail_from: String,
    /// The address users reach the server at, for links in mail (default: http:// and --bind).
    #[arg(long, env = "CAUCUS_PUBLIC_URL")]
    pub public_url: Option<String>,
}

pub async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    serve(
        app,
        Config {
            bind: args.bind,
            secure_cookies: args.secure_cookies,
            smtp_url: args.smtp_url.filter(|u| !u.trim().is_empty()),
            mail_from: args.mail_from,
            public_url: args.public_url.filter(|u| !u.trim().is_empty()),
        },
    )
    .await
}

/// Serves `app` on `bind` until told to stop. Prints the address it listens on, so scripts and
/// tests that bind port 0 learn the port.
pub async fn serve(app: caucus_app::App, config: Config) -> anyhow::Result<()> {
    let store = app.store.clone();
    let bind = config.bind.clone();
    let mail = match &config.smtp_url {
        Some(_) => "mail goes to the configured SMTP server",
        None => "no SMTP server configured: mail is held in the outbox (/admin/outbox)",
    };
    let server = Application::build(app, config)
        .await
        .context("cannot start the web server")?;
    let host = bind.rsplit_once(':').map_or(bind.as_str(), |(h, _)| h);
    // Before the address: a caller that reads up to it may stop reading there.
    println!("{mail}");
    println!("listening on http://{host}:{}", server.port());
    server
        .run_until(shutdown_signal())
        .await
        .context("the web server failed")?;
    store.close().await;
    println!("stopped");
    Ok(())
}
