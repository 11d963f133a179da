use leptos::prelude::*;

use crate::api::report::{StepResult, StepStatus};
use crate::i18n::{lang, texts};

/// The test's steps in order: passed, failed, or skipped after a failure, each with its
/// duration and what was seen.
#[component]
pub fn Checklist(steps: Signal<Option<Vec<StepResult>>>, open: Signal<bool>) -> impl IntoView {
    move || {
        steps.get().map(|steps| {
            view! {
                <details class="checklist" open=open.get()>
                    <summary>{texts().test_report}</summary>
                    <ol>
                        {steps.into_iter().map(step_view).collect_view()}
                    </ol>
                </details>
            }
        })
    }
}

fn step_view(result: StepResult) -> impl IntoView {
    let t = texts();
    let (class, mark) = match result.status {
        StepStatus::Passed => ("passed", "✓"),
        StepStatus::Failed => ("failed", "✗"),
        StepStatus::Skipped => ("skipped", "–"),
    };
    let status = (t.step_status)(result.status);
    let quoted = result.detail.en == result.detail.pt_br;
    let timing = (result.status != StepStatus::Skipped).then(|| format!("{} ms", result.millis));
    view! {
        <li class=format!("step {class}") data-status=class>
            <span class="mark" aria-hidden="true">{mark}</span>
            <span class="label">{(t.step_label)(result.step)}</span>
            <span class="sr-only">{format!(" ({status})")}</span>
            <span class="timing">{timing}</span>
            // Words the same in every language are quoted (a server's reply, an error's
            // own text): marked as English for screen readers.
            <span class="step-detail" lang=quoted.then_some("en")>{result.detail.get(lang()).to_owned()}</span>
        </li>
    }
}
