//! The token request: Entra ID's refusals (by their AADSTS code) and an endpoint that
//! cannot be reached or answers nonsense.

use crate::api::report::{Failure, Step, Words};
use crate::domain::Field;
use crate::server::diagnosis::words;
use crate::server::microsoft::entra::{error_chain, EntraError, TokenError};

/// English and Brazilian Portuguese.
pub type Text = (&'static str, &'static str);

/// A known refusal: its AADSTS codes, the field at fault, what happened, and the fix.
pub struct Known {
    pub codes: &'static [u64],
    pub field: Option<Field>,
    pub summary: Text,
    pub fix: Text,
}

impl Known {
    /// The error catalogue's entry: `aadsts` and the first code.
    pub fn id(&self) -> String {
        format!("aadsts{}", self.codes.first().copied().unwrap_or_default())
    }
}

pub const AADSTS: &[Known] = &[
    Known {
        codes: &[7000215],
        field: Some(Field::ClientSecret),
        summary: (
            "Entra ID refused the client secret.",
            "O Entra ID recusou o segredo do cliente.",
        ),
        fix: (
            "Paste the secret's Value, not its Secret ID (App registrations → your app → \
             Certificates & secrets). The Value is shown only right after the secret is \
             created: if you no longer have it, create a new client secret and paste its Value.",
            "Cole o Valor do segredo, não o ID do segredo (Registros de aplicativo → seu \
             aplicativo → Certificados e segredos). O Valor só é mostrado logo depois que o \
             segredo é criado: se você não o tem mais, crie um novo segredo do cliente e cole o \
             Valor dele.",
        ),
    },
    Known {
        codes: &[7000222],
        field: Some(Field::ClientSecret),
        summary: (
            "The client secret has expired.",
            "O segredo do cliente expirou.",
        ),
        fix: (
            "Create a new client secret (Certificates & secrets → New client secret) and paste \
             its Value into SMTP Password.",
            "Crie um novo segredo do cliente (Certificados e segredos → Novo segredo do \
             cliente) e cole o Valor dele em Senha SMTP.",
        ),
    },
    Known {
        codes: &[700016],
        field: Some(Field::ClientId),
        summary: (
            "No application with this Application (client) ID exists in this tenant.",
            "Não existe neste locatário um aplicativo com este ID do aplicativo (cliente).",
        ),
        fix: (
            "Check SMTP User against the app registration's Overview page (Application (client) \
             ID), and that TenantId is the tenant where the app is registered.",
            "Confira o Usuário SMTP com a página Visão geral do registro de aplicativo (ID do \
             aplicativo (cliente)), e que o TenantId é o locatário onde o aplicativo está \
             registrado.",
        ),
    },
    Known {
        codes: &[90002, 900023],
        field: Some(Field::TenantId),
        summary: (
            "Entra ID does not know this tenant.",
            "O Entra ID não conhece este locatário.",
        ),
        fix: (
            "Copy the Tenant ID from the Entra admin center (Overview → Tenant ID), or use the \
             tenant's onmicrosoft.com domain. A tenant in a national cloud needs that cloud's \
             sign-in endpoint.",
            "Copie o ID do locatário do Centro de administração do Microsoft Entra (Visão geral \
             → ID do locatário), ou use o domínio onmicrosoft.com do locatário. Um locatário \
             numa nuvem nacional precisa do endpoint de entrada dessa nuvem.",
        ),
    },
    Known {
        codes: &[900382],
        field: Some(Field::TenantId),
        summary: (
            "The app is registered in a different Microsoft cloud than the one asked.",
            "O aplicativo está registrado numa nuvem da Microsoft diferente da pedida.",
        ),
        fix: (
            "Pick the cloud where the tenant lives (Global, US Government, China), or register \
             the app in this cloud.",
            "Escolha a nuvem onde o locatário está (Global, Governo dos EUA, China), ou registre \
             o aplicativo nesta nuvem.",
        ),
    },
    Known {
        codes: &[53003, 53000, 53001],
        field: None,
        summary: (
            "A Conditional Access policy blocked the token request.",
            "Uma política de Acesso Condicional bloqueou o pedido de token.",
        ),
        fix: (
            "Ask the Entra administrator to exclude this app (service principal) from the \
             policy, or to allow sign-ins from this server's network location; the sign-in logs \
             show which policy applied.",
            "Peça ao administrador do Entra que exclua este aplicativo (entidade de serviço) da \
             política, ou que permita entradas a partir da localização de rede deste servidor; \
             os logs de entrada mostram qual política se aplicou.",
        ),
    },
    Known {
        codes: &[1002012, 70011],
        field: None,
        summary: (
            "Entra ID refused the requested scope.",
            "O Entra ID recusou o escopo pedido.",
        ),
        fix: (
            "The scope is the Exchange Online resource of the chosen cloud followed by \
             /.default (https://outlook.office365.com/.default in the global cloud). Check that \
             Cloud is the one the tenant lives in.",
            "O escopo é o recurso do Exchange Online da nuvem escolhida seguido de /.default \
             (https://outlook.office365.com/.default na nuvem global). Confira se a Nuvem é \
             aquela onde o locatário está.",
        ),
    },
    Known {
        codes: &[7000218],
        field: Some(Field::ClientSecret),
        summary: (
            "Entra ID wants a client credential that was not accepted.",
            "O Entra ID quer uma credencial do cliente que não foi aceita.",
        ),
        fix: (
            "Create a client secret for the app registration and paste its Value into SMTP \
             Password.",
            "Crie um segredo do cliente para o registro de aplicativo e cole o Valor dele em \
             Senha SMTP.",
        ),
    },
    Known {
        codes: &[700027],
        field: Some(Field::Certificate),
        summary: (
            "Entra ID did not accept the client assertion: the certificate is not registered \
             on the app, or the key that signed it is not the certificate's.",
            "O Entra ID não aceitou a asserção do cliente: o certificado não está registrado no \
             aplicativo, ou a chave que a assinou não é a do certificado.",
        ),
        fix: (
            "Upload this certificate to the app registration (Certificates & secrets → \
             Certificates → Upload certificate) and check that the thumbprint shown there is \
             the one shown here. A newly uploaded certificate can take a few minutes to be used.",
            "Carregue este certificado no registro do aplicativo (Certificados e segredos → \
             Certificados → Carregar certificado) e confira se a impressão digital mostrada lá é \
             a mostrada aqui. Um certificado recém-carregado pode levar alguns minutos para ser \
             usado.",
        ),
    },
    Known {
        codes: &[700024],
        field: None,
        summary: (
            "Entra ID found the client assertion outside its valid time range.",
            "O Entra ID achou a asserção do cliente fora do intervalo de tempo válido.",
        ),
        fix: (
            "The assertion is valid for five minutes from this server's clock: set the clock \
             right (NTP, timedatectl) and try again.",
            "A asserção vale por cinco minutos a partir do relógio deste servidor: acerte o \
             relógio (NTP, timedatectl) e tente de novo.",
        ),
    },
    Known {
        codes: &[7000274, 700021],
        field: Some(Field::Certificate),
        summary: (
            "The certificate registered on the app has expired.",
            "O certificado registrado no aplicativo expirou.",
        ),
        fix: (
            "Generate or obtain a new certificate, upload it to the app registration, and save \
             it here with its key.",
            "Gere ou obtenha um novo certificado, carregue-o no registro do aplicativo e salve-o \
             aqui com a chave dele.",
        ),
    },
];

