//! Every word of the page, as one value per language. A field is a message key; a
//! function field takes the message's values.

use crate::api::relay::MessageStatus;
use crate::api::report::{Step, StepStatus, TestKind};
use crate::api::saved::ExpirySource;
use crate::domain::{AuthType, Cloud, CredentialKind, Field, FieldError, Security};

/// The GUID the messages show as an example, in every language.
pub const GUID_EXAMPLE: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

/// Where a stored secret came from, for the line under its field.
pub struct Fingerprint<'a> {
    /// The first characters (client secrets only).
    pub hint: Option<&'a str>,
    pub length: u32,
    /// When it was saved, already in the reader's format.
    pub saved: &'a str,
}

/// When a credential expires, for the banner and the line under the credential.
pub struct Expiry<'a> {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: &'a str,
    /// Whole days left; 0 or less: expired.
    pub days_left: i64,
    pub source: ExpirySource,
}

/// The relay's address and sender rule, for the line under the Relay title.
pub struct RelayPlace<'a> {
    /// `None`: the SMTP listener is off.
    pub smtp: Option<&'a str>,
    pub api_url: &'a str,
    /// Empty: nothing is saved yet.
    pub mailbox: &'a str,
    pub also_allowed: bool,
}

pub struct Texts {
    // The document and its header.
    pub document_title: &'static str,
    pub page_title: &'static str,
    pub lead: &'static str,
    pub sign_out: &'static str,
    pub language: &'static str,

