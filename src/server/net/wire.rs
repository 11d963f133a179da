//! One line-based connection on the wire, as SMTP and IMAP speak: plain TCP that can be
//! upgraded to TLS, every line read or written recorded in a transcript (credentials
//! replaced by what the caller shows instead), every read bounded in size.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader,
    ReadBuf,
};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::server::net::tls::{self, CertificateProblem, HandshakeFailure};

/// RFC 5321 allows 512 octets per reply line; real servers stay far below. Longer lines
/// are cut off rather than buffered.
const MAX_LINE: u64 = 4096;

/// A transcript line longer than this is shortened: the page shows it whole otherwise.
const MAX_SHOWN: usize = 600;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// TCP-level failure: DNS, refused, unreachable.
    #[error("{0}")]
    Io(#[source] std::io::Error),
    /// The peer went away (end of stream, reset), TLS or not.
    #[error("the server closed the connection")]
    Closed,
    #[error("a reply line is longer than {MAX_LINE} octets")]
    LineTooLong,
    #[error("the reply is not valid UTF-8 text")]
    NotText,
    #[error("{0}")]
    Certificate(CertificateProblem),
    /// The TLS handshake failed for another reason than the certificate.
    #[error("{0}")]
    Handshake(#[source] std::io::Error),
    #[error("{host} cannot be checked against a certificate: {source}")]
    ServerName {
        host: String,
        #[source]
        source: rustls::pki_types::InvalidDnsNameError,
    },
    /// Anything the server sent after agreeing to STARTTLS and before the handshake
    /// would be read as if it came over TLS (the injection flaw of CVE-2011-0411).
    #[error("the server sent data before the TLS handshake (a command injection attempt)")]
    DataBeforeHandshake,
    /// A step used the connection out of order (a bug of ours, not the server's).
    #[error("the connection is not open, or already encrypted")]
    OutOfOrder,
}

impl From<std::io::Error> for WireError {
    fn from(error: std::io::Error) -> Self {
        use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
        if matches!(
            error.kind(),
            UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
        ) {
            WireError::Closed
        } else {
            WireError::Io(error)
        }
    }
}

/// Who wrote a transcript line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Client,
    Server,
    /// What we observed ourselves: the connection, the TLS handshake, a retry.
    Note,
}

/// Every line of one connection, credentials left out.
#[derive(Debug, Default)]
pub struct Transcript {
    lines: Vec<(Party, String)>,
}

impl Transcript {
    pub fn push(&mut self, party: Party, text: &str) {
        let text = if text.len() > MAX_SHOWN {
            let cut = (0..=MAX_SHOWN)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            format!("{}… [{} more octets]", &text[..cut], text.len() - cut)
        } else {
            text.to_owned()
        };
        self.lines.push((party, text));
    }

    pub fn note(&mut self, text: impl AsRef<str>) {
        self.push(Party::Note, text.as_ref());
    }

    pub fn into_lines(self) -> Vec<(Party, String)> {
        self.lines
    }
}

enum Stream {
    /// Not connected yet, or given up (a failed TLS upgrade).
    Closed,
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A connection and its transcript. Made before connecting, so that whatever happens
/// the transcript is there to show.
pub struct Wire {
    io: BufReader<Stream>,
    transcript: Transcript,
}

impl Default for Wire {
    fn default() -> Self {
        Self {
            io: BufReader::new(Stream::Closed),
            transcript: Transcript::default(),
        }
    }
}

impl Wire {
    pub async fn connect(&mut self, host: &str, port: u16) -> Result<(), WireError> {
        if !matches!(self.io.get_ref(), Stream::Closed) {
            return Err(WireError::OutOfOrder);
        }
        let tcp = TcpStream::connect((host, port)).await?;
        // Whole commands are written at once and each waits for its reply: no reason to
        // let Nagle delay anything.
        tcp.set_nodelay(true)?;
        if let Ok(peer) = tcp.peer_addr() {
            self.transcript.note(format!("connected to {peer}"));
        }
        self.io = BufReader::new(Stream::Plain(tcp));
        Ok(())
    }

