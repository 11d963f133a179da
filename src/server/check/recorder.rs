//! The one place where the steps of a check are timed, bounded and recorded: whatever
//! the protocol (the token request, SMTP, IMAP), a step is a future that returns what it
//! saw or why it failed, and [`Recorder::step`] turns that into a line of the checklist.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::report::{
    Failure, Speaker, Step, StepResult, StepStatus, TestOutcome, TestReport, TranscriptLine, Words,
};
use crate::server::diagnosis::StepFailed;
use crate::server::net::wire::{Party, Transcript};
use crate::server::time::{Deadline, TimedOut};

/// What a passed step saw: the checklist's words, and a value later steps need.
pub trait Observed {
    type Value;
    fn split(self) -> (Self::Value, Words);
}

/// Only words (most protocol steps).
impl Observed for Words {
    type Value = ();
    fn split(self) -> ((), Words) {
        ((), self)
    }
}

/// A value and the words that describe it.
impl<V> Observed for (V, Words) {
    type Value = V;
    fn split(self) -> (V, Words) {
        self
    }
}

/// What the Inputs step saw when the form parsed.
pub fn every_field_valid() -> Words {
    Words::new("every field is valid", "todos os campos são válidos")
}

/// The checklist and transcript of one check, and the deadline all its steps share.
pub struct Recorder {
    plan: &'static [Step],
    steps: Vec<StepResult>,
    transcript: Vec<TranscriptLine>,
    /// When the step being recorded began: the end of the previous one.
    mark: Instant,
    deadline: Deadline,
}

impl Recorder {
    /// A check that goes through `plan` and may take `total` in all.
    pub fn new(plan: &'static [Step], total: Duration) -> Self {
        Self {
            plan,
            steps: Vec::new(),
            transcript: Vec::new(),
            mark: Instant::now(),
            deadline: Deadline::after(total),
        }
    }

    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// Runs one step for at most `bound` (less when the whole check's deadline is
    /// nearer) and records it: passed with what it saw, or failed with the error's words.
    pub async fn step<O, E>(
        &mut self,
        step: Step,
        bound: Duration,
        work: impl Future<Output = Result<O, E>>,
    ) -> Result<O::Value, StepFailed<E>>
    where
        O: Observed,
        E: From<TimedOut> + std::fmt::Display,
    {
        let outcome = match self.deadline.run(bound, work).await {
            Ok(outcome) => outcome,
            Err(timed_out) => Err(E::from(timed_out)),
        };
        self.record(step, outcome)
    }

    /// Records a step that needs no time bound: a check of what is already known.
    pub fn record<O, E>(
        &mut self,
        step: Step,
        outcome: Result<O, E>,
    ) -> Result<O::Value, StepFailed<E>>
    where
        O: Observed,
        E: std::fmt::Display,
    {
        let now = Instant::now();
        let millis = u64::try_from(now.duration_since(self.mark).as_millis()).unwrap_or(u64::MAX);
        self.mark = now;
        let (status, detail, result) = match outcome {
            Ok(observed) => {
                let (value, detail) = observed.split();
                (StepStatus::Passed, detail, Ok(value))
            }
            // The error's own (technical) words; the failure panel explains it.
            Err(error) => (
                StepStatus::Failed,
                Words::same(error.to_string()),
                Err(StepFailed { step, error }),
            ),
        };
        self.steps.push(StepResult {
            step,
            status,
            millis,
            detail,
        });
        result
    }

    /// Records a step that passed without any work to bound (a token from the cache).
    pub fn passed(&mut self, step: Step, detail: Words) {
        let _ = self.record::<_, std::convert::Infallible>(step, Ok(detail));
    }

    /// The lines of a connection, in the order they were said.
    pub fn transcript(&mut self, transcript: Transcript) {
        self.transcript
            .extend(
                transcript
                    .into_lines()
                    .into_iter()
                    .map(|(party, text)| TranscriptLine {
                        speaker: match party {
                            Party::Client => Speaker::Client,
                            Party::Server => Speaker::Server,
                            Party::Note => Speaker::Note,
                        },
                        text,
                    }),
            );
    }

    /// What we did ourselves, between connections (a retry).
    pub fn note(&mut self, text: &str) {
        let mut note = Transcript::default();
        note.note(text);
        self.transcript(note);
    }

    /// A separate recording of one attempt at the rest of the plan, with the same
    /// deadline. It becomes part of this check through [`Self::keep`] or [`Self::retried`].
    pub fn attempt(&self) -> Recorder {
        Recorder {
            plan: self.plan,
            steps: Vec::new(),
            transcript: Vec::new(),
            mark: Instant::now(),
            deadline: self.deadline,
        }
    }

