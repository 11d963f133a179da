//! The application built from its settings, and served until told to stop. A library,
//! so that the integration tests start the very same application in-process.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

use crate::edge::document::shell;
use crate::edge::precompress;
use crate::edge::web::login;
use crate::edge::web::{
    api_errors, errors, guard, headers, health, language, page, relay_api, serve,
};
use crate::server::admin::{Admin, RandomFailed, TokenPolicy};
use crate::server::app_state::{AppState, MetricsOn, PublicUrl};
use crate::server::bounces::watcher::BounceWatch;
use crate::server::check::Checks;
use crate::server::config::{ServerSettings, SettingsError, DATABASE_FILE};
use crate::server::net::tls::TlsSetupError;
use crate::server::relay::inbound::listener::Tls;
use crate::server::relay::inbound::server_tls::RelayTlsError;
use crate::server::relay::{self, Relay};
use crate::server::retention::Retainer;
use crate::server::store::{redacted_url, Backend, Store, StoreError};
use crate::server::watch::Watch;
use crate::server::webhooks::deliverer::Deliverer;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("the Leptos settings: {0}")]
    Leptos(#[from] leptos::config::errors::LeptosConfigError),
    #[error(transparent)]
    Options(#[from] super::assets::OptionsError),
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] RandomFailed),
    #[error(transparent)]
    RelayTls(#[from] RelayTlsError),
    #[error("the webhooks' HTTPS client (SMTP_SETUP_CA_FILE's certificates): {0}")]
    Webhooks(#[source] reqwest::Error),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A server bound to its address, ready to serve.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    /// The relay's SMTP listeners (STARTTLS, implicit TLS), those that are on.
    relay_listeners: Vec<RelayListener>,
    state: AppState,
}

struct RelayListener {
    listener: TcpListener,
    address: SocketAddr,
    mode: relay::inbound::listener::Tls,
    tls: Arc<rustls::ServerConfig>,
}

impl Application {
    pub async fn build(
        settings: ServerSettings,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartupError> {
        // Leptos runs its tasks on tokio; a second application in one process (tests)
        // finds it set already.
        let _ = any_spawner::Executor::init_tokio();
        let checks = Arc::new(Checks::new(&settings)?);
        let sealing_key = settings.sealing_key.as_ref().map(|k| k.expose_secret());
        let (store, key_source) = Store::open(&settings.database_url, sealing_key).await?;
        tracing::info!(
            database = %redacted_url(&settings.database_url),
            backend = store.backend().key(),
            key = ?key_source,
            "store open"
        );
        let policy = match &settings.admin_token {
            Some(token) => TokenPolicy::Fixed(token.clone()),
            None => TokenPolicy::OneTime,
        };
        let store = Arc::new(store);
        let admin = Admin::new(policy, store.clone(), settings.test_sends_per_minute)?;
        let (listener, address) = bind(leptos_options.site_addr).await?;
        let wanted = [
            (settings.relay.address, Tls::StartTls),
            (settings.relay.tls_address, Tls::Implicit),
        ];
        let mut relay_listeners = Vec::new();
        if wanted.iter().any(|(address, _)| address.is_some()) {
            // Its self-signed certificate beside the database on SQLite, in the data
            // folder on PostgreSQL; one certificate for both listeners.
            let beside = match store.backend() {
                Backend::Sqlite => store.path().to_owned(),
                Backend::Postgres => settings.data_dir.join(DATABASE_FILE),
            };
            let tls = relay::inbound::server_tls::server_config(
                settings.relay.certificate.as_ref(),
                &beside,
            )?;
            for (address, mode) in wanted {
                if let Some(address) = address {
                    let (listener, address) = bind(address).await?;
                    relay_listeners.push(RelayListener {
                        listener,
                        address,
                        mode,
                        tls: tls.clone(),
                    });
                }
            }
        }
        let relay = Arc::new(
            Relay::new(
                store.clone(),
                settings.relay.clone(),
                relay_listeners
                    .iter()
                    .find(|r| r.mode == Tls::StartTls)
                    .map(|r| r.address),
            )
            .kept_for(settings.retention),
        );
        let public_url = PublicUrl(
            settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{address}")),
        );
        let watch = Arc::new(Watch::new(
            store.clone(),
            checks.clone(),
            settings.check_interval,
        ));
        let bounces = Arc::new(BounceWatch::new(
            store.clone(),
            checks.clone(),
            settings.bounce_interval,
            settings.bounce_folder.clone(),
        ));
        let webhook_client = Deliverer::client(settings.extra_roots_pem.as_deref())
            .map_err(StartupError::Webhooks)?;
        let webhooks = Arc::new(Deliverer::new(
            store.clone(),
            webhook_client,
            settings.webhook_first_retry,
        ));
        let retainer = Arc::new(Retainer::new(store.clone(), settings.retention));
        if settings.metrics {
            // Installed before the first request, so that every count is kept.
            let _ = crate::server::metrics::handle();
        }
        log_destinations(&settings);
        Ok(Self {
            listener,
            address,
            relay_listeners,
            state: AppState {
                admin: Arc::new(admin),
                store,
                checks,
                relay,
                watch,
                bounces,
                webhooks,
                retainer,
                metrics: MetricsOn(settings.metrics),
                public_url,
                leptos_options,
            },
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The relay's SMTP (STARTTLS) address, when it listens.
    pub fn relay_address(&self) -> Option<SocketAddr> {
        self.relay_listener_address(Tls::StartTls)
    }

    /// The relay's implicit-TLS address, when it listens.
    pub fn relay_tls_address(&self) -> Option<SocketAddr> {
        self.relay_listener_address(Tls::Implicit)
    }

    fn relay_listener_address(&self, mode: Tls) -> Option<SocketAddr> {
        self.relay_listeners
            .iter()
            .find(|r| r.mode == mode)
            .map(|r| r.address)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Prints the sign-in link for whoever started the server (the binary does; tests
    /// sign in with their fixed token).
    pub fn print_sign_in_link(&self) {
        if let Some(address) = self.relay_address() {
            println!("smtp-setup: relay listening on smtp://{address}");
        }
        if let Some(address) = self.relay_tls_address() {
            println!("smtp-setup: relay listening on smtps://{address}");
        }
        login::print_sign_in_link(&self.state.public_url, &self.state.admin);
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish and
    /// closes the store.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let state = self.state;
        // The bundles are compressed once, in the background, from the first start.
        precompress::spawn(pkg_dir(&state.leptos_options));
        tracing::info!("listening on http://{}", self.address);
        let store = state.store.clone();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(relay::worker::run(
            state.relay.clone(),
            state.checks.clone(),
            stopped.clone(),
        ));
        let watch = tokio::spawn(state.watch.clone().run(stopped.clone()));
        let bounces = tokio::spawn(state.bounces.clone().run(stopped.clone()));
        let webhooks = tokio::spawn(state.webhooks.clone().run(stopped.clone()));
        let retainer = tokio::spawn(state.retainer.clone().run(stopped.clone()));
        let slots = relay::inbound::listener::client_slots();
        let mut relay_tasks = Vec::new();
        for relay_listener in self.relay_listeners {
            let scheme = match relay_listener.mode {
                Tls::StartTls => "smtp",
                Tls::Implicit => "smtps",
            };
            tracing::info!("relay listening on {scheme}://{}", relay_listener.address);
            let mut stopped = stopped.clone();
            relay_tasks.push(tokio::spawn(relay::inbound::listener::serve(
                relay_listener.listener,
                state.relay.clone(),
                relay_listener.tls,
                relay_listener.mode,
                slots.clone(),
                async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                },
            )));
        }
        let shutdown = async {
            shutdown.await;
            let _ = stop.send(true);
        };
        serve::serve(self.listener, router(state), shutdown).await;
        // A delivery under way finishes (each is bounded); then the store closes.
        let _ = stop.send(true);
        if tokio::time::timeout(serve::SHUTDOWN_GRACE, worker)
            .await
            .is_err()
        {
            tracing::warn!(
                "a delivery was still running at shutdown; it is retried at the next start"
            );
        }
        for task in relay_tasks {
            let _ = task.await;
        }
        // A scheduled check under way is bounded like a test; its outcome is not needed. A
        // visit to the mailbox cut short stores nothing of its batch, read again next time.
        watch.abort();
        bounces.abort();
        // A delivery cut short is tried again once its lease ends (at least once).
        webhooks.abort();
        // A run cut short leaves whole batches: the next one goes on from there.
        retainer.abort();
        store.close().await;
        tracing::info!("stopped");
    }
}

/// Every route, and the layers every request passes through: the page and its server
/// functions behind the admin guard; the relay's API (HTTP Basic with a relay credential)
/// beside it, with its own body limit.
pub fn router(state: AppState) -> Router {
    let bundles = bundles(&state.leptos_options);
    let pkg = format!("/{}", state.leptos_options.site_pkg_dir);
    let relay = state.relay.clone();
    let admin = Router::new()
        .route("/", get(page::page))
        .route("/api/{*name}", post(page::server_function))
        .route("/login", get(login::login))
        .route("/logout", post(login::logout))
        .route("/errors", get(errors::errors))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/language/{tag}", get(language::choose))
        .nest_service(&pkg, bundles)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Outermost last: the guard, then the status of a server function's error.
        .layer(from_fn(api_errors::status_from_error))
        .layer(from_fn_with_state(
            state.admin.clone(),
            guard::require_admin,
        ))
        // The form is a few KB; nothing legitimate is larger (413), or slower to arrive.
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            Duration::from_secs(10),
        ))
        .with_state(state);
    // A message may be as large as the relay takes, with room for JSON's escaping.
    let api_limit = relay
        .settings
        .max_bytes
        .saturating_mul(2)
        .saturating_add(64 * 1024);
    let relay_api = Router::new()
        .route("/api/v1/messages", post(relay_api::submit))
        .route("/api/v1/messages/{id}", get(relay_api::status))
        .route("/api/v1/openapi.json", get(relay_api::openapi))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(api_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            Duration::from_secs(300),
        ))
        .with_state(relay);
    admin
        .merge(relay_api)
        .layer(from_fn(health::count_requests))
        .layer(from_fn(headers::security_headers))
}

async fn bind(address: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| StartupError::Listen { address, source })?;
    // Port 0 picks one: what is printed names the address actually bound.
    let address = listener
        .local_addr()
        .map_err(|source| StartupError::Listen { address, source })?;
    Ok((listener, address))
}

fn pkg_dir(options: &LeptosOptions) -> std::path::PathBuf {
    Path::new(&*options.site_root).join(&*options.site_pkg_dir)
}

/// The bundles: precompressed copies served in place of the originals. Their names
/// carry a content hash, so browsers may keep them for a year.
fn bundles(options: &LeptosOptions) -> SetResponseHeader<ServeDir, HeaderValue> {
    let cache = HeaderValue::from_static(if options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    let files = ServeDir::new(pkg_dir(options))
        .precompressed_br()
        .precompressed_gzip();
    SetResponseHeader::overriding(files, header::CACHE_CONTROL, cache)
}

fn log_destinations(settings: &ServerSettings) {
    let cloud = "the chosen cloud's";
    tracing::info!(
        authority = settings
            .authority_override
            .as_ref()
            .map_or(cloud.to_owned(), |u| u.to_string()),
        smtp = settings
            .smtp_override
            .as_ref()
            .map_or(cloud.to_owned(), |e| e.to_string()),
        imap = settings
            .imap_override
            .as_ref()
            .map_or(cloud.to_owned(), |e| e.to_string()),
        extra_ca = settings.extra_roots_pem.is_some(),
        "Microsoft OAuth2 checks go to these servers"
    );
}

/// SIGTERM (service managers) or Ctrl-C.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
