//! AUTH PLAIN and LOGIN, with or without an initial response, over TLS or from this
//! machine only; every refusal counted against the client.

use secrecy::SecretString;
use tokio::io::{AsyncRead, AsyncWrite};

use super::io::{Connection, ReadError};
use super::state::State;
use super::syntax::{decode, plain_parts};
use crate::server::relay::credentials::Verdict;
use crate::server::relay::submitter::Submitter;
use crate::server::relay::Relay;

/// AUTH PLAIN or LOGIN, with or without an initial response. `Err`: the connection is
/// gone.
pub(super) async fn auth<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
    argument: &str,
) -> Result<(), ReadError> {
    if state.submitter.is_some() {
        connection.reply(503, "5.5.1 Already authenticated");
        return Ok(());
    }
    if !state.may_authenticate() {
        connection.reply(538, "5.7.11 Encryption required: send STARTTLS first");
        state.errors += 1;
        return Ok(());
    }
    if state.envelope.is_some() {
        connection.reply(503, "5.5.1 AUTH is not allowed during a mail transaction");
        return Ok(());
    }
    let (mechanism, initial) = match argument.split_once(' ') {
        Some((mechanism, initial)) => (mechanism.to_ascii_uppercase(), Some(initial.trim())),
        None => (argument.to_ascii_uppercase(), None),
    };
    let (user, password) = match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(initial) => initial.to_owned(),
                None => {
                    connection.reply(334, "");
                    challenge_answer(connection).await?
                }
            };
            match decode(&response).and_then(|bytes| plain_parts(&bytes)) {
                Some(parts) => parts,
                None => {
                    malformed_auth(connection, state, &response);
                    return Ok(());
                }
            }
        }
        "LOGIN" => {
            let user = match initial {
                Some(initial) => initial.to_owned(),
                None => {
                    connection.reply(334, "VXNlcm5hbWU6");
                    challenge_answer(connection).await?
                }
            };
            connection.reply(334, "UGFzc3dvcmQ6");
            let password = challenge_answer(connection).await?;
            match (decode(&user), decode(&password)) {
                (Some(user), Some(password)) => (
                    String::from_utf8_lossy(&user).into_owned(),
                    SecretString::from(String::from_utf8_lossy(&password).into_owned()),
                ),
                _ => {
                    malformed_auth(connection, state, &password);
                    return Ok(());
                }
            }
        }
        _ => {
            connection.reply(
                504,
                "5.5.4 Unrecognized authentication type: use PLAIN or LOGIN",
            );
            state.errors += 1;
            return Ok(());
        }
    };
    let ip = state.peer.ip();
    match relay.auth.check(ip, &user, &password).await {
        Ok(Verdict::Accepted(name, scope)) => {
            tracing::info!(credential = %name, client = %ip, "relay sign-in");
            connection.reply(235, "2.7.0 Authentication successful");
            state.submitter = Some(Submitter::credential(name, scope));
        }
        Ok(Verdict::NotFromHere(name)) => {
            tracing::warn!(credential = %name, client = %ip, "relay sign-in from an address outside the credential's list");
            connection.reply(
                535,
                &format!("5.7.1 Credential {name} may not be used from {ip}: add the address to its list on the page"),
            );
            state.errors += 1;
        }
        Ok(Verdict::Refused) => {
            tracing::info!(client = %ip, "relay sign-in refused");
            connection.reply(535, "5.7.8 Authentication credentials invalid");
            state.errors += 1;
        }
        Ok(Verdict::TooMany) => {
            connection.reply(
                454,
                "4.7.0 Too many failed sign-ins from your address, try again in a minute",
            );
            state.errors += 1;
        }
        Err(error) => {
            tracing::error!(%error, "relay sign-in could not be checked");
            connection.reply(454, "4.7.0 Temporary authentication failure");
        }
    }
    Ok(())
}

/// The client's answer to a 334 challenge; `*` cancels (RFC 4954 section 4).
async fn challenge_answer<S: AsyncRead + AsyncWrite + Unpin>(
    connection: &mut Connection<S>,
) -> Result<String, ReadError> {
    Ok(connection.command_line().await?.unwrap_or_default())
}

fn malformed_auth<S>(connection: &mut Connection<S>, state: &mut State, answer: &str) {
    if answer.trim() == "*" {
        connection.reply(501, "5.0.0 Authentication cancelled");
    } else {
        connection.reply(501, "5.5.2 Cannot decode the response");
        state.errors += 1;
    }
}
