//! The access token's claims, read before SMTP.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_setup::domain::{ClientId, TenantId};
use smtp_setup::server::token_inspection::inspect;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let (Ok(tenant), Ok(app)) = (
        TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ClientId::parse("a1b2c3d4-e5f6-4789-abcd-0123456789ab"),
    ) else {
        return;
    };
    let _ = inspect(&token, "https://outlook.office365.com", &tenant, &app, "SMTP.SendAsApp", 1_800_000_000);
});
