//! Português (Brasil). Microsoft's terms are those of the pt-BR Entra and Exchange admin
//! centers, as Microsoft Learn's pt-br edition quotes them ("Centro de administração do
//! Microsoft Entra", "Registros de aplicativo", "ID do aplicativo (cliente)",
//! "Certificados e segredos", "Permissões de API", "Conceder consentimento do
//! administrador", "Aplicativos empresariais", "ID do objeto", "entidade de serviço").

use super::texts::{Texts, GUID_EXAMPLE};
use super::Shown;
use crate::api::relay::MessageStatus;
use crate::api::report::{Step, StepStatus, TestKind};
use crate::api::saved::ExpirySource;
use crate::domain::limits;
use crate::domain::{
    AuthType, CertificateError, ClientIdError, ClientSecretError, Cloud, CredentialKind,
    DisplayNameError, ExpiryDateError, Field, FieldError, HourlyQuotaError, IpRangeListError,
    MailboxError, ObjectIdError, PrivateKeyError, Security, SenderListError, SmtpHostError,
    SmtpPasswordError, SmtpPortError, SmtpUsernameError, TenantIdError, WebhookUrlError,
};

pub const TEXTS: Texts = Texts {
    document_title: "Configuração SMTP · smtp-setup",
    page_title: "Configuração SMTP",
    lead: "Defina como o aplicativo envia email e depois envie uma mensagem de teste para \
           provar que funciona.",
    sign_out: "Sair",
    language: "Idioma",

    auth_type: "Tipo de autenticação",
    auth_type_name: |auth| match auth {
        AuthType::MicrosoftOAuth2 => "Microsoft (OAuth2)",
        AuthType::Password => "Usuário e senha",
    },
    cloud: "Nuvem",
    cloud_hint: "Onde o locatário está: define a autoridade de entrada, o escopo do token e o \
                 servidor SMTP.",
    cloud_name: |cloud| match cloud {
        Cloud::Global => "Global (Microsoft 365, incluindo GCC)",
        Cloud::UsGovGccHigh => "Governo dos EUA GCC High",
        Cloud::UsGovDod => "Governo dos EUA DoD",
        Cloud::China => "China (operada pela 21Vianet)",
    },
    security: "Criptografia",
    security_hint: "As credenciais só são enviadas criptografadas.",
    security_name: |security| match security {
        Security::StartTls => "STARTTLS (normalmente porta 587)",
        Security::ImplicitTls => "TLS desde o início (normalmente porta 465)",
    },
    field_label,
    field_hint,
    field_error,
    stored_secret: |stored| {
        let what = match stored.hint {
            Some(hint) => format!("{hint}… ({} caracteres)", stored.length),
            None => format!("{} caracteres", stored.length),
        };
        format!(
            "Armazenado: {what}, salvo em {}. Deixe vazio para mantê-lo; digite um novo valor \
             para substituí-lo.",
            stored.saved
        )
    },
    stored_key: |saved| {
        if saved.is_empty() {
            return "Guardada neste servidor: a chave deste certificado. Deixe vazio para mantê-la.".to_owned();
        }
        format!("Armazenada: a chave deste certificado, salva {saved}. Deixe vazio para mantê-la.")
    },
    credential: "Credencial",
    credential_hint: "A Microsoft recomenda um certificado para um aplicativo que roda sem \
                      supervisão: não precisa ser copiado de um lado para o outro, e você \
                      escolhe por quanto tempo vale.",
    credential_name: |kind| match kind {
        CredentialKind::ClientSecret => "Segredo do cliente",
        CredentialKind::Certificate => "Certificado",
    },
    generate_certificate: "Gerar um certificado",
    generating_certificate: "Gerando…",
    certificate_generated: "Um novo par de chaves e um certificado foram criados; a chave fica \
                            neste servidor. Baixe o certificado e carregue-o no registro do \
                            aplicativo (Certificados e segredos → Certificados), depois salve.",
    open_file: "Abrir um arquivo",
    open_file_hint: "Um arquivo PEM (certificado e chave) preenche os campos abaixo; um arquivo \
                     PKCS#12 (.pfx, .p12) é aberto no servidor com a senha dele.",
    pkcs12_password: "Senha do PKCS#12",
    import_file: "Abrir",
    certificate_imported: "O certificado e a chave foram lidos do arquivo; a chave fica neste \
                           servidor. Salve para mantê-los.",
    read_from_graph: "Ler do Microsoft Graph",
    reading_from_graph: "Lendo…",
    read_from_graph_hint: "Requer a permissão Application.Read.All do Microsoft Graph (de \
                           aplicativo, com consentimento do administrador) no registro do \
                           aplicativo.",
    found_in_graph: |date| {
        format!("O Microsoft Graph diz que este segredo expira em {date}. Salve para mantê-la.")
    },
    download_certificate: "Baixar o certificado (.cer)",
    thumbprint_sha1: "Impressão digital (SHA-1, como o Centro de administração do Entra mostra)",
    thumbprint_sha256: "Impressão digital (SHA-256)",
    certificate_subject: "Titular",
    valid_from: "Válido desde",
    valid_until: "Válido até",
    expiry: |expiry| {
        let what = match expiry.source {
            ExpirySource::Certificate => "O certificado",
            ExpirySource::Administrator | ExpirySource::Graph => "O segredo do cliente",
        };
        let source = match expiry.source {
            ExpirySource::Certificate => "lido do certificado",
            ExpirySource::Administrator => "a data informada no formulário",
            ExpirySource::Graph => "lido do Microsoft Graph",
        };
        match expiry.days_left {
            i64::MIN..=-1 => format!(
                "{what} expirou em {} ({source}): o Entra ID o recusa e nenhum e-mail é \
                 enviado. Adicione um novo ao registro do aplicativo e salve-o aqui.",
                expiry.date
            ),
            0 => format!(
                "{what} expira em menos de 24 horas, em {} ({source}). Adicione um novo ao \
                 registro do aplicativo e salve-o aqui.",
                expiry.date
            ),
            1 => format!(
                "{what} expira em 1 dia, em {} ({source}). Adicione um novo ao registro do \
                 aplicativo e salve-o aqui.",
                expiry.date
            ),
            2..=7 => format!(
                "{what} expira em {} dias, em {} ({source}). Adicione um novo ao registro do \
                 aplicativo e salve-o aqui.",
                expiry.days_left, expiry.date
            ),
            days => format!(
                "{what} expira em {days} dias, em {} ({source}).",
                expiry.date
            ),
        }
    },
    show: "Mostrar",
    hide: "Ocultar",
    send_test: "Enviar email de teste",
    sending_test: "Enviando email de teste…",
    check_mailbox: "Testar acesso à caixa de correio",
    checking_mailbox: "Testando acesso à caixa de correio…",
    save: "Salvar",
    saving: "Salvando…",
    at_fault_note:
        "O último teste falhou por causa deste campo: a explicação está abaixo do formulário.",

    test_sent: |to| format!("Email de teste enviado para {to}"),
    mailbox_opened: |mailbox, messages| {
        format!(
            "O acesso à caixa de correio funciona: a INBOX de {mailbox} tem {messages} mensagens"
        )
    },
    saved: "Configuração salva",
    too_many_tests_title: "Emails de teste demais",
    too_many_tests: |secs| {
        format!(
            "Uma sessão envia no máximo alguns emails de teste por minuto, para que esta página \
             não possa inundar a caixa de correio. Tente de novo em {secs} s."
        )
    },
    conflict_title: "Não salvo: alterado por outra pessoa",
    conflict: |version| {
        format!(
            "A configuração foi salva em outro lugar depois que esta página abriu (agora está na \
             versão {version}). Recarregue a página para ver essas alterações e então faça as \
             suas de novo. Nada foi sobrescrito."
        )
    },
    signed_out_title: "Sua sessão terminou",
    signed_out: "Entre de novo com o link que o servidor exibiu (http://…/login?token=…) e \
                 tente outra vez. Nada foi enviado nem salvo.",
    unavailable_title: "O servidor não consegue usar o seu armazenamento",
    unavailable: |detail| {
        format!(
            "O smtp-setup não conseguiu ler ou gravar o seu banco de dados ({detail}). Nada foi \
             enviado nem salvo; o log do servidor tem os detalhes."
        )
    },
    malformed_title: "A página e o servidor não se entendem",
    malformed: |detail| {
        format!(
            "Recarregue a página (o servidor pode ser mais novo que ela) e tente de novo. \
             ({detail})"
        )
    },
    unreachable_title: "Não foi possível fazer a solicitação",
    unreachable: |detail| {
        format!(
            "A página não alcançou o servidor do smtp-setup ({detail}). Verifique se ele está em \
             execução e tente de novo."
        )
    },
    dismiss: "Fechar",

    failed_at: "O teste falhou em: ",
    field_to_check: "Campo a verificar: ",
    what_to_do: "O que fazer: ",
    in_the_catalogue: "Este erro no catálogo de erros",
    copy_named: |name| format!("Copiar o {name}"),
    // Support asks for them by their English names: kept beside ours.
    reference_name: |name| match name {
        "Trace ID" => "ID de rastreamento (Trace ID)".to_owned(),
        "Correlation ID" => "ID de correlação (Correlation ID)".to_owned(),
        other => other.to_owned(),
    },

    test_report: "Relatório do teste",
    step_label,
    step_status: |status| match status {
        StepStatus::Passed => "concluída",
        StepStatus::Failed => "falhou",
        StepStatus::Skipped => "não executada",
    },
    transcript: "Transcrição",
    transcript_hint: "O que foi dito na conexão, para um chamado de suporte. As credenciais \
                      aparecem como [redacted]; a mensagem em si fica de fora.",
    copy_transcript: "Copiar a transcrição",
    copy: "Copiar",
    copied: "Copiado",

    recent_tests: "Testes recentes",
    no_test_yet: "Nenhum teste enviado ainda.",
    when: "Quando",
    test: "Teste",
    kind: "Tipo",
    recipient: "Destinatário",
    result: "Resultado",
    test_kind: |kind| match kind {
        TestKind::SendTest => "Email de teste",
        TestKind::MailboxAccess => "Acesso à caixa de correio",
        TestKind::ScheduledCheck => "Verificação agendada",
        TestKind::ScheduledSend => "E-mail de teste agendado",
    },
    history_sent: "Enviado",
    history_opened: "Caixa de correio aberta",
    history_token: "Token emitido",
    scheduled_failed: |when, summary| {
        format!(
            "A verificação agendada da configuração salva falhou ({when}): {summary} Os \
             aplicativos não conseguem enviar até que isto seja corrigido; Testes recentes \
             tem os detalhes."
        )
    },
    history_failed: |step, what| match what {
        Some(what) => format!("Falhou em {step}: {what}"),
        None => format!("Falhou em {step}"),
    },
    unknown_step: "etapa desconhecida",

    guide_summary: "Guia de configuração: SMTP somente de aplicativo no Microsoft 365, \
                    preenchido a partir deste formulário",
    guide_register_title: "Registre o aplicativo.",
    guide_register: |admin_center| {
        format!(
            "No Centro de administração do Microsoft Entra ({admin_center}): Registros de \
             aplicativo → Novo registro. Copie o ID do aplicativo (cliente) para \"Usuário SMTP\" \
             e o ID do diretório (locatário) para \"TenantId\". Certificados e segredos → Novo \
             segredo do cliente: copie o Valor (não o ID do segredo) para \"Senha SMTP\"."
        )
    },
    guide_permissions_title: "Adicione as permissões.",
    guide_permissions: "Permissões de API → Adicionar uma permissão → APIs que minha \
                        organização usa → Office 365 Exchange Online → Permissões de aplicativo: \
                        SMTP.SendAsApp (e IMAP.AccessAsApp se o aplicativo também lê emails). \
                        Depois, Conceder consentimento do administrador. Não em Microsoft Graph: \
                        esse é o erro mais comum.",
    guide_object_id_title: "Encontre o ObjectId da entidade de serviço.",
    guide_object_id: "Aplicativos empresariais → seu aplicativo → ID do objeto, em \
                      \"ObjectId\". Não o ID do objeto da página do Registro de aplicativo: \
                      aquele é o do registro.",
    guide_exchange_title: "Registre a entidade de serviço no Exchange e dê a ela a caixa de \
                           correio.",
    guide_exchange: "No PowerShell, como administrador do Exchange:",
    guide_exchange_wait: "As permissões podem levar cerca de 30 minutos para valer; até lá o \
                          Exchange responde 535 5.7.3.",
    copy_setup: "Copiar os comandos de configuração",
    guide_check_title: "Verifique em que ponto a configuração está (somente leitura).",
    copy_check: "Copiar os comandos de verificação",
    guide_smtp_auth: "O SMTP AUTH precisa estar permitido para a caixa de correio (Centro de \
                      administração do Microsoft 365 → o usuário → Email → Gerenciar aplicativos \
                      de email → SMTP autenticado) e não desativado para toda a organização.",
    learn_register: "Registrar um aplicativo (Microsoft Learn)",
    learn_secret: "Adicionar um segredo do cliente (Microsoft Learn)",
    learn_consent: "Conceder consentimento do administrador (Microsoft Learn)",
    learn_exchange: "OAuth para SMTP e IMAP no Exchange Online (Microsoft Learn)",
    learn_smtp_auth: "Ativar ou desativar o SMTP AUTH (Microsoft Learn)",

    relay: "Retransmissão",
    relay_place: |place| {
        let smtp = match place.smtp {
            Some(address) => format!("SMTP em {address} (STARTTLS, AUTH PLAIN ou LOGIN)"),
            None => "o SMTP está desligado (SMTP_SETUP_RELAY_ADDR)".to_owned(),
        };
        let sender = if place.mailbox.is_empty() {
            "Salve uma configuração primeiro: o endereço de email dela é o remetente permitido."
                .to_owned()
        } else if place.also_allowed {
            format!(
                "O remetente precisa ser {} ou um dos remetentes também permitidos.",
                place.mailbox
            )
        } else {
            format!("O remetente precisa ser {}.", place.mailbox)
        };
        format!(
            "Os aplicativos enviam pela configuração salva: {smtp}, ou HTTP em {}. {sender}",
            place.api_url
        )
    },
    also_allowed: "Remetentes também permitidos",
    also_allowed_label: "Endereços como os quais o aplicativo também pode enviar (caixas de \
                         correio compartilhadas, aliases com SendAs), um por linha",
    update_allowed: "Atualizar remetentes permitidos",
    allowed_saved: "Salvo.",
    credentials: "Credenciais da retransmissão",
    credentials_hint: "Cada aplicativo entra com uma credencial própria: o nome dela como \
                       usuário e a senha mostrada uma única vez, quando é adicionada.",
    new_credential: "Nome da nova credencial",
    add_credential: "Adicionar credencial",
    credential_name_rule: "O nome de uma credencial tem de 1 a 64 letras, dígitos, pontos, \
                           hífens ou sublinhados.",
    credential_exists: |name| format!("Já existe uma credencial chamada {name}."),
    new_password_before: "A senha de ",
    new_password_after: ", mostrada só agora: copie-a para o aplicativo.",
    copy_password: "Copiar a senha",
    try_it: "Para experimentar num terminal:",
    no_credential: "Nenhuma credencial de retransmissão ainda.",
    never: "nunca",
    remove: "Remover",
    limits: "Limites",
    scope_summary: |scope| {
        let senders = scope
            .senders
            .as_ref()
            .map_or("qualquer remetente permitido".to_owned(), |list| {
                format!("só como {}", list.to_text().replace('\n', ", "))
            });
        let clients = scope
            .clients
            .as_ref()
            .map_or("de qualquer endereço".to_owned(), |list| {
                format!("de {}", list.to_text().replace('\n', ", "))
            });
        let quota = scope.per_hour.map_or("sem cota por hora".to_owned(), |q| {
            format!("{} mensagens por hora", q.get())
        });
        format!("{senders}; {clients}; {quota}")
    },
    edit_limits: "Limites…",
    limits_of: |name| format!("O que {name} pode fazer"),
    scope_senders_label:
        "Remetentes que pode usar, um por linha (vazio: qualquer remetente permitido)",
    scope_clients_label: "Endereços ou faixas CIDR de onde pode se conectar (vazio: qualquer)",
    scope_per_hour_label: "Mensagens por hora (vazio: sem cota)",
    save_limits: "Salvar limites",
    cancel: "Cancelar",
    webhooks: "Webhooks",
    webhooks_hint: "Os endpoints HTTPS dos seus aplicativos, avisados do que aconteceu com \
                    cada mensagem (aceita, enviada, falhou, devolvida, atrasada), cada evento \
                    assinado como o Standard Webhooks assina.",
    webhook_url_label: "Endereço do endpoint (https://…)",
    add_webhook: "Adicionar endpoint",
    webhook_secret_before: "O segredo de assinatura de ",
    webhook_secret_after: ", mostrado só agora: entregue-o ao aplicativo, que verifica cada \
                           evento com ele.",
    copy_secret: "Copiar o segredo",
    no_webhook: "Nenhum endpoint de webhook ainda.",
    address: "Endereço",
    send_test_event: "Enviar evento de teste",
    delivery_log: "Registro de entregas",
    delivery_log_of: |url| format!("Entregas para {url}"),
    no_delivery: "Nada enviado a ele ainda.",
    event: "Evento",
    last_answer: "Última resposta",
    delivery_status: |status| match status {
        crate::api::webhooks::DeliveryStatus::Pending => "Aguardando",
        crate::api::webhooks::DeliveryStatus::Delivered => "Entregue",
        crate::api::webhooks::DeliveryStatus::Failed => "Desistido",
    },
    name: "Nome",
    added: "Adicionada",
    last_used: "Último uso",
    actions: "Ações",
    outbox: "Caixa de saída",
    outbox_kept: |kept| {
        let body = match kept.body_days {
            Some(days) => format!("O conteúdo de uma mensagem entregue é guardado por {days} dias e depois descartado; sua linha continua."),
            None => "O conteúdo de uma mensagem entregue é guardado para sempre.".to_owned(),
        };
        let rows = match kept.record_days {
            Some(days) => format!(" Mensagens concluídas (entregues ou com falha) e os testes recentes são guardados por {days} dias. Mensagens ainda à espera nunca são descartadas."),
            None => " Mensagens concluídas e os testes recentes são guardados para sempre.".to_owned(),
        };
        body + &rows
    },
    refresh: "Atualizar",
    no_message: "Nenhuma mensagem retransmitida ainda.",
    retry_now: "Tentar agora",
    delete: "Excluir",
    accepted: "Aceita",
    from: "De",
    to: "Para",
    subject: "Assunto",
    status: "Situação",
    attempts: "Tentativas",
    next_try: "Próxima tentativa",
    last_error: "Último erro",
    message_status: |status| match status {
        MessageStatus::Queued => "Na fila",
        MessageStatus::Sending => "Enviando",
        MessageStatus::Retrying => "Aguardando nova tentativa",
        MessageStatus::Sent => "Enviada",
        MessageStatus::Failed => "Falhou",
        MessageStatus::Bounced => "Devolvida",
        MessageStatus::Delayed => "Atrasada",
    },

    sign_in_title: "Entrar",
    sign_in: "Abra o link de entrada que o servidor exibiu ao iniciar.",
    sign_in_refused_title: "Link de entrada inválido",
    sign_in_refused: "Este link de entrada está errado ou já foi usado. Use o link mais recente \
                      que o servidor exibiu.",
    sign_in_limited_title: "Tentativas demais",
    sign_in_limited: "Links de entrada errados demais no último minuto. Aguarde um minuto.",
    signed_out_page_title: "Sessão encerrada",
    signed_out_page: "Você saiu. Para entrar de novo, abra o link que o servidor exibiu.",
};

