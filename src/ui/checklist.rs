use leptos::prelude::*;

use crate::api::report::{StepResult, StepStatus};

/// The test's steps in order: passed, failed, or skipped after a failure, each with its
/// duration and what was seen.
#[component]
pub fn Checklist(steps: Signal<Option<Vec<StepResult>>>, open: Signal<bool>) -> impl IntoView {
    move || {
        steps.get().map(|steps| {
            view! {
                <details class="checklist" open=open.get()>
                    <summary>"Test report"</summary>
                    <ol>
                        {steps.into_iter().map(step_view).collect_view()}
                    </ol>
                </details>
            }
        })
    }
}

fn step_view(result: StepResult) -> impl IntoView {
    let (class, mark, status) = match result.status {
        StepStatus::Passed => ("passed", "✓", "passed"),
        StepStatus::Failed => ("failed", "✗", "failed"),
        StepStatus::Skipped => ("skipped", "–", "skipped"),
    };
    let timing = (result.status != StepStatus::Skipped).then(|| format!("{} ms", result.millis));
    view! {
        <li class=format!("step {class}") data-status=status>
            <span class="mark" aria-hidden="true">{mark}</span>
            <span class="label">{result.step.label()}</span>
            <span class="sr-only">{format!(" ({status})")}</span>
            <span class="timing">{timing}</span>
            <span class="step-detail">{result.detail}</span>
        </li>
    }
}
