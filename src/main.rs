//! The server: typed settings, the test sender, the Leptos routes, and serve.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    match serve().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smtp-setup: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "ssr")]
async fn serve() -> Result<(), String> {
    use std::sync::Arc;

    use axum::extract::DefaultBodyLimit;
    use axum::http::{header, HeaderValue};
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::{get, post};
    use axum::Router;
    use leptos::prelude::*;
    use leptos_axum::{generate_route_list, LeptosRoutes};
    use secrecy::ExposeSecret as _;
    use smtp_setup::api::context::Services;
    use smtp_setup::app::{shell, App};
    use smtp_setup::server::admin::{Admin, TokenPolicy};
    use smtp_setup::server::store::Store;
    use smtp_setup::server::web::{client_errors, guard, headers, health, initial, login, serve};
    use smtp_setup::server::{
        assets, config::ServerSettings, memory, precompress, telemetry, test_send::TestSender,
    };
    use tower::ServiceBuilder;
    use tower_http::services::ServeDir;
    use tower_http::set_header::SetResponseHeaderLayer;

    telemetry::init();
    memory::map_large_blocks_separately();
    let conf = get_configuration(None).map_err(|e| e.to_string())?;
    let mut leptos_options = conf.leptos_options;
    // The build names its bundles by content hash (Cargo.toml `hash-files`). cargo-leptos
    // tells its own runs through LEPTOS_HASH_FILES; a binary started directly finds the
    // build's hash.txt beside itself instead.
    if !leptos_options.hash_files && assets::hash_file(&leptos_options).is_some() {
        leptos_options.hash_files = true;
    }
    let addr = leptos_options.site_addr;

    let settings = ServerSettings::from_env().map_err(|e| e.to_string())?;
    let sender = Arc::new(TestSender::new(&settings)?);

    let database_url = &settings.database_url;
    let sealing_key = settings.sealing_key.as_ref().map(|k| k.expose_secret());
    let (store, key_source) = Store::open(database_url, sealing_key)
        .await
        .map_err(|e| e.to_string())?;
    let store = Arc::new(store);
    tracing::info!(database = %database_url, key = ?key_source, "store open");

    let policy = match &settings.admin_token {
        Some(token) => TokenPolicy::Fixed(token.expose_secret().to_owned()),
        None => TokenPolicy::OneTime,
    };
    let per_minute = settings.test_sends_per_minute;
    let admin = Arc::new(Admin::new(policy, per_minute).map_err(|e| e.to_string())?);
    // Administrators signed in before a restart stay signed in.
    let remembered = store
        .live_sessions(std::time::SystemTime::now())
        .await
        .map_err(|e| e.to_string())?;
    admin.restore_sessions(remembered);
    // The link printed at start names the address actually bound (port 0 picks one).
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let public = login::PublicUrl(
        settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}")),
    );
    let services = Services {
        admin: admin.clone(),
        store: store.clone(),
        sender,
    };
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
        extra_ca = settings.extra_roots_pem.is_some(),
        "Microsoft OAuth2 test sends go to these servers"
    );

    // The bundles: precompressed copies (made in the background) served in place of the
    // originals. Their names carry a content hash, so browsers may keep them for a year.
    let pkg_dir =
        std::path::Path::new(&*leptos_options.site_root).join(&*leptos_options.site_pkg_dir);
    precompress::spawn(pkg_dir.clone());
    memory::spawn_release_loop(memory::RELEASE_EVERY);
    let bundles = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if leptos_options.hash_files {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        ))
        .service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );

    let routes = generate_route_list(App);
    let edge = Router::new()
        .route("/login", get(login::login))
        .route("/logout", post(login::logout))
        .with_state(login::SignInState {
            admin: admin.clone(),
            store: store.clone(),
            public: public.clone(),
        })
        .merge(
            Router::new()
                .route("/healthz", get(health::healthz))
                .with_state(store.clone()),
        );
    let app = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(services.clone()),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .merge(edge)
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), bundles)
        .fallback(leptos_axum::file_and_error_handler(shell))
        // Outermost last: headers on every response, then the guard, then the page's data.
        .layer(from_fn(client_errors::decoding_errors_are_bad_requests))
        .layer(from_fn_with_state(
            store.clone(),
            initial::load_initial_data,
        ))
        .layer(from_fn_with_state(admin.clone(), guard::require_admin))
        .layer(from_fn(headers::security_headers))
        // The form is a few KB; nothing legitimate is larger, or slower to arrive.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(10),
        ))
        .with_state(leptos_options);

    tracing::info!("listening on http://{bound}");
    login::print_sign_in_link(&public, &admin);
    serve::serve(listener, app, shutdown_signal()).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn shutdown_signal() {
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

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser side starts from `smtp_setup::hydrate`; this binary is the server.
}
