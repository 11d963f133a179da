//! What the mail protocols share: a server that does not answer, a connection that fails
//! or closes, a certificate or TLS handshake refused, an answer that is not the
//! protocol. SMTP and IMAP say them with their own server's name.

use crate::api::report::{Failure, Step, Words};
use crate::server::diagnosis::peer::Peer;
use crate::server::diagnosis::{certificate, words};
use crate::server::net::wire::WireError;

/// "The SMTP server" at the start of a sentence.
fn capital(the: &str) -> String {
    let mut chars = the.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// No complete answer within the step's bound.
pub fn timeout(step: Step, limit: std::time::Duration, peer: &Peer<'_>) -> Failure {
    let server = peer.server;
    let (en, pt) = peer.kind.the();
    let (en_, pt_) = (capital(en), capital(pt));
    let secs = limit.as_secs().max(1);
    if step == peer.connect_step {
        let (note_en, note_pt) = peer.kind.port_note();
        Failure::at(
            step,
            words(
                format!("{en_} did not answer within {secs} s."),
                format!("{pt_} não respondeu em {secs} s."),
            ),
        )
        .fix(words(
            format!(
                "Check that this server may open outbound TCP connections to {server} \
                 ({note_en})."
            ),
            format!(
                "Verifique se este servidor pode abrir conexões TCP de saída para {server} \
                 ({note_pt})."
            ),
        ))
    } else {
        Failure::at(
            step,
            words(
                format!("{en_} stopped answering (nothing within {secs} s)."),
                format!("{pt_} parou de responder (nada em {secs} s)."),
            ),
        )
        .fix(try_again(en, pt))
    }
}

fn try_again(en: &str, pt: &str) -> Words {
    words(
        format!("Try again; if it persists, check the network path to {en}."),
        format!("Tente de novo; se persistir, verifique o caminho de rede até {pt}."),
    )
}

/// The message may or may not have gone: the fix says so first.
fn maybe_delivered() -> Words {
    words(
        "The message may not have been delivered: check the recipient's mailbox before \
         sending again.",
        "A mensagem pode não ter sido entregue: verifique a caixa de correio do destinatário \
         antes de enviar de novo.",
    )
}

/// The connection itself failed. `None` for a wire error that is a protocol mistake of
/// the server's (the caller words those with the rest of its protocol).
pub fn wire(step: Step, error: &WireError, peer: &Peer<'_>) -> Option<Failure> {
    let server = peer.server;
    let (en, pt) = peer.kind.the();
    let (en_, pt_) = (capital(en), capital(pt));
    let at = |summary: Words| Failure::at(step, summary).detail(error.to_string());
    let in_flight = peer.in_flight == Some(step);
    Some(match error {
        WireError::Io(_) if in_flight => at(words(
            "The connection failed while the message was being sent.",
            "A conexão falhou enquanto a mensagem era enviada.",
        ))
        .fix(maybe_delivered()),
        WireError::Io(_) if step == peer.connect_step => at(words(
            format!("Could not connect to {en}."),
            format!("Não foi possível conectar a {pt}."),
        ))
        .fix(words(
            format!(
                "Check the server name and port ({server}) and that outbound connections to it \
                 are allowed."
            ),
            format!(
                "Verifique o nome e a porta do servidor ({server}) e se conexões de saída até \
                 ele são permitidas."
            ),
        )),
        WireError::Io(_) => at(words(
            format!("The connection to {en} failed."),
            format!("A conexão com {pt} falhou."),
        ))
        .fix(try_again(en, pt)),
        WireError::Closed if in_flight => Failure::at(
            step,
            words(
                format!("{en_} closed the connection while the message was being sent."),
                format!("{pt_} fechou a conexão enquanto a mensagem era enviada."),
            ),
        )
        .fix(maybe_delivered().then(&words(
            "If it keeps happening, check the network path and the server's message size \
             limit.",
            "Se continuar acontecendo, verifique o caminho de rede e o limite de tamanho de \
             mensagem do servidor.",
        ))),
        WireError::Closed => Failure::at(
            step,
            words(
                format!("{en_} closed the connection."),
                format!("{pt_} fechou a conexão."),
            ),
        )
        .fix(words(
            format!(
                "Check that {server} is the right server and that this host's address is not \
                 blocked by it; the transcript shows the last reply."
            ),
            format!(
                "Verifique se {server} é o servidor certo e se o endereço deste host não é \
                 bloqueado por ele; a transcrição mostra a última resposta."
            ),
        )),
        // "d" + "o servidor SMTP": "do servidor SMTP".
        WireError::Certificate(problem) => at(words(
            format!("The certificate of {en} was refused, so nothing was sent."),
            format!("O certificado d{pt} foi recusado, então nada foi enviado."),
        ))
        .fix(certificate::fix(problem, peer.kind)),
        WireError::Handshake(_) | WireError::ServerName { .. } | WireError::OutOfOrder => {
            at(words(
                "The encrypted connection could not be set up.",
                "Não foi possível estabelecer a conexão criptografada.",
            ))
            .fix(words(
                "Check that the server supports TLS 1.2 or later on this port, and that no proxy \
                 or firewall interferes with TLS.",
                "Verifique se o servidor aceita TLS 1.2 ou mais recente nesta porta, e se nenhum \
                 proxy ou firewall interfere no TLS.",
            ))
        }
        WireError::LineTooLong | WireError::NotText | WireError::DataBeforeHandshake => {
            return None
        }
    })
}
