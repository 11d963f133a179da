//! The command line beside the server: `smtp-setup credentials add NAME | list |
//! remove NAME`, on the same store (`DATABASE_URL`, `SMTP_SETUP_KEY`) as the server. A
//! credential added while the server runs works at once: every sign-in reads the store.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use secrecy::ExposeSecret as _;

use crate::server::config::ServerSettings;
use crate::server::relay::credentials::{self, CredentialName};
use crate::server::store::Store;

const USAGE: &str = "usage: smtp-setup credentials add NAME | list | remove NAME";

/// Runs `args` (after the program name) when they are a command; `None`: serve.
pub async fn run(args: &[String]) -> Option<ExitCode> {
    let (first, rest) = args.split_first()?;
    if first != "credentials" {
        return Some(fail(USAGE));
    }
    Some(match credentials_command(rest).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    })
}

fn fail(message: &str) -> ExitCode {
    eprintln!("smtp-setup: {message}");
    ExitCode::FAILURE
}

async fn credentials_command(args: &[String]) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let settings = ServerSettings::from_env().map_err(|e| e.to_string())?;
    let key = settings.sealing_key.as_ref().map(|k| k.expose_secret());
    let (store, _) = Store::open(&settings.database_url, key)
        .await
        .map_err(|e| e.to_string())?;
    let result = match words.as_slice() {
        ["add", name] => add(&store, name).await,
        ["list"] => list(&store).await,
        ["remove", name] => remove(&store, name).await,
        _ => Err(USAGE.to_owned()),
    };
    store.close().await;
    result
}

async fn add(store: &Store, name: &str) -> Result<(), String> {
    let name = CredentialName::parse(name).map_err(|e| e.to_string())?;
    match credentials::add(store, &name)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(password) => {
            println!("Relay credential {name} added. Its password, shown only now:");
            println!("{}", password.expose_secret());
            Ok(())
        }
        None => Err(format!(
            "a credential named {name} exists already; remove it first to replace it"
        )),
    }
}

async fn list(store: &Store) -> Result<(), String> {
    let all = store.credentials().await.map_err(|e| e.to_string())?;
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
            "{}\tadded {}\t{used}",
            credential.name,
            date(credential.created_at)
        );
    }
    Ok(())
}

async fn remove(store: &Store, name: &str) -> Result<(), String> {
    if store
        .remove_credential(name)
        .await
        .map_err(|e| e.to_string())?
    {
        println!("Relay credential {name} removed.");
        Ok(())
    } else {
        Err(format!("there is no credential named {name}"))
    }
}

fn date(unix_millis: i64) -> String {
    let at =
        SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(unix_millis).unwrap_or(0));
    httpdate::fmt_http_date(at)
}
