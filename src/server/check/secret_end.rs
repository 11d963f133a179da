//! The client secret's end, read from Microsoft Graph: the form parsed (the stored
//! secret standing in for an empty field), a Graph token with the same credential, then
//! the app's password credentials.

use reqwest::Url;

use crate::api::certificate::ExpiryLookup;
use crate::api::report::{Step, Words};
use crate::domain::{Credential, SendConfig, SmtpForm, StoredSecrets};
use crate::server::check::token::TokenSource;
use crate::server::check::{Checks, Recorder};
use crate::server::microsoft::graph;

impl Checks {
    pub async fn secret_end(&self, form: &SmtpForm, stored: &StoredSecrets) -> ExpiryLookup {
        let config = match form.parse(stored) {
            Err(errors) => return ExpiryLookup::Invalid(errors),
            Ok(SendConfig::MicrosoftOAuth2(config)) => config,
            Ok(SendConfig::Password(_)) => return not_a_secret(),
        };
        let Credential::Secret { secret, .. } = &config.credential else {
            return not_a_secret();
        };
        let base = match &self.graph_override {
            Some(url) => url.clone(),
            None => match Url::parse(graph::endpoint(config.cloud)) {
                Ok(url) => url,
                Err(error) => return unavailable(&error),
            },
        };
        let scope = format!("{}/.default", graph::endpoint(config.cloud));
        let target = match self.tokens.target_for(&config, scope) {
            Ok(target) => target,
            Err(error) => return unavailable(&format!("{error:?}")),
        };
        // The token step as a check records it; only its failure's words are kept.
        let mut run = Recorder::new(&[Step::Inputs, Step::TokenRequest], self.timeouts.total);
        let token = match self
            .tokens
            .obtain(&mut run, &config, &target, TokenSource::CacheFirst)
            .await
        {
            Ok(obtained) => obtained.token,
            Err(failure) => {
                return ExpiryLookup::Failed {
                    summary: failure.summary,
                    fix: failure.fix,
                    detail: failure.detail,
                }
            }
        };
        match graph::secret_end(
            self.tokens.http(),
            &base,
            config.client_id.as_str(),
            secret.expose(),
            &token,
            self.timeouts.step,
        )
        .await
        {
            Ok(date) => ExpiryLookup::Found { date },
            Err(error) => {
                tracing::info!(%error, "the secret's end could not be read from Graph");
                let (summary, fix) = graph::words(&error);
                ExpiryLookup::Failed {
                    summary,
                    fix,
                    detail: error.to_string(),
                }
            }
        }
    }
}

fn not_a_secret() -> ExpiryLookup {
    ExpiryLookup::Failed {
        summary: Words::new(
            "Only a client secret's end is read from Microsoft Graph.",
            "Só o fim de um segredo do cliente é lido do Microsoft Graph.",
        ),
        fix: Words::new(
            "Choose Microsoft (OAuth2) with a client secret.",
            "Escolha Microsoft (OAuth2) com um segredo do cliente.",
        ),
        detail: String::new(),
    }
}

fn unavailable(error: &dyn std::fmt::Display) -> ExpiryLookup {
    ExpiryLookup::Failed {
        summary: Words::new(
            "smtp-setup could not prepare the request.",
            "O smtp-setup não conseguiu preparar o pedido.",
        ),
        fix: Words::new(
            "This is a bug in smtp-setup; please report it with the text below.",
            "Isto é um defeito do smtp-setup; informe-o com o texto abaixo.",
        ),
        detail: error.to_string(),
    }
}
