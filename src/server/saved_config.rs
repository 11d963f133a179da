//! The saved configuration's write-only secrets, on the server: parsed once against
//! what the store keeps, sealed when saved, and never sent back.

use super::store::{Saved, SecretChange, Store, StoreError};
use crate::api::saved::SaveOutcome;
use crate::domain::{
    AuthType, ClientSecret, Field, FieldErrors, SecretInput, SendConfig, SmtpForm, SmtpPassword,
    StoredSecrets,
};

/// The stored secrets a parse of `form` may need: none when the chosen type's secret is
/// typed (the store is not even read), else the store's, opened.
pub async fn stored_secrets_for(
    store: &Store,
    form: &SmtpForm,
) -> Result<StoredSecrets, StoreError> {
    let typed = match form.auth_type {
        AuthType::MicrosoftOAuth2 => form.client_secret.is_typed(),
        AuthType::Password => form.password.is_typed(),
    };
    if typed {
        Ok(StoredSecrets::default())
    } else {
        store.secrets().await
    }
}

/// Validates with the same parse as a test send (stored secrets standing in for empty
/// fields), then saves if nobody saved since `base_version`. An empty secret field keeps
/// the stored secret; a typed one replaces it.
pub async fn save(
    store: &Store,
    form: &SmtpForm,
    base_version: i64,
) -> Result<SaveOutcome, StoreError> {
    let stored = stored_secrets_for(store, form).await?;
    let (config, mut errors) = match form.parse(&stored) {
        Ok(config) => (Some(config), FieldErrors::default()),
        Err(errors) => (None, errors),
    };
    // The chosen type's typed secret was parsed with the form; the other type's is saved
    // too when one is typed, so it goes through its own parse.
    let client_secret = match &config {
        Some(SendConfig::MicrosoftOAuth2(c)) if form.client_secret.is_typed() => {
            Some(c.client_secret.clone())
        }
        _ => typed(
            &mut errors,
            Field::ClientSecret,
            &form.client_secret,
            ClientSecret::parse,
        ),
    };
    let password = match &config {
        Some(SendConfig::Password(c)) if form.password.is_typed() => Some(c.password.clone()),
        _ => typed(
            &mut errors,
            Field::Password,
            &form.password,
            SmtpPassword::parse,
        ),
    };
    if !errors.is_empty() {
        return Ok(SaveOutcome::Invalid(errors));
    }
    let client_secret = client_secret
        .as_ref()
        .map_or(SecretChange::Keep, |s| SecretChange::Replace(s.expose()));
    let password = password
        .as_ref()
        .map_or(SecretChange::Keep, |p| SecretChange::Replace(p.expose()));
    Ok(
        match store
            .save(form, client_secret, password, base_version)
            .await?
        {
            Saved::Done(config) => SaveOutcome::Saved(config),
            Saved::Conflict { current_version } => SaveOutcome::Conflict { current_version },
        },
    )
}

/// A secret field's new value through `parse`: `None` when it keeps the stored one, or
/// when it is invalid (its message then joins `errors`).
fn typed<T, E: Into<crate::domain::FieldError>>(
    errors: &mut FieldErrors,
    field: Field,
    input: &SecretInput,
    parse: fn(&str) -> Result<T, E>,
) -> Option<T> {
    errors.check(field, input.parse_typed(parse)?)
}
