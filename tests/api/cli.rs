//! The command line a person reads: `--version`, `--help`, a mistyped command or flag
//! (what is valid, exit 2), and `healthcheck` against a running server and against
//! none (exit 0 and 1).

use std::process::Output;

use tokio::process::Command;

use crate::app_process::spawn_binary;
use crate::helpers::fresh_dir;

async fn smtp_setup(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smtp-setup"))
        .args(args)
        .env_remove("SMTP_SETUP_LISTEN")
        .env_remove("LEPTOS_SITE_ADDR")
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run the binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn version_and_help_say_what_the_binary_is_and_does() {
    let version = smtp_setup(&["--version"], &[]).await;
    assert!(version.status.success());
    let said = text(&version.stdout);
    let expected = format!("smtp-setup {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(said.starts_with(&expected), "{said}");
    let commit = said
        .trim()
        .trim_start_matches(&expected)
        .trim_end_matches(')');
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{said}"
    );
    let help = smtp_setup(&["--help"], &[]).await;
    assert!(help.status.success());
    let said = text(&help.stdout);
    for command in ["serve", "healthcheck", "credentials", "webhooks"] {
        assert!(
            said.lines()
                .any(|line| line.trim_start().starts_with(command)),
            "{command} in {said}"
        );
    }
    for (area, commands) in [
        ("credentials", &["add", "limit", "list", "remove"][..]),
        ("webhooks", &["add", "list", "log", "test", "remove"][..]),
    ] {
        let help = text(&smtp_setup(&[area, "--help"], &[]).await.stdout);
        for command in commands {
            assert!(
                help.lines()
                    .any(|line| line.trim_start().starts_with(command)),
                "{area} {command}: {help}"
            );
        }
    }
}

#[tokio::test]
async fn a_mistyped_command_or_flag_says_what_is_valid_and_exits_2() {
    let mistyped = smtp_setup(&["serv"], &[]).await;
    assert_eq!(mistyped.status.code(), Some(2));
    let said = text(&mistyped.stderr);
    assert!(
        said.contains("unrecognized subcommand 'serv'") && said.contains("'serve'"),
        "{said}"
    );
    let flag = smtp_setup(&["serve", "--port", "3000"], &[]).await;
    assert_eq!(flag.status.code(), Some(2));
    assert!(
        text(&flag.stderr).contains("--port"),
        "{}",
        text(&flag.stderr)
    );
    let missing = smtp_setup(&["credentials", "add"], &[]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("<NAME>"));
}

#[tokio::test]
async fn healthcheck_asks_the_running_server_and_fails_without_one() {
    let dir = fresh_dir("cli-healthcheck");
    let app = spawn_binary(&dir, &[]).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    // By flag, and by the same variable the server reads.
    let healthy = smtp_setup(&["healthcheck", "--address", &address], &[]).await;
    assert!(healthy.status.success(), "{}", text(&healthy.stderr));
    assert!(text(&healthy.stdout).starts_with("ok: store usable (sqlite)"));
    let by_env = smtp_setup(&["healthcheck"], &[("SMTP_SETUP_LISTEN", &address)]).await;
    assert!(by_env.status.success(), "{}", text(&by_env.stderr));
    drop(app);
    let gone = smtp_setup(&["healthcheck", "--address", &address], &[]).await;
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).contains("/healthz"),
        "{}",
        text(&gone.stderr)
    );
}
