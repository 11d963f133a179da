//! The error catalogue: every refusal the diagnosis knows, read from its own tables
//! (Entra's `AADSTS` codes, the SMTP replies, the IMAP responses), so that what the
//! diagnosis learns the catalogue shows. The server serves it at `/errors` (a failure
//! panel links to its entry there), and the documentation holds it as
//! [`markdown`] writes it, in English and Portuguese.

use crate::api::report::{Step, Words};
use crate::domain::Field;
use crate::i18n::Lang;
use crate::server::diagnosis::{entra, imap, smtp, words};

/// Where an entry's error comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Entra,
    Smtp,
    Imap,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Entra, Source::Smtp, Source::Imap];

    pub fn title(self) -> Words {
        match self {
            Source::Entra => words(
                "Microsoft Entra ID (the token request)",
                "Microsoft Entra ID (o pedido de token)",
            ),
            Source::Smtp => words(
                "SMTP replies (sending, and the relay's deliveries)",
                "Respostas SMTP (o envio, e as entregas do relay)",
            ),
            Source::Imap => words(
                "IMAP responses (the mailbox check)",
                "Respostas IMAP (a verificação da caixa de correio)",
            ),
        }
    }
}

/// One known error, as the catalogue shows it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The anchor, stable across versions: `aadsts7000215`, `smtp-5-7-139-…`.
    pub id: String,
    pub source: Source,
    /// The code an administrator sees and searches for: `AADSTS7000215`, `535 5.7.139`.
    pub code: String,
    /// The server's own words, as it sends them (English); Entra's vary by request.
    pub says: Option<String>,
    pub step: Step,
    pub field: Option<Field>,
    pub summary: Words,
    /// Filled in with placeholders where the page fills in the form's values.
    pub fix: Words,
}

/// What a fix says where the page names the form's mailbox.
const MAILBOX: &str = "<Email address>";

pub fn entries() -> Vec<Entry> {
    let aadsts = entra::AADSTS.iter().map(|known| Entry {
        id: known.id(),
        source: Source::Entra,
        code: known
            .codes
            .iter()
            .map(|c| format!("AADSTS{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        says: None,
        step: Step::TokenRequest,
        field: known.field,
        summary: words(known.summary.0, known.summary.1),
        fix: words(known.fix.0, known.fix.1),
    });
    let fill = smtp::Fill::new(MAILBOX);
    let replies = smtp::REPLIES.iter().map(|rule| {
        let sample = rule.sample;
        Entry {
            id: rule.id.to_owned(),
            source: Source::Smtp,
            code: match sample.text.split_once(' ') {
                Some((enhanced, _)) if enhanced.contains('.') => {
                    format!("{} {enhanced}", sample.code)
                }
                _ => sample.code.to_string(),
            },
            says: Some(format!("{} {}", sample.code, sample.text)),
            step: sample.step,
            field: rule.field,
            summary: words(rule.summary.0, rule.summary.1),
            fix: (rule.fix)(&fill),
        }
    });
    let commands = imap::Commands::placeholders();
    let responses = imap::RESPONSES.iter().map(|rule| {
        let status = rule
            .sample
            .status
            .map_or_else(|| "BYE".to_owned(), |s| s.to_string());
        Entry {
            id: rule.id.to_owned(),
            source: Source::Imap,
            code: status.clone(),
            says: Some(format!("{status} {}", rule.sample.text)),
            step: rule.sample.step,
            field: rule.field,
            summary: words(rule.summary.0, rule.summary.1),
            fix: (rule.fix)(&commands),
        }
    });
    aadsts.chain(replies).chain(responses).collect()
}

/// The page's words around the entries.
pub struct Labels {
    pub title: &'static str,
    pub intro: &'static str,
    pub step: &'static str,
    pub field: &'static str,
    pub says: &'static str,
    pub fix: &'static str,
}

pub fn labels(lang: Lang) -> Labels {
    match lang {
        Lang::En => Labels {
            title: "Error catalogue",
            intro: "Every error smtp-setup recognises, with what it means and the fix. The \
                    failure panel links to the entry of the error it shows; an error not listed \
                    here is shown with the server's own words and code.",
            step: "Step",
            field: "Field to check",
            says: "What the server says",
            fix: "What to do",
        },
        Lang::PtBr => Labels {
            title: "Catálogo de erros",
            intro: "Todos os erros que o smtp-setup reconhece, com o que significam e a \
                    correção. O painel de falha aponta para a entrada do erro que mostra; um erro \
                    que não está aqui é mostrado com as palavras e o código do próprio servidor.",
            step: "Etapa",
            field: "Campo a conferir",
            says: "O que o servidor diz",
            fix: "O que fazer",
        },
    }
}

/// The catalogue in Markdown, headings with their anchors (`{#id}`, as mdBook reads
/// them): what the documentation's troubleshooting pages include.
pub fn markdown(lang: Lang) -> String {
    let labels = labels(lang);
    let t = lang.texts();
    let entries = entries();
    let mut out = String::new();
    for source in Source::ALL {
        out.push_str(&format!("## {}\n\n", source.title().get(lang)));
        for entry in entries.iter().filter(|e| e.source == source) {
            out.push_str(&format!(
                "### `{}`: {} {{#{}}}\n\n",
                entry.code,
                entry.summary.get(lang),
                entry.id
            ));
            out.push_str(&format!(
                "**{}:** {}",
                labels.step,
                (t.step_label)(entry.step)
            ));
            if let Some(field) = entry.field {
                out.push_str(&format!(
                    " · **{}:** {}",
                    labels.field,
                    (t.field_label)(field)
                ));
            }
            out.push_str("\n\n");
            if let Some(says) = &entry.says {
                out.push_str(&format!("{}:\n\n```text\n{says}\n```\n\n", labels.says));
            }
            out.push_str(&format!(
                "**{}:** {}\n\n",
                labels.fix,
                escape_markdown(entry.fix.get(lang))
            ));
        }
    }
    out
}

/// A fix names placeholders (`<SMTP User>`) that Markdown would take for HTML.
fn escape_markdown(text: &str) -> String {
    text.replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_diagnosis_is_in_the_catalogue_once() {
        let entries = entries();
        let aadsts: usize = entra::AADSTS.len();
        assert_eq!(
            entries.len(),
            aadsts + smtp::REPLIES.len() + imap::RESPONSES.len()
        );
        let mut ids = std::collections::BTreeSet::new();
        for entry in &entries {
            assert!(ids.insert(entry.id.clone()), "{} twice", entry.id);
            // An anchor any Markdown and HTML reader keeps as it is.
            assert!(
                entry
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                entry.id
            );
            assert!(!entry.fix.en.is_empty() && !entry.fix.pt_br.is_empty());
        }
        for code in [
            "AADSTS7000215",
            "535 5.7.139",
            "550 5.7.60",
            "432 4.3.2",
            "554 5.2.2",
        ] {
            assert!(entries.iter().any(|e| e.code.contains(code)), "{code}");
        }
    }

    #[test]
    fn the_markdown_has_a_heading_with_its_anchor_for_every_entry() {
        for lang in Lang::ALL {
            let text = markdown(lang);
            for entry in entries() {
                assert!(
                    text.contains(&format!("{{#{}}}\n", entry.id)),
                    "{}",
                    entry.id
                );
            }
        }
        assert!(markdown(Lang::PtBr).contains("O que fazer"));
        assert!(markdown(Lang::En).contains("&lt;Email address&gt;"));
    }
}
