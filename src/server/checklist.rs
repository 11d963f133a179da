//! Records each step of a test send as it passes or fails, with its duration.

use tokio::time::Instant;

use crate::report::{Step, StepResult, StepStatus};

pub struct Checklist {
    /// The steps this kind of test goes through, in order.
    plan: &'static [Step],
    results: Vec<StepResult>,
    mark: Instant,
}

impl Checklist {
    pub fn new(plan: &'static [Step]) -> Self {
        Self {
            plan,
            results: Vec::new(),
            mark: Instant::now(),
        }
    }

    pub fn passed(&mut self, step: Step, detail: impl Into<String>) {
        self.record(step, StepStatus::Passed, detail.into());
    }

    pub fn failed(&mut self, step: Step, detail: impl Into<String>) {
        self.record(step, StepStatus::Failed, detail.into());
    }

    fn record(&mut self, step: Step, status: StepStatus, detail: String) {
        let now = Instant::now();
        let millis = u64::try_from(now.duration_since(self.mark).as_millis()).unwrap_or(u64::MAX);
        self.mark = now;
        self.results.push(StepResult {
            step,
            status,
            millis,
            detail,
        });
    }

    /// Forgets `step` and every later step, to record them again (a retry).
    pub fn discard_from(&mut self, step: Step) {
        let position = |s: Step| self.plan.iter().position(|x| *x == s);
        let from = position(step);
        self.results.retain(|r| position(r.step) < from);
        self.mark = Instant::now();
    }

    /// Every step in order; those never reached are marked skipped.
    pub fn finish(mut self) -> Vec<StepResult> {
        for &step in self.plan {
            if !self.results.iter().any(|r| r.step == step) {
                self.results.push(StepResult {
                    step,
                    status: StepStatus::Skipped,
                    millis: 0,
                    detail: String::new(),
                });
            }
        }
        let plan = self.plan;
        self.results
            .sort_by_key(|r| plan.iter().position(|s| *s == r.step));
        self.results
    }
}