/// A certificate or key that could not be used to sign the assertion (the server read
/// what the form only checks by shape).
pub fn credential_unusable(field: Field, error: &crate::domain::FieldError) -> Failure {
    use crate::i18n::Lang;
    Failure::at(
        Step::TokenRequest,
        words(error.text(Lang::En), error.text(Lang::PtBr)),
    )
    .field(field)
    .fix(words(
        "Correct the field, then try again.",
        "Corrija o campo e tente de novo.",
    ))
}

const UNKNOWN: Known = Known {
    codes: &[],
    field: None,
    summary: (
        "Entra ID refused the token request.",
        "O Entra ID recusou o pedido de token.",
    ),
    fix: (
        "Read Entra's message below; searching its AADSTS code in Microsoft's documentation \
         explains it.",
        "Leia a mensagem do Entra abaixo (em inglês, como a Microsoft a envia); procurar o \
         código AADSTS na documentação da Microsoft explica-o.",
    ),
};

fn text((en, pt_br): Text) -> Words {
    words(en, pt_br)
}

pub fn token_failure(error: &TokenError, authority: &str) -> Failure {
    let at = |summary: Words| Failure::at(Step::TokenRequest, summary);
    match error {
        TokenError::Rejected(entra) => rejected(entra),
        TokenError::Assertion(error) => {
            crate::server::diagnosis::internal(Step::TokenRequest, error)
        }
        TokenError::Timeout(limit) => {
            let secs = limit.as_secs();
            at(words(
                format!("{authority} did not answer within {secs} s."),
                format!("{authority} não respondeu em {secs} s."),
            ))
            .detail(error.to_string())
            .fix(words(
                "Check that this server can reach the Entra ID sign-in endpoint over HTTPS \
                 (proxy, firewall, DNS), then try again.",
                "Verifique se este servidor alcança o endpoint de entrada do Entra ID por HTTPS \
                 (proxy, firewall, DNS) e tente de novo.",
            ))
        }
        TokenError::Unreachable(source) => at(words(
            format!("Could not reach {authority}."),
            format!("Não foi possível alcançar {authority}."),
        ))
        .detail(error_chain(source))
        .fix(words(
            "Check this server's outbound HTTPS access, DNS and proxy settings.",
            "Verifique o acesso HTTPS de saída, o DNS e o proxy deste servidor.",
        )),
        TokenError::UnexpectedResponse { status, detail } => at(words(
            format!("The token endpoint gave an unexpected answer (HTTP {status})."),
            format!("O endpoint de token deu uma resposta inesperada (HTTP {status})."),
        ))
        .detail(detail.clone())
        .code(format!("HTTP {status}"))
        .fix(words(
            "This is usually a temporary problem at Microsoft or a proxy in between: try again \
             in a few minutes.",
            "Normalmente é um problema temporário na Microsoft ou num proxy no caminho: tente \
             de novo em alguns minutos.",
        )),
    }
}

