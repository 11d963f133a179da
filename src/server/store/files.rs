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

/// A new folder inside `parent` that only its owner may enter (mode 0700).
pub fn private_folder(parent: &Path) -> std::io::Result<std::path::PathBuf> {
    let random =
        super::sealing::random_bytes::<8>().map_err(|e| std::io::Error::other(e.to_string()))?;
    let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let folder = parent.join(format!(".smtp-setup-{name}"));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(&folder)?;
    Ok(folder)
}

/// Makes `path` readable and writable by its owner only.
pub fn make_owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
