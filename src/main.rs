//! The server: settings from the environment, the application built from them, served
//! until SIGTERM or Ctrl-C.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use smtp_setup::edge::startup::{shutdown_signal, Application};
    use smtp_setup::edge::{assets, memory, telemetry};
    use smtp_setup::server::config::ServerSettings;

    telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = smtp_setup::edge::cli::run(&args).await {
        return code;
    }
    memory::map_large_blocks_separately();
    let built = async {
        let options = assets::leptos_options()?;
        let settings = ServerSettings::from_env()?;
        Application::build(settings, options).await
    };
    match built.await {
        Ok(application) => {
            application.print_sign_in_link();
            memory::spawn_release_loop(memory::RELEASE_EVERY);
            application.run_until_stopped(shutdown_signal()).await;
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("smtp-setup: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser side starts from `smtp_setup::hydrate`; this binary is the server.
}
