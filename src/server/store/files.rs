//! Files the store creates: readable by their owner only.

use std::fs::File;
use std::path::Path;

/// Creates `path` with mode 0600, failing if it exists (never overwrites a key or a
/// database that appeared meanwhile).
pub fn create_owner_only(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}