fn field_label(field: Field) -> &'static str {
    match field {
        Field::EmailAddress => "Endereço de e-mail",
        Field::Name => "Nome",
        Field::TenantId => "TenantId",
        Field::ClientId => "Usuário SMTP",
        Field::ClientSecret => "Senha SMTP",
        Field::SecretExpires => "O segredo expira em",
        Field::Certificate => "Certificado",
        Field::PrivateKey => "Chave privada",
        Field::ObjectId => "ObjectId",
        Field::SmtpHost => "Servidor SMTP",
        Field::SmtpPort => "Porta",
        Field::Username => "Usuário",
        Field::Password => "Senha",
        Field::SendTestTo => "Enviar teste para",
        Field::MonitorTo => "Endereço de monitoramento",
    }
}

fn field_hint(field: Field) -> &'static str {
    match field {
        Field::EmailAddress => {
            "A caixa de correio do Exchange Online que envia os emails; também é o login SMTP."
        }
        Field::Name => "Mostrado aos destinatários como o nome do remetente. Opcional.",
        Field::TenantId => {
            "Centro de administração do Microsoft Entra → Visão geral → ID do locatário (ou o \
             seu domínio, por exemplo contoso.onmicrosoft.com)."
        }
        Field::ClientId => {
            "Centro de administração do Microsoft Entra → Registros de aplicativo → seu \
             aplicativo → ID do aplicativo (cliente)."
        }
        Field::ClientSecret => {
            "Registros de aplicativo → seu aplicativo → Certificados e segredos → a coluna Valor \
             do segredo (não o ID do segredo)."
        }
        Field::SecretExpires => {
            "Opcional: a coluna Expira do segredo em Certificados e segredos. A partir de 30 \
             dias antes, a página e o /healthz avisam."
        }
        Field::Certificate => {
            "O certificado carregado no registro do aplicativo (PEM: -----BEGIN CERTIFICATE-----)."
        }
        Field::PrivateKey => {
            "A chave privada dele (PEM, sem criptografia: -----BEGIN PRIVATE KEY-----). Selada \
             neste servidor; nunca mais mostrada."
        }
        Field::ObjectId => {
            "Opcional, para o guia de configuração: Aplicativos empresariais → seu aplicativo → \
             ID do objeto. Não o ID do objeto da página do Registro de aplicativo: aquele \
             pertence ao registro, e New-ServicePrincipal com ele leva a 535 5.7.3."
        }
        Field::SmtpHost => "O nome do servidor SMTP, por exemplo smtp.office365.com.",
        Field::SmtpPort => "587 para STARTTLS, 465 para TLS desde o início.",
        Field::Username => "O login SMTP, muitas vezes o endereço da caixa de correio.",
        Field::Password => "A senha do login SMTP.",
        Field::SendTestTo => "Quem recebe o email de teste. Vazio: o próprio Endereço de e-mail.",
        Field::MonitorTo => {
            "Opcional: a verificação agendada também envia um e-mail de teste real para cá, no \
             máximo uma vez por dia (uma caixa que o seu monitoramento observa). Vazio: ela só \
             obtém um token."
        }
    }
}

