//! The access token's claims, read before SMTP.
//! The body is `smtp_setup::fuzzing::jwt_payload`, compiled and run on seeds by `make test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_setup::fuzzing::jwt_payload(data));
