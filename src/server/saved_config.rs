//! The saved configuration's write-only secrets, on the server: parsed once against
//! what the store keeps, sealed when saved, and never sent back.

use std::time::SystemTime;

use crate::api::relay::utc;
use crate::api::saved::ExpirySource;
use crate::api::saved::{ExpiryNotice, SaveOutcome, SavedConfig};
use crate::domain::{
    AuthType, CertificatePem, ClientSecret, Credential, CredentialKind, ExpiryDate, Field,
    FieldErrors, PrivateKeyPem, SecretInput, SendConfig, SmtpForm, SmtpPassword, StoredSecrets,
};
use crate::server::certificate_credential::{self, Certificate};
use crate::server::store::{Saved, SecretChange, Store, StoreError};

/// The stored secrets a parse of `form` may need: none when the chosen credential is
/// typed (the store is not even read), else the store's, opened; for a certificate, the
/// key kept for that very certificate.
pub async fn stored_secrets_for(
    store: &Store,
    form: &SmtpForm,
) -> Result<StoredSecrets, StoreError> {
    match (form.auth_type, form.credential) {
        (AuthType::MicrosoftOAuth2, CredentialKind::ClientSecret)
            if form.client_secret.is_typed() =>
        {
            Ok(StoredSecrets::default())
        }
        (AuthType::Password, _) if form.password.is_typed() => Ok(StoredSecrets::default()),
        (AuthType::MicrosoftOAuth2, CredentialKind::Certificate) => {
            let private_key = match CertificatePem::parse(&form.certificate) {
                Ok(certificate) if !form.private_key.is_typed() => {
                    store.private_key_for(&certificate).await?
                }
                _ => None,
            };
            Ok(StoredSecrets {
                private_key,
                ..StoredSecrets::default()
            })
        }
        _ => store.secrets().await,
    }
}

/// The saved configuration as the page gets it: the certificate read, and when the
/// chosen credential expires counted from `now`.
pub async fn load(store: &Store, now: SystemTime) -> Result<SavedConfig, StoreError> {
    let mut saved = store.load().await?;
    let certificate = CertificatePem::parse(&saved.form.certificate)
        .ok()
        .and_then(|pem| Certificate::read(&pem).ok());
    saved.expiry = expiry(&saved, certificate.as_ref().map(|c| c.not_after), now);
    saved.certificate = certificate.map(|c| c.summary);
    Ok(saved)
}

/// When the chosen credential of a saved configuration expires, when known.
fn expiry(
    saved: &SavedConfig,
    certificate_not_after: Option<i64>,
    now: SystemTime,
) -> Option<ExpiryNotice> {
    if saved.version == 0 || saved.form.auth_type != AuthType::MicrosoftOAuth2 {
        return None;
    }
    let now = crate::server::time::unix_seconds(now);
    match saved.form.credential {
        CredentialKind::Certificate => {
            let not_after = certificate_not_after?;
            Some(notice(not_after, now, ExpirySource::Certificate))
        }
        CredentialKind::ClientSecret => {
            let date = ExpiryDate::parse_optional(&saved.form.secret_expires).ok()??;
            let source = if saved.form.secret_expires_from_graph {
                ExpirySource::Graph
            } else {
                ExpirySource::Administrator
            };
            Some(notice(date.days_since_epoch() * DAY, now, source))
        }
    }
}

const DAY: i64 = 24 * 60 * 60;

/// The notice for a credential that ends at `end` (seconds since the epoch), seen at
/// `now`: whole days left, rounded down (a credential ending in 6.5 days has 6).
pub fn notice(end: i64, now: i64, source: ExpirySource) -> ExpiryNotice {
    let days = end.saturating_sub(now).div_euclid(DAY);
    ExpiryNotice {
        date: utc(end.saturating_mul(1000))[..10].to_owned(),
        ends_at: end,
        days_left: days,
        source,
    }
}

/// Validates with the same parse as a test send (stored secrets standing in for empty
/// fields), then saves if nobody saved since `base_version`. An empty secret field keeps
/// the stored secret; a typed one replaces it. A certificate is read and its key
/// matched before anything is written.
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
    let mut client_secret = None;
    let mut private_key = None;
    if let Some(SendConfig::MicrosoftOAuth2(microsoft)) = &config {
        match &microsoft.credential {
            Credential::Secret { secret, .. } if form.client_secret.is_typed() => {
                client_secret = Some(secret.clone());
            }
            Credential::Secret { .. } => {}
            Credential::Certificate {
                certificate,
                private_key: key,
            } => {
                if let Err((field, error)) = certificate_credential::Signer::new(certificate, key) {
                    errors.add_once(field, error);
                }
                // A key typed now, or one generated here for a new certificate, is written;
                // the saved certificate keeps its saved key.
                if form.private_key.is_typed() || !store.is_saved_certificate(certificate).await? {
                    private_key = Some(key.clone());
                }
            }
        }
    }
    // The chosen credential was parsed with the form; another typed secret is saved too,
    // so it goes through its own parse.
    if client_secret.is_none() {
        client_secret = typed(
            &mut errors,
            Field::ClientSecret,
            &form.client_secret,
            ClientSecret::parse,
        );
    }
    let password = match &config {
        Some(SendConfig::Password(c)) if form.password.is_typed() => Some(c.password.clone()),
        _ => typed(
            &mut errors,
            Field::Password,
            &form.password,
            SmtpPassword::parse,
        ),
    };
    if private_key.is_none() {
        private_key = typed(
            &mut errors,
            Field::PrivateKey,
            &form.private_key,
            PrivateKeyPem::parse,
        );
    }
    if !errors.is_empty() {
        return Ok(SaveOutcome::Invalid(errors));
    }
    let outcome = store
        .save(
            form,
            change(client_secret.as_ref().map(ClientSecret::expose)),
            change(password.as_ref().map(SmtpPassword::expose)),
            change(private_key.as_ref().map(PrivateKeyPem::expose)),
            base_version,
        )
        .await?;
    Ok(match outcome {
        Saved::Done(_) => SaveOutcome::Saved(Box::new(load(store, SystemTime::now()).await?)),
        Saved::Conflict { current_version } => SaveOutcome::Conflict { current_version },
    })
}

fn change(value: Option<&str>) -> SecretChange<'_> {
    value.map_or(SecretChange::Keep, SecretChange::Replace)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::saved::ExpiryLevel;

    #[test]
    fn the_warning_starts_30_days_before_and_turns_to_an_alarm_at_7() {
        let now = 1_800_000_000;
        let at = |days: i64| notice(now + days * DAY, now, ExpirySource::Certificate);
        assert_eq!(at(31).days_left, 31);
        assert_eq!(at(31).level(), ExpiryLevel::Quiet);
        assert_eq!(at(30).level(), ExpiryLevel::Warning);
        assert_eq!(at(8).level(), ExpiryLevel::Warning);
        assert_eq!(at(7).level(), ExpiryLevel::Alarm);
        assert_eq!(at(0).days_left, 0);
        assert_eq!(at(0).level(), ExpiryLevel::Alarm);
        assert_eq!(at(-3).days_left, -3);
        // Half a day short of 31 is 30 whole days.
        assert_eq!(
            notice(now + 31 * DAY - DAY / 2, now, ExpirySource::Certificate).days_left,
            30
        );
        assert_eq!(
            notice(1_800_000_000, 0, ExpirySource::Administrator).date,
            "2027-01-15"
        );
    }
}