    // The form.
    pub auth_type: &'static str,
    pub auth_type_name: fn(AuthType) -> &'static str,
    pub cloud: &'static str,
    pub cloud_hint: &'static str,
    pub cloud_name: fn(Cloud) -> &'static str,
    pub security: &'static str,
    pub security_hint: &'static str,
    pub security_name: fn(Security) -> &'static str,
    pub field_label: fn(Field) -> &'static str,
    pub field_hint: fn(Field) -> &'static str,
    pub field_error: fn(&FieldError) -> String,
    pub stored_secret: fn(&Fingerprint<'_>) -> String,
    /// That a private key is kept for the certificate shown, and when it was saved.
    pub stored_key: fn(&str) -> String,
    pub credential: &'static str,
    pub credential_hint: &'static str,
    pub credential_name: fn(CredentialKind) -> &'static str,
    pub generate_certificate: &'static str,
    pub generating_certificate: &'static str,
    pub certificate_generated: &'static str,
    pub open_file: &'static str,
    pub open_file_hint: &'static str,
    pub pkcs12_password: &'static str,
    pub import_file: &'static str,
    pub certificate_imported: &'static str,
    pub download_certificate: &'static str,
    pub thumbprint_sha1: &'static str,
    pub thumbprint_sha256: &'static str,
    pub certificate_subject: &'static str,
    pub valid_from: &'static str,
    pub valid_until: &'static str,
    pub read_from_graph: &'static str,
    pub reading_from_graph: &'static str,
    pub read_from_graph_hint: &'static str,
    pub found_in_graph: fn(&str) -> String,
    /// The line under a credential, and the banner from 30 days before.
    pub expiry: fn(&Expiry<'_>) -> String,
    pub show: &'static str,
    pub hide: &'static str,
    pub send_test: &'static str,
    pub sending_test: &'static str,
    pub check_mailbox: &'static str,
    pub checking_mailbox: &'static str,
    pub save: &'static str,
    pub saving: &'static str,
    /// After a failed test, on the field at fault: where the explanation is.
    pub at_fault_note: &'static str,

    // What the last action said.
    pub test_sent: fn(&str) -> String,
    /// The mailbox, and how many messages INBOX holds (already in the reader's format).
    pub mailbox_opened: fn(&str, &str) -> String,
    pub saved: &'static str,
    pub too_many_tests_title: &'static str,
    pub too_many_tests: fn(&str) -> String,
    pub conflict_title: &'static str,
    pub conflict: fn(i64) -> String,
    pub signed_out_title: &'static str,
    pub signed_out: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable: fn(&str) -> String,
    pub malformed_title: &'static str,
    pub malformed: fn(&str) -> String,
    pub unreachable_title: &'static str,
    pub unreachable: fn(&str) -> String,
    pub dismiss: &'static str,

    // The failure panel.
    pub failed_at: &'static str,
    pub field_to_check: &'static str,
    pub what_to_do: &'static str,
    /// The failure panel's link to the error's entry in the catalogue.
    pub in_the_catalogue: &'static str,
    pub copy_named: fn(&str) -> String,
    /// An identifier Microsoft support asks for, by its English name ("Trace ID").
    pub reference_name: fn(&str) -> String,

    // The checklist and the transcript.
    pub test_report: &'static str,
    pub step_label: fn(Step) -> &'static str,
    pub step_status: fn(StepStatus) -> &'static str,
    pub transcript: &'static str,
    pub transcript_hint: &'static str,
    pub copy_transcript: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,

    // The recent tests.
    pub recent_tests: &'static str,
    pub no_test_yet: &'static str,
    pub when: &'static str,
    pub test: &'static str,
    pub kind: &'static str,
    pub recipient: &'static str,
    pub result: &'static str,
    pub test_kind: fn(TestKind) -> &'static str,
    pub history_sent: &'static str,
    pub history_opened: &'static str,
    pub history_token: &'static str,
    /// The banner after a scheduled check failed: when, and our summary.
    pub scheduled_failed: fn(&str, &str) -> String,
    pub history_failed: fn(&str, Option<&str>) -> String,
    pub unknown_step: &'static str,

    // The setup guide.
    pub guide_summary: &'static str,
    pub guide_register_title: &'static str,
    pub guide_register: fn(&str) -> String,
    pub guide_permissions_title: &'static str,
    pub guide_permissions: &'static str,
    pub guide_object_id_title: &'static str,
    pub guide_object_id: &'static str,
    pub guide_exchange_title: &'static str,
    pub guide_exchange: &'static str,
    pub guide_exchange_wait: &'static str,
    pub copy_setup: &'static str,
    pub guide_check_title: &'static str,
    pub copy_check: &'static str,
    pub guide_smtp_auth: &'static str,
    /// Each link's text: "… on Microsoft Learn".
    pub learn_register: &'static str,
    pub learn_secret: &'static str,
    pub learn_consent: &'static str,
    pub learn_exchange: &'static str,
    pub learn_smtp_auth: &'static str,

    // The relay.
    pub relay: &'static str,
    pub relay_place: fn(&RelayPlace<'_>) -> String,
    pub also_allowed: &'static str,
    pub also_allowed_label: &'static str,
    pub update_allowed: &'static str,
    pub allowed_saved: &'static str,
    pub credentials: &'static str,
    pub credentials_hint: &'static str,
    pub new_credential: &'static str,
    pub add_credential: &'static str,
    pub credential_name_rule: &'static str,
    pub credential_exists: fn(&str) -> String,
    pub new_password_before: &'static str,
    pub new_password_after: &'static str,
    pub copy_password: &'static str,
    pub try_it: &'static str,
    pub no_credential: &'static str,
    pub never: &'static str,
    pub remove: &'static str,
    pub limits: &'static str,
    /// A credential's limits on one line.
    pub scope_summary: fn(&crate::domain::CredentialScope) -> String,
    pub edit_limits: &'static str,
    /// The form's title, with the credential's name.
    pub limits_of: fn(&str) -> String,
    pub scope_senders_label: &'static str,
    pub scope_clients_label: &'static str,
    pub scope_per_hour_label: &'static str,
    pub save_limits: &'static str,
    pub cancel: &'static str,
    pub webhooks: &'static str,
    pub webhooks_hint: &'static str,
    pub webhook_url_label: &'static str,
    pub add_webhook: &'static str,
    pub webhook_secret_before: &'static str,
    pub webhook_secret_after: &'static str,
    pub copy_secret: &'static str,
    pub no_webhook: &'static str,
    pub address: &'static str,
    pub send_test_event: &'static str,
    pub delivery_log: &'static str,
    /// The log's title, with the endpoint's address.
    pub delivery_log_of: fn(&str) -> String,
    pub no_delivery: &'static str,
    pub event: &'static str,
    pub last_answer: &'static str,
    pub delivery_status: fn(crate::api::webhooks::DeliveryStatus) -> &'static str,
    pub name: &'static str,
    pub added: &'static str,
    pub last_used: &'static str,
    pub actions: &'static str,
    pub outbox: &'static str,
    /// What the Outbox keeps, and for how long.
    pub outbox_kept: fn(&crate::api::relay::Retention) -> String,
    pub refresh: &'static str,
    pub no_message: &'static str,
    pub retry_now: &'static str,
    pub delete: &'static str,
    pub accepted: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub subject: &'static str,
    pub status: &'static str,
    pub attempts: &'static str,
    pub next_try: &'static str,
    pub last_error: &'static str,
    pub message_status: fn(MessageStatus) -> &'static str,

    // The sign-in pages (plain HTML from the server).
    pub sign_in_title: &'static str,
    pub sign_in: &'static str,
    pub sign_in_refused_title: &'static str,
    pub sign_in_refused: &'static str,
    pub sign_in_limited_title: &'static str,
    pub sign_in_limited: &'static str,
    pub signed_out_page_title: &'static str,
    pub signed_out_page: &'static str,
}
