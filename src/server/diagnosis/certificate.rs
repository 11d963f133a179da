//! A refused certificate: each problem needs a different person to act.

use crate::api::report::Words;
use crate::server::diagnosis::peer::ServerKind;
use crate::server::diagnosis::words;
use crate::server::net::tls::CertificateProblem;

pub fn fix(problem: &CertificateProblem, kind: ServerKind) -> Words {
    let (en, pt) = match problem {
        CertificateProblem::NameMismatch { .. } => {
            let (the_en, the_pt) = kind.the();
            return words(
                format!(
                    "The certificate is for a different host name: check the name of {the_en} \
                     (for Microsoft 365, your cloud's Exchange host, e.g. \
                     outlook.office365.com), not an IP address or alias."
                ),
                format!(
                    "O certificado é de outro nome de host: verifique o nome d{the_pt} (no \
                     Microsoft 365, o host do Exchange da sua nuvem, por exemplo \
                     outlook.office365.com), não um endereço IP ou alias."
                ),
            );
        }
        CertificateProblem::Expired | CertificateProblem::NotYetValid => (
            "The server's certificate is outside its validity dates: the server's operator must \
             renew it (or this machine's clock is wrong).",
            "O certificado do servidor está fora das datas de validade: o operador do servidor \
             precisa renová-lo (ou o relógio desta máquina está errado).",
        ),
        CertificateProblem::Untrusted => (
            "The certificate is not signed by a trusted authority. A firewall that inspects TLS \
             presents its own certificate: exempt the SMTP host from inspection. For a private \
             CA, give its certificate to smtp-setup with SMTP_SETUP_CA_FILE.",
            "O certificado não é assinado por uma autoridade confiável. Um firewall que \
             inspeciona TLS apresenta o próprio certificado: isente o host SMTP da inspeção. \
             Para uma CA privada, entregue o certificado dela ao smtp-setup com \
             SMTP_SETUP_CA_FILE.",
        ),
        CertificateProblem::Revoked => (
            "The certificate has been revoked: the server's operator must replace it.",
            "O certificado foi revogado: o operador do servidor precisa substituí-lo.",
        ),
        CertificateProblem::CaAsServerCertificate => (
            "The server uses a self-signed certificate made as a CA (what `openssl req -x509` \
             makes). Give that very certificate to smtp-setup in SMTP_SETUP_CA_FILE: it is \
             then trusted as it is, its name and dates still checked. Better, give the server \
             a certificate signed by a CA.",
            "O servidor usa um certificado autoassinado feito como CA (o que `openssl req \
             -x509` faz). Entregue esse mesmo certificado ao smtp-setup em SMTP_SETUP_CA_FILE: \
             ele passa a ser confiável como está, com nome e datas ainda verificados. Melhor \
             ainda, dê ao servidor um certificado assinado por uma CA.",
        ),
        CertificateProblem::RevocationUnknown => (
            "The certificate's revocation status could not be checked: ask the server's \
             operator to check the certificate and its issuer's revocation list.",
            "Não foi possível verificar a revogação do certificado: peça ao operador do \
             servidor que verifique o certificado e a lista de revogação do emissor.",
        ),
        CertificateProblem::WrongPurpose => (
            "The certificate is not issued for a TLS server (its extended key usage): the \
             server's operator must install a server certificate.",
            "O certificado não foi emitido para um servidor TLS (o uso estendido de chave): o \
             operador do servidor precisa instalar um certificado de servidor.",
        ),
        CertificateProblem::BadSignature => (
            "The certificate's signature does not verify, or uses an outdated algorithm: the \
             server's operator must replace it (or a device in between is tampering with TLS).",
            "A assinatura do certificado não confere, ou usa um algoritmo ultrapassado: o \
             operador do servidor precisa substituí-lo (ou um dispositivo no caminho está \
             adulterando o TLS).",
        ),
        CertificateProblem::Malformed => (
            "The certificate cannot be read: the server's operator must replace it.",
            "O certificado não pode ser lido: o operador do servidor precisa substituí-lo.",
        ),
        CertificateProblem::Other(_) => (
            "The server's certificate is not acceptable; the detail says why.",
            "O certificado do servidor não é aceitável; o detalhe diz por quê.",
        ),
    };
    words(en, pt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_problems_are_told_apart() {
        let fix = |problem| fix(&problem, ServerKind::Imap).en;
        assert!(fix(CertificateProblem::Untrusted).contains("SMTP_SETUP_CA_FILE"));
        let name = CertificateProblem::NameMismatch {
            presented: vec!["other.example".into()],
        };
        assert!(fix(name).contains("check the name of the IMAP server"));
        assert!(fix(CertificateProblem::Expired).contains("renew"));
        assert!(fix(CertificateProblem::Revoked).contains("revoked"));
        assert!(fix(CertificateProblem::CaAsServerCertificate).contains("SMTP_SETUP_CA_FILE"));
        assert!(fix(CertificateProblem::WrongPurpose).contains("server certificate"));
    }
}
