//! caucus's web application: server-rendered pages (askama) and the JSON API with its OpenAPI
//! document, over axum. Handlers are thin: they authenticate, call a use case of `caucus_app` (which
//! asks the access policy) and render. `Application::build` binds first, so tests serve on port 0.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod api;
mod auth;
mod error;
mod extract;
mod mail;
mod middleware;
mod operations;
mod pages;
mod scopes;
mod views;

use axum::routing::get;
use axum::Router;
use caucus_app::App;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use error::WebError;
pub use pages::PageRoute;

/// Every page route the application serves (the HTML side; the API's are in its OpenAPI
/// document), from the same table that builds the router.
pub fn page_routes() -> Vec<PageRoute> {
    pages::routes()
}

/// How the server is run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub bind: String,
    /// The server is reached over HTTPS, as in production: cookies are marked `Secure` and
    /// responses carry Strict-Transport-Security.
    pub secure_cookies: bool,
    /// The SMTP server mail goes to (`smtp://host:25`, `smtps://user:pass@host`); with none, mail
    /// waits in the outbox, which admins read.
    pub smtp_url: Option<String>,
    /// The From address of mail.
    pub mail_from: String,
    /// The address users reach the server at, for links in mail (default: `http://` and the
    /// address bound).
    pub public_url: Option<String>,
    /// The bearer token `/metrics` asks for; with none, `/metrics` is not served (it counts
    /// requests by route as they happen, votes included, so it is for operators only).
    pub metrics_token: Option<String>,
}

/// The From address when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "caucus <no-reply@caucus.invalid>";

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".to_string(),
            secure_cookies: false,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_string(),
            public_url: None,
            metrics_token: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub config: Arc<Config>,
    pub metrics: Arc<middleware::Metrics>,
    pub openapi: Arc<String>,
    pub mail: Arc<mail::Outgoing>,
    pub scopes: Arc<scopes::RouteScopes>,
}

/// The server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
    sender: Option<(Arc<App>, caucus_app::ops::mail::Mailer, Arc<mail::Outgoing>)>,
}

impl Application {
    /// Binds the listener and builds the routes; nothing is served until `run_until`.
    pub async fn build(app: App, config: Config) -> Result<Application, WebError> {
        let listener = TcpListener::bind(&config.bind)
            .await
            .map_err(|e| WebError::Bind(config.bind.clone(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| WebError::Bind(config.bind.clone(), e))?
            .port();
        let mailer = match &config.smtp_url {
            Some(url) => Some(
                caucus_app::ops::mail::Mailer::from_url(url, &config.mail_from)
                    .map_err(|e| WebError::Mail(e.to_string()))?,
            ),
            None => None,
        };
        let host = config.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
        let base_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{host}:{port}"));
        let state = state(app, config, base_url);
        let sender = mailer.map(|m| (state.app.clone(), m, state.mail.clone()));
        Ok(Application {
            listener,
            router: routes(state),
            port,
            sender,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sender = self
            .sender
            .map(|(app, mailer, outgoing)| tokio::spawn(mail::run(app, mailer, outgoing)));
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        if let Some(task) = sender {
            task.abort();
        }
        served
    }
}

/// Completes on Ctrl-C, or on SIGTERM where there is one (how service managers stop a server).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// The OpenAPI document of the API, as `/api/openapi.json` serves it (the snapshot test reads it).
pub fn openapi_json() -> String {
    let (_, openapi) = api::router().split_for_parts();
    openapi
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Every route of the application, with the layers every response passes through.
pub fn router(app: App, config: Config) -> Router {
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    routes(state(app, config, base_url))
}

fn state(app: App, config: Config, base_url: String) -> AppState {
    let (_, openapi) = api::router().split_for_parts();
    let openapi = openapi
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    let mail = Arc::new(mail::Outgoing {
        base_url,
        smtp: config.smtp_url.is_some(),
        wake: tokio::sync::Notify::new(),
    });
    let scopes = serde_json::from_str(&openapi)
        .map_err(|e| e.to_string())
        .and_then(|doc| scopes::RouteScopes::from_openapi(&doc))
        .unwrap_or_else(|e| {
            // Fail closed: with no table, every route that takes a token refuses it.
            tracing::error!(error = %e, "the API's scopes could not be read");
            scopes::RouteScopes::default()
        });
    AppState {
        app: Arc::new(app),
        config: Arc::new(config),
        metrics: Arc::new(middleware::Metrics::default()),
        openapi: Arc::new(openapi),
        mail,
        scopes: Arc::new(scopes),
    }
}

fn routes(state: AppState) -> Router {
    let (api, _) = api::router().split_for_parts();
    Router::new()
        .merge(api)
        .merge(pages::router())
        .merge(operations::router())
        .route("/api/openapi.json", get(api::openapi_document))
        .fallback(pages::error::not_found)
        .layer(axum::middleware::from_fn(extract::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}
