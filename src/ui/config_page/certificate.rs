//! The certificate credential's tools: generate a pair on the server, open a file (a
//! PEM file fills the fields here; a PKCS#12 file is opened on the server with its
//! password), and what the server read of the certificate, with its download.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use super::state::{api_problem, PageState};
use crate::api::certificate::CertificateOutcome;
use crate::api::saved::{CertificateSummary, SecretFingerprint};
use crate::domain::{pem_block, CertificatePem, Field, SecretInput};
use crate::i18n::{lang, texts};
use crate::serverfns::{generate_certificate, import_certificate};
use crate::ui::format::instant;

#[component]
pub fn CertificatePanel(page: PageState) -> impl IntoView {
    let t = texts();
    let lang = lang();
    let form = page.form;
    let generate = Action::new(|name: &String| generate_certificate(name.clone()));
    let import = Action::new(|(file, password): &(String, String)| {
        import_certificate(file.clone(), SecretInput::from_typed(password.clone()))
    });
    let file_error = RwSignal::new(None::<String>);
    // A binary file waiting for its password (base64).
    let pkcs12 = RwSignal::new(None::<String>);
    let password = RwSignal::new(String::new());

    // The server now holds the key of `summary`'s certificate.
    let ready = move |summary: CertificateSummary, message: &'static str| {
        form.field(Field::Certificate)
            .value
            .set(summary.pem.clone());
        form.field(Field::PrivateKey).value.set(String::new());
        page.stored_key.set(Some(SecretFingerprint {
            hint: None,
            length: 0,
            saved_at: String::new(),
        }));
        page.certificate.set(Some(summary));
        pkcs12.set(None);
        file_error.set(None);
        page.toast.set(Some(message.to_owned()));
    };
    Effect::new(move |_| {
        if let Some(result) = generate.value().get() {
            match result {
                Ok(summary) => ready(summary, t.certificate_generated),
                Err(error) => page.problem.set(Some(api_problem(error))),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = import.value().get() {
            match result {
                Ok(CertificateOutcome::Ready(summary)) => ready(summary, t.certificate_imported),
                Ok(CertificateOutcome::Refused(error)) => file_error.set(Some(error.text(lang))),
                Err(error) => page.problem.set(Some(api_problem(error))),
            }
        }
    });
    let busy = move || generate.pending().get() || import.pending().get();
    let on_generate = move |_| {
        let name = form.field(Field::Name).value.get_untracked();
        let mailbox = form.field(Field::EmailAddress).value.get_untracked();
        generate.dispatch(if name.trim().is_empty() {
            mailbox
        } else {
            name
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            let text = String::from_utf8_lossy(&bytes);
            if text.contains("-----BEGIN ") {
                let key =
                    pem_block(&text, "PRIVATE KEY").or_else(|| pem_block(&text, "RSA PRIVATE KEY"));
                if let Some(certificate) = pem_block(&text, "CERTIFICATE") {
                    form.field(Field::Certificate).value.set(certificate);
                    form.field(Field::Certificate).touched.set(true);
                }
                if let Some(key) = key {
                    form.field(Field::PrivateKey).value.set(key);
                    form.field(Field::PrivateKey).touched.set(true);
                }
                pkcs12.set(None);
                file_error.set(None);
            } else {
                // btoa takes one character per byte.
                let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
                pkcs12.set(window().btoa(&latin1).ok());
            }
        });
    };
    let on_open = move |_| {
        if let Some(file) = pkcs12.get_untracked() {
            import.dispatch((file, password.get_untracked()));
            password.set(String::new());
        }
    };
    // What the server read, while the field still holds that certificate.
    let shown = move || {
        let summary = page.certificate.get()?;
        let typed = form.field(Field::Certificate).value.get();
        let same =
            CertificatePem::parse(&typed).is_ok_and(|pem| pem.as_str() == summary.pem.trim());
        same.then_some(summary)
    };
    let details = move || {
        shown().map(|summary| {
            let href = data_url(&summary.pem);
            view! {
                <dl class="certificate-details" id="certificate-details">
                    <dt>{t.thumbprint_sha1}</dt>
                    <dd class="thumbprint" id="thumbprint-sha1">{summary.sha1.clone()}</dd>
                    <dt>{t.thumbprint_sha256}</dt>
                    <dd class="thumbprint" id="thumbprint-sha256">{summary.sha256.clone()}</dd>
                    <dt>{t.certificate_subject}</dt>
                    <dd>{summary.subject.clone()}</dd>
                    <dt>{t.valid_from}</dt>
                    <dd>{instant(&summary.not_before)}</dd>
                    <dt>{t.valid_until}</dt>
                    <dd>{instant(&summary.not_after)}</dd>
                </dl>
                <p>
                    <a id="download-certificate" href=href download="smtp-setup.cer">
                        {t.download_certificate}
                    </a>
                </p>
            }
        })
    };

    view! {
        <div class="certificate-tools">
            <button
                type="button"
                id="generate-certificate"
                class="secondary"
                disabled=busy
                on:click=on_generate
            >
                {move || if generate.pending().get() { t.generating_certificate } else { t.generate_certificate }}
            </button>
            <div class="field">
                <label for="certificate-file">{t.open_file}</label>
                <p class="hint" id="certificate-file-hint">{t.open_file_hint}</p>
                <input
                    id="certificate-file"
                    type="file"
                    accept=".pem,.cer,.crt,.key,.pfx,.p12"
                    aria-describedby="certificate-file-hint certificate-file-error"
                    on:change=on_file
                />
                <p class="field-error" id="certificate-file-error" aria-live="polite">
                    {move || file_error.get()}
                </p>
            </div>
            <div class="field" hidden=move || pkcs12.read().is_none()>
                <label for="pkcs12-password">{t.pkcs12_password}</label>
                <div class="input-row">
                    <input
                        id="pkcs12-password"
                        type="password"
                        autocomplete="off"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <button type="button" id="open-pkcs12" disabled=busy on:click=on_open>
                        {t.import_file}
                    </button>
                </div>
            </div>
            {details}
        </div>
    }
}

/// The certificate as a `data:` URL to download (rendered on the server too, so no
/// browser function): every byte but the unreserved ones percent-encoded.
fn data_url(pem: &str) -> String {
    let mut url = String::from("data:application/x-x509-ca-cert;charset=utf-8,");
    for byte in pem.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}
