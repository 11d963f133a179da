//! The page's components. They hold raw strings in signals and ask `domain` for every
//! message; no rule is written here.

mod checklist;
pub mod config_page;
mod failure_panel;
mod field_input;
mod toast;
