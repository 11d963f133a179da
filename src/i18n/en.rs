//! English. Microsoft's terms are those of the English Entra and Exchange admin centers.

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
    document_title: "SMTP configuration · smtp-setup",
    page_title: "SMTP configuration",
    lead: "Set how the application sends email, then send a test message to prove it works.",
    sign_out: "Sign out",
    language: "Language",

    auth_type: "Authentication type",
    auth_type_name: |auth| match auth {
        AuthType::MicrosoftOAuth2 => "Microsoft (OAuth2)",
        AuthType::Password => "Username and password",
    },
    cloud: "Cloud",
    cloud_hint:
        "Where the tenant lives: sets the sign-in authority, the token scope and the SMTP host.",
    cloud_name: |cloud| match cloud {
        Cloud::Global => "Global (Microsoft 365, including GCC)",
        Cloud::UsGovGccHigh => "US Government GCC High",
        Cloud::UsGovDod => "US Government DoD",
        Cloud::China => "China (operated by 21Vianet)",
    },
    security: "Encryption",
    security_hint: "Credentials are only ever sent encrypted.",
    security_name: |security| match security {
        Security::StartTls => "STARTTLS (usually port 587)",
        Security::ImplicitTls => "TLS from the start (usually port 465)",
    },
    field_label,
    field_hint,
    field_error,
    stored_secret: |stored| {
        let what = match stored.hint {
            Some(hint) => format!("{hint}… ({} characters)", stored.length),
            None => format!("{} characters", stored.length),
        };
        format!(
            "Stored: {what}, saved {}. Leave empty to keep it; type a new value to replace it.",
            stored.saved
        )
    },
    stored_key: |saved| {
        if saved.is_empty() {
            return "Held on this server: the key of this certificate. Leave empty to keep it."
                .to_owned();
        }
        format!("Stored: the key of this certificate, saved {saved}. Leave empty to keep it.")
    },
    credential: "Credential",
    credential_hint: "Microsoft recommends a certificate for an application that runs unattended: \
                      it does not have to be copied around, and you choose how long it lives.",
    credential_name: |kind| match kind {
        CredentialKind::ClientSecret => "Client secret",
        CredentialKind::Certificate => "Certificate",
    },
    generate_certificate: "Generate a certificate",
    generating_certificate: "Generating…",
    certificate_generated: "A new key pair and certificate were made; the key stays on this \
                            server. Download the certificate and upload it to the app \
                            registration (Certificates & secrets → Certificates), then save.",
    open_file: "Open a file",
    open_file_hint: "A PEM file (certificate and key) fills the fields below; a PKCS#12 file \
                     (.pfx, .p12) is opened on the server with its password.",
    pkcs12_password: "PKCS#12 password",
    import_file: "Open",
    certificate_imported: "The certificate and its key were read from the file; the key stays \
                           on this server. Save to keep them.",
    read_from_graph: "Read from Microsoft Graph",
    reading_from_graph: "Reading…",
    read_from_graph_hint:
        "Needs the Microsoft Graph permission Application.Read.All (application, \
                           with admin consent) on the app registration.",
    found_in_graph: |date| {
        format!("Microsoft Graph says this secret expires on {date}. Save to keep it.")
    },
    download_certificate: "Download the certificate (.cer)",
    thumbprint_sha1: "Thumbprint (SHA-1, as the Entra admin center shows it)",
    thumbprint_sha256: "Thumbprint (SHA-256)",
    certificate_subject: "Subject",
    valid_from: "Valid from",
    valid_until: "Valid until",
    expiry: |expiry| {
        let what = match expiry.source {
            ExpirySource::Certificate => "The certificate",
            ExpirySource::Administrator | ExpirySource::Graph => "The client secret",
        };
        let source = match expiry.source {
            ExpirySource::Certificate => "read from the certificate",
            ExpirySource::Administrator => "the date entered in the form",
            ExpirySource::Graph => "read from Microsoft Graph",
        };
        match expiry.days_left {
            i64::MIN..=-1 => format!(
                "{what} expired on {} ({source}): Entra ID refuses it and no mail is sent. \
                 Add a new one to the app registration and save it here.",
                expiry.date
            ),
            0 => format!(
                "{what} expires within 24 hours, on {} ({source}). Add a new one to the app \
                 registration and save it here.",
                expiry.date
            ),
            1 => format!(
                "{what} expires in 1 day, on {} ({source}). Add a new one to the app \
                 registration and save it here.",
                expiry.date
            ),
            2..=7 => format!(
                "{what} expires in {} days, on {} ({source}). Add a new one to the app \
                 registration and save it here.",
                expiry.days_left, expiry.date
            ),
            days => format!(
                "{what} expires in {days} days, on {} ({source}).",
                expiry.date
            ),
        }
    },
    show: "Show",
    hide: "Hide",
    send_test: "Send test email",
    sending_test: "Sending test email…",
    check_mailbox: "Test mailbox access",
    checking_mailbox: "Testing mailbox access…",
    save: "Save",
    saving: "Saving…",
    at_fault_note: "The last test failed because of this field: the explanation is below the form.",

    test_sent: |to| format!("Test email sent to {to}"),
    mailbox_opened: |mailbox, messages| {
        format!("Mailbox access works: the INBOX of {mailbox} holds {messages} messages")
    },
    saved: "Configuration saved",
    too_many_tests_title: "Too many test emails",
    too_many_tests: |secs| {
        format!(
            "At most a few test emails a minute are sent from one session, so this page \
             cannot be used to flood the mailbox. Try again in {secs} s."
        )
    },
    conflict_title: "Not saved: changed by someone else",
    conflict: |version| {
        format!(
            "The configuration was saved elsewhere since this page loaded (it is now at \
             version {version}). Reload the page to see those changes, then make yours again. \
             Nothing was overwritten."
        )
    },
    signed_out_title: "Your session has ended",
    signed_out: "Sign in again with the link the server printed (http://…/login?token=…), \
                 then try again. Nothing was sent or saved.",
    unavailable_title: "The server cannot use its store",
    unavailable: |detail| {
        format!(
            "smtp-setup could not read or write its database ({detail}). Nothing was sent or \
             saved; the server's log has the details."
        )
    },
    malformed_title: "The page and the server do not understand each other",
    malformed: |detail| {
        format!("Reload the page (the server may be newer than it), then try again. ({detail})")
    },
    unreachable_title: "The request could not be made",
    unreachable: |detail| {
        format!(
            "The page could not reach the smtp-setup server ({detail}). Check that it is \
             running, then try again."
        )
    },
    dismiss: "Dismiss",

    failed_at: "Test failed at: ",
    field_to_check: "Field to check: ",
    what_to_do: "What to do: ",
    in_the_catalogue: "This error in the error catalogue",
    copy_named: |name| format!("Copy the {name}"),
    reference_name: str::to_owned,

    test_report: "Test report",
    step_label,
    step_status: |status| match status {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
    },
    transcript: "Transcript",
    transcript_hint: "What was said on the wire, for a support ticket. Credentials are shown \
                      as [redacted]; the message itself is left out.",
    copy_transcript: "Copy the transcript",
    copy: "Copy",
    copied: "Copied",

    recent_tests: "Recent tests",
    no_test_yet: "No test sent yet.",
    when: "When",
    test: "Test",
    kind: "Type",
    recipient: "Recipient",
    result: "Result",
    test_kind: |kind| match kind {
        TestKind::SendTest => "Test email",
        TestKind::MailboxAccess => "Mailbox access",
        TestKind::ScheduledCheck => "Scheduled check",
        TestKind::ScheduledSend => "Scheduled test email",
    },
    history_sent: "Sent",
    history_opened: "Mailbox opened",
    history_token: "Token issued",
    scheduled_failed: |when, summary| {
        format!(
            "The scheduled check of the saved configuration failed ({when}): {summary} \
             Applications cannot send until this is fixed; Recent tests has the details."
        )
    },
    history_failed: |step, what| match what {
        Some(what) => format!("Failed at {step}: {what}"),
        None => format!("Failed at {step}"),
    },
    unknown_step: "unknown step",

    guide_summary: "Setup guide: Microsoft 365 app-only SMTP, filled in from this form",
    guide_register_title: "Register the app.",
    guide_register: |admin_center| {
        format!(
            "In the Microsoft Entra admin center ({admin_center}): App registrations → New \
             registration. Copy the Application (client) ID into \"SMTP User\" and the \
             Directory (tenant) ID into \"TenantId\". Certificates & secrets → New client \
             secret: copy its Value (not its Secret ID) into \"SMTP Password\"."
        )
    },
    guide_permissions_title: "Add the permissions.",
    guide_permissions: "API permissions → Add a permission → APIs my organization uses → \
                        Office 365 Exchange Online → Application permissions: SMTP.SendAsApp \
                        (and IMAP.AccessAsApp if the application also reads mail). Then Grant \
                        admin consent. Not under Microsoft Graph: that is the commonest mistake.",
    guide_object_id_title: "Find the service principal's ObjectId.",
    guide_object_id: "Enterprise applications → your app → Object ID, into \"ObjectId\". Not \
                      the Object ID on the App registration page: that one is the \
                      registration's.",
    guide_exchange_title: "Register the service principal in Exchange and give it the mailbox.",
    guide_exchange: "In PowerShell, as an Exchange administrator:",
    guide_exchange_wait: "Permissions can take up to about 30 minutes to apply; until then \
                          Exchange answers 535 5.7.3.",
    copy_setup: "Copy the setup commands",
    guide_check_title: "Check where the setup stands (read-only).",
    copy_check: "Copy the check commands",
    guide_smtp_auth: "SMTP AUTH must be allowed for the mailbox (Microsoft 365 admin center → \
                      the user → Mail → Manage email apps → Authenticated SMTP), and not \
                      turned off for the whole organization.",
    learn_register: "Register an application (Microsoft Learn)",
    learn_secret: "Add a client secret (Microsoft Learn)",
    learn_consent: "Grant admin consent (Microsoft Learn)",
    learn_exchange: "OAuth for SMTP and IMAP in Exchange Online (Microsoft Learn)",
    learn_smtp_auth: "Turn SMTP AUTH on or off (Microsoft Learn)",

    relay: "Relay",
    relay_place: |place| {
        let smtp = match place.smtp {
            Some(address) => format!("SMTP on {address} (STARTTLS, AUTH PLAIN or LOGIN)"),
            None => "SMTP is off (SMTP_SETUP_RELAY_ADDR)".to_owned(),
        };
        let sender = if place.mailbox.is_empty() {
            "Save a configuration first: its email address is the sender allowed.".to_owned()
        } else if place.also_allowed {
            format!(
                "The sender must be {} or one of the also allowed senders.",
                place.mailbox
            )
        } else {
            format!("The sender must be {}.", place.mailbox)
        };
        format!(
            "Applications send through the saved configuration: {smtp}, or HTTP at {}. {sender}",
            place.api_url
        )
    },
    also_allowed: "Also allowed senders",
    also_allowed_label: "Addresses the app may also send as (shared mailboxes, aliases with \
                         SendAs), one per line",
    update_allowed: "Update allowed senders",
    allowed_saved: "Saved.",
    credentials: "Relay credentials",
    credentials_hint: "Each application signs in with a credential of its own: its name as \
                       the user name, and the password shown once when it is added.",
    new_credential: "New credential name",
    add_credential: "Add credential",
    credential_name_rule: "A credential name is 1 to 64 letters, digits, dots, dashes or \
                           underscores.",
    credential_exists: |name| format!("A credential named {name} exists already."),
    new_password_before: "The password of ",
    new_password_after: ", shown only now: copy it into the application.",
    copy_password: "Copy the password",
    try_it: "To try it from a shell:",
    no_credential: "No relay credential yet.",
    never: "never",
    remove: "Remove",
    limits: "Limits",
    scope_summary: |scope| {
        let senders = scope
            .senders
            .as_ref()
            .map_or("every allowed sender".to_owned(), |list| {
                format!("only as {}", list.to_text().replace('\n', ", "))
            });
        let clients = scope
            .clients
            .as_ref()
            .map_or("from any address".to_owned(), |list| {
                format!("from {}", list.to_text().replace('\n', ", "))
            });
        let quota = scope.per_hour.map_or("no hourly quota".to_owned(), |q| {
            format!("{} messages an hour", q.get())
        });
        format!("{senders}; {clients}; {quota}")
    },
    edit_limits: "Limits…",
    limits_of: |name| format!("What {name} may do"),
    scope_senders_label: "Senders it may use, one per line (empty: every allowed sender)",
    scope_clients_label: "Client addresses or CIDR ranges it may connect from (empty: any)",
    scope_per_hour_label: "Messages an hour (empty: no quota)",
    save_limits: "Save limits",
    cancel: "Cancel",
    webhooks: "Webhooks",
    webhooks_hint: "Your applications' HTTPS endpoints, told what became of each message \
                    (accepted, sent, failed, bounced, delayed), each event signed as \
                    Standard Webhooks sign.",
    webhook_url_label: "Endpoint address (https://…)",
    add_webhook: "Add endpoint",
    webhook_secret_before: "The signing secret of ",
    webhook_secret_after: ", shown only now: give it to the application, which verifies \
                           each event with it.",
    copy_secret: "Copy the secret",
    no_webhook: "No webhook endpoint yet.",
    address: "Address",
    send_test_event: "Send test event",
    delivery_log: "Delivery log",
    delivery_log_of: |url| format!("Deliveries to {url}"),
    no_delivery: "Nothing sent to it yet.",
    event: "Event",
    last_answer: "Last answer",
    delivery_status: |status| match status {
        crate::api::webhooks::DeliveryStatus::Pending => "Waiting",
        crate::api::webhooks::DeliveryStatus::Delivered => "Delivered",
        crate::api::webhooks::DeliveryStatus::Failed => "Given up",
    },
    name: "Name",
    added: "Added",
    last_used: "Last used",
    actions: "Actions",
    outbox: "Outbox",
    outbox_kept: |kept| {
        let body = match kept.body_days {
            Some(days) => format!("A delivered message's content is kept for {days} days, then dropped; its line stays."),
            None => "A delivered message's content is kept for ever.".to_owned(),
        };
        let rows = match kept.record_days {
            Some(days) => format!(" Finished messages (delivered or failed) and the recent tests are kept for {days} days. Messages still waiting are never dropped."),
            None => " Finished messages and the recent tests are kept for ever.".to_owned(),
        };
        body + &rows
    },
    refresh: "Refresh",
    no_message: "No message relayed yet.",
    retry_now: "Retry now",
    delete: "Delete",
    accepted: "Accepted",
    from: "From",
    to: "To",
    subject: "Subject",
    status: "Status",
    attempts: "Attempts",
    next_try: "Next try",
    last_error: "Last error",
    message_status: |status| match status {
        MessageStatus::Queued => "Queued",
        MessageStatus::Sending => "Sending",
        MessageStatus::Retrying => "Waiting to retry",
        MessageStatus::Sent => "Sent",
        MessageStatus::Failed => "Failed",
        MessageStatus::Bounced => "Bounced",
        MessageStatus::Delayed => "Delayed",
    },

    sign_in_title: "Sign in",
    sign_in: "Open the sign-in link the server printed when it started.",
    sign_in_refused_title: "Sign-in link not valid",
    sign_in_refused: "This sign-in link is wrong or was already used. Use the latest link the \
                      server printed.",
    sign_in_limited_title: "Too many attempts",
    sign_in_limited: "Too many wrong sign-in links in the last minute. Wait a minute.",
    signed_out_page_title: "Signed out",
    signed_out_page: "You are signed out. To sign in again, open the link the server printed.",
};

