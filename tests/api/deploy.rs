//! The files that go with an installation (`deploy/`): the environment example names
//! every variable the server reads (the configuration reference's list) and no other, and the systemd unit is valid and hardened, as
//! systemd itself judges it (`systemd-analyze verify` and `security --offline=true`,
//! which need no running systemd).

use std::collections::BTreeSet;
use std::path::PathBuf;

use smtp_setup::server::config::reference::VARIABLES;

use tokio::process::Command;

use crate::helpers::fresh_dir;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_environment_example_names_every_variable_and_no_other() {
    let example = std::fs::read_to_string(repository().join("deploy/smtp-setup.env.example"))
        .expect("the example");
    let named: BTreeSet<&str> = example
        .lines()
        .filter_map(|l| l.strip_prefix('#')?.split_once('=').map(|(name, _)| name))
        .filter(|name| name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .collect();
    let listed: BTreeSet<&str> = VARIABLES
        .iter()
        .map(|v| v.name)
        // cargo-leptos' own, read only when SMTP_SETUP_LISTEN is unset.
        .filter(|name| *name != "LEPTOS_SITE_ADDR")
        .collect();
    assert_eq!(
        named, listed,
        "deploy/smtp-setup.env.example against VARIABLES"
    );
}

#[tokio::test]
async fn the_service_unit_is_valid_and_rated_ok_by_systemd() {
    let unit =
        std::fs::read_to_string(repository().join("deploy/smtp-setup.service")).expect("the unit");
    assert!(
        unit.contains("\nExecStart=/usr/bin/smtp-setup serve\n"),
        "{unit}"
    );
    // verify also checks that the program exists: the test build stands in for the
    // installed one.
    let dir = fresh_dir("deploy-unit");
    let file = dir.join("smtp-setup.service");
    let here = unit.replace(
        "ExecStart=/usr/bin/smtp-setup",
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_smtp-setup")),
    );
    std::fs::write(&file, here).expect("write");
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .output()
        .await
        .expect("systemd-analyze runs (make test installs it)");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && said.trim().is_empty(), "{said}");
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(&file)
        .output()
        .await
        .expect("systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|line| {
            line.split("Overall exposure level for smtp-setup.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in\n{report}"));
    println!("systemd-analyze security: exposure {exposure}");
    assert!(exposure <= 2.0, "exposure {exposure}:\n{report}");
}
