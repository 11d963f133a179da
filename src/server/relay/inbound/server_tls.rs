//! The relay's STARTTLS certificate: the operator's (`SMTP_SETUP_RELAY_TLS_CERT` and
//! `_KEY`), or a self-signed one made at first start and kept beside the database, so
//! that applications which pin it keep trusting it across restarts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::server::config::relay::CertificateFiles;
use crate::server::store::files::create_owner_only;

#[derive(Debug, thiserror::Error)]
pub enum RelayTlsError {
    #[error("the relay certificate {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("the relay certificate {path}: no certificate in the file")]
    NoCertificate { path: PathBuf },
    #[error("cannot make the relay's self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write the relay's certificate {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the relay certificate does not go with its key: {0}")]
    Config(#[from] rustls::Error),
}

/// The files of the self-signed certificate, beside `database`.
pub fn self_signed_files(database: &Path) -> CertificateFiles {
    CertificateFiles {
        certificate: database.with_extension("relay-cert.pem"),
        key: database.with_extension("relay-key.pem"),
    }
}

/// The TLS server configuration: from `given`, or from the self-signed files beside the
/// database (made when missing).
pub fn server_config(
    given: Option<&CertificateFiles>,
    database: &Path,
) -> Result<Arc<ServerConfig>, RelayTlsError> {
    let files = match given {
        Some(files) => files.clone(),
        None => {
            let files = self_signed_files(database);
            if !files.certificate.exists() || !files.key.exists() {
                make_self_signed(&files)?;
            }
            files
        }
    };
    let read = |path: &Path, source| RelayTlsError::Read {
        path: path.to_owned(),
        source,
    };
    let chain = CertificateDer::pem_file_iter(&files.certificate)
        .map_err(|e| read(&files.certificate, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read(&files.certificate, e))?;
    if chain.is_empty() {
        return Err(RelayTlsError::NoCertificate {
            path: files.certificate,
        });
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| read(&files.key, e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

fn make_self_signed(files: &CertificateFiles) -> Result<(), RelayTlsError> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names)?;
    let write = |path: &Path, text: &str| {
        let error = |source| RelayTlsError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // On PostgreSQL nothing else made the instance's folder.
            std::fs::create_dir_all(dir).map_err(error)?;
        }
        let _ = std::fs::remove_file(path);
        let mut file = create_owner_only(path).map_err(error)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(error)?;
        file.sync_all().map_err(error)
    };
    write(&files.key, &certified.signing_key.serialize_pem())?;
    write(&files.certificate, &certified.cert.pem())?;
    tracing::info!(
        certificate = %files.certificate.display(),
        "made a self-signed certificate for the relay's STARTTLS"
    );
    Ok(())
}