fn field_label(field: Field) -> &'static str {
    match field {
        Field::EmailAddress => "Email address",
        Field::Name => "Name",
        Field::TenantId => "TenantId",
        Field::ClientId => "SMTP User",
        Field::ClientSecret => "SMTP Password",
        Field::SecretExpires => "Secret expires",
        Field::Certificate => "Certificate",
        Field::PrivateKey => "Private key",
        Field::ObjectId => "ObjectId",
        Field::SmtpHost => "SMTP server",
        Field::SmtpPort => "Port",
        Field::Username => "Username",
        Field::Password => "Password",
        Field::SendTestTo => "Send test to",
        Field::MonitorTo => "Monitoring address",
    }
}

fn field_hint(field: Field) -> &'static str {
    match field {
        Field::EmailAddress => {
            "The Exchange Online mailbox that sends the mail; it is also the SMTP login."
        }
        Field::Name => "Shown to recipients as the sender's name. Optional.",
        Field::TenantId => {
            "Entra admin center → Overview → Tenant ID (or your domain, e.g. contoso.onmicrosoft.com)."
        }
        Field::ClientId => {
            "Entra admin center → App registrations → your app → Application (client) ID."
        }
        Field::ClientSecret => {
            "App registrations → your app → Certificates & secrets → the secret's Value column (not its Secret ID)."
        }
        Field::SecretExpires => {
            "Optional: the secret's Expires column under Certificates & secrets. From 30 days \
             before, the page and /healthz warn."
        }
        Field::Certificate => {
            "The certificate uploaded to the app registration (PEM: -----BEGIN CERTIFICATE-----)."
        }
        Field::PrivateKey => {
            "Its private key (PEM, unencrypted: -----BEGIN PRIVATE KEY-----). Sealed on this \
             server; never shown again."
        }
        Field::ObjectId => {
            "Optional, for the setup guide: Enterprise applications → your app → Object ID. \
             Not the Object ID on the App registration page: that one belongs to the \
             registration, and New-ServicePrincipal with it leads to 535 5.7.3."
        }
        Field::SmtpHost => "The SMTP server's host name, e.g. smtp.office365.com.",
        Field::SmtpPort => "587 for STARTTLS, 465 for TLS from the start.",
        Field::Username => "The SMTP login, often the mailbox's address.",
        Field::Password => "The SMTP login's password.",
        Field::SendTestTo => "Who receives the test email. Empty: the Email address itself.",
        Field::MonitorTo => {
            "Optional: the scheduled check also sends a real test email here, at most once a \
             day (a mailbox your monitoring watches). Empty: it only gets a token."
        }
    }
}

