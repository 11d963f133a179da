//! SMTP replies, line by line, and the EHLO capabilities read from them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_setup::server::smtp::reply::{Capabilities, ReplyBuilder};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut builder = ReplyBuilder::default();
    for line in text.split('\n') {
        match builder.push(line.trim_end_matches('\r')) {
            Ok(Some(reply)) => {
                let _ = Capabilities::from_ehlo(&reply);
                let _ = reply.to_string();
            }
            Ok(None) => {}
            Err(_) => builder = ReplyBuilder::default(),
        }
    }
});
