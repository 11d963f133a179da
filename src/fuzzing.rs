//! The bodies of the fuzz targets (`tests/fuzz/`, `make fuzz`): every parser of untrusted
//! bytes, driven by whatever bytes the fuzzer makes. They live in the crate, not in the
//! fuzz workspace, so that clippy and `make test` compile them and run them on seeds
//! with every change; the targets themselves are one line each.

use crate::domain::{
    ClientId, ClientSecret, DisplayName, Field, MailboxAddress, ObjectId, SmtpHost, SmtpPassword,
    SmtpPort, SmtpUsername, TenantId,
};
use crate::server::microsoft::entra::parse_token_response;
use crate::server::microsoft::token_inspection::inspect;
use crate::server::relay::inbound::syntax;
use crate::server::smtp::reply::{Capabilities, ReplyBuilder};

/// Every domain `parse`, each field's message and the PowerShell quoting, on any text.
pub fn domain_parsers(data: &[u8]) {
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
    let _ = crate::guide::ps_quote(&text);
}

/// The token endpoint's answer (success bodies and Entra's error bodies), any status:
/// the first byte chooses it.
pub fn token_response(data: &[u8]) {
    let (status, body) = match data.split_first() {
        Some((first, rest)) => (100 + u16::from(*first) * 2, rest),
        None => (200, data),
    };
    let _ = parse_token_response(status, body);
}

/// The access token's claims, read before SMTP.
pub fn jwt_payload(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    let (Ok(tenant), Ok(app)) = (
        TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ClientId::parse("a1b2c3d4-e5f6-4789-abcd-0123456789ab"),
    ) else {
        return;
    };
    let _ = inspect(
        &token,
        "https://outlook.office365.com",
        &tenant,
        &app,
        "SMTP.SendAsApp",
        1_800_000_000,
    );
}

/// SMTP replies, line by line, and the EHLO capabilities read from them.
pub fn smtp_reply(data: &[u8]) {
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
}

/// The relay's own parsers of what an application sends: MAIL FROM's argument, a
/// path, a base64 response and PLAIN's parts, on any line.
pub fn relay_syntax(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = syntax::mail_argument(&text);
    let _ = syntax::path(&text);
    let _ = syntax::strip_prefix_ignore_case(&text, "FROM:");
    if let Some(bytes) = syntax::decode(&text) {
        let _ = syntax::plain_parts(&bytes);
    }
    let _ = syntax::plain_parts(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &[u8] =
        b"{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ0eXAi.eyJhdWQi.sig\"}";
    const ENTRA_ERROR: &[u8] = b"{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret\",\"error_codes\":[7000215]}";
    const MAIL_FROM: &str = "FROM:<sender@contoso.com> SIZE=1000 BODY=8BITMIME";
    const EHLO: &str = "250-smtp.office365.com Hello\r\n250-SIZE 157286400\r\n250-STARTTLS\r\n250 AUTH LOGIN XOAUTH2\r\n";

    /// Each target's first byte or text as the fuzzer would give it: a status byte
    /// `(status - 100) / 2` before a token body.
    fn with_status(status: u16, body: &[u8]) -> Vec<u8> {
        let mut data = vec![u8::try_from((status - 100) / 2).unwrap()];
        data.extend_from_slice(body);
        data
    }

    /// The seeds reach the parsers' success paths, not only their first refusal...
    #[test]
    fn the_seeds_reach_deep_into_each_parser() {
        assert!(MailboxAddress::parse("admin@contoso.onmicrosoft.com").is_ok());
        assert!(TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47").is_ok());
        assert!(parse_token_response(200, TOKEN).is_ok());
        assert!(parse_token_response(400, ENTRA_ERROR).is_err());
        let mut builder = ReplyBuilder::default();
        let reply = EHLO
            .lines()
            .find_map(|line| builder.push(line).ok().flatten())
            .expect("the EHLO seed is one whole reply");
        let capabilities = Capabilities::from_ehlo(&reply);
        assert!(capabilities.starttls);
        assert_eq!(capabilities.auth, ["LOGIN", "XOAUTH2"]);
        assert!(syntax::mail_argument(MAIL_FROM).is_some());
        assert!(syntax::decode("AGVycABwYXNzd29yZA==")
            .and_then(|bytes| syntax::plain_parts(&bytes))
            .is_some());
    }

    /// ...and every target runs on them (and on bytes that are not text) without a panic,
    /// before a fuzzer ever runs.
    #[test]
    fn every_target_runs_on_its_seeds() {
        let seeds: [Vec<u8>; 10] = [
            Vec::new(),
            b"\xff\xfe\x00".to_vec(),
            b"admin@contoso.onmicrosoft.com".to_vec(),
            b"72f988bf-86f1-41af-91ab-2d7cd011db47".to_vec(),
            with_status(200, TOKEN),
            with_status(400, ENTRA_ERROR),
            b"eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSIsInJvbGVzIjpbIlNNVFAuU2VuZEFzQXBwIl19.".to_vec(),
            format!("{EHLO}421 4.3.2 bye\r\n").into_bytes(),
            MAIL_FROM.as_bytes().to_vec(),
            b"AGVycABwYXNzd29yZA==".to_vec(),
        ];
        for seed in &seeds {
            domain_parsers(seed);
            token_response(seed);
            jwt_payload(seed);
            smtp_reply(seed);
            relay_syntax(seed);
        }
    }
}
