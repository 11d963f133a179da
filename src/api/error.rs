//! What a server function answers when it cannot answer with its outcome. One type for
//! all of them, so that the page can say each case in its own words: sign in again, the
//! server cannot use its store, the call itself was wrong or did not get through.

use super::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// No session: never signed in, signed out, or expired.
    #[error("the session has ended")]
    SignedOut,
    /// The server cannot read or write its store (disk, database).
    #[error("the server cannot use its store: {0}")]
    Unavailable(String),
    /// A call or an answer that could not be read: an outdated page, or not this page.
    #[error("the request could not be read: {0}")]
    Malformed(String),
    /// The call did not get through (network, the server stopped).
    #[error("{0}")]
    Unreachable(String),
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Deserialization(text)
            | ServerFnErrorErr::Args(text)
            | ServerFnErrorErr::MissingArg(text) => ApiError::Malformed(text),
            other => ApiError::Unreachable(other.to_string()),
        }
    }
}

impl ApiError {
    /// The HTTP status the answer carries (server functions answer every error with 500
    /// otherwise, which would tell monitoring that the server is broken when it is not).
    pub fn status(&self) -> u16 {
        match self {
            ApiError::SignedOut => 401,
            ApiError::Malformed(_) => 400,
            ApiError::Unavailable(_) => 503,
            ApiError::Unreachable(_) => 500,
        }
    }

    /// The body a server function would send for this error.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_travel_as_json_and_come_back_the_same() {
        for error in [
            ApiError::SignedOut,
            ApiError::Unavailable("disk full".into()),
            ApiError::Malformed("expected value".into()),
        ] {
            let back: ApiError = serde_json::from_str(&error.body()).unwrap();
            assert_eq!(back, error);
        }
        assert_eq!(ApiError::SignedOut.body(), r#""SignedOut""#);
        assert_eq!(ApiError::SignedOut.status(), 401);
    }

    #[test]
    fn undecodable_calls_are_the_callers_fault() {
        let error = ApiError::from_server_fn_error(ServerFnErrorErr::Deserialization(
            "EOF while parsing".into(),
        ));
        assert_eq!(error.status(), 400);
        let lost = ApiError::from_server_fn_error(ServerFnErrorErr::Request("reset".into()));
        assert!(matches!(lost, ApiError::Unreachable(_)));
    }
}
