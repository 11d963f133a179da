//! The form as signals, and the one way to read it whole: [`FormState::snapshot`].

use leptos::prelude::*;

use crate::api::saved::SecretFingerprint;
use crate::domain::{AuthType, Cloud, CredentialKind, Field, SecretInput, Security, SmtpForm};
use crate::ui::field_input::FieldState;

#[derive(Clone, Copy)]
pub struct FormState {
    pub auth_type: RwSignal<AuthType>,
    pub cloud: RwSignal<Cloud>,
    pub credential: RwSignal<CredentialKind>,
    /// The date Microsoft Graph gave for the secret's end: while "Secret expires" holds
    /// it, the date's source is Graph.
    pub graph_date: RwSignal<Option<String>>,
    pub security: RwSignal<Security>,
    /// One per [`Field`], in `Field::ALL` order.
    fields: [FieldState; Field::ALL.len()],
}

impl FormState {
    /// The form filled from saved values. A secret field is "kept" while the server
    /// holds its secret: empty then means "use the stored one".
    pub fn new(
        saved: &SmtpForm,
        stored_secret: RwSignal<Option<SecretFingerprint>>,
        stored_password: RwSignal<Option<SecretFingerprint>>,
        stored_key: RwSignal<Option<SecretFingerprint>>,
    ) -> Self {
        let stored = |field| match field {
            Field::ClientSecret => Some(stored_secret),
            Field::Password => Some(stored_password),
            Field::PrivateKey => Some(stored_key),
            _ => None,
        };
        let form = Self {
            auth_type: RwSignal::new(saved.auth_type),
            cloud: RwSignal::new(saved.cloud),
            credential: RwSignal::new(saved.credential),
            graph_date: RwSignal::new(
                saved
                    .secret_expires_from_graph
                    .then(|| saved.secret_expires.clone()),
            ),
            security: RwSignal::new(saved.security),
            fields: Field::ALL.map(|field| FieldState::new(field, stored(field))),
        };
        for state in form.fields {
            state
                .value
                .set(saved.text(state.field).unwrap_or_default().to_owned());
        }
        form
    }

    /// A field's state. `Field::ALL` lists the fields in the order they are declared,
    /// so a field's discriminant is its index.
    pub fn field(&self, field: Field) -> FieldState {
        self.fields[field as usize]
    }

    fn text(&self, field: Field) -> String {
        self.field(field).value.get_untracked()
    }

    pub fn snapshot(&self) -> SmtpForm {
        SmtpForm {
            auth_type: self.auth_type.get_untracked(),
            cloud: self.cloud.get_untracked(),
            security: self.security.get_untracked(),
            email_address: self.text(Field::EmailAddress),
            name: self.text(Field::Name),
            tenant_id: self.text(Field::TenantId),
            client_id: self.text(Field::ClientId),
            credential: self.credential.get_untracked(),
            client_secret: SecretInput::from_typed(self.text(Field::ClientSecret)),
            secret_expires: self.text(Field::SecretExpires),
            secret_expires_from_graph: self.graph_date.get_untracked().as_deref()
                == Some(self.text(Field::SecretExpires).trim()),
            certificate: self.text(Field::Certificate),
            private_key: SecretInput::from_typed(self.text(Field::PrivateKey)),
            object_id: self.text(Field::ObjectId),
            smtp_host: self.text(Field::SmtpHost),
            smtp_port: self.text(Field::SmtpPort),
            username: self.text(Field::Username),
            password: SecretInput::from_typed(self.text(Field::Password)),
            send_test_to: self.text(Field::SendTestTo),
            monitor_to: self.text(Field::MonitorTo),
        }
    }

    /// Shows the messages of every field the chosen type uses.
    pub fn touch_all(&self) {
        let credential = self.credential.get_untracked();
        for field in self.auth_type.get_untracked().fields(credential) {
            self.field(*field).touched.set(true);
        }
    }

    /// Saved secrets leave the page: the fields show what is stored instead.
    pub fn forget_secrets(&self) {
        self.field(Field::ClientSecret).value.set(String::new());
        self.field(Field::Password).value.set(String::new());
        self.field(Field::PrivateKey).value.set(String::new());
    }
}
