//! Names of the built bundles. With `hash-files` (Cargo.toml), cargo-leptos puts a content
//! hash in each file name and lists the hashes in `hash.txt` beside the server binary, so
//! the bundles can be cached for a year and a new build is still picked up at once.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use leptos::config::errors::LeptosConfigError;
use leptos::config::{get_configuration, LeptosOptions};

use crate::server::config::{listen_address, SettingsError};

/// Why the Leptos settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("the Leptos settings: {0}")]
    Leptos(#[from] LeptosConfigError),
    #[error(transparent)]
    Listen(#[from] SettingsError),
}

/// The Leptos settings of this build (Cargo.toml, overridden by `LEPTOS_*` variables), with
/// the address from `SMTP_SETUP_LISTEN` and the site found wherever it is installed.
pub fn leptos_options() -> Result<LeptosOptions, OptionsError> {
    let mut options = get_configuration(None)?.leptos_options;
    options.site_addr = listen_address()?;
    // Where the site is: LEPTOS_SITE_ROOT (cargo-leptos' runs), else beside the binary
    // (an unpacked archive: site/; a package: ../share/smtp-setup/site), else the
    // build's target/site.
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
        if let Some(site) = site_beside_binary() {
            options.site_root = site.to_string_lossy().into_owned().into();
        }
    }
    // The build names its bundles by content hash (Cargo.toml `hash-files`). cargo-leptos
    // tells its own runs through LEPTOS_HASH_FILES; a binary started directly finds the
    // build's hash.txt beside itself (or in the site) instead.
    if !options.hash_files && hash_file(&options).is_some() {
        options.hash_files = true;
    }
    Ok(options)
}

/// The site an installed binary serves: `site/` beside it, or the package's
/// `../share/smtp-setup/site`.
fn site_beside_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("site"), dir.join("../share/smtp-setup/site")]
        .into_iter()
        .find(|site| site.join("pkg").is_dir())
}

/// `hash.txt` beside the running binary, or in the site it serves, when the build wrote
/// one.
fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()?
        .parent()?
        .join(options.hash_file.as_ref());
    let in_site = Path::new(options.site_root.as_ref()).join(options.hash_file.as_ref());
    [beside, in_site].into_iter().find(|path| path.exists())
}

/// The built bundles' URLs (`/pkg/<name>.<hash>.css`, `.js`, `.wasm`; without the hash for
/// an unhashed build), read from `hash.txt` once.
pub struct BundleUrls {
    pub css: String,
    pub js: String,
    pub wasm: String,
}

pub fn bundle_urls(options: &LeptosOptions) -> &'static BundleUrls {
    static URLS: OnceLock<BundleUrls> = OnceLock::new();
    URLS.get_or_init(|| {
        let hashes = options
            .hash_files
            .then(|| hash_file(options))
            .flatten()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        let url = |kind: &str| match hash_of(&hashes, kind) {
            Some(hash) => format!(
                "/{}/{}.{hash}.{kind}",
                options.site_pkg_dir, options.output_name
            ),
            None => format!("/{}/{}.{kind}", options.site_pkg_dir, options.output_name),
        };
        BundleUrls {
            css: url("css"),
            js: url("js"),
            wasm: url("wasm"),
        }
    })
}

/// The hash `hash.txt` gives for one kind of bundle (`css`, `js`, `wasm`).
fn hash_of(hashes: &str, kind: &str) -> Option<String> {
    hashes.lines().find_map(|line| {
        let (named, hash) = line.split_once(':')?;
        (named.trim() == kind).then(|| hash.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::hash_of;

    #[test]
    fn reads_each_line_of_hash_txt() {
        let text = "js: FjyP3P0E\nwasm: lDHVJJlh\ncss: bPulUHpG\n";
        assert_eq!(hash_of(text, "css").as_deref(), Some("bPulUHpG"));
        assert_eq!(hash_of(text, "js").as_deref(), Some("FjyP3P0E"));
        assert_eq!(hash_of(text, "wasm").as_deref(), Some("lDHVJJlh"));
        assert_eq!(hash_of("js: x\n", "css"), None);
    }
}
