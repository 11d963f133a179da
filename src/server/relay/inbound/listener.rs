//! The relay's accept loops: a bounded number of SMTP clients at once, each with its
//! dialogue; on the submission listener upgraded to TLS when it asks (STARTTLS), on the
//! implicit-TLS one (RFC 8314) in TLS from the first byte. Stops accepting on shutdown;
//! dialogues in flight end with their connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::dialogue::dialogue;
use super::io::Connection;
use super::state::{Next, State};
use crate::server::net::accept::next_connection;
use crate::server::relay::Relay;

/// SMTP clients served at once; more are told to come back later.
pub const MAX_CLIENTS: usize = 256;
/// Time a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a listener's clients get TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// In clear text until the client says STARTTLS (port 587/2525 style).
    StartTls,
    /// The handshake first, then the greeting (port 465 style).
    Implicit,
}

pub async fn serve(
    listener: TcpListener,
    relay: Arc<Relay>,
    tls: Arc<rustls::ServerConfig>,
    mode: Tls,
    slots: Arc<Semaphore>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let mut shutdown = std::pin::pin!(shutdown);
    while let Some((stream, peer)) = next_connection(&listener, &mut shutdown, "relay").await {
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let relay = relay.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match mode {
                Tls::StartTls => client(&relay, &acceptor, stream, peer).await,
                Tls::Implicit => tls_client(&relay, &acceptor, stream, peer).await,
            }
            drop(slot);
        });
    }
}

/// The SMTP clients both listeners serve at once, together.
pub fn client_slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_CLIENTS))
}

/// RFC 5321 section 3.8: a server that cannot serve says 421 and closes.
async fn turn_away(mut stream: TcpStream) {
    use tokio::io::AsyncWriteExt as _;
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        stream.write_all(b"421 4.3.2 Too many connections, try again later\r\n"),
    )
    .await;
}

async fn client(relay: &Relay, acceptor: &TlsAcceptor, stream: TcpStream, peer: SocketAddr) {
    let mut state = State::new(peer);
    let mut connection = Connection::new(stream);
    if !connection.greet().await {
        return;
    }
    if let Next::StartTls = dialogue(relay, &mut connection, &mut state).await {
        let stream = connection.into_inner();
        let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
        let Ok(Ok(stream)) = handshake else {
            tracing::info!(client = %peer, "relay TLS handshake failed");
            return;
        };
        state.secured();
        let mut connection = Connection::new(stream);
        dialogue(relay, &mut connection, &mut state).await;
    }
}

/// A client of the implicit-TLS listener: the handshake, then the dialogue, in TLS all
/// along (STARTTLS is then refused as already on).
async fn tls_client(relay: &Relay, acceptor: &TlsAcceptor, stream: TcpStream, peer: SocketAddr) {
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
    let Ok(Ok(stream)) = handshake else {
        tracing::info!(client = %peer, "relay TLS handshake failed");
        return;
    };
    let mut state = State::new(peer);
    state.secured();
    let mut connection = Connection::new(stream);
    if connection.greet().await {
        dialogue(relay, &mut connection, &mut state).await;
    }
}
