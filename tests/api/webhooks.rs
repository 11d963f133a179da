//! Webhooks (issue 31), against an application's endpoint started by the harness that
//! verifies every request with the Standard Webhooks reference library: events stored
//! with the change they report and delivered at least once (an endpoint that answers 500
//! twice gets each event a third time, once delivered), a test event, an endpoint that
//! never answers bounded and tried again later while the relay goes on accepting.

use std::path::Path;
use std::time::Duration;

use smtp_setup::api::relay::MessageStatus;
use smtp_setup::api::webhooks::DeliveryStatus;
use tokio::process::Command;

use crate::helpers::{database_url, spawn_peers, Peers};
use crate::relay::{queued_id, remember_secret, rig, Rig};

/// `smtp-setup webhooks ARGS` on the store in `dir`: exit code, stdout, stderr.
async fn webhooks(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_smtp-setup"))
        .arg("webhooks")
        .args(args)
        .env("DATABASE_URL", database_url(dir))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run the binary");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An endpoint of the peers' receiver, registered on a rig.
pub struct Webhook {
    pub id: String,
}

impl Webhook {
    pub async fn add(rig: &Rig, peers: &Peers, path: &str) -> Self {
        Self {
            id: endpoint(rig, peers, path).await,
        }
    }

    /// The first verified event of type `kind` the receiver got (a minute at most).
    pub async fn until_event(&self, rig: &Rig, peers: &Peers, kind: &str) -> serde_json::Value {
        until_deliveries(rig, &self.id, kind, |d| {
            d.iter()
                .any(|d| d.event == kind && d.status == DeliveryStatus::Delivered)
        })
        .await;
        peers
            .webhook_requests()
            .await
            .into_iter()
            .filter(|r| r.verified)
            .filter_map(|r| r.event)
            .find(|event| event["type"] == kind)
            .unwrap_or_else(|| panic!("no verified {kind}"))
    }
}

/// An endpoint at `path` of the peers' receiver, added by the command line and its
/// secret given to the receiver: its id.
async fn endpoint(rig: &Rig, peers: &Peers, path: &str) -> String {
    let url = format!("{}{path}", peers.info.webhooks);
    let (code, out, err) = webhooks(&rig.dir, &["add", &url]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    let id = out
        .split_whitespace()
        .nth(2)
        .expect("the endpoint's id")
        .to_owned();
    let secret = out.lines().last().expect("the secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{out}");
    remember_secret(&secret);
    peers.set_webhook_secret(&secret).await;
    id
}

/// Waits (a minute at most) until `done` holds for the endpoint's deliveries.
async fn until_deliveries(
    rig: &Rig,
    id: &str,
    what: &str,
    done: impl Fn(&[smtp_setup::api::webhooks::WebhookDelivery]) -> bool,
) -> Vec<smtp_setup::api::webhooks::WebhookDelivery> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let deliveries = rig
            .app
            .store
            .webhook_deliveries(id, 100)
            .await
            .expect("the log");
        if done(&deliveries) {
            return deliveries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {deliveries:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_event_is_signed_and_delivered_once_however_often_it_is_tried() {
    let peers = spawn_peers().await;
    let rig = rig(
        "webhooks",
        &peers,
        &[("SMTP_SETUP_WEBHOOK_FIRST_RETRY_MS", "50")],
    )
    .await;
    rig.save_configuration(&peers).await;
    let (code, _, err) = webhooks(&rig.dir, &["add", "http://erp.contoso-test.com/hooks"]).await;
    assert_eq!(code, Some(1));
    assert!(
        err.contains("a webhook endpoint is an https:// URL"),
        "{err}"
    );
    let id = endpoint(&rig, &peers, "/flaky").await;

    let sent = rig.send_one(&[]).await;
    let message = queued_id(&sent);
    rig.until_status(&message, MessageStatus::Sent).await;
    let deliveries = until_deliveries(&rig, &id, "accepted and sent, delivered", |d| {
        d.len() == 2 && d.iter().all(|d| d.status == DeliveryStatus::Delivered)
    })
    .await;
    for delivery in &deliveries {
        assert_eq!(delivery.attempts, 3, "{delivery:?}");
        assert_eq!(
            delivery.last_reply.as_deref(),
            Some("200 ok"),
            "{delivery:?}"
        );
    }

    // As the application saw it: three requests per event, each verified by the
    // reference library, one webhook-id per event; the bodies say what happened.
    let seen = peers.webhook_requests().await;
    assert_eq!(seen.len(), 6, "{seen:?}");
    let refused: Vec<_> = seen.iter().filter_map(|r| r.error.as_ref()).collect();
    assert!(seen.iter().all(|r| r.verified), "{refused:?}");
    assert!(seen.iter().all(|r| r.path == "/flaky"), "{seen:?}");
    let mut events: Vec<&str> = seen
        .iter()
        .filter_map(|r| r.event.as_ref()?["type"].as_str())
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            "message.accepted",
            "message.accepted",
            "message.accepted",
            "message.sent",
            "message.sent",
            "message.sent"
        ]
    );
    let sent_event = seen
        .iter()
        .filter_map(|r| r.event.as_ref())
        .find(|event| event["type"] == "message.sent")
        .expect("a body");
    assert_eq!(sent_event["data"]["id"], message.as_str());
    assert_eq!(sent_event["data"]["submitted_by"], "erp");
    assert_eq!(
        sent_event["data"]["recipients"][0],
        "customer@fabrikam-test.com"
    );
    let ids: std::collections::BTreeSet<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "one webhook-id per event: {ids:?}");

    // A test event, and the delivery log as the command line shows it.
    let (code, out, err) = webhooks(&rig.dir, &["test", &id]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    until_deliveries(&rig, &id, "the test event", |d| {
        d.len() == 3 && d[0].event == "webhook.test" && d[0].status == DeliveryStatus::Delivered
    })
    .await;
    let (_, log, _) = webhooks(&rig.dir, &["log", &id]).await;
    assert!(
        log.lines()
            .next()
            .is_some_and(|l| l.contains("\twebhook.test\tdelivered\t3 attempts\t")),
        "{log}"
    );
    let (code, _, err) = webhooks(&rig.dir, &["test", "ep_nothing"]).await;
    assert_eq!(code, Some(1));
    assert!(
        err.contains("there is no webhook endpoint ep_nothing"),
        "{err}"
    );
}

#[tokio::test]
async fn an_endpoint_that_never_answers_is_bounded_and_the_relay_goes_on() {
    let peers = spawn_peers().await;
    let rig = rig("webhooks-hang", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let id = endpoint(&rig, &peers, "/hang").await;
    // Twenty messages accepted while each of their events hangs at the endpoint.
    let results = rig.send(&["--count", "20"]).await;
    assert_eq!(results.len(), 20);
    for result in &results {
        queued_id(result);
    }
    // Each attempt ends at the bound, in words, and is tried again later.
    let deliveries = until_deliveries(&rig, &id, "a bounded attempt", |d| {
        d.iter().any(|d| d.last_reply.is_some())
    })
    .await;
    let bounded = deliveries
        .iter()
        .find(|d| d.last_reply.is_some())
        .expect("one");
    assert_eq!(bounded.status, DeliveryStatus::Pending, "{bounded:?}");
    assert_eq!(bounded.last_reply.as_deref(), Some("no answer within 10 s"));
    assert_eq!(bounded.attempts, 1);
}
