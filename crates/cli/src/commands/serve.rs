//! `caucus serve`: the web application and the API until Ctrl-C or SIGTERM, then a graceful stop.
use crate::config::{pick, FileConfig};
use crate::Context;
use anyhow::Context as _;
use caucus_web::{shutdown_signal, Application, Config};
use clap::Args;

/// Each setting may also come from the configuration file (`--config`); a flag or its variable
/// beats the file, which beats the default. So none has a clap default: absent means "ask the file".
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CAUCUS_BIND")]
    pub bind: Option<String>,
    /// Mark cookies Secure and send Strict-Transport-Security: set this when users reach the
    /// server over HTTPS (`--secure-cookies`, or `--secure-cookies=false` over a file's `true`).
    #[arg(
        long,
        env = "CAUCUS_SECURE_COOKIES",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub secure_cookies: Option<bool>,
    /// SMTP server for mail (smtp://host:25, smtp://user:pass@host:587?tls=required,
    /// smtps://user:pass@host); without one, mail is held in the outbox admins read.
    #[arg(long, env = "CAUCUS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of mail [default: caucus <no-reply@caucus.invalid>].
    #[arg(long, env = "CAUCUS_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The address users reach the server at, for links in mail (default: http:// and --bind).
    #[arg(long, env = "CAUCUS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The bearer token a scraper sends for `/metrics` (at least 32 characters); without one,
    /// `/metrics` is not served.
    #[arg(long, env = "CAUCUS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// The server's settings from the command line, the environment and the configuration file;
/// an error for a setting that will not do (said without quoting it: it may be a secret).
pub fn settings(args: ServeArgs, file: &FileConfig) -> anyhow::Result<Config> {
    let defaults = Config::default();
    let set = |v: Option<String>| v.filter(|u| !u.trim().is_empty());
    let metrics_token = set(args.metrics_token).or_else(|| file.metrics_token.clone());
    if metrics_token
        .as_deref()
        .is_some_and(|t| !crate::config::secret_is_strong(t))
    {
        anyhow::bail!("the metrics token {}", crate::config::SECRET_RULE);
    }
    Ok(Config {
        bind: pick(args.bind, file.bind.clone(), || defaults.bind),
        secure_cookies: pick(args.secure_cookies, file.secure_cookies, || {
            defaults.secure_cookies
        }),
        smtp_url: set(args.smtp_url).or_else(|| file.smtp_url.clone()),
        mail_from: pick(args.mail_from, file.mail_from.clone(), || {
            defaults.mail_from
        }),
        public_url: set(args.public_url).or_else(|| file.public_url.clone()),
        metrics_token,
    })
}

pub async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let config = settings(args, &ctx.file)?;
    let app = ctx.app().await?;
    serve(app, config).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn args(line: &[&str]) -> ServeArgs {
        Cmd::try_parse_from(std::iter::once("serve").chain(line.iter().copied()))
            .unwrap()
            .args
    }

    fn file() -> FileConfig {
        FileConfig {
            bind: Some("0.0.0.0:9000".into()),
            secure_cookies: Some(true),
            smtp_url: Some("smtp://mail:25".into()),
            mail_from: Some("Caucus <a@example.org>".into()),
            public_url: Some("https://caucus.example.org".into()),
            ..FileConfig::default()
        }
    }

    #[test]
    fn the_file_fills_in_what_the_command_line_leaves_out() {
        let c = settings(args(&["--bind", "127.0.0.1:0"]), &file()).unwrap();
        assert_eq!(c.bind, "127.0.0.1:0");
        assert!(c.secure_cookies);
        assert_eq!(c.smtp_url.as_deref(), Some("smtp://mail:25"));
        assert_eq!(c.mail_from, "Caucus <a@example.org>");
        assert_eq!(c.public_url.as_deref(), Some("https://caucus.example.org"));
    }

    #[test]
    fn without_a_file_the_defaults_hold() {
        let c = settings(args(&[]), &FileConfig::default()).unwrap();
        let d = Config::default();
        assert_eq!(
            (
                c.bind,
                c.secure_cookies,
                c.smtp_url,
                c.mail_from,
                c.public_url
            ),
            (
                d.bind,
                d.secure_cookies,
                d.smtp_url,
                d.mail_from,
                d.public_url
            )
        );
    }

    #[test]
    fn secure_cookies_can_be_turned_off_over_the_file_and_on_without_a_value() {
        assert!(
            !settings(args(&["--secure-cookies=false"]), &file())
                .unwrap()
                .secure_cookies
        );
        assert!(
            settings(args(&["--secure-cookies"]), &FileConfig::default())
                .unwrap()
                .secure_cookies
        );
        assert_eq!(args(&[]).secure_cookies, None);
    }

    #[test]
    fn a_metrics_token_comes_from_the_flag_or_the_file_and_a_weak_one_is_refused() {
        let strong = "0123456789abcdef0123456789abcdef";
        let c = settings(args(&["--metrics-token", strong]), &file()).unwrap();
        assert_eq!(c.metrics_token.as_deref(), Some(strong));
        let from_file = FileConfig {
            metrics_token: Some(strong.into()),
            ..file()
        };
        let c = settings(args(&[]), &from_file).unwrap();
        assert_eq!(c.metrics_token.as_deref(), Some(strong));
        assert_eq!(settings(args(&[]), &file()).unwrap().metrics_token, None);
        let e = settings(args(&["--metrics-token", "hunter2"]), &file()).unwrap_err();
        assert!(e.to_string().contains("32 characters"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
