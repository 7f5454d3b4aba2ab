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
}

pub async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    serve(app, &args.bind, args.secure_cookies).await
}

/// Serves `app` on `bind` until told to stop. Prints the address it listens on, so scripts and
/// tests that bind port 0 learn the port.
pub async fn serve(app: caucus_app::App, bind: &str, secure_cookies: bool) -> anyhow::Result<()> {
    let store = app.store.clone();
    let server = Application::build(
        app,
        Config {
            bind: bind.to_string(),
            secure_cookies,
        },
    )
    .await
    .context("cannot start the web server")?;
    let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
    println!("listening on http://{host}:{}", server.port());
    server
        .run_until(shutdown_signal())
        .await
        .context("the web server failed")?;
    store.close().await;
    println!("stopped");
    Ok(())
}
