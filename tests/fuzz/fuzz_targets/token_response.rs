//! The token endpoint's answer (success bodies and Entra's error bodies), any status.
//! The body is `smtp_setup::fuzzing::token_response`, compiled and run on seeds by `make test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_setup::fuzzing::token_response(data));