fn character(c: char) -> String {
    match Shown::of(c) {
        Shown::Space => "um espaço".to_owned(),
        Shown::Tab => "uma tabulação".to_owned(),
        Shown::LineBreak => "uma quebra de linha".to_owned(),
        Shown::Invisible(code) => format!("o caractere invisível U+{code:04X}"),
        Shown::Printable(c) => format!("'{c}'"),
    }
}

fn field_error(error: &FieldError) -> String {
    match error {
        FieldError::Mailbox(error) => mailbox(error),
        FieldError::DisplayName(error) => match error {
            DisplayNameError::TooLong(length) => format!(
                "Um nome tem no máximo {} caracteres; este tem {length}.",
                limits::DISPLAY_NAME
            ),
            DisplayNameError::LineBreak => "Um nome não pode conter quebras de linha: elas \
                                            poderiam injetar cabeçalhos extras no email."
                .to_owned(),
            DisplayNameError::ControlCharacter(c) => {
                format!("Um nome não pode conter {}.", character(*c))
            }
        },
        FieldError::TenantId(error) => match error {
            TenantIdError::Empty => "Informe o ID do locatário (um GUID) ou o domínio do \
                                     locatário, por exemplo contoso.onmicrosoft.com."
                .to_owned(),
            TenantIdError::Url => "Cole só o ID do locatário, não uma URL.".to_owned(),
            TenantIdError::MultiTenantAlias(alias) => format!(
                "'{alias}' é um alias multilocatário; tokens somente de aplicativo precisam do \
                 seu próprio locatário: informe o ID do locatário (um GUID) ou o domínio dele."
            ),
            TenantIdError::MalformedGuid => format!(
                "Isto parece um GUID incompleto; copie o ID do locatário inteiro, por exemplo \
                 {GUID_EXAMPLE}."
            ),
            TenantIdError::ForbiddenCharacter(c) => format!(
                "Um ID de locatário não pode conter {}: informe um GUID ou um domínio como \
                 contoso.onmicrosoft.com.",
                character(*c)
            ),
            TenantIdError::NotADomain => "Um domínio de locatário precisa de pelo menos duas \
                                          partes, por exemplo contoso.onmicrosoft.com."
                .to_owned(),
            TenantIdError::EmptyLabel => "Um domínio de locatário não pode ter uma parte vazia \
                                          (dois pontos seguidos, ou um ponto no início ou no \
                                          fim)."
                .to_owned(),
            TenantIdError::InvalidLabel => format!(
                "Cada parte de um domínio tem no máximo {} caracteres e não pode começar nem \
                 terminar com hífen.",
                limits::DOMAIN_LABEL
            ),
            TenantIdError::TooLong => {
                format!("Um domínio tem no máximo {} caracteres.", limits::DOMAIN)
            }
        },
        FieldError::ClientId(error) => match error {
            ClientIdError::Empty => {
                "Informe o ID do aplicativo (cliente) do registro de aplicativo.".to_owned()
            }
            ClientIdError::NotAGuid => format!(
                "O Usuário SMTP é o ID do aplicativo (cliente): um GUID como {GUID_EXAMPLE}."
            ),
        },
        FieldError::ClientSecret(error) => match error {
            ClientSecretError::Empty => "Informe o Valor do segredo do cliente.".to_owned(),
            ClientSecretError::TooLong => format!(
                "Um segredo do cliente tem no máximo {} caracteres.",
                limits::CLIENT_SECRET
            ),
            ClientSecretError::LooksLikeSecretId => "Isto parece o ID do segredo; cole o Valor \
                 do segredo (Certificados e segredos → coluna Valor, mostrada só quando o \
                 segredo é criado)."
                .to_owned(),
            ClientSecretError::ForbiddenCharacter(c) => format!(
                "Um segredo do cliente não pode conter {}; copie o Valor de novo.",
                character(*c)
            ),
        },
        FieldError::SecretExpires(ExpiryDateError::NotADate) => {
            "Informe uma data como AAAA-MM-DD, por exemplo 2027-06-30, ou deixe vazio.".to_owned()
        }
        FieldError::Certificate(error) => match error {
            CertificateError::Empty => "Cole o certificado, ou gere um.".to_owned(),
            CertificateError::TooLong => {
                format!("Um certificado tem no máximo {} caracteres.", limits::PEM)
            }
            CertificateError::IsPrivateKey => "Isto é uma chave privada: ela vai em Chave \
                 privada. Cole aqui o certificado (-----BEGIN CERTIFICATE-----)."
                .to_owned(),
            CertificateError::NotPem => "Cole o certificado em PEM: o texto de \
                 -----BEGIN CERTIFICATE----- até -----END CERTIFICATE-----."
                .to_owned(),
            CertificateError::Unreadable => {
                "Este PEM não contém um certificado X.509 legível.".to_owned()
            }
            CertificateError::Pkcs12Unreadable => "O arquivo não pôde ser aberto: a senha \
                 está errada, ou ele não é um arquivo PKCS#12 (.pfx, .p12)."
                .to_owned(),
            CertificateError::Pkcs12WithoutKey => "O arquivo não contém uma chave privada com \
                 o certificado: exporte-o de novo com a chave privada."
                .to_owned(),
            CertificateError::NotRsa => "O Entra ID aceita asserções de cliente assinadas só \
                 com chaves RSA: use um certificado RSA (2048 bits ou mais)."
                .to_owned(),
        },
        FieldError::PrivateKey(error) => match error {
            PrivateKeyError::Empty => "Cole a chave privada do certificado.".to_owned(),
            PrivateKeyError::TooLong => {
                format!(
                    "Uma chave privada tem no máximo {} caracteres.",
                    limits::PEM
                )
            }
            PrivateKeyError::Encrypted => "Esta chave é protegida por uma frase secreta. \
                 Remova-a (openssl pkey -in key.pem -out plain.pem) ou abra um arquivo PKCS#12 \
                 com a senha dele."
                .to_owned(),
            PrivateKeyError::IsCertificate => "Isto é o certificado: ele vai em Certificado. \
                 Cole aqui a chave privada (-----BEGIN PRIVATE KEY-----)."
                .to_owned(),
            PrivateKeyError::NotPem => "Cole a chave privada em PEM: o texto de \
                 -----BEGIN PRIVATE KEY----- até -----END PRIVATE KEY-----."
                .to_owned(),
            PrivateKeyError::Unreadable => {
                "Este PEM não contém uma chave privada legível.".to_owned()
            }
            PrivateKeyError::NotRsa => "Esta chave não é RSA; o Entra ID aceita só RSA.".to_owned(),
            PrivateKeyError::DoesNotMatch => "Esta chave não pertence ao certificado: a chave \
                 pública dele é outra. Cole a chave com que o certificado foi feito."
                .to_owned(),
        },
        FieldError::ObjectId(ObjectIdError::NotAGuid) => format!(
            "O ID do objeto é um GUID como {GUID_EXAMPLE} (Aplicativos empresariais → seu \
             aplicativo → ID do objeto)."
        ),
        FieldError::SmtpHost(error) => match error {
            SmtpHostError::Empty => {
                "Informe o nome do servidor SMTP, por exemplo smtp.office365.com.".to_owned()
            }
            SmtpHostError::HasScheme(scheme) => format!(
                "Informe só o nome do servidor, sem \"{scheme}\" (por exemplo smtp.office365.com)."
            ),
            SmtpHostError::HasPort => {
                "Informe a porta no campo Porta, não depois do nome do servidor.".to_owned()
            }
            SmtpHostError::ForbiddenCharacter(c) => {
                format!("Um nome de servidor não pode conter {}.", character(*c))
            }
            SmtpHostError::BadLength => "Um nome de servidor tem no máximo 253 caracteres, e \
                                         cada parte entre pontos de 1 a 63."
                .to_owned(),
        },
        FieldError::SmtpPort(error) => match error {
            SmtpPortError::Empty => "Informe a porta: 587 para STARTTLS, 465 para TLS.".to_owned(),
            SmtpPortError::NotAPort => {
                "Uma porta é um número de 1 a 65535 (587 para STARTTLS, 465 para TLS).".to_owned()
            }
        },
        FieldError::SmtpUsername(error) => match error {
            SmtpUsernameError::Empty => {
                "Informe o usuário SMTP (muitas vezes o endereço da caixa de correio).".to_owned()
            }
            SmtpUsernameError::TooLong => {
                format!("Um usuário tem no máximo {} caracteres.", limits::LOGIN)
            }
            SmtpUsernameError::ForbiddenCharacter(c) => {
                format!("Um usuário não pode conter {}.", character(*c))
            }
        },
        FieldError::SmtpPassword(error) => match error {
            SmtpPasswordError::Empty => "Informe a senha.".to_owned(),
            SmtpPasswordError::TooLong => {
                format!("Uma senha tem no máximo {} caracteres.", limits::LOGIN)
            }
            SmtpPasswordError::ForbiddenCharacter(c) => {
                format!("Uma senha não pode conter {}.", character(*c))
            }
        },
        FieldError::IpRangeList(error) => match error {
            IpRangeListError::Range(text) => {
                format!("{text:?} não é um endereço nem uma faixa CIDR como 192.168.10.0/24.")
            }
            IpRangeListError::TooMany(count) => format!(
                "No máximo {} faixas; esta lista tem {count}.",
                crate::domain::MAX_RANGES
            ),
        },
        FieldError::HourlyQuota(HourlyQuotaError::NotANumber(text)) => format!(
            "{text:?} não é um número de mensagens de 1 a {}.",
            crate::domain::MAX_PER_HOUR
        ),
        FieldError::WebhookUrl(error) => match error {
            WebhookUrlError::Empty => "Informe o endereço do endpoint.".to_owned(),
            WebhookUrlError::NotHttps => {
                "O endereço de um endpoint começa com https:// (os eventos só vão criptografados)."
                    .to_owned()
            }
            WebhookUrlError::NoHost => "Informe o host do endpoint depois de https://.".to_owned(),
            WebhookUrlError::TooLong(length) => format!(
                "Um endereço tem no máximo {} caracteres; este tem {length}.",
                crate::domain::MAX_URL
            ),
            WebhookUrlError::ForbiddenCharacter(c) => {
                format!("Um endereço não pode conter {}.", character(*c))
            }
        },
        FieldError::SenderList(error) => match error {
            SenderListError::Address { address, error } => {
                format!("{address:?}: {}", mailbox(error))
            }
            SenderListError::TooMany(count) => format!(
                "No máximo {} endereços; esta lista tem {count}.",
                limits::SENDERS
            ),
        },
    }
}

