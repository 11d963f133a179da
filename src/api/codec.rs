//! How the page's calls and answers travel: JSON on the wire (so `curl`, the tests and a
//! reader of the network panel see plain JSON), written and read by `serde_json` on the
//! server, and by the browser's own `JSON` with `serde-wasm-bindgen` in the page. That
//! keeps `serde_json`'s parser and printer out of the WASM bundle, which is most of what
//! serialization costs there (see BENCHMARKS.md, "Where the WASM's bytes are").

use leptos::server_fn::codec::Post;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The body encoding of every server function (`input` and `output`) and of `ApiError`.
pub struct JsonEncoding;

/// A `POST` whose body is [`JsonEncoding`], both ways.
pub type Json = Post<JsonEncoding>;

impl ContentType for JsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonEncoding {
    type Error = CodecError;

    fn encode(value: &T) -> Result<leptos::server_fn::Bytes, Self::Error> {
        imp::encode(value).map(leptos::server_fn::Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonEncoding {
    type Error = CodecError;

    fn decode(bytes: leptos::server_fn::Bytes) -> Result<T, Self::Error> {
        imp::decode(&bytes)
    }
}

/// Why a body could not be written or read (the words of the library that failed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(String);

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::CodecError;

    pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
        serde_json::to_vec(value).map_err(|error| CodecError(error.to_string()))
    }

    pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
        serde_json::from_slice(bytes).map_err(|error| CodecError(error.to_string()))
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use leptos::wasm_bindgen::JsValue;

    use super::CodecError;

    pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
        // Maps as objects and `None` as `null`, as serde_json writes them.
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let value = value
            .serialize(&serializer)
            .map_err(|error| CodecError(error.to_string()))?;
        let text = js_sys::JSON::stringify(&value).map_err(from_js)?;
        Ok(String::from(text).into_bytes())
    }

    pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
        let text = std::str::from_utf8(bytes).map_err(|error| CodecError(error.to_string()))?;
        let value = js_sys::JSON::parse(text).map_err(from_js)?;
        serde_wasm_bindgen::from_value(value).map_err(|error| CodecError(error.to_string()))
    }

    fn from_js(error: JsValue) -> CodecError {
        use leptos::wasm_bindgen::JsCast;
        CodecError(
            error
                .dyn_into::<js_sys::Error>()
                .map(|error| String::from(error.message()))
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use leptos::server_fn::{Decodes, Encodes};

    use super::JsonEncoding;
    use crate::api::ApiError;

    /// The wire stays the JSON that curl and the integration tests send and read.
    #[test]
    fn the_server_writes_and_reads_plain_json() {
        let error = ApiError::Unavailable("disk full".into());
        let bytes = <JsonEncoding as Encodes<ApiError>>::encode(&error).unwrap();
        assert_eq!(&bytes[..], br#"{"Unavailable":"disk full"}"#);
        let back = <JsonEncoding as Decodes<ApiError>>::decode(bytes).unwrap();
        assert_eq!(back, error);
        let refused = <JsonEncoding as Decodes<ApiError>>::decode("{".into());
        assert!(refused.is_err());
    }
}
