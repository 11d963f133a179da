//! Saving and using the stored configuration: the write-only secrets are merged in here,
//! on the server, and never travel back.

use secrecy::ExposeSecret as _;

use super::store::{Saved, SecretChange, Store, StoreError};
use crate::domain::{ClientSecret, Field, FieldErrors, SmtpForm, SmtpPassword};
use crate::saved::SaveOutcome;

/// The form with each empty secret field filled from the store, for a test send: an
/// administrator can test changes before saving them without typing the secret again.
pub async fn with_stored_secrets(store: &Store, form: &SmtpForm) -> Result<SmtpForm, StoreError> {
    if !form.smtp_password.is_empty() && !form.password.is_empty() {
        return Ok(form.clone());
    }
    let stored = store.secrets().await?;
    let mut filled = form.clone();
    if filled.smtp_password.is_empty() {
        if let Some(secret) = &stored.client_secret {
            filled.smtp_password = secret.expose_secret().to_owned();
        }
    }
    if filled.password.is_empty() {
        if let Some(password) = &stored.password {
            filled.password = password.expose_secret().to_owned();
        }
    }
    Ok(filled)
}

/// Validates with the same `parse` as a test send (stored secrets standing in for empty
/// fields), then saves if nobody saved since `base_version`. An empty secret field keeps
/// the stored secret; a typed one replaces it.
pub async fn save(
    store: &Store,
    form: &SmtpForm,
    base_version: i64,
) -> Result<SaveOutcome, StoreError> {
    let filled = with_stored_secrets(store, form).await?;
    let mut errors = match filled.parse() {
        Ok(_) => FieldErrors::default(),
        Err(errors) => errors,
    };
    // The other authentication type's secret is saved too when one is typed, so it is
    // checked by its own parse.
    let client_secret = typed(&mut errors, Field::SmtpPassword, &form.smtp_password, |v| {
        ClientSecret::parse(v).map(|s| s.expose().to_owned())
    });
    let password = typed(&mut errors, Field::Password, &form.password, |v| {
        SmtpPassword::parse(v).map(|p| p.expose().to_owned())
    });
    if !errors.is_empty() {
        return Ok(SaveOutcome::Invalid(errors));
    }
    let saved = store
        .save(
            form,
            client_secret
                .as_deref()
                .map_or(SecretChange::Keep, SecretChange::Replace),
            password
                .as_deref()
                .map_or(SecretChange::Keep, SecretChange::Replace),
            base_version,
        )
        .await?;
    Ok(match saved {
        Saved::Done(config) => SaveOutcome::Saved(config),
        Saved::Conflict { current_version } => SaveOutcome::Conflict { current_version },
    })
}

/// The new value of a secret field: `None` when empty (keep the stored one) or invalid
/// (its message added to `errors`).
fn typed<E: std::fmt::Display>(
    errors: &mut FieldErrors,
    field: Field,
    value: &str,
    parse: impl Fn(&str) -> Result<String, E>,
) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    parse(value)
        .map_err(|e| errors.add_once(field, e.to_string()))
        .ok()
}
