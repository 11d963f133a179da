//! The command line: `smtp-setup [serve]`, `healthcheck`, `credentials add NAME
//! [--sender A] [--from-address RANGE] [--per-hour N] | limit NAME … | list | remove NAME`, `backup FILE`, `rotate-key`, `config --list`, `--help`, `--version`. A mistyped command or flag prints what is valid
//! and exits 2 (clap's usage error). The credentials commands work on the same store
//! (`DATABASE_URL`, `SMTP_SETUP_KEY`, `SMTP_SETUP_DATA_DIR`) as the server; a credential
//! added while the server runs works at once, since every sign-in reads the store.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

mod webhooks;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret as _;

use crate::domain::CredentialScope;
use crate::server::config::{listen_address, ServerSettings, SettingsError};
use crate::server::relay::credentials::{self, BadCredentialName, CredentialError, CredentialName};
use crate::server::store::{Store, StoreError};

/// The version and the commit the binary was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SMTP_SETUP_COMMIT"),
    ")"
);

/// smtp-setup: configure Microsoft 365 SMTP with OAuth2, prove it works, and relay
/// applications' mail through it. Its settings come from the environment (`smtp-setup config
/// --list` names each one; smtp-setup.env.example is a start).
#[derive(Debug, Parser)]
#[command(name = "smtp-setup", version = VERSION)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the page and the relay (the default when no command is given)
    Serve,
    /// Ask the running server's /healthz; exit 0 when it is healthy, 1 when not
    Healthcheck {
        /// The server's address (default: SMTP_SETUP_LISTEN, then LEPTOS_SITE_ADDR,
        /// then 127.0.0.1:3000; an address of all interfaces is asked on loopback)
        #[arg(long)]
        address: Option<SocketAddr>,
    },
    /// Manage the relay's credentials (one per application)
    Credentials {
        #[command(subcommand)]
        action: CredentialsCommand,
    },
    /// Register, list, test or remove the HTTPS endpoints told what became of each message
    Webhooks {
        #[command(subcommand)]
        action: webhooks::WebhooksCommand,
    },
    /// Write a consistent copy of the store (SQLite) to FILE while the server runs
    Backup { file: std::path::PathBuf },
    /// Seal every stored secret with a new key (stop the server first)
    RotateKey,
    /// Print every environment variable the server reads: default, meaning, example
    Config {
        /// The table in Markdown, as the documentation shows it
        #[arg(long, required = true)]
        list: bool,
    },
    /// Packaging: writes the brotli and gzip copies of the bundles in SITE/pkg, so that
    /// an installed site needs no writing at start (a read-only file system).
    #[command(hide = true)]
    PrepareSite { site: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Add a credential; its password is printed once, alone on the last line
    Add {
        name: String,
        #[command(flatten)]
        scope: ScopeFlags,
    },
    /// Change what a credential may do (each flag replaces its limit; --any-sender,
    /// --any-address, --no-quota turn one off)
    Limit {
        name: String,
        #[command(flatten)]
        scope: ScopeFlags,
        /// It may send as every allowed sender again
        #[arg(long, conflicts_with = "senders")]
        any_sender: bool,
        /// It may connect from any address again
        #[arg(long, conflicts_with = "from_addresses")]
        any_address: bool,
        /// No hourly quota
        #[arg(long, conflicts_with = "per_hour")]
        no_quota: bool,
    },
    /// List the credentials: names, when added, when last used
    List,
    /// Remove a credential: its password no longer signs in
    Remove { name: String },
}

/// What a credential may do, as flags: each left out leaves its limit off (or, for
/// `limit`, as it is).
#[derive(Debug, clap::Args)]
pub struct ScopeFlags {
    /// A sender it may use (repeat for several); by default every allowed sender
    #[arg(long = "sender", value_name = "ADDRESS")]
    senders: Vec<String>,
    /// A client address or CIDR range it may connect from (repeat for several); by
    /// default any
    #[arg(long = "from-address", value_name = "RANGE")]
    from_addresses: Vec<String>,
    /// The most messages it may hand over in an hour; by default no limit
    #[arg(long, value_name = "COUNT")]
    per_hour: Option<String>,
}

impl ScopeFlags {
    /// The scope these flags name, on top of `base` (a flag left out keeps its limit).
    fn over(&self, base: &CredentialScope) -> Result<CredentialScope, CommandError> {
        let (senders, clients, per_hour) = base.to_texts();
        let pick = |given: &[String], kept: String| {
            if given.is_empty() {
                kept
            } else {
                given.join("\n")
            }
        };
        CredentialScope::parse(
            &pick(&self.senders, senders),
            &pick(&self.from_addresses, clients),
            self.per_hour.as_deref().unwrap_or(&per_hour),
        )
        .map_err(CommandError::Scope)
    }
}

