//! The state of each step, and the enums that replace `Option`s of
//! `Option`s: what the Review shows, where verify is, what overlay is up.

use crate::apply::Report;
use crate::plan::Plan;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Files,
    Diff,
}

#[derive(Debug, PartialEq)]
pub enum ApplyState {
    /// Asking `[y/N]`.
    Confirm,
    Running,
    Failed(String),
}

/// The plan the Review step shows.
#[derive(Debug, PartialEq)]
pub enum PlanState {
    /// Not made yet: before Review, or detection has not finished.
    Waiting,
    Ready(Plan),
    /// The selection cannot be planned on this node: why, and the step
    /// whose choices cause it (Enter goes there).
    Failed {
        why: String,
        fix: super::step::Step,
    },
}

impl PlanState {
    pub fn ready(&self) -> Option<&Plan> {
        match self {
            PlanState::Ready(p) => Some(p),
            _ => None,
        }
    }
}

/// `ctrwiz verify` from the Done step.
#[derive(Debug, PartialEq)]
pub enum VerifyState {
    NotRun,
    Running,
    Done(Box<crate::verify::PullReport>),
}

/// "Prove a pod starts" (`p`) from the Done step: `doctor --pod`.
#[derive(Debug, PartialEq)]
pub enum PodState {
    NotRun,
    Running,
    /// The check's line, or containerd's error with what to do.
    Done(Result<String, String>),
}

/// What covers the step, taking the next key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    /// The `?` key list; any key closes it.
    Help,
    /// "Quit without applying? [y/N]".
    ConfirmQuit,
}

/// Step 4, Extras.
#[derive(Debug, Default)]
pub struct ExtrasStep {
    pub cursor: usize,
    /// Recommended extras were filled in once (going back keeps edits).
    pub seeded: bool,
    /// The private-registry form sent to have its files read: reopened,
    /// input kept, when a file cannot be read.
    pub pending_private: Option<super::editor::PrivateForm>,
}

/// Step 5, Review.
#[derive(Debug)]
pub struct ReviewStep {
    pub plan: PlanState,
    pub file_cursor: usize,
    pub diff_scroll: u16,
    pub focus: Focus,
}

/// Step 6, Apply.
#[derive(Debug)]
pub struct ApplyStep {
    pub state: ApplyState,
    pub log: Vec<String>,
    pub report: Option<Report>,
    /// Why Apply is impossible here (not root and no --root).
    pub cannot_apply: Option<String>,
    pub applied: bool,
    /// Ctrl-C or q came while the apply runs: said once that it is better
    /// to wait; a second Ctrl-C leaves anyway.
    pub quit_asked: bool,
}

/// Step 7, Done.
#[derive(Debug)]
pub struct DoneStep {
    pub saved: Option<Result<String, String>>,
    pub verify: VerifyState,
    pub pod: PodState,
    /// `q`/Enter came while the test pod runs: said once; again leaves.
    pub pod_quit_asked: bool,
    /// Verify pulls through the live node only (not --root / --demo).
    pub can_verify: bool,
}
