//! Where the sealing key comes from: `SMTP_SETUP_KEY` (base64, 32 bytes), or a key file
//! beside the database, created with mode 0600 on the very first start. A key that is
//! missing or wrong for an existing database stops the server with a clear message and
//! changes nothing: a new key would make every stored secret unreadable. On PostgreSQL
//! the key must come from `SMTP_SETUP_KEY`: every instance needs the same one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use secrecy::SecretString;

use crate::server::store::files::create_owner_only;
use crate::server::store::sealing::{random_bytes, SealError, SealingKey, KEY_LEN};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "SMTP_SETUP_KEY must be 32 bytes in base64 (e.g. the output of `openssl rand -base64 32`)"
    )]
    BadEnv,
    #[error(
        "the key file {0} is not 32 bytes in base64; restore the right file or set SMTP_SETUP_KEY"
    )]
    BadFile(PathBuf),
    #[error("cannot read the key file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the key file {path}: {source}")]
    CannotCreate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make a new key: {0}")]
    Random(#[source] SealError),
    #[error(
        "the database holds sealed secrets but no key was found: restore {0} or set SMTP_SETUP_KEY \
         to the key it was created with (nothing was changed)"
    )]
    Missing(PathBuf),
    /// PostgreSQL: the instances share the sealed secrets, so none may make a key of its own.
    #[error(
        "with PostgreSQL, SMTP_SETUP_KEY must be set, to the same key on every instance \
         (e.g. the output of `openssl rand -base64 32`, kept with the database's credentials)"
    )]
    NeededWhenShared,
    #[error(
        "the key does not open this database's secrets: it is not the key they were sealed with \
         (check SMTP_SETUP_KEY or the key file; nothing was changed)"
    )]
    Wrong,
}

/// Where the key came from, for the start-up log line (never the key itself).
#[derive(Debug, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Created(PathBuf),
}

pub fn key_file_beside(database: &Path) -> PathBuf {
    database.with_extension("key")
}

/// Where a rotation writes the new key before the secrets are sealed with it.
pub fn new_key_file(key_file: &Path) -> PathBuf {
    key_file.with_extension("key.new")
}

/// A new random key, and its base64 (what a key file or `SMTP_SETUP_KEY` holds).
pub fn new_key() -> Result<(SealingKey, SecretString), KeyError> {
    let bytes = random_bytes::<KEY_LEN>().map_err(KeyError::Random)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok((SealingKey::from_bytes(&bytes), SecretString::from(encoded)))
}

/// Writes `encoded` to `path`, owner-only and synced, replacing nothing.
pub fn write_key_file(path: &Path, encoded: &SecretString) -> Result<(), KeyError> {
    use secrecy::ExposeSecret as _;
    let failed = |source| KeyError::CannotCreate {
        path: path.to_owned(),
        source,
    };
    let mut file = create_owner_only(path).map_err(failed)?;
    file.write_all(format!("{}\n", encoded.expose_secret()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(failed)
}

/// The key in `path`, if the file is there and holds one.
pub fn read_key_file(path: &Path) -> Option<SealingKey> {
    let text = std::fs::read_to_string(path).ok()?;
    decode(&text).map(|bytes| SealingKey::from_bytes(&bytes))
}

/// The rotation's last step, and its repair after a crash: the new key file takes the
/// old one's place (a rename: either name holds a whole key at every moment).
pub fn replace_key_file(key_file: &Path) -> Result<(), KeyError> {
    let new = new_key_file(key_file);
    std::fs::rename(&new, key_file).map_err(|source| KeyError::CannotCreate {
        path: key_file.to_owned(),
        source,
    })?;
    if let Some(folder) = key_file.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
    Ok(())
}

/// `database_is_keyed`: the database already has a key check (so a key exists somewhere).
pub fn load_key(
    env_value: Option<&str>,
    key_file: &Path,
    database_is_keyed: bool,
) -> Result<(SealingKey, KeySource), KeyError> {
    if let Some(value) = env_value {
        let bytes = decode(value).ok_or(KeyError::BadEnv)?;
        return Ok((SealingKey::from_bytes(&bytes), KeySource::Environment));
    }
    match std::fs::read_to_string(key_file) {
        Ok(text) => {
            let bytes = decode(&text).ok_or_else(|| KeyError::BadFile(key_file.to_owned()))?;
            Ok((
                SealingKey::from_bytes(&bytes),
                KeySource::File(key_file.to_owned()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if database_is_keyed {
                return Err(KeyError::Missing(key_file.to_owned()));
            }
            let bytes = create(key_file)?;
            Ok((
                SealingKey::from_bytes(&bytes),
                KeySource::Created(key_file.to_owned()),
            ))
        }
        Err(source) => Err(KeyError::Unreadable {
            path: key_file.to_owned(),
            source,
        }),
    }
}

fn decode(value: &str) -> Option<[u8; KEY_LEN]> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    bytes.try_into().ok()
}

fn create(path: &Path) -> Result<[u8; KEY_LEN], KeyError> {
    let failed = |source| KeyError::CannotCreate {
        path: path.to_owned(),
        source,
    };
    let bytes = random_bytes::<KEY_LEN>().map_err(KeyError::Random)?;
    let mut file = create_owner_only(path).map_err(failed)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    file.write_all(format!("{encoded}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("smtp-setup-key-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_first_start_creates_a_private_key_file_and_later_starts_reuse_it() {
        let dir = temp_dir("create");
        let file = dir.join("smtp-setup.key");
        let (_, source) = load_key(None, &file, false).unwrap();
        assert_eq!(source, KeySource::Created(file.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (_, again) = load_key(None, &file, true).unwrap();
        assert_eq!(again, KeySource::File(file));
    }

    #[test]
    fn a_keyed_database_without_its_key_is_an_error_not_a_new_key() {
        let dir = temp_dir("missing");
        let file = dir.join("smtp-setup.key");
        assert!(matches!(
            load_key(None, &file, true),
            Err(KeyError::Missing(_))
        ));
        assert!(
            !file.exists(),
            "no key may be invented for a keyed database"
        );
    }

    #[test]
    fn the_environment_key_must_be_32_bytes_of_base64() {
        let dir = temp_dir("env");
        let file = dir.join("k");
        assert!(matches!(
            load_key(Some("c2hvcnQ="), &file, false),
            Err(KeyError::BadEnv)
        ));
        let good = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert_eq!(
            load_key(Some(&good), &file, false).unwrap().1,
            KeySource::Environment
        );
        assert!(!file.exists());
    }
}