/// Why a command failed; said on standard error, exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error("{0:?}: {1}")]
    BadName(String, BadCredentialName),
    #[error("a credential named {0} exists already; remove it first to replace it")]
    Exists(String),
    #[error("there is no credential named {0}")]
    NoSuchCredential(String),
    #[error("there is no webhook endpoint {0}: smtp-setup webhooks list")]
    NoSuchWebhook(String),
    #[error(
        "{0:?}: a webhook endpoint is an https:// URL such as https://erp.contoso.com/hooks/mail"
    )]
    BadWebhookUrl(String),
    #[error("no random numbers from the operating system: {0}")]
    Random(#[from] crate::server::store::sealing::SealError),
    #[error("{0}")]
    Scope(crate::domain::CredentialScopeError),
    #[error(transparent)]
    Key(#[from] crate::server::store::key::KeyError),
    #[error("{}: {source}", site.display())]
    Site {
        site: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Runs a command other than `serve`; `None`: serve.
pub async fn run(command: Option<Command>) -> Option<ExitCode> {
    let result = match command? {
        Command::Serve => return None,
        Command::Healthcheck { address } => return Some(healthcheck(address).await),
        Command::Credentials { action } => credentials_command(action).await,
        Command::Webhooks { action } => webhooks::run(action).await,
        Command::Backup { file } => return Some(backup(&file).await),
        Command::RotateKey => rotate_key().await,
        Command::Config { list: _ } => {
            print!("{}", crate::server::config::reference::markdown_table());
            Ok(())
        }
        Command::PrepareSite { site } => super::precompress::precompress_dir(&site.join("pkg"))
            .map_err(|source| CommandError::Site { site, source }),
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smtp-setup: {error}");
            ExitCode::FAILURE
        }
    })
}

/// `backup FILE`: the copy, and where its key is. On PostgreSQL: how to use pg_dump,
/// exit status 2.
async fn backup(file: &std::path::Path) -> ExitCode {
    use crate::server::store::backup::{self, BackupError};
    let settings = match ServerSettings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("smtp-setup: {error}");
            return ExitCode::FAILURE;
        }
    };
    match backup::backup(&settings.database_url, file).await {
        Ok(done) => {
            let key = match settings.sealing_key {
                Some(_) => "SMTP_SETUP_KEY (in the environment)".to_owned(),
                None => crate::server::store::key::key_file_beside(&done.database)
                    .display()
                    .to_string(),
            };
            println!("Backup written to {} (owner-only).", done.file.display());
            println!(
                "It holds the sealed secrets but not the key that opens them: that is {key}. \
                 Keep both, apart."
            );
            println!(
                "To restore: stop the server, copy the backup to {} (and the key beside it), start.",
                done.database.display()
            );
            ExitCode::SUCCESS
        }
        Err(error @ BackupError::Postgres) => {
            eprintln!("smtp-setup: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("smtp-setup: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `rotate-key`: a new key, every secret sealed with it. With a key file: the new key
/// beside the old one, the secrets sealed again (one transaction), the new file in the
/// old one's place; each step logged. With `SMTP_SETUP_KEY`: the new key printed before
/// the commit, for every instance's environment.
async fn rotate_key() -> Result<(), CommandError> {
    use crate::server::store::key::{self, KeySource};
    let settings = ServerSettings::from_env()?;
    let env_key = settings.sealing_key.as_ref().map(|k| k.expose_secret());
    let (store, source) = Store::open(&settings.database_url, env_key).await?;
    let (new, encoded) = key::new_key()?;
    let result = async {
        match source {
            KeySource::Environment => {
                println!("The new SMTP_SETUP_KEY (it opens the store once this command ends):");
                println!("{}", encoded.expose_secret());
                let count = store.reseal(&new).await?;
                println!(
                    "Key rotated: {count} secrets sealed with the new key. Set SMTP_SETUP_KEY to it \
                     on every instance before starting any; the old key no longer opens the store."
                );
            }
            KeySource::File(file) | KeySource::Created(file) => {
                key::write_key_file(&key::new_key_file(&file), &encoded)?;
                tracing::info!("rotate-key: the new key is written beside the old one");
                let count = store.reseal(&new).await?;
                tracing::info!("rotate-key: committed");
                key::replace_key_file(&file)?;
                tracing::info!("rotate-key: the new key file is in place");
                println!(
                    "Key rotated: {count} secrets sealed with the new key, now in {}. Back it up \
                     with the database; the old key no longer opens it.",
                    file.display()
                );
            }
        }
        Ok::<_, CommandError>(())
    }
    .await;
    store.close().await;
    result
}

/// `GET /healthz` on the running server, bounded: what a container's HEALTHCHECK runs,
/// so that the image needs no curl.
async fn healthcheck(address: Option<SocketAddr>) -> ExitCode {
    let mut address = match address.map(Ok).unwrap_or_else(listen_address) {
        Ok(address) => address,
        Err(error) => {
            eprintln!("smtp-setup: {error}");
            return ExitCode::FAILURE;
        }
    };
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{address}/healthz");
    let answer = async {
        let response = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?
            .get(&url)
            .send()
            .await?;
        let healthy = response.status().is_success();
        Ok::<_, reqwest::Error>((healthy, response.text().await.unwrap_or_default()))
    };
    match answer.await {
        Ok((true, body)) => {
            print!("{body}");
            ExitCode::SUCCESS
        }
        Ok((false, body)) => {
            eprint!("smtp-setup: {url} is not healthy:\n{body}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("smtp-setup: {url}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The server's store, as its settings name it.
async fn open_store() -> Result<Store, CommandError> {
    let settings = ServerSettings::from_env()?;
    let key = settings.sealing_key.as_ref().map(|k| k.expose_secret());
    Ok(Store::open(&settings.database_url, key).await?.0)
}

async fn credentials_command(action: CredentialsCommand) -> Result<(), CommandError> {
    let store = open_store().await?;
    let result = match action {
        CredentialsCommand::Add { name, scope } => add(&store, &name, &scope).await,
        CredentialsCommand::Limit {
            name,
            scope,
            any_sender,
            any_address,
            no_quota,
        } => {
            let off = Off {
                senders: any_sender,
                clients: any_address,
                quota: no_quota,
            };
            limit(&store, &name, &scope, off).await
        }
        CredentialsCommand::List => list(&store).await,
        CredentialsCommand::Remove { name } => remove(&store, &name).await,
    };
    store.close().await;
    result
}

async fn add(store: &Store, name: &str, flags: &ScopeFlags) -> Result<(), CommandError> {
    let name = CredentialName::parse(name)
        .map_err(|error| CommandError::BadName(name.to_owned(), error))?;
    let scope = flags.over(&CredentialScope::default())?;
    match credentials::add(store, &name, &scope).await? {
        Some(password) => {
            println!(
                "Relay credential {name} added ({}). Its password, shown only now:",
                scope_line(&scope)
            );
            println!("{}", password.expose_secret());
            Ok(())
        }
        None => Err(CommandError::Exists(name.as_str().to_owned())),
    }
}

/// The limits `limit` turns off.
struct Off {
    senders: bool,
    clients: bool,
    quota: bool,
}

async fn limit(
    store: &Store,
    name: &str,
    flags: &ScopeFlags,
    off: Off,
) -> Result<(), CommandError> {
    let Some(current) = store.credential_scope(name).await? else {
        return Err(CommandError::NoSuchCredential(name.to_owned()));
    };
    let mut scope = flags.over(&current)?;
    if off.senders {
        scope.senders = None;
    }
    if off.clients {
        scope.clients = None;
    }
    if off.quota {
        scope.per_hour = None;
    }
    if !store.set_credential_scope(name, &scope).await? {
        return Err(CommandError::NoSuchCredential(name.to_owned()));
    }
    println!("Relay credential {name}: {}.", scope_line(&scope));
    Ok(())
}

/// A credential's limits on one line: `senders billing@…; from 10.0.0.0/8; 100 an hour`.
fn scope_line(scope: &CredentialScope) -> String {
    let senders = scope
        .senders
        .as_ref()
        .map_or("every allowed sender".to_owned(), |list| {
            format!("senders {}", list.to_text().replace('\n', ", "))
        });
    let clients = scope
        .clients
        .as_ref()
        .map_or("from any address".to_owned(), |list| {
            format!("from {}", list.to_text().replace('\n', ", "))
        });
    let quota = scope.per_hour.map_or("no hourly quota".to_owned(), |q| {
        format!("{} an hour", q.get())
    });
    format!("{senders}; {clients}; {quota}")
}

async fn list(store: &Store) -> Result<(), CommandError> {
    let all = store.credentials().await?;
    if all.is_empty() {
        println!("No relay credentials yet: smtp-setup credentials add NAME");
    }
    for credential in all {
        let used = credential
            .last_used_at
            .map_or("never used".to_owned(), |at| {
                format!("last used {}", date(at))
            });
        println!(
            "{}\tadded {}\t{used}\t{}",
            credential.name,
            date(credential.created_at),
            scope_line(&credential.scope)
        );
    }
    Ok(())
}

async fn remove(store: &Store, name: &str) -> Result<(), CommandError> {
    if store.remove_credential(name).await? {
        println!("Relay credential {name} removed.");
        Ok(())
    } else {
        Err(CommandError::NoSuchCredential(name.to_owned()))
    }
}

pub(super) fn date(unix_millis: i64) -> String {
    let at =
        SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(unix_millis).unwrap_or(0));
    httpdate::fmt_http_date(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent_and_serve_is_the_default() {
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["smtp-setup"])
            .unwrap()
            .command
            .is_none());
        assert!(matches!(
            Cli::try_parse_from(["smtp-setup", "serve"])
                .unwrap()
                .command,
            Some(Command::Serve)
        ));
        let mistyped = Cli::try_parse_from(["smtp-setup", "serv"]).unwrap_err();
        assert_eq!(mistyped.exit_code(), 2);
    }
}
