//! Every domain `parse` and the form's whole parse, on any text.
//! The body is `smtp_setup::fuzzing::domain_parsers`, compiled and run on seeds by `make test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_setup::fuzzing::domain_parsers(data));
