//! PostgreSQL going away and coming back: with several instances the database is the
//! queue. While it is down the relay answers in words (451/454 over SMTP) instead of
//! hanging, `/healthz` says so, and once it is back every instance carries on by itself:
//! each message acknowledged before, during or after is delivered once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use crate::database::OwnServer;
use crate::helpers::{spawn_app, spawn_peers, TestApp};
use crate::instances::{send, Instance};
use crate::relay::{add_credential, settled_messages, CREDENTIAL};

/// Longer than the outage: a delivery under way when the database went keeps its
/// message, so nothing is sent twice (a shorter lease is the documented at-least-once
/// case, `instances::while_an_instance_delivers_the_other_waits_and_takes_over_only_after_its_lease`).
const LEASE_SECONDS: &str = "60";

/// `curl` posts a message to `app`'s HTTP API: the status and the `Retry-After` header.
async fn post(app: &TestApp, password: &str, mailbox: &str) -> String {
    let message = format!(
        "From: {mailbox}\r\nTo: api@fabrikam-test.com\r\nSubject: outage api\r\n\r\nHello\r\n"
    );
    let output = tokio::process::Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "-o", "/dev/null"])
        .args(["-w", "%{http_code} %header{retry-after}"])
        .args(["-u", &format!("{CREDENTIAL}:{password}")])
        .args([
            "-H",
            "Content-Type: message/rfc822",
            "--data-binary",
            &message,
        ])
        .arg(format!("{}/api/v1/messages", app.base))
        .output()
        .await
        .expect("run curl");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn healthz(app: &TestApp) -> (u16, String) {
    let response = app
        .http
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("healthz answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("healthz's body"))
}

/// Waits until `/healthz` of `app` answers `status`; the body then.
async fn until_health(app: &TestApp, status: u16) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (now, body) = healthz(app).await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "healthz still {now}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn message_id(result: &Value) -> String {
    result["message_id"]
        .as_str()
        .unwrap_or_else(|| panic!("an accepted message without its Message-ID: {result}"))
        .to_owned()
}