fn mailbox(error: &MailboxError) -> String {
    match error {
        MailboxError::Empty => "Informe um endereço de email.".to_owned(),
        MailboxError::TooLong(length) => format!(
            "Um endereço de email tem no máximo {} caracteres; este tem {length}.",
            limits::MAILBOX
        ),
        MailboxError::ForbiddenCharacter(c) => {
            format!("Um endereço de email não pode conter {}.", character(*c))
        }
        MailboxError::DisplayForm => "Informe só o endereço, como nome@contoso.com, sem nome de \
                                      exibição nem <…>."
            .to_owned(),
        MailboxError::MissingAt => "Um endereço de email precisa de um @ entre o nome e o \
                                    domínio, como nome@contoso.com."
            .to_owned(),
        MailboxError::MissingLocalPart => "Falta a parte antes do @.".to_owned(),
        MailboxError::MissingDomain => "Falta o domínio depois do @.".to_owned(),
        MailboxError::IncompleteDomain => "O domínio depois do @ precisa ser um nome de domínio \
                                           completo, como contoso.com."
            .to_owned(),
        MailboxError::DomainCharacter(c) => format!(
            "O domínio depois do @ não pode conter {}: só letras, dígitos, hífens e pontos.",
            character(*c)
        ),
        MailboxError::LocalPartTooLong => {
            "A parte antes do @ tem no máximo 64 caracteres.".to_owned()
        }
        MailboxError::DomainTooLong => "O domínio depois do @ é longo demais: no máximo 253 \
                                        caracteres, e 63 entre pontos."
            .to_owned(),
        MailboxError::InvalidCharacter => "Este endereço contém um caractere que um endereço de \
                                           email não pode ter."
            .to_owned(),
        MailboxError::Invalid => "Este não é um endereço de email válido.".to_owned(),
    }
}

