//! The deliverer: a task of its own, so that an endpoint that answers nothing never slows
//! the relay. It claims due deliveries under a lease (instances share them), posts each
//! signed, a few at once, each bounded (connect and total timeouts), and records the
//! answer: a 2xx delivers; anything else is tried again on Standard Webhooks' schedule
//! (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: a day) and then given up.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch::Receiver;
use tokio::task::JoinSet;

use super::signing::sign;
use crate::server::store::webhooks::{Attempted, DueDelivery};
use crate::server::store::Store;
use crate::server::time::unix_millis;

/// Each retry's wait, in units of the first (5 s by default: 5 s, 5 min, 30 min, …).
const SCHEDULE: [u32; 7] = [1, 60, 360, 1440, 3600, 7200, 7200];
/// Deliveries posted at once by one instance.
const AT_ONCE: i64 = 8;
/// Connecting to an endpoint, and its whole answer.
const CONNECT: Duration = Duration::from_secs(5);
const TOTAL: Duration = Duration::from_secs(10);
/// How long a claimed delivery is this instance's: past the total timeout.
const LEASE: Duration = Duration::from_secs(60);
/// How often due deliveries are looked for.
const TICK: Duration = Duration::from_millis(500);
/// The longest endpoint answer kept for the delivery log.
const REPLY_CHARS: usize = 200;

pub struct Deliverer {
    store: Arc<Store>,
    client: reqwest::Client,
    first_retry: Duration,
}

impl Deliverer {
    /// `client` trusts what the server trusts (the system's roots and
    /// `SMTP_SETUP_CA_FILE`'s).
    pub fn new(store: Arc<Store>, client: reqwest::Client, first_retry: Duration) -> Self {
        Self {
            store,
            client,
            first_retry,
        }
    }

    /// The HTTP client of the deliveries: bounded, never following a redirect (a
    /// signed event goes where the admin said, nowhere else).
    pub fn client(extra_roots_pem: Option<&[u8]>) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT)
            .timeout(TOTAL)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .user_agent(concat!("smtp-setup/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_roots_pem {
            for certificate in reqwest::Certificate::from_pem_bundle(pem)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        builder.build()
    }

    /// Delivers until `stopped` turns true.
    pub async fn run(self: Arc<Self>, mut stopped: Receiver<bool>) {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        tokio::pin!(stop);
        let mut sending = JoinSet::new();
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticker.tick() => {}
                Some(_) = sending.join_next(), if !sending.is_empty() => {}
            }
            let room = AT_ONCE - i64::try_from(sending.len()).unwrap_or(AT_ONCE);
            if room <= 0 {
                continue;
            }
            let now = unix_millis(SystemTime::now());
            let lease = now + i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
            match self.store.claim_webhook_deliveries(now, lease, room).await {
                Ok(due) => {
                    for delivery in due {
                        let this = self.clone();
                        sending.spawn(async move { this.attempt(delivery).await });
                    }
                }
                Err(error) => tracing::warn!(%error, "webhooks: cannot read the due deliveries"),
            }
        }
    }

    /// One attempt: posted, answered (or not), recorded.
    async fn attempt(&self, delivery: DueDelivery) {
        let timestamp = unix_millis(SystemTime::now()) / 1000;
        let Some(signature) = sign(&delivery.secret, &delivery.id, timestamp, &delivery.payload)
        else {
            let gave_up = Attempted::GaveUp("the endpoint's secret cannot sign".to_owned());
            return self.record(&delivery, gave_up).await;
        };
        let answer = self
            .client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        let (delivered, reply) = match answer {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let text: String = text.chars().take(REPLY_CHARS).collect();
                (
                    status.is_success(),
                    format!("{} {}", status.as_u16(), text.trim())
                        .trim()
                        .to_owned(),
                )
            }
            Err(error) if error.is_timeout() => {
                (false, format!("no answer within {} s", TOTAL.as_secs()))
            }
            Err(error) if error.is_connect() => (false, "could not connect".to_owned()),
            Err(error) => (false, error.to_string()),
        };
        let attempted = if delivered {
            Attempted::Delivered(reply)
        } else {
            self.next(&delivery, reply)
        };
        self.record(&delivery, attempted).await;
    }

    /// After a failed attempt: when the next is, or given up once a day has passed.
    fn next(&self, delivery: &DueDelivery, reply: String) -> Attempted {
        let done = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
        let Some(units) = SCHEDULE.get(done.saturating_sub(1)) else {
            return Attempted::GaveUp(reply);
        };
        let wait = self.first_retry.saturating_mul(*units);
        let at =
            unix_millis(SystemTime::now()) + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        Attempted::Retry { at, reply }
    }

    async fn record(&self, delivery: &DueDelivery, attempted: Attempted) {
        match &attempted {
            Attempted::Delivered(_) => tracing::debug!(id = %delivery.id, "webhook delivered"),
            Attempted::Retry { reply, .. } => {
                tracing::info!(id = %delivery.id, attempts = delivery.attempts, %reply, "webhook not delivered; tried again later")
            }
            Attempted::GaveUp(reply) => {
                tracing::warn!(id = %delivery.id, attempts = delivery.attempts, %reply, "webhook given up after a day")
            }
        }
        if let Err(error) = self
            .store
            .record_webhook_attempt(delivery.seq, &attempted)
            .await
        {
            tracing::warn!(%error, id = %delivery.id, "webhooks: the attempt could not be recorded; it is tried again once its lease ends");
        }
    }
}