fn character(c: char) -> String {
    match Shown::of(c) {
        Shown::Space => "a space".to_owned(),
        Shown::Tab => "a tab".to_owned(),
        Shown::LineBreak => "a line break".to_owned(),
        Shown::Invisible(code) => format!("the invisible character U+{code:04X}"),
        Shown::Printable(c) => format!("'{c}'"),
    }
}

fn field_error(error: &FieldError) -> String {
    match error {
        FieldError::Mailbox(error) => mailbox(error),
        FieldError::DisplayName(error) => match error {
            DisplayNameError::TooLong(length) => format!(
                "A name has at most {} characters; this one has {length}.",
                limits::DISPLAY_NAME
            ),
            DisplayNameError::LineBreak => {
                "A name cannot contain line breaks: they could inject extra email headers."
                    .to_owned()
            }
            DisplayNameError::ControlCharacter(c) => {
                format!("A name cannot contain {}.", character(*c))
            }
        },
        FieldError::TenantId(error) => match error {
            TenantIdError::Empty => "Enter the tenant ID (a GUID) or the tenant's domain, e.g. \
                                     contoso.onmicrosoft.com."
                .to_owned(),
            TenantIdError::Url => "Paste only the tenant ID, not a URL.".to_owned(),
            TenantIdError::MultiTenantAlias(alias) => format!(
                "'{alias}' is a multi-tenant alias; app-only tokens need your own tenant: enter \
                 its Tenant ID (a GUID) or domain."
            ),
            TenantIdError::MalformedGuid => format!(
                "This looks like an incomplete GUID; copy the whole Tenant ID, e.g. {GUID_EXAMPLE}."
            ),
            TenantIdError::ForbiddenCharacter(c) => format!(
                "A tenant ID cannot contain {}: enter a GUID or a domain such as \
                 contoso.onmicrosoft.com.",
                character(*c)
            ),
            TenantIdError::NotADomain => {
                "A tenant domain needs at least two parts, e.g. contoso.onmicrosoft.com.".to_owned()
            }
            TenantIdError::EmptyLabel => "A tenant domain cannot have an empty part (two dots in \
                                          a row, or a dot at either end)."
                .to_owned(),
            TenantIdError::InvalidLabel => format!(
                "Each part of a domain has at most {} characters and cannot start or end with a \
                 hyphen.",
                limits::DOMAIN_LABEL
            ),
            TenantIdError::TooLong => {
                format!("A domain has at most {} characters.", limits::DOMAIN)
            }
        },
        FieldError::ClientId(error) => match error {
            ClientIdError::Empty => {
                "Enter the Application (client) ID of the app registration.".to_owned()
            }
            ClientIdError::NotAGuid => {
                format!("The SMTP User is the Application (client) ID: a GUID like {GUID_EXAMPLE}.")
            }
        },
        FieldError::ClientSecret(error) => match error {
            ClientSecretError::Empty => "Enter the client secret's Value.".to_owned(),
            ClientSecretError::TooLong => format!(
                "A client secret has at most {} characters.",
                limits::CLIENT_SECRET
            ),
            ClientSecretError::LooksLikeSecretId => "This looks like the secret's ID; paste the \
                 secret's Value (Certificates & secrets → Value column, shown only when the \
                 secret is created)."
                .to_owned(),
            ClientSecretError::ForbiddenCharacter(c) => format!(
                "A client secret cannot contain {}; copy the Value again.",
                character(*c)
            ),
        },
        FieldError::SecretExpires(ExpiryDateError::NotADate) => {
            "Enter a date as YYYY-MM-DD, e.g. 2027-06-30, or leave it empty.".to_owned()
        }
        FieldError::Certificate(error) => match error {
            CertificateError::Empty => "Paste the certificate, or generate one.".to_owned(),
            CertificateError::TooLong => {
                format!("A certificate has at most {} characters.", limits::PEM)
            }
            CertificateError::IsPrivateKey => "This is a private key: it goes in Private key. \
                 Paste the certificate (-----BEGIN CERTIFICATE-----) here."
                .to_owned(),
            CertificateError::NotPem => "Paste the certificate in PEM: the text from \
                 -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."
                .to_owned(),
            CertificateError::Unreadable => {
                "This PEM holds no readable X.509 certificate.".to_owned()
            }
            CertificateError::Pkcs12Unreadable => "The file could not be opened: the \
                 password is wrong, or it is not a PKCS#12 (.pfx, .p12) file."
                .to_owned(),
            CertificateError::Pkcs12WithoutKey => "The file holds no private key with its \
                 certificate: export it again with the private key."
                .to_owned(),
            CertificateError::NotRsa => "Entra ID takes client assertions signed with RSA \
                 keys only: use an RSA certificate (2048 bits or more)."
                .to_owned(),
        },
        FieldError::PrivateKey(error) => match error {
            PrivateKeyError::Empty => "Paste the certificate's private key.".to_owned(),
            PrivateKeyError::TooLong => {
                format!("A private key has at most {} characters.", limits::PEM)
            }
            PrivateKeyError::Encrypted => "This key is protected by a passphrase. Remove it \
                 (openssl pkey -in key.pem -out plain.pem) or open a PKCS#12 file with its \
                 password instead."
                .to_owned(),
            PrivateKeyError::IsCertificate => "This is the certificate: it goes in \
                 Certificate. Paste the private key (-----BEGIN PRIVATE KEY-----) here."
                .to_owned(),
            PrivateKeyError::NotPem => "Paste the private key in PEM: the text from \
                 -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----."
                .to_owned(),
            PrivateKeyError::Unreadable => "This PEM holds no readable private key.".to_owned(),
            PrivateKeyError::NotRsa => {
                "This is not an RSA key; Entra ID takes RSA only.".to_owned()
            }
            PrivateKeyError::DoesNotMatch => "This key does not belong to the certificate: \
                 its public key differs. Paste the key the certificate was made with."
                .to_owned(),
        },
        FieldError::ObjectId(ObjectIdError::NotAGuid) => format!(
            "The Object ID is a GUID like {GUID_EXAMPLE} (Enterprise applications → your app → \
             Object ID)."
        ),
        FieldError::SmtpHost(error) => match error {
            SmtpHostError::Empty => {
                "Enter the SMTP server's host name, e.g. smtp.office365.com.".to_owned()
            }
            SmtpHostError::HasScheme(scheme) => {
                format!("Enter only the host name, without \"{scheme}\" (e.g. smtp.office365.com).")
            }
            SmtpHostError::HasPort => {
                "Enter the port in the Port field, not after the host name.".to_owned()
            }
            SmtpHostError::ForbiddenCharacter(c) => {
                format!("A host name cannot contain {}.", character(*c))
            }
            SmtpHostError::BadLength => "A host name has at most 253 characters, and each part \
                                         between dots 1 to 63."
                .to_owned(),
        },
        FieldError::SmtpPort(error) => match error {
            SmtpPortError::Empty => "Enter the port: 587 for STARTTLS, 465 for TLS.".to_owned(),
            SmtpPortError::NotAPort => {
                "A port is a number from 1 to 65535 (587 for STARTTLS, 465 for TLS).".to_owned()
            }
        },
        FieldError::SmtpUsername(error) => match error {
            SmtpUsernameError::Empty => {
                "Enter the SMTP username (often the mailbox's address).".to_owned()
            }
            SmtpUsernameError::TooLong => {
                format!("A username has at most {} characters.", limits::LOGIN)
            }
            SmtpUsernameError::ForbiddenCharacter(c) => {
                format!("A username cannot contain {}.", character(*c))
            }
        },
        FieldError::SmtpPassword(error) => match error {
            SmtpPasswordError::Empty => "Enter the password.".to_owned(),
            SmtpPasswordError::TooLong => {
                format!("A password has at most {} characters.", limits::LOGIN)
            }
            SmtpPasswordError::ForbiddenCharacter(c) => {
                format!("A password cannot contain {}.", character(*c))
            }
        },
        FieldError::IpRangeList(error) => match error {
            IpRangeListError::Range(text) => {
                format!("{text:?} is not an address or a CIDR range such as 192.168.10.0/24.")
            }
            IpRangeListError::TooMany(count) => format!(
                "At most {} ranges; this list has {count}.",
                crate::domain::MAX_RANGES
            ),
        },
        FieldError::HourlyQuota(HourlyQuotaError::NotANumber(text)) => format!(
            "{text:?} is not a number of messages from 1 to {}.",
            crate::domain::MAX_PER_HOUR
        ),
        FieldError::WebhookUrl(error) => match error {
            WebhookUrlError::Empty => "Enter the endpoint's address.".to_owned(),
            WebhookUrlError::NotHttps => {
                "An endpoint's address begins with https:// (events go encrypted only).".to_owned()
            }
            WebhookUrlError::NoHost => "Name the endpoint's host after https://.".to_owned(),
            WebhookUrlError::TooLong(length) => format!(
                "An address has at most {} characters; this one has {length}.",
                crate::domain::MAX_URL
            ),
            WebhookUrlError::ForbiddenCharacter(c) => {
                format!("An address cannot contain {}.", character(*c))
            }
        },
        FieldError::SenderList(error) => match error {
            SenderListError::Address { address, error } => {
                format!("{address:?}: {}", mailbox(error))
            }
            SenderListError::TooMany(count) => format!(
                "At most {} addresses; this list has {count}.",
                limits::SENDERS
            ),
        },
    }
}

