//! The client secret's end read from Microsoft Graph (the peers play Graph's
//! `applications(appId='…')`), refused without `Application.Read.All`, and said to come
//! from Graph once saved.

use std::time::SystemTime;

use smtp_setup::api::certificate::ExpiryLookup;
use smtp_setup::api::saved::ExpirySource;
use smtp_setup::domain::{CredentialKind, SmtpForm};
use smtp_setup::server::saved_config;
use smtp_setup::server::store::SecretChange;

use crate::helpers::{fresh_dir, open_store, spawn_peers, spawn_peers_with, NOTHING_STORED};

#[tokio::test]
async fn graph_gives_the_end_of_the_secret_with_the_same_first_characters() {
    let peers = spawn_peers_with(&[("PEER_SECRET_END", "2027-02-14T08:30:00Z")]).await;
    let lookup = peers
        .checks()
        .secret_end(&peers.form(), &NOTHING_STORED)
        .await;
    assert_eq!(
        lookup,
        ExpiryLookup::Found {
            date: "2027-02-14".into()
        }
    );
    // One Graph token from Entra, with the form's own secret.
    assert_eq!(peers.stats().await.token_requests, 1);
}

#[tokio::test]
async fn without_application_read_all_graph_refuses_and_the_admin_is_told_which_permission() {
    let peers = spawn_peers_with(&[("PEER_GRAPH_ROLES", "")]).await;
    let ExpiryLookup::Failed {
        summary,
        fix,
        detail,
    } = peers
        .checks()
        .secret_end(&peers.form(), &NOTHING_STORED)
        .await
    else {
        panic!("Graph refuses without the permission");
    };
    assert!(summary.en.contains("Application.Read.All"), "{summary:?}");
    assert!(
        fix.pt_br.contains("consentimento do administrador"),
        "{fix:?}"
    );
    assert!(detail.contains("Authorization_RequestDenied"), "{detail}");
}

#[tokio::test]
async fn a_certificate_or_an_invalid_form_is_not_looked_up() {
    let peers = spawn_peers().await;
    let certificate = SmtpForm {
        credential: CredentialKind::Certificate,
        certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into(),
        private_key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----".into(),
        ..peers.form()
    };
    assert!(matches!(
        peers
            .checks()
            .secret_end(&certificate, &NOTHING_STORED)
            .await,
        ExpiryLookup::Failed { .. }
    ));
    let invalid = SmtpForm {
        tenant_id: "common".into(),
        ..peers.form()
    };
    assert!(matches!(
        peers.checks().secret_end(&invalid, &NOTHING_STORED).await,
        ExpiryLookup::Invalid(_)
    ));
    assert_eq!(peers.stats().await.token_requests, 0);
}

#[tokio::test]
async fn a_date_from_graph_is_saved_as_such() {
    let dir = fresh_dir("secret-expiry-source");
    let peers = spawn_peers().await;
    let store = open_store(&dir, "open the store").await;
    let form = SmtpForm {
        secret_expires: "2027-05-31".into(),
        secret_expires_from_graph: true,
        ..peers.form()
    };
    store
        .save(
            &form,
            SecretChange::Replace(&peers.info.client_secret),
            SecretChange::Keep,
            SecretChange::Keep,
            0,
        )
        .await
        .expect("saved");
    let saved = saved_config::load(&store, SystemTime::now()).await.unwrap();
    assert!(saved.form.secret_expires_from_graph);
    assert_eq!(saved.expiry.map(|e| e.source), Some(ExpirySource::Graph));
}
