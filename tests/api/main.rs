//! Integration tests of the test send against real, independently written peers
//! (an OAuth2 token server and an SMTP server with STARTTLS + XOAUTH2) on 127.0.0.1.

mod app;
pub mod app_process;
mod bounces;
mod certificate_credential;
mod certificates;
mod cli;
mod credential_scope;
mod database;
mod deploy;
mod docs;
mod faults;
mod helpers;
mod install;
pub mod instances;
mod known_failures;
mod mailbox_access;
mod openapi;
mod operations;
mod password_and_clouds;
mod postgres_outage;
mod relay;
mod relay_api;
mod relay_delivery;
mod relay_disk;
mod relay_headers;
mod relay_process;
mod relay_smtp;
mod retention;
mod secret_expiry;
mod store;
mod test_send;
mod token_reuse;
mod transcript_and_tls;
mod watch;
pub mod webhooks;
