//! A refused certificate: each problem needs a different person to act.

use crate::server::tls::CertificateProblem;

/// `kind`: the server as the words name it ("SMTP server", "IMAP server").
pub fn fix(problem: &CertificateProblem, kind: &str) -> String {
    match problem {
        CertificateProblem::NameMismatch { .. } => format!(
            "The certificate is for a different host name: check the {kind}'s name (for \
             Microsoft 365, your cloud's Exchange host, e.g. outlook.office365.com), not an IP \
             address or alias."
        ),
        other => without_names(other).to_owned(),
    }
}

/// The fix of every problem but a name mismatch (which names the server's kind).
fn without_names(problem: &CertificateProblem) -> &'static str {
    match problem {
        CertificateProblem::NameMismatch { .. } => "Check the server's name.",
        CertificateProblem::Expired | CertificateProblem::NotYetValid => {
            "The server's certificate is outside its validity dates: the server's operator must \
             renew it (or this machine's clock is wrong)."
        }
        CertificateProblem::Untrusted => {
            "The certificate is not signed by a trusted authority. A firewall that inspects TLS \
             presents its own certificate: exempt the SMTP host from inspection. For a private \
             CA, give its certificate to smtp-setup with SMTP_SETUP_CA_FILE."
        }
        CertificateProblem::Revoked => {
            "The certificate has been revoked: the server's operator must replace it."
        }
        CertificateProblem::CaAsServerCertificate => {
            "The server uses a self-signed certificate made as a CA (what `openssl req -x509` \
             makes). Give that very certificate to smtp-setup in SMTP_SETUP_CA_FILE: it is \
             then trusted as it is, its name and dates still checked. Better, give the server \
             a certificate signed by a CA."
        }
        CertificateProblem::RevocationUnknown => {
            "The certificate's revocation status could not be checked: ask the server's \
             operator to check the certificate and its issuer's revocation list."
        }
        CertificateProblem::WrongPurpose => {
            "The certificate is not issued for a TLS server (its extended key usage): the \
             server's operator must install a server certificate."
        }
        CertificateProblem::BadSignature => {
            "The certificate's signature does not verify, or uses an outdated algorithm: the \
             server's operator must replace it (or a device in between is tampering with TLS)."
        }
        CertificateProblem::Malformed => {
            "The certificate cannot be read: the server's operator must replace it."
        }
        CertificateProblem::Other(_) => {
            "The server's certificate is not acceptable; the detail says why."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_problems_are_told_apart() {
        let fix = |problem| fix(&problem, "IMAP server");
        assert!(fix(CertificateProblem::Untrusted).contains("SMTP_SETUP_CA_FILE"));
        let name = CertificateProblem::NameMismatch {
            presented: vec!["other.example".into()],
        };
        assert!(fix(name).contains("check the IMAP server's name"));
        assert!(fix(CertificateProblem::Expired).contains("renew"));
        assert!(fix(CertificateProblem::Revoked).contains("revoked"));
        assert!(fix(CertificateProblem::CaAsServerCertificate).contains("SMTP_SETUP_CA_FILE"));
        assert!(fix(CertificateProblem::WrongPurpose).contains("server certificate"));
    }
}