fn mailbox(error: &MailboxError) -> String {
    match error {
        MailboxError::Empty => "Enter an email address.".to_owned(),
        MailboxError::TooLong(length) => format!(
            "An email address has at most {} characters; this one has {length}.",
            limits::MAILBOX
        ),
        MailboxError::ForbiddenCharacter(c) => {
            format!("An email address cannot contain {}.", character(*c))
        }
        MailboxError::DisplayForm => "Enter only the address, like name@contoso.com, without a \
                                      display name or <…>."
            .to_owned(),
        MailboxError::MissingAt => "An email address needs an @ between the name and the \
                                    domain, like name@contoso.com."
            .to_owned(),
        MailboxError::MissingLocalPart => "The part before the @ is missing.".to_owned(),
        MailboxError::MissingDomain => "The domain after the @ is missing.".to_owned(),
        MailboxError::IncompleteDomain => {
            "The domain after the @ must be a full domain name such as contoso.com.".to_owned()
        }
        MailboxError::DomainCharacter(c) => format!(
            "The domain after the @ cannot contain {}: only letters, digits, hyphens and dots.",
            character(*c)
        ),
        MailboxError::LocalPartTooLong => {
            "The part before the @ has at most 64 characters.".to_owned()
        }
        MailboxError::DomainTooLong => "The domain after the @ is too long: at most 253 \
                                        characters, and 63 between dots."
            .to_owned(),
        MailboxError::InvalidCharacter => "This address contains a character an email address \
                                           cannot have."
            .to_owned(),
        MailboxError::Invalid => "This is not a valid email address.".to_owned(),
    }
}

fn step_label(step: Step) -> &'static str {
    match step {
        Step::Inputs => "Inputs parsed",
        Step::TokenRequest => "Token request to Microsoft Entra ID",
        Step::TokenInspection => "Token inspection (audience, tenant, app, role, expiry)",
        Step::Connect => "Connect to the SMTP server",
        Step::StartTls => "Encryption (TLS)",
        Step::Capabilities => "Server offers the authentication method",
        Step::Authenticate => "Authenticate (AUTH)",
        Step::Envelope => "MAIL FROM / RCPT TO",
        Step::Data => "Message data accepted",
        Step::ImapConnect => "Connect to the IMAP server",
        Step::ImapTls => "Encryption (TLS) and greeting",
        Step::ImapCapabilities => "Server offers AUTH=XOAUTH2",
        Step::ImapAuthenticate => "Authenticate (AUTHENTICATE XOAUTH2)",
        Step::Examine => "Open INBOX read-only (EXAMINE)",
        Step::ReadReports => "Read the new delivery reports (UID FETCH, read-only)",
        Step::MoveReports => "Move the recorded reports to their folder (UID MOVE)",
        Step::Logout => "Log out",
    }
}