    /// The attempt whose steps the checklist shows.
    pub fn keep(&mut self, attempt: Recorder) {
        self.steps.extend(attempt.steps);
        self.transcript.extend(attempt.transcript);
        self.mark = attempt.mark;
    }

    /// An attempt that another replaces: its dialogue stays in the transcript, its steps
    /// give way to the new attempt's.
    pub fn retried(&mut self, attempt: Recorder) {
        self.transcript.extend(attempt.transcript);
    }

    /// Every step of the plan in order, those never reached marked skipped; and the
    /// transcript.
    pub fn finish(mut self) -> (Vec<StepResult>, Vec<TranscriptLine>) {
        for &step in self.plan {
            if !self.steps.iter().any(|r| r.step == step) {
                self.steps.push(StepResult {
                    step,
                    status: StepStatus::Skipped,
                    millis: 0,
                    detail: Words::default(),
                });
            }
        }
        let plan = self.plan;
        self.steps
            .sort_by_key(|r| plan.iter().position(|s| *s == r.step));
        (self.steps, self.transcript)
    }

    /// The report of a check that ended with `outcome`.
    pub fn report(self, outcome: TestOutcome, recipient: Option<String>) -> TestReport {
        let (steps, transcript) = self.finish();
        TestReport {
            outcome,
            steps,
            transcript,
            recipient,
        }
    }
}

/// A failure as a check's outcome, logged with its step and Microsoft's code.
pub fn failed(check: &'static str, failure: Failure) -> TestOutcome {
    tracing::warn!(
        check,
        step = ?failure.step,
        code = failure.code.as_deref().unwrap_or("-"),
        detail = %failure.detail,
        "check failed"
    );
    TestOutcome::Failed(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Stuck(TimedOut);

    impl From<TimedOut> for Stuck {
        fn from(timed_out: TimedOut) -> Self {
            Stuck(timed_out)
        }
    }

    impl std::fmt::Display for Stuck {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "stuck after {:?}", (self.0).0)
        }
    }

    const PLAN: &[Step] = &[Step::Inputs, Step::Connect, Step::StartTls, Step::Data];

    #[tokio::test(start_paused = true)]
    async fn a_step_is_bounded_timed_and_recorded_and_unreached_ones_are_skipped() {
        let mut run = Recorder::new(PLAN, Duration::from_secs(25));
        let value = run.record(Step::Inputs, Ok::<_, Stuck>((7, Words::same("parsed"))));
        assert_eq!(value.unwrap(), 7);
        let passed = run
            .step(Step::Connect, Duration::from_secs(10), async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                Ok::<_, Stuck>(Words::same("connected"))
            })
            .await;
        assert!(passed.is_ok());
        let failed = run
            .step(
                Step::StartTls,
                Duration::from_secs(2),
                std::future::pending::<Result<Words, Stuck>>(),
            )
            .await;
        let StepFailed { step, error } = failed.unwrap_err();
        assert_eq!(
            (step, (error.0).0),
            (Step::StartTls, Duration::from_secs(2))
        );

        let (steps, _) = run.finish();
        let seen: Vec<_> = steps
            .iter()
            .map(|s| (s.step, s.status, s.millis, s.detail.en.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (Step::Inputs, StepStatus::Passed, 0, "parsed"),
                (Step::Connect, StepStatus::Passed, 1500, "connected"),
                (Step::StartTls, StepStatus::Failed, 2000, "stuck after 2s"),
                (Step::Data, StepStatus::Skipped, 0, ""),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_whole_check_shares_one_deadline() {
        let mut run = Recorder::new(PLAN, Duration::from_secs(3));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let failed = run
            .step(
                Step::Connect,
                Duration::from_secs(10),
                std::future::pending::<Result<Words, Stuck>>(),
            )
            .await;
        assert_eq!((failed.unwrap_err().error.0).0, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retried_attempt_leaves_its_dialogue_and_not_its_steps() {
        let mut run = Recorder::new(PLAN, Duration::from_secs(25));
        let mut first = run.attempt();
        let _ = first.record(
            Step::Connect,
            Err::<Words, _>(Stuck(TimedOut(Duration::ZERO))),
        );
        first.note("first dialogue");
        run.retried(first);
        run.note("trying again");
        let mut second = run.attempt();
        let _ = second.record(Step::Connect, Ok::<_, Stuck>(Words::same("connected")));
        run.keep(second);
        let (steps, transcript) = run.finish();
        assert_eq!(steps[1].status, StepStatus::Passed);
        assert_eq!(steps.len(), PLAN.len());
        let notes: Vec<_> = transcript.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(notes, ["first dialogue", "trying again"]);
    }
}
