//! Every domain `parse` and the form's whole parse, on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_setup::domain::*;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = MailboxAddress::parse(&text);
    let _ = DisplayName::parse(&text);
    let _ = TenantId::parse(&text);
    let _ = ClientId::parse(&text);
    let _ = ClientSecret::parse(&text);
    let _ = ObjectId::parse_optional(&text);
    let _ = SmtpHost::parse(&text);
    let _ = SmtpPort::parse(&text);
    let _ = SmtpUsername::parse(&text);
    let _ = SmtpPassword::parse(&text);
    for field in Field::ALL {
        let _ = field.message(&text);
    }
    let _ = smtp_setup::guide::ps_quote(&text);
});
