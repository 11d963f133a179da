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

/// The stylesheet's URL (`/pkg/<name>.<hash>.css`, or without hash for unhashed builds).
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| hash_file(options))
            .flatten()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|text| css_hash(&text));
        match hash {
            Some(hash) => format!(
                "/{}/{}.{hash}.css",
                options.site_pkg_dir, options.output_name
            ),
            None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
        }
    })
    .clone()
}

fn css_hash(hashes: &str) -> Option<String> {
    hashes.lines().find_map(|line| {
        let (kind, hash) = line.split_once(':')?;
        (kind.trim() == "css").then(|| hash.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::css_hash;

    #[test]
    fn reads_the_css_line_of_hash_txt() {
        let text = "js: FjyP3P0E\nwasm: lDHVJJlh\ncss: bPulUHpG\n";
        assert_eq!(css_hash(text).as_deref(), Some("bPulUHpG"));
        assert_eq!(css_hash("js: x\n"), None);
    }
}
