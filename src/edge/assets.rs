//! Names of the built bundles. With `hash-files` (Cargo.toml), cargo-leptos puts a content
//! hash in each file name and lists the hashes in `hash.txt` beside the server binary, so
//! the bundles can be cached for a year and a new build is still picked up at once.

use std::path::PathBuf;
use std::sync::OnceLock;

use leptos::config::errors::LeptosConfigError;
use leptos::config::{get_configuration, LeptosOptions};

/// The Leptos settings of this build (Cargo.toml, overridden by `LEPTOS_*` variables).
pub fn leptos_options() -> Result<LeptosOptions, LeptosConfigError> {
    let mut options = get_configuration(None)?.leptos_options;
    // The build names its bundles by content hash (Cargo.toml `hash-files`). cargo-leptos
    // tells its own runs through LEPTOS_HASH_FILES; a binary started directly finds the
    // build's hash.txt beside itself instead.
    if !options.hash_files && hash_file(&options).is_some() {
        options.hash_files = true;
    }
    Ok(options)
}

/// `hash.txt` beside the running binary, when the build wrote one.
fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let path = std::env::current_exe()
        .ok()?
        .parent()?
        .join(options.hash_file.as_ref());
    path.exists().then_some(path)
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
