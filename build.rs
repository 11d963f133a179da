// The SQL migrations are compiled into the server (`sqlx::migrate!`): a change to one
// must rebuild it, though no Rust file changed. `smtp-setup --version` names the commit
// the binary was built from (`SMTP_SETUP_COMMIT` when the build has no git, as in a
// packaging tree).
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-env-changed=SMTP_SETUP_COMMIT");
    let commit = std::env::var("SMTP_SETUP_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let output = Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SMTP_SETUP_COMMIT={commit}");
}
