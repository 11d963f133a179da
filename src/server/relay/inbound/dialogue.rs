//! The dispatch: one command line at a time to its handler, until QUIT, STARTTLS, a
//! dropped connection or too many errors (Stalwart's `inbound/session.rs`).

use tokio::io::{AsyncRead, AsyncWrite};

use super::auth::auth;
use super::envelope::{data, ehlo, mail, rcpt};
use super::io::{Connection, ReadError};
use super::state::{Next, State, HOSTNAME, MAX_ERRORS};
use crate::server::relay::Relay;

/// The dialogue until QUIT, STARTTLS, a dropped connection or too many errors.
pub async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
) -> Next {
    loop {
        let before = state.errors;
        let line = match connection.command_line().await {
            Ok(Some(line)) => line,
            Ok(None) => {
                connection.reply(500, "5.5.2 Line too long");
                state.errors += 1;
                String::new()
            }
            Err(ReadError::TimedOut) => {
                connection.reply(421, "4.4.2 Idle too long, closing");
                break;
            }
            Err(ReadError::Closed | ReadError::Io) => return Next::Closed,
        };
        let (verb, argument) = match line.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
            None => (line.to_ascii_uppercase(), ""),
        };
        match verb.as_str() {
            // The line was too long (answered above).
            "" if state.errors > before => {}
            "EHLO" => ehlo(relay, connection, state, argument),
            "HELO" => {
                state.envelope = None;
                connection.reply(250, HOSTNAME);
            }
            "STARTTLS" if state.tls => connection.reply(503, "5.5.1 TLS is on already"),
            "STARTTLS" => {
                connection.reply(220, "2.0.0 Ready to start TLS");
                if connection.flush().await.is_err() {
                    return Next::Closed;
                }
                return Next::StartTls;
            }
            "AUTH" => {
                if auth(relay, connection, state, argument).await.is_err() {
                    return Next::Closed;
                }
            }
            "MAIL" => mail(relay, connection, state, argument).await,
            "RCPT" => rcpt(connection, state, argument),
            "DATA" => match data(relay, connection, state).await {
                Ok(()) => {}
                Err(ReadError::TimedOut) => {
                    connection.reply(421, "4.4.2 Idle too long, closing");
                    break;
                }
                Err(_) => return Next::Closed,
            },
            "RSET" => {
                state.envelope = None;
                connection.reply(250, "2.0.0 OK");
            }
            "NOOP" => connection.reply(250, "2.0.0 OK"),
            "VRFY" => connection.reply(252, "2.5.0 Cannot verify, but will accept"),
            "QUIT" => {
                connection.reply(221, "2.0.0 Bye");
                break;
            }
            _ => {
                connection.reply(502, "5.5.1 Command not recognized");
                state.errors += 1;
            }
        }
        if state.errors > before && state.errors >= MAX_ERRORS {
            connection.reply(421, "4.7.0 Too many errors, closing");
            break;
        }
    }
    let _ = connection.flush().await;
    Next::Closed
}
