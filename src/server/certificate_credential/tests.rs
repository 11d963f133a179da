use std::process::Command;
use std::time::{Duration, SystemTime};

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PSS_2048_8192_SHA256};
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::domain::ClientId;
use crate::server::certificate_credential::generate::{generate, VALIDITY};
use crate::server::certificate_credential::*;

fn generated() -> (CertificatePem, PrivateKeyPem) {
    let pair = generate("smtp-setup test", SystemTime::now()).expect("generated");
    (pair.certificate, pair.private_key)
}

fn decode(part: &str) -> serde_json::Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// A scratch folder for openssl's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "smtp-setup-credential-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

#[test]
fn a_generated_pair_is_a_matching_rsa_certificate_valid_for_a_year() {
    let (certificate, key) = generated();
    let signer = Signer::new(&certificate, &key).expect("the generated key matches");
    let summary = &signer.certificate.summary;
    assert_eq!(summary.sha1.len(), 40, "{}", summary.sha1);
    assert_eq!(summary.sha256.len(), 64);
    assert!(summary
        .sha1
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    assert_eq!(summary.subject, "CN=smtp-setup test");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let lifetime = signer.certificate.not_after - now;
    assert!(
        (lifetime - VALIDITY.as_secs() as i64).abs() < 60,
        "{lifetime}"
    );
    assert!(
        summary.not_after.ends_with('Z') && summary.not_after.len() == 20,
        "{}",
        summary.not_after
    );
}

#[test]
fn a_key_of_another_certificate_is_refused_as_not_matching() {
    let (certificate, _) = generated();
    let (_, other_key) = generated();
    let (field, error) = Signer::new(&certificate, &other_key).unwrap_err();
    assert_eq!(field, Field::PrivateKey);
    assert_eq!(error, FieldError::PrivateKey(PrivateKeyError::DoesNotMatch));
}

#[test]
fn the_assertion_names_the_certificate_and_is_signed_by_its_key() {
    let (certificate, key) = generated();
    let signer = Signer::new(&certificate, &key).unwrap();
    let client_id = ClientId::parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee").unwrap();
    let audience = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
    let jwt = assertion::sign(&signer, &client_id, audience, 1_800_000_000).unwrap();
    let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["typ"], "JWT");
    let der = CertificateDer::from_pem_slice(certificate.as_str().as_bytes()).unwrap();
    let sha256 = digest(&SHA256, der.as_ref());
    assert_eq!(header["x5t#S256"], base64url(sha256.as_ref()));
    assert_eq!(
        hex_upper(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header["x5t"].as_str().unwrap())
                .unwrap()
        ),
        signer.certificate.summary.sha1
    );
    let claims = decode(parts[1]);
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["iss"], client_id.as_str());
    assert_eq!(claims["sub"], client_id.as_str());
    assert_eq!(claims["nbf"], 1_800_000_000);
    assert_eq!(claims["exp"], 1_800_000_000 + assertion::LIFETIME_SECONDS);
    // Verified with the certificate's public key, as Entra does.
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap();
    UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, &signer.certificate.public_key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies with the certificate's key");
    // A new jti each time: Entra refuses a replayed assertion.
    let again = assertion::sign(&signer, &client_id, audience, 1_800_000_000).unwrap();
    let jti =
        |jwt: &SecretString| decode(jwt.expose_secret().split('.').nth(1).unwrap())["jti"].clone();
    assert_ne!(jti(&jwt), jti(&again));
}

#[test]
fn openssl_keys_read_in_pkcs8_and_pkcs1_and_other_algorithms_are_refused() {
    let dir = scratch("openssl");
    let (cert, key, rsa1, ec) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("rsa1.pem"),
        dir.join("ec.pem"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=openssl",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]);
    openssl(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-traditional",
        "-out",
        rsa1.to_str().unwrap(),
    ]);
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        ec.to_str().unwrap(),
    ]);
    let ec8 = dir.join("ec8.pem");
    openssl(&[
        "pkey",
        "-in",
        ec.to_str().unwrap(),
        "-out",
        ec8.to_str().unwrap(),
    ]);
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap();
    let certificate = CertificatePem::parse(&read(&cert)).unwrap();
    assert!(Signer::new(&certificate, &PrivateKeyPem::parse(&read(&key)).unwrap()).is_ok());
    assert!(Signer::new(&certificate, &PrivateKeyPem::parse(&read(&rsa1)).unwrap()).is_ok());
    // An EC key: refused by its PEM label in the form, by its algorithm on the server.
    assert!(matches!(
        PrivateKeyPem::parse(&read(&ec)),
        Err(PrivateKeyError::NotRsa)
    ));
    assert!(matches!(
        read_key(&PrivateKeyPem::parse(&read(&ec8)).unwrap()),
        Err(PrivateKeyError::NotRsa)
    ));
    let garbage =
        CertificatePem::parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
            .unwrap();
    assert!(matches!(
        Certificate::read(&garbage),
        Err(CertificateError::Unreadable)
    ));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_pkcs12_file_opens_with_its_password_only() {
    let dir = scratch("pkcs12");
    let (certificate, key) = generated();
    let (cert_file, key_file, pfx) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("app.pfx"),
    );
    std::fs::write(&cert_file, certificate.as_str()).unwrap();
    std::fs::write(&key_file, key.expose()).unwrap();
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        key_file.to_str().unwrap(),
        "-in",
        cert_file.to_str().unwrap(),
        "-passout",
        "pass:correct horse",
        "-out",
        pfx.to_str().unwrap(),
    ]);
    let file = std::fs::read(&pfx).unwrap();
    let (opened, opened_key) =
        pkcs12::open(&file, &SecretString::from("correct horse")).expect("opens");
    let signer = Signer::new(&opened, &opened_key).expect("the key matches its certificate");
    let original = Certificate::read(&certificate).unwrap();
    assert_eq!(signer.certificate.summary.sha256, original.summary.sha256);
    assert!(matches!(
        pkcs12::open(&file, &SecretString::from("wrong")),
        Err(CertificateError::Pkcs12Unreadable)
    ));
    assert!(matches!(
        pkcs12::open(b"not a pfx", &SecretString::from("x")),
        Err(CertificateError::Pkcs12Unreadable)
    ));
    std::fs::remove_dir_all(dir).ok();
    let _ = Duration::ZERO;
}
