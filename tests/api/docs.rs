//! The documentation site (`docs/`, an mdBook): the pages generated from the code are
//! what the code generates now, every variable a page names is one the server reads,
//! and the book builds with no broken internal link or anchor (the catalogue's anchors,
//! which the failure panel links to, included).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use smtp_setup::i18n::Lang;
use smtp_setup::server::config::reference::{markdown_table, VARIABLES};
use smtp_setup::server::diagnosis::catalogue;

use crate::helpers::fresh_dir;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The generated pages, by their path under `docs/src/`.
fn generated() -> Vec<(&'static str, String)> {
    vec![
        ("generated/configuration.md", markdown_table()),
        ("generated/errors-en.md", catalogue::markdown(Lang::En)),
        ("generated/errors-pt-BR.md", catalogue::markdown(Lang::PtBr)),
    ]
}

/// `UPDATE_DOCS=1` writes them again; otherwise a page that differs fails.
#[test]
fn the_generated_pages_are_what_the_code_generates() {
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    for (path, text) in generated() {
        let file = repository().join("docs/src").join(path);
        if update {
            std::fs::write(&file, &text).expect("write the page");
            continue;
        }
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            written == text,
            "docs/src/{path} is out of date: run UPDATE_DOCS=1 cargo test --features ssr --test api docs::"
        );
    }
}

fn files(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, extension, found);
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
}

/// `SMTP_SETUP_…` names, whole words.
fn variables_named(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("SMTP_SETUP_") {
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let name: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        let name = name.trim_end_matches('_');
        if name.len() > "SMTP_SETUP_".len() {
            names.insert(name.to_owned());
        }
    }
    names
}

/// The other direction of the configuration reference: no page tells the admin to set
/// a variable the server does not read. `SMTP_SETUP_COMMIT` is the build's.
#[test]
fn every_variable_the_docs_name_is_one_the_server_reads() {
    let listed: BTreeSet<&str> = VARIABLES.iter().map(|v| v.name).collect();
    let mut pages = vec![repository().join("README.md")];
    files(&repository().join("docs/src"), "md", &mut pages);
    files(&repository().join("deploy"), "example", &mut pages);
    pages.push(repository().join("deploy/smtp-setup.service"));
    let mut unknown = BTreeMap::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("a page");
        for name in variables_named(&text) {
            if name != "SMTP_SETUP_COMMIT" && !listed.contains(name.as_str()) {
                unknown.insert(name, page.display().to_string());
            }
        }
    }
    assert!(pages.len() > 10, "{pages:?}");
    assert!(unknown.is_empty(), "named but not read: {unknown:?}");
}

/// Every `href` in `html` that stays inside the book: (the path, the fragment).
fn internal_links(html: &str) -> Vec<(String, Option<String>)> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| !link.contains("://") && !link.starts_with("mailto:"))
        .map(|link| match link.split_once('#') {
            Some((path, fragment)) => (path.to_owned(), Some(fragment.to_owned())),
            None => (link.to_owned(), None),
        })
        .collect()
}

fn ids(html: &str) -> BTreeSet<String> {
    html.split(" id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_book_builds_with_no_broken_internal_link() {
    let out = fresh_dir("docs-book");
    let built = tokio::process::Command::new("mdbook")
        .arg("build")
        .arg(repository().join("docs"))
        .arg("--dest-dir")
        .arg(&out)
        .output()
        .await
        .expect("mdbook (make test installs it: .ci/tools.sh)");
    let log = String::from_utf8_lossy(&built.stderr);
    assert!(built.status.success(), "{log}");
    // mdBook reports a missing include or file as a warning and goes on.
    assert!(!log.contains("WARN") && !log.contains("ERROR"), "{log}");
    let mut pages = Vec::new();
    files(&out, "html", &mut pages);
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let html = std::fs::read_to_string(page).expect("a page");
        for (path, fragment) in internal_links(&html) {
            let target = if path.is_empty() {
                page.clone()
            } else if let Some(from_root) = path.strip_prefix('/') {
                // The 404 page's link home: the book served at a site's root.
                out.join(from_root)
            } else {
                let path = path.split('?').next().unwrap_or_default();
                page.parent().expect("a folder").join(path)
            };
            let target = if target.is_dir() {
                target.join("index.html")
            } else {
                target
            };
            checked += 1;
            let Ok(target_html) = std::fs::read_to_string(&target) else {
                if !target.exists() {
                    broken.push(format!("{}: {path}", page.display()));
                }
                continue;
            };
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                if !ids(&target_html).contains(&fragment) {
                    broken.push(format!("{}: {path}#{fragment}", page.display()));
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} links seen");
    assert!(broken.is_empty(), "broken links: {broken:#?}");
    // The anchors the failure panel and /errors use are the book's too, in both languages.
    for page in ["troubleshooting.html", "pt-BR/solucao-de-problemas.html"] {
        let html = std::fs::read_to_string(out.join(page)).expect(page);
        let found = ids(&html);
        for entry in catalogue::entries() {
            assert!(found.contains(&entry.id), "{page}: {}", entry.id);
        }
    }
    // The configuration table and the OpenAPI document are in their pages.
    let configuration = std::fs::read_to_string(out.join("configuration.html")).expect("page");
    for v in VARIABLES {
        assert!(
            configuration.contains(&format!("<code>{}</code>", v.name)),
            "{}",
            v.name
        );
    }
    let api = std::fs::read_to_string(out.join("api.html")).expect("page");
    assert!(
        api.contains("\"openapi\": \"3.1.0\""),
        "the OpenAPI document"
    );
}