fn step_label(step: Step) -> &'static str {
    match step {
        Step::Inputs => "Entradas analisadas",
        Step::TokenRequest => "Pedido de token ao Microsoft Entra ID",
        Step::TokenInspection => {
            "Inspeção do token (público, locatário, aplicativo, função, \
                                  validade)"
        }
        Step::Connect => "Conexão com o servidor SMTP",
        Step::StartTls => "Criptografia (TLS)",
        Step::Capabilities => "O servidor oferece o método de autenticação",
        Step::Authenticate => "Autenticação (AUTH)",
        Step::Envelope => "MAIL FROM / RCPT TO",
        Step::Data => "Dados da mensagem aceitos",
        Step::ImapConnect => "Conexão com o servidor IMAP",
        Step::ImapTls => "Criptografia (TLS) e saudação",
        Step::ImapCapabilities => "O servidor oferece AUTH=XOAUTH2",
        Step::ImapAuthenticate => "Autenticação (AUTHENTICATE XOAUTH2)",
        Step::Examine => "Abrir a INBOX somente para leitura (EXAMINE)",
        Step::ReadReports => "Ler os novos relatórios de entrega (UID FETCH, somente leitura)",
        Step::MoveReports => "Mover os relatórios registrados para a pasta deles (UID MOVE)",
        Step::Logout => "Sair",
    }
}
