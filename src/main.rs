//! The server: the command line read (`smtp-setup --help`), then, for `serve` (the
//! default), settings from the environment, the application built from them, served
//! until SIGTERM or Ctrl-C.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser as _;
    use smtp_setup::edge::cli::{self, Cli};
    use smtp_setup::edge::startup::{shutdown_signal, Application};
    use smtp_setup::edge::{assets, memory, telemetry};
    use smtp_setup::server::config::ServerSettings;

    // A mistyped command or flag: what is valid, and exit status 2.
    let command = Cli::parse().command;
    telemetry::init();
    if let Some(code) = cli::run(command).await {
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
