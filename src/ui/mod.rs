//! The page's components. They hold raw strings in signals and ask `domain` for every
//! message; no rule is written here.

mod checklist;
mod choice_select;
pub mod config_page;
mod copy_button;
mod credential_limits;
mod failure_panel;
mod field_input;
mod format;
mod history;
mod relay_panel;
mod setup_guide;
mod toast;
mod transcript;
mod webhooks_panel;
