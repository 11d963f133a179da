//! The byte-level side of a session: a command line of at most 512 octets, the message
//! after DATA read in pieces with its dots unstuffed, and the replies queued until the
//! client's input runs dry (pipelining).

use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};

use super::state::{COMMAND_TIMEOUT, HOSTNAME, MAX_COMMAND_LINE, READ_BUFFER};

pub struct Connection<S> {
    io: BufReader<S>,
    out: Vec<u8>,
}

enum Piece {
    /// Up to and including the line's LF.
    Line(Vec<u8>),
    /// Part of a longer line.
    Part(Vec<u8>),
}

#[derive(Debug)]
pub(super) enum ReadError {
    Closed,
    TimedOut,
    Io,
}

/// Replies are queued here and written when the client's input runs dry.
impl<S> Connection<S> {
    pub(super) fn reply(&mut self, code: u16, text: &str) {
        self.out
            .extend_from_slice(format!("{code} {text}\r\n").as_bytes());
    }

    pub(super) fn reply_lines(&mut self, code: u16, lines: &[String]) {
        for (i, line) in lines.iter().enumerate() {
            let separator = if i + 1 == lines.len() { ' ' } else { '-' };
            self.out
                .extend_from_slice(format!("{code}{separator}{line}\r\n").as_bytes());
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub fn new(stream: S) -> Self {
        Self {
            io: BufReader::with_capacity(READ_BUFFER, stream),
            out: Vec::new(),
        }
    }

    /// The stream, without what was read ahead (pipelined input before STARTTLS).
    pub fn into_inner(self) -> S {
        self.io.into_inner()
    }

    pub async fn greet(&mut self) -> bool {
        self.reply(220, &format!("{HOSTNAME} ESMTP smtp-setup relay ready"));
        self.flush().await.is_ok()
    }

    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            self.io.get_mut().write_all(&out).await?;
            self.io.get_mut().flush().await?;
        }
        Ok(())
    }

    /// Writes the pending replies unless more pipelined commands are already waiting.
    async fn flush_if_idle(&mut self) -> Result<(), ReadError> {
        if self.io.buffer().is_empty() {
            self.flush().await.map_err(|_| ReadError::Io)?;
        }
        Ok(())
    }

    async fn piece(&mut self, limit: usize) -> Result<Piece, ReadError> {
        self.flush_if_idle().await?;
        let read = async {
            let buffer = self.io.fill_buf().await.map_err(|_| ReadError::Io)?;
            if buffer.is_empty() {
                return Err(ReadError::Closed);
            }
            let (piece, used) = match buffer.iter().position(|&b| b == b'\n') {
                Some(i) if i < limit => (Piece::Line(buffer[..=i].to_vec()), i + 1),
                _ => {
                    let n = buffer.len().min(limit);
                    (Piece::Part(buffer[..n].to_vec()), n)
                }
            };
            self.io.consume(used);
            Ok(piece)
        };
        tokio::time::timeout(COMMAND_TIMEOUT, read)
            .await
            .map_err(|_| ReadError::TimedOut)?
    }

    /// One command line without its CRLF; `None` when it was longer than allowed (the
    /// rest of it is read and dropped).
    pub(super) async fn command_line(&mut self) -> Result<Option<String>, ReadError> {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let (bytes, done) = match self.piece(MAX_COMMAND_LINE).await? {
                Piece::Line(bytes) => (bytes, true),
                Piece::Part(bytes) => (bytes, false),
            };
            if !too_long {
                line.extend_from_slice(&bytes);
                too_long = line.len() > MAX_COMMAND_LINE;
            }
            if done {
                break;
            }
        }
        if too_long {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
    }

    /// The next piece of the message after DATA's 354, its dots unstuffed; `None` once
    /// the lone dot that ends it was read. A piece is what one read brought (at most the
    /// reader's buffer), taken whole rather than line by line, so however large the
    /// message only one is held here; what follows the final dot (a pipelined command) is
    /// left for the next read.
    pub(super) async fn message_piece(
        &mut self,
        unstuff: &mut Unstuff,
    ) -> Result<Option<Vec<u8>>, ReadError> {
        loop {
            if unstuff.ended {
                return Ok(None);
            }
            self.flush_if_idle().await?;
            let buffer = tokio::time::timeout(COMMAND_TIMEOUT, self.io.fill_buf())
                .await
                .map_err(|_| ReadError::TimedOut)?
                .map_err(|_| ReadError::Io)?;
            if buffer.is_empty() {
                return Err(ReadError::Closed);
            }
            let mut piece = Vec::with_capacity(buffer.len());
            let used = unstuff.take(buffer, &mut piece);
            self.io.consume(used);
            if !piece.is_empty() {
                return Ok(Some(piece));
            }
        }
    }
}

/// Where the message's reading is: at the start of a line, a dot is the client's
/// stuffing (RFC 5321 section 4.5.2), or, alone on its line, the end.
#[derive(Default)]
pub(super) struct Unstuff {
    at: At,
    /// The lone dot was read.
    ended: bool,
}

#[derive(Clone, Copy, Default)]
enum At {
    #[default]
    LineStart,
    MidLine,
    /// A dot at the start of a line.
    Dot,
    /// A dot and CR at the start of a line.
    DotCr,
}

impl Unstuff {
    /// Reads `input`, the message's next bytes, into `out` without the client's
    /// stuffing; returns how many bytes it used: all of them, or up to the line that ends
    /// the message (`.` CRLF, or a bare `.` LF as the line reader took before).
    pub(super) fn take(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while i < input.len() && !self.ended {
            let byte = input[i];
            match self.at {
                At::LineStart if byte == b'.' => {
                    self.at = At::Dot;
                    i += 1;
                }
                At::LineStart => self.at = At::MidLine,
                At::Dot => match byte {
                    b'\n' => {
                        self.ended = true;
                        i += 1;
                    }
                    b'\r' => {
                        self.at = At::DotCr;
                        i += 1;
                    }
                    // The dot was stuffing: dropped.
                    _ => self.at = At::MidLine,
                },
                At::DotCr if byte == b'\n' => {
                    self.ended = true;
                    i += 1;
                }
                At::DotCr => {
                    out.push(b'\r');
                    self.at = At::MidLine;
                }
                At::MidLine => match memchr::memchr(b'\n', &input[i..]) {
                    Some(at) => {
                        out.extend_from_slice(&input[i..=i + at]);
                        i += at + 1;
                        self.at = At::LineStart;
                    }
                    None => {
                        out.extend_from_slice(&input[i..]);
                        i = input.len();
                    }
                },
            }
        }
        i
    }
}
