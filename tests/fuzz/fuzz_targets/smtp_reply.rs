//! SMTP replies, line by line, and the EHLO capabilities read from them.
//! The body is `smtp_setup::fuzzing::smtp_reply`, compiled and run on seeds by `make test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_setup::fuzzing::smtp_reply(data));
