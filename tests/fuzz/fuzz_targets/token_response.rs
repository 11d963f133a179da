//! The token endpoint's answer (success bodies and Entra's error bodies), any status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_setup::server::entra::parse_token_response;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((first, rest)) => (100 + u16::from(*first) * 2, rest),
        None => (200, data),
    };
    let _ = parse_token_response(status, body);
});