/// Two instances on a PostgreSQL that runs as production does (fsync and synchronous
/// commits on) accept 500 messages from ten clients; once the peer has twenty of them
/// (one from each client at least) and holds the reply to a further one, PostgreSQL is
/// crashed (`pg_ctl stop -m immediate`) and the held replies given: those deliveries end
/// while it is down. While it is down both `/healthz` answer 503 within their bound, a new
/// client is told 454 (its sign-in cannot be checked), the HTTP API 503 with
/// `Retry-After`, and the clients under way get 451 4.3.0 for what they send; it is
/// started again and both instances go on by themselves. What the clients were refused is
/// sent again, after. Every acknowledged Message-ID arrives once; a refused one at most
/// once (a commit that landed as the server died, its answer lost: the at-least-once case
/// of submission).
#[tokio::test]
async fn postgres_crashing_under_load_loses_nothing_and_each_instance_recovers_by_itself() {
    let peers = spawn_peers().await;
    let (mut server, db) = OwnServer::start("postgres-outage").await;
    let url = db.url();
    let instances = [
        Instance::new("postgres-outage-0"),
        Instance::new("postgres-outage-1"),
    ];
    let mut apps = Vec::new();
    for instance in &instances {
        let mut env = instance.env(&url, &peers);
        env.retain(|(name, _)| *name != "SMTP_SETUP_RELAY_LEASE_SECONDS");
        env.extend([
            ("SMTP_SETUP_RELAY_LEASE_SECONDS", LEASE_SECONDS),
            ("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"),
            // A delivery the outage interrupted (the configuration could not be read) is
            // retried a second later, not a minute.
            ("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "1"),
        ]);
        apps.push(spawn_app(&instance.dir, &env).await);
    }
    peers.save_form_in(&apps[0].store).await;
    let password = add_credential(&apps[0], CREDENTIAL).await;
    let mailbox = peers.form().email_address;
    assert_eq!(healthz(&apps[0]).await.0, 200);

    let outage = async {
        // Under load: messages accepted, twenty already delivered, more on their way,
        // and every client signed in (one of its messages delivered): a sign-in during
        // the outage would end that client (454) before its messages.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let delivered = peers.messages().await;
            let clients: BTreeSet<&str> = delivered
                .iter()
                .filter_map(|m| m.subject.rsplit_once('-').map(|(client, _)| client))
                .collect();
            if delivered.len() >= 20 && clients.len() == 10 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} delivered, from {clients:?}",
                delivered.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A delivery under way as the database goes: its 250 comes after the crash, and
        // its outcome must wait for the database (else the message would be sent again
        // once its lease ran out).
        peers.hold_data_replies(true).await;
        while peers.held_replies().await == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no delivery under way"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.crash().await;
        peers.hold_data_replies(false).await;
        let (down_a, down_b) =
            tokio::join!(until_health(&apps[0], 503), until_health(&apps[1], 503));
        // A client arriving now is answered, not left hanging.
        let (probe_a, probe_b, api) = tokio::join!(
            send(&apps[0], &password, &mailbox, "outage-probe-a", 1, 1),
            send(&apps[1], &password, &mailbox, "outage-probe-b", 1, 1),
            post(&apps[0], &password, &mailbox),
        );
        server.restart().await;
        let (up_a, up_b) = tokio::join!(until_health(&apps[0], 200), until_health(&apps[1], 200));
        (
            [down_a, down_b],
            [probe_a, probe_b].concat(),
            api,
            [up_a, up_b],
        )
    };
    let (during_a, during_b, (down, probes, api, up)) = tokio::join!(
        send(&apps[0], &password, &mailbox, "outage-a", 5, 50),
        send(&apps[1], &password, &mailbox, "outage-b", 5, 50),
        outage,
    );
    for body in &down {
        assert_eq!(
            body, "unavailable: the store (postgres) does not answer\n",
            "healthz while PostgreSQL is down"
        );
    }
    for body in &up {
        assert!(body.starts_with("ok: store usable (postgres)\n"), "{body}");
    }
    assert_eq!(
        api, "503 60",
        "the HTTP API while PostgreSQL is down: status, Retry-After"
    );
    for probe in &probes {
        assert_eq!(
            (&probe["ok"], &probe["code"], &probe["reply"]),
            (
                &Value::Bool(false),
                &Value::from(454),
                &Value::from("4.7.0 Temporary authentication failure")
            ),
            "a sign-in while PostgreSQL is down: {probe}"
        );
    }
    let during: Vec<Value> = [during_a, during_b].concat();
    assert_eq!(during.len(), 500, "one result per message");
    let refused: Vec<&Value> = during.iter().filter(|r| r["ok"] != true).collect();
    for result in &refused {
        assert_eq!(
            result["code"], 451,
            "a refusal while PostgreSQL is down: {result}"
        );
        assert!(
            result["reply"]
                .as_str()
                .is_some_and(|reply| reply.starts_with("4.3.0 ")),
            "{result}"
        );
    }
    // The outage came while the clients were sending.
    assert!(
        !refused.is_empty(),
        "no message was refused during the outage"
    );
    // After: what was refused is sent again (new messages), to both instances.
    let again = refused.len();
    let (after_a, after_b) = tokio::join!(
        send(
            &apps[0],
            &password,
            &mailbox,
            "outage-after-a",
            1,
            again / 2
        ),
        send(
            &apps[1],
            &password,
            &mailbox,
            "outage-after-b",
            1,
            again - again / 2
        ),
    );
    let after: Vec<Value> = [after_a, after_b].concat();
    assert!(after.iter().all(|r| r["ok"] == true), "{after:?}");

    let acknowledged: BTreeSet<String> = during
        .iter()
        .chain(&after)
        .filter(|r| r["ok"] == true)
        .map(message_id)
        .collect();
    assert_eq!(acknowledged.len(), 500);
    let not_acknowledged: BTreeSet<String> = refused
        .iter()
        .filter_map(|r| r["message_id"].as_str().map(str::to_owned))
        .collect();
    let delivered = settled_messages(&apps[0].store, &peers).await;
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for message in &delivered {
        let id = message.message_id.clone().expect("a Message-ID");
        *times.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|id| !times.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged, never delivered: {missing:?}"
    );
    let unknown: Vec<_> = times
        .keys()
        .filter(|id| !acknowledged.contains(*id) && !not_acknowledged.contains(*id))
        .collect();
    assert!(
        unknown.is_empty(),
        "delivered, never submitted: {unknown:?}"
    );
    println!(
        "PostgreSQL crashed under load: {} refused (451) and sent again, {} of them delivered \
         anyway (their commit landed as the server died), {} delivered in all",
        refused.len(),
        delivered.len() - acknowledged.len(),
        delivered.len()
    );
    for app in apps {
        app.stop().await;
    }
}
