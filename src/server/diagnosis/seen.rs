//! What a passed step saw, in words for the checklist: the protocol facts the SMTP and
//! IMAP sessions return, said in each language (their failures are in `smtp`, `imap`).

use super::words;
use crate::api::report::Words;
use crate::server::imap;
use crate::server::smtp::{self, reply::Reply};

pub fn smtp_connected(connected: &smtp::Connected) -> Words {
    match connected {
        smtp::Connected::Greeted { endpoint, server } => words(
            format!("{endpoint} answered as {server}"),
            format!("{endpoint} respondeu como {server}"),
        ),
        smtp::Connected::Open { endpoint } => tcp_open(endpoint),
    }
}

fn tcp_open(endpoint: &impl std::fmt::Display) -> Words {
    words(
        format!("TCP connection to {endpoint} open"),
        format!("Conexão TCP com {endpoint} aberta"),
    )
}

pub fn smtp_secured(secured: &smtp::Secured) -> Words {
    let smtp::Secured { agreed, host } = secured;
    words(
        format!("{agreed}; certificate valid for {host}"),
        format!("{agreed}; certificado válido para {host}"),
    )
}

pub fn smtp_offered(offered: &smtp::Offered) -> Words {
    let smtp::Offered { mechanism, server } = offered;
    words(
        format!("AUTH {mechanism} is offered by {server}"),
        format!("AUTH {mechanism} é oferecido por {server}"),
    )
}

/// The server's own reply, the same in every language.
pub fn smtp_reply(reply: &Reply) -> Words {
    Words::same(reply.to_string())
}

pub fn imap_connected(connected: &imap::Connected) -> Words {
    tcp_open(&connected.endpoint)
}

pub fn imap_secured(secured: &imap::Secured) -> Words {
    let imap::Secured {
        agreed,
        host,
        greeting,
    } = secured;
    words(
        format!("{agreed}; certificate valid for {host}; the server greets: {greeting}"),
        format!("{agreed}; certificado válido para {host}; o servidor saúda: {greeting}"),
    )
}

pub fn imap_offered(offered: &imap::XOAuth2Offered) -> Words {
    if offered.sasl_ir {
        words(
            "AUTH=XOAUTH2 offered, with SASL-IR (the token goes on the command line)",
            "AUTH=XOAUTH2 oferecido, com SASL-IR (o token vai na linha do comando)",
        )
    } else {
        words(
            "AUTH=XOAUTH2 offered (the token goes after the server's +)",
            "AUTH=XOAUTH2 oferecido (o token vai depois do + do servidor)",
        )
    }
}

pub fn imap_authenticated(authenticated: &imap::Authenticated) -> Words {
    let done = &authenticated.done;
    words(
        format!("AUTHENTICATE accepted: {done}"),
        format!("AUTHENTICATE aceito: {done}"),
    )
}

pub fn imap_examined(examined: &imap::Examined) -> Words {
    let validity = examined
        .uid_validity
        .map(|v| format!(", UIDVALIDITY {v}"))
        .unwrap_or_default();
    let count = examined.messages;
    words(
        format!("INBOX holds {count} messages{validity}, opened read-only"),
        format!("A INBOX tem {count} mensagens{validity}, aberta somente para leitura"),
    )
}

pub fn reports_read(looked_at: usize, reports: usize) -> Words {
    words(
        format!("{looked_at} new messages looked at, {reports} delivery reports among them"),
        format!(
            "{looked_at} mensagens novas examinadas, {reports} relatórios de entrega entre elas"
        ),
    )
}

pub fn reports_moved(count: usize) -> Words {
    words(
        format!("{count} delivery reports moved to their folder"),
        format!("{count} relatórios de entrega movidos para a pasta deles"),
    )
}

pub fn imap_logged_out() -> Words {
    words("logged out", "sessão encerrada")
}
