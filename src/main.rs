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
    use axum::Router;
    use leptos::prelude::*;
    use leptos_axum::{generate_route_list, LeptosRoutes};
    use smtp_setup::app::{shell, App};
    use smtp_setup::server::{
        assets, config::ServerSettings, precompress, telemetry, test_send::TestSender,
    };
    use tower::ServiceBuilder;
    use tower_http::services::ServeDir;
    use tower_http::set_header::SetResponseHeaderLayer;

    telemetry::init();
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
    let app = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(sender.clone()),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), bundles)
        .fallback(leptos_axum::file_and_error_handler(shell))
        // The form is a few KB; nothing legitimate is larger.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(leptos_options);

    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
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