fn rejected(entra: &EntraError) -> Failure {
    let code = entra.aadsts();
    let found = AADSTS
        .iter()
        .find(|known| code.is_some_and(|c| known.codes.contains(&c)));
    let known = found.unwrap_or(&UNKNOWN);
    let references = [
        ("Trace ID", &entra.trace_id),
        ("Correlation ID", &entra.correlation_id),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name.to_owned(), v)))
    .collect();
    let detail = if entra.error_description.is_empty() {
        &entra.error
    } else {
        &entra.error_description
    };
    let failure = Failure::at(Step::TokenRequest, text(known.summary))
        .field(known.field)
        .detail(detail.clone())
        .code(
            code.map(|c| format!("AADSTS{c}"))
                .or_else(|| (!entra.error.is_empty()).then(|| entra.error.clone())),
        )
        .fix(text(known.fix))
        .references(references);
    match found {
        Some(known) => failure.entry(&known.id()),
        None => failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::microsoft::entra::parse_token_response;

    fn entra(body: &str) -> Failure {
        match parse_token_response(400, body.as_bytes()) {
            Err(error) => token_failure(&error, "https://login.microsoftonline.com"),
            Ok(_) => panic!("expected an error"),
        }
    }

    fn with_code(code: u64) -> Failure {
        entra(&format!(
            r#"{{"error":"invalid_request","error_description":"AADSTS{code}: words","error_codes":[{code}]}}"#
        ))
    }

    #[test]
    fn wrong_secret_points_at_the_client_secret() {
        let failure = entra(
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'x'.","error_codes":[7000215],"trace_id":"t-1","correlation_id":"c-1"}"#,
        );
        assert_eq!(failure.step, Step::TokenRequest);
        assert_eq!(failure.field, Some(Field::ClientSecret));
        assert_eq!(failure.code.as_deref(), Some("AADSTS7000215"));
        assert!(failure
            .detail
            .starts_with("AADSTS7000215: Invalid client secret provided."));
        assert!(failure.fix.en.contains("Value"));
        assert!(failure.fix.pt_br.contains("Valor"));
        assert_eq!(
            failure.references,
            vec![
                ("Trace ID".into(), "t-1".into()),
                ("Correlation ID".into(), "c-1".into())
            ]
        );
    }

    #[test]
    fn every_known_code_gets_its_own_field_and_fix() {
        for known in AADSTS {
            for &code in known.codes {
                let failure = with_code(code);
                assert_eq!(failure.field, known.field, "AADSTS{code}");
                assert_eq!(failure.summary, text(known.summary), "AADSTS{code}");
                assert_eq!(failure.fix, text(known.fix), "AADSTS{code}");
                assert_eq!(failure.code, Some(format!("AADSTS{code}")));
                assert_eq!(failure.entry, Some(known.id()), "AADSTS{code}");
            }
        }
        // Spot checks of the words, so that a row cannot be emptied unnoticed.
        assert!(with_code(53003).summary.en.contains("Conditional Access"));
        assert!(with_code(70011).fix.en.contains("/.default"));
        assert!(with_code(7000218).fix.en.contains("client secret"));
        assert!(with_code(900382).fix.en.contains("cloud"));
        assert_eq!(with_code(700016).field, Some(Field::ClientId));
        assert_eq!(with_code(90002).field, Some(Field::TenantId));
        assert!(with_code(7000222).fix.en.contains("new client secret"));
        assert_eq!(with_code(700027).field, Some(Field::Certificate));
        assert!(with_code(700027).fix.en.contains("thumbprint"));
        assert!(with_code(700024).fix.en.contains("clock"));
        for expired in [7000274, 700021] {
            assert!(with_code(expired).summary.en.contains("has expired"));
            assert_eq!(with_code(expired).field, Some(Field::Certificate));
        }
    }

    #[test]
    fn unknown_entra_errors_keep_the_raw_text() {
        let failure = entra(
            r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: The server terminated an operation because it encountered a client request loop."}"#,
        );
        assert_eq!(failure.field, None);
        assert_eq!(failure.summary, text(UNKNOWN.summary));
        assert_eq!(failure.entry, None);
        assert_eq!(failure.code.as_deref(), Some("AADSTS50196"));
        assert!(failure.detail.contains("client request loop"));
        let bare = entra(r#"{"error":"invalid_grant"}"#);
        assert_eq!(bare.code.as_deref(), Some("invalid_grant"));
        assert_eq!(bare.detail, "invalid_grant");
    }
}
