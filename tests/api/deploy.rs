//! The files that go with an installation (`deploy/`): the environment example names
//! every variable the server reads, and the systemd unit is valid and hardened, as
//! systemd itself judges it (`systemd-analyze verify` and `security --offline=true`,
//! which need no running systemd).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::helpers::fresh_dir;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `SMTP_SETUP_…` variable named in the server's source.
fn variables_the_server_reads() -> BTreeSet<String> {
    fn walk(dir: &Path, found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for piece in text.split('"').skip(1).step_by(2) {
                    let is_variable = piece.starts_with("SMTP_SETUP_")
                        && piece.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
                    if is_variable {
                        found.insert(piece.to_owned());
                    }
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    walk(&repository().join("src"), &mut found);
    // The commit the build names (build.rs), not a setting.
    found.remove("SMTP_SETUP_COMMIT");
    found
}

#[test]
fn the_environment_example_and_the_readme_name_every_variable() {
    let variables = variables_the_server_reads();
    assert!(variables.len() > 20, "{variables:?}");
    let example = std::fs::read_to_string(repository().join("deploy/smtp-setup.env.example"))
        .expect("the example");
    let readme = std::fs::read_to_string(repository().join("README.md")).expect("README");
    for variable in &variables {
        assert!(
            example
                .lines()
                .any(|l| l.starts_with(&format!("#{variable}="))),
            "{variable} is not in deploy/smtp-setup.env.example"
        );
        assert!(
            readme.contains(&format!("`{variable}`")),
            "{variable} is not in the README"
        );
    }
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