    /// This host's address on the connection.
    pub fn local_ip(&self) -> Option<IpAddr> {
        let local = match self.io.get_ref() {
            Stream::Plain(tcp) => tcp.local_addr(),
            Stream::Tls(tls) => tls.get_ref().0.local_addr(),
            Stream::Closed => return None,
        };
        local.ok().map(|address| address.ip())
    }

    pub fn transcript(&mut self) -> &mut Transcript {
        &mut self.transcript
    }

    pub fn into_transcript(self) -> Transcript {
        self.transcript
    }

    /// One line from the server, CRLF removed, recorded as the server's.
    pub async fn read_line(&mut self) -> Result<String, WireError> {
        let mut buffer = Vec::new();
        let read = (&mut self.io)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buffer)
            .await?;
        if read == 0 {
            return Err(WireError::Closed);
        }
        if buffer.last() != Some(&b'\n') {
            return Err(if read as u64 >= MAX_LINE {
                WireError::LineTooLong
            } else {
                WireError::Closed
            });
        }
        while matches!(buffer.last(), Some(b'\n' | b'\r')) {
            buffer.pop();
        }
        let line = String::from_utf8(buffer).map_err(|_| WireError::NotText)?;
        self.transcript.push(Party::Server, &line);
        Ok(line)
    }

    /// Exactly `length` bytes from the server (an IMAP literal), noted by their size only:
    /// a message's text is not the transcript's to keep.
    pub async fn read_bytes(&mut self, length: usize) -> Result<Vec<u8>, WireError> {
        let mut bytes = vec![0; length];
        self.io.read_exact(&mut bytes).await?;
        self.transcript.note(format!("({length} octets)"));
        Ok(bytes)
    }

    /// Sends one line (CRLF added); the transcript shows `shown` instead, so a line
    /// that carries credentials is never recorded.
    pub async fn write_line(&mut self, line: &str, shown: &str) -> Result<(), WireError> {
        self.transcript.push(Party::Client, shown);
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.write_all(&bytes).await
    }

    /// Sends bytes as they are, unrecorded (a message body: the caller notes it).
    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let stream = self.io.get_mut();
        stream.write_all(bytes).await?;
        stream.flush().await?;
        Ok(())
    }

    /// The TLS handshake on this connection (after the server agreed to STARTTLS, or at
    /// once for implicit TLS). Returns what was agreed, e.g. `TLS 1.3, TLS13_AES_256_GCM_SHA384`.
    pub async fn upgrade(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        host: &str,
    ) -> Result<String, WireError> {
        if !self.io.buffer().is_empty() {
            return Err(WireError::DataBeforeHandshake);
        }
        let name =
            ServerName::try_from(host.to_owned()).map_err(|source| WireError::ServerName {
                host: host.to_owned(),
                source,
            })?;
        let tcp = match std::mem::replace(self.io.get_mut(), Stream::Closed) {
            Stream::Plain(tcp) => tcp,
            other => {
                *self.io.get_mut() = other;
                return Err(WireError::OutOfOrder);
            }
        };
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| match tls::classify_handshake(e) {
                HandshakeFailure::Certificate(problem) => WireError::Certificate(problem),
                HandshakeFailure::Other(error) => WireError::Handshake(error),
            })?;
        let agreed = tls::describe(tls.get_ref().1);
        self.transcript
            .note(format!("TLS handshake done: {agreed}"));
        *self.io.get_mut() = Stream::Tls(Box::new(tls));
        Ok(agreed)
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Closed => Poll::Ready(Err(not_connected())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Closed => Poll::Ready(Err(not_connected())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Closed => Poll::Ready(Err(not_connected())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

fn not_connected() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "not connected")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_transcript_lines_are_shortened() {
        let mut transcript = Transcript::default();
        transcript.push(Party::Server, &"é".repeat(1000));
        let (_, text) = &transcript.into_lines()[0];
        assert!(text.len() < 700);
        assert!(text.ends_with("more octets]"));
    }

    #[test]
    fn a_peer_that_goes_away_has_closed_the_connection() {
        let reset = WireError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(matches!(reset, WireError::Closed));
        let refused = WireError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(refused, WireError::Io(_)));
    }
}
