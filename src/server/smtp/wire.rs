//! One SMTP connection on the wire: plain TCP that can be upgraded to TLS, commands and
//! replies recorded in a transcript (with the credentials redacted), every read bounded.

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

use super::reply::{Reply, ReplyBuilder, ReplyError};
use super::tls::{self, CertificateProblem};
use crate::report::{Speaker, TranscriptLine};

/// RFC 5321 allows 512 octets per reply line; real servers stay far below. Longer lines
/// are cut off rather than buffered.
const MAX_LINE: u64 = 4096;

/// A transcript line longer than this is shortened: the page shows it whole otherwise.
const MAX_SHOWN: usize = 600;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the server closed the connection")]
    Closed,
    #[error("a reply line is longer than {MAX_LINE} octets")]
    LineTooLong,
    #[error("the reply is not valid UTF-8 text")]
    NotText,
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("{0}")]
    Certificate(CertificateProblem),
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
    #[error("the server sent data before the TLS handshake (a command injection attempt)")]
    DataBeforeHandshake,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Only while upgrading.
    Detached,
}

/// The shared transcript of a test send, with every credential left out.
#[derive(Default)]
pub struct Transcript {
    lines: Vec<TranscriptLine>,
}

impl Transcript {
    pub fn push(&mut self, speaker: Speaker, text: &str) {
        let text = if text.len() > MAX_SHOWN {
            let cut = (0..=MAX_SHOWN)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            format!("{}… [{} more octets]", &text[..cut], text.len() - cut)
        } else {
            text.to_owned()
        };
        self.lines.push(TranscriptLine { speaker, text });
    }

    pub fn note(&mut self, text: impl AsRef<str>) {
        self.push(Speaker::Note, text.as_ref());
    }

    pub fn finish(self) -> Vec<TranscriptLine> {
        self.lines
    }
}

pub struct Wire<'t> {
    io: BufReader<Stream>,
    transcript: &'t mut Transcript,
}

impl<'t> Wire<'t> {
    pub async fn connect(
        host: &str,
        port: u16,
        transcript: &'t mut Transcript,
    ) -> Result<Wire<'t>, WireError> {
        let tcp = TcpStream::connect((host, port)).await?;
        // The message and its final dot are written at once, but replies are short and
        // each command waits for one: no reason to let Nagle delay anything.
        tcp.set_nodelay(true)?;
        if let Ok(peer) = tcp.peer_addr() {
            transcript.note(format!("connected to {peer}"));
        }
        Ok(Wire {
            io: BufReader::new(Stream::Plain(tcp)),
            transcript,
        })
    }

    /// The address literal for EHLO (RFC 5321 section 4.1.3): this host's side of the
    /// connection, which is true and needs no DNS name.
    pub fn hello_name(&self) -> String {
        let local = match self.io.get_ref() {
            Stream::Plain(tcp) => tcp.local_addr().ok(),
            Stream::Tls(tls) => tls.get_ref().0.local_addr().ok(),
            Stream::Detached => None,
        };
        match local.map(|a| a.ip()) {
            Some(std::net::IpAddr::V4(ip)) => format!("[{ip}]"),
            Some(std::net::IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
            None => "[127.0.0.1]".to_owned(),
        }
    }

    pub async fn read_reply(&mut self) -> Result<Reply, WireError> {
        let mut builder = ReplyBuilder::default();
        loop {
            let line = self.read_line().await?;
            self.transcript.push(Speaker::Server, &line);
            if let Some(reply) = builder.push(&line)? {
                return Ok(reply);
            }
        }
    }

    async fn read_line(&mut self) -> Result<String, WireError> {
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
        String::from_utf8(buffer).map_err(|_| WireError::NotText)
    }

    /// Sends one command line (without CRLF) and reads the reply.
    pub async fn command(&mut self, line: &str) -> Result<Reply, WireError> {
        self.secret_command(line, line).await
    }

    /// Sends a line that carries credentials; the transcript shows `shown` instead.
    pub async fn secret_command(&mut self, line: &str, shown: &str) -> Result<Reply, WireError> {
        self.transcript.push(Speaker::Client, shown);
        self.send_line(line).await?;
        self.read_reply().await
    }

    async fn send_line(&mut self, line: &str) -> Result<(), WireError> {
        let stream = self.io.get_mut();
        stream.write_all(line.as_bytes()).await?;
        stream.write_all(b"\r\n").await?;
        stream.flush().await?;
        Ok(())
    }

    /// Sends the message after a 354: dot-stuffed, ending with `CRLF.CRLF`, in one write.
    pub async fn message(&mut self, message: &[u8]) -> Result<Reply, WireError> {
        let body = dot_stuff(message);
        self.transcript
            .note(format!("[message: {} octets, not shown]", message.len()));
        self.transcript.push(Speaker::Client, ".");
        let stream = self.io.get_mut();
        stream.write_all(&body).await?;
        stream.flush().await?;
        self.read_reply().await
    }

    /// The TLS handshake on this connection (after `220` to STARTTLS, or at once for
    /// implicit TLS). Returns what was agreed, e.g. `TLS 1.3, TLS13_AES_256_GCM_SHA384`.
    pub async fn upgrade(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        host: &str,
    ) -> Result<String, WireError> {
        // Anything the server sent after its 220 and before the handshake would be read
        // as if it came over TLS: refuse it (the STARTTLS injection flaw, CVE-2011-0411).
        if !self.io.buffer().is_empty() {
            return Err(WireError::DataBeforeHandshake);
        }
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| WireError::Handshake(format!("{host}: {e}")))?;
        let tcp = match std::mem::replace(self.io.get_mut(), Stream::Detached) {
            Stream::Plain(tcp) => tcp,
            other => {
                *self.io.get_mut() = other;
                return Err(WireError::Handshake("already encrypted".to_owned()));
            }
        };
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| match tls::classify_handshake(&e) {
                Ok(problem) => WireError::Certificate(problem),
                Err(text) => WireError::Handshake(text),
            })?;
        let agreed = tls::describe(tls.get_ref().1);
        self.transcript
            .note(format!("TLS handshake done: {agreed}"));
        *self.io.get_mut() = Stream::Tls(Box::new(tls));
        Ok(agreed)
    }
}

/// RFC 5321 section 4.5.2: a line starting with "." gets another one; the message ends
/// with CRLF "." CRLF.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    let mut at_line_start = true;
    for &byte in message {
        if at_line_start && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        at_line_start = byte == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
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
            Stream::Detached => Poll::Ready(Err(detached())),
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
            Stream::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Detached => Poll::Ready(Ok(())),
        }
    }
}

fn detached() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "TLS upgrade failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing() {
        assert_eq!(dot_stuff(b"a\r\n.b\r\n"), b"a\r\n..b\r\n.\r\n");
        assert_eq!(dot_stuff(b".\r\n"), b"..\r\n.\r\n");
        assert_eq!(dot_stuff(b"no newline"), b"no newline\r\n.\r\n");
        assert_eq!(dot_stuff(b"a.b\r\n"), b"a.b\r\n.\r\n");
    }

    #[test]
    fn long_transcript_lines_are_shortened() {
        let mut transcript = Transcript::default();
        transcript.push(Speaker::Server, &"é".repeat(1000));
        let line = &transcript.finish()[0];
        assert!(line.text.len() < 700);
        assert!(line.text.ends_with("more octets]"));
    }
}
