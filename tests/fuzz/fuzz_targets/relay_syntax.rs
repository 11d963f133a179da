//! The relay's SMTP argument syntax: MAIL FROM, paths, base64 responses, PLAIN's parts.
//! The body is `smtp_setup::fuzzing::relay_syntax`, compiled and run on seeds by `make test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_setup::fuzzing::relay_syntax(data));
