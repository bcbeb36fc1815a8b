//! The wizard's state and `update(state, msg) -> effects`: pure, no I/O.
//! Background work (detection, apply, saving) comes back as messages.
//! Editors (editor.rs) and the Extras rows (extras_step.rs) hand back
//! what they want changed; `App::apply_edit` is where edits land. Keys
//! and pastes are turned into actions and changes in `actions.rs`.

use super::derive::{self, Probes};
use super::editor::{self, ChooserOption, Edit, Editor};
use super::extras_step::{self, Extra};
use super::keys::{self, Mode};
pub use super::state::{
    ApplyState, ApplyStep, DoneStep, ExtrasStep, Focus, Overlay, PlanState, PodState, ReviewStep,
    VerifyState,
};
pub use super::step::Step;
use crate::apply::Report;
use crate::catalog::Catalog;
use crate::doctor;
use crate::node::{NodeState, Tool, ToolName};
use crate::plan::{self, Plan};
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};
use crossterm::event::KeyEvent;
use std::collections::BTreeMap;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    Resize(u16, u16),
    /// One tool's probe finished (rows fill in as they arrive).
    Tool(Tool),
    /// Detection finished: the whole node.
    Detected(Box<NodeState>),
    ApplyStep(String),
    /// One mirror's probe result.
    Probe(crate::probe::ProbeResult),
    /// Every candidate has reported.
    ProbesDone,
    /// The running daemon's CRI plugins that did not load (`None`: it
    /// could not be asked).
    Cri(Option<Vec<String>>),
    ApplyDone(Result<Report, String>),
    ProfileSaved(Result<String, String>),
    /// A profile is already there (its path): `s` again overwrites it.
    ProfileExists(String),
    /// A private registry with its files read (or why they could not be).
    PrivateReady(Result<Box<crate::extras::PrivateRegistry>, String>),
    /// `ctrwiz verify` from the Done step.
    Verified(Box<crate::verify::PullReport>),
    /// The pod-sandbox check from the Done step (`doctor::pod_check`).
    PodChecked(Result<String, String>),
    /// A signal came (signals.rs turns it into a message).
    Signal(Signal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM, SIGINT, SIGHUP or SIGQUIT (its number).
    Terminate(i32),
    /// SIGTSTP: stop as Ctrl-Z would.
    Stop,
    /// SIGCONT: running again (after a stop we did not see).
    Continue,
}

#[derive(Debug, PartialEq)]
pub enum Effect {
    Apply(Box<Plan>),
    /// Write the profile; over an existing file only when `overwrite`.
    SaveProfile {
        text: String,
        overwrite: bool,
    },
    /// Pull a small image through the new configuration.
    Verify,
    /// Start a short-lived pod sandbox on the node (`doctor --pod`).
    PodCheck,
    /// Read the private registry's CA/client files, then add it.
    AddPrivate(Box<crate::extras::PrivateRegistry>),
    Quit,
    /// Give the terminal back and stop until `fg` (Ctrl-Z, SIGTSTP).
    Suspend,
    /// Take the terminal again and redraw it all (SIGCONT).
    Resume,
    /// Give the terminal back, then die of this signal.
    Terminate(i32),
}

pub struct App {
    pub step: Step,
    pub catalog: Catalog,
    pub selection: Selection,
    /// The user changed a choice: probe results no longer move defaults.
    pub touched: bool,
    /// The `--root` prefix, cut from paths shown (tools are found inside it).
    pub root_prefix: Option<std::path::PathBuf>,
    /// Tools as their probes finish.
    pub tools: BTreeMap<ToolName, Tool>,
    pub node: Option<NodeState>,
    pub checks: Option<Vec<doctor::Check>>,
    /// What the running daemon said of its CRI plugins (`Msg::Cri`).
    pub cri: Option<Vec<String>>,
    pub show_checks: bool,
    pub probes: Probes,
    /// Preset list cursor; `presets.len()` is "choose per registry".
    pub preset_cursor: usize,
    /// Registries offered (catalog order, then added ones).
    pub registries: Vec<RegistryName>,
    pub registry_cursor: usize,
    pub extras: ExtrasStep,
    pub review: ReviewStep,
    pub apply: ApplyStep,
    pub done: DoneStep,
    pub editor: Option<Editor>,
    pub overlay: Overlay,
    /// One line about the last key: why it could not act, or what it did.
    /// The next key clears it.
    pub notice: Option<String>,
    /// How far the step's long text (troubleshoot, Done) is scrolled.
    pub scroll: (Step, u16),
    /// `--demo`: a made-up node under a temporary directory.
    pub demo: bool,
    /// Where `s` saves the profile; set by the host.
    pub profile_path: Option<std::path::PathBuf>,
    /// `s` found a profile there: a second `s` overwrites it.
    pub overwrite_asked: bool,
    /// What the heal timer runs (this binary, this node's locations); set
    /// by the host. `None`: the Extras row shows, but no timer is planned.
    pub heal_invocation: Option<crate::heal::schedule::Invocation>,
    /// The farthest the current long text can scroll, as last drawn.
    pub scroll_max: std::cell::Cell<u16>,
    pub size: (u16, u16),
    pub color: bool,
}

pub const MIN_SIZE: (u16, u16) = (80, 24);

impl App {
    pub fn new(catalog: Catalog, cannot_apply: Option<String>, color: bool) -> App {
        let registries = catalog.registries.iter().map(|r| r.name.clone()).collect();
        // The newcomer's default: the recommended preset for every registry.
        let selection = Selection {
            preset: Some(catalog.recommended().id.clone()),
            ..Default::default()
        };
        App {
            step: Step::Node,
            catalog,
            selection,
            touched: false,
            root_prefix: None,
            tools: BTreeMap::new(),
            node: None,
            checks: None,
            cri: None,
            show_checks: false,
            probes: Probes::default(),
            preset_cursor: 0,
            registries,
            registry_cursor: 0,
            extras: ExtrasStep::default(),
            review: ReviewStep {
                plan: PlanState::Waiting,
                file_cursor: 0,
                diff_scroll: 0,
                focus: Focus::Files,
            },
            apply: ApplyStep {
                state: ApplyState::Confirm,
                log: vec![],
                report: None,
                cannot_apply,
                applied: false,
                quit_asked: false,
            },
            done: DoneStep {
                saved: None,
                verify: VerifyState::NotRun,
                pod: PodState::NotRun,
                pod_quit_asked: false,
                can_verify: false,
            },
            editor: None,
            overlay: Overlay::None,
            notice: None,
            scroll: (Step::Node, 0),
            demo: false,
            profile_path: None,
            overwrite_asked: false,
            heal_invocation: None,
            scroll_max: std::cell::Cell::new(0),
            size: MIN_SIZE,
            color,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }

    /// What the selection does to one registry, for the table.
    pub fn choice_of(&self, r: &RegistryName) -> Option<Choice> {
        if let Some(c) = self.selection.mirrors.get(r) {
            return Some(c.clone());
        }
        let id = self.selection.preset.as_ref()?;
        self.catalog
            .preset(id)
            .ok()
            .filter(|p| p.covers(r))
            .map(|_| Choice::Preset(id.clone()))
    }

    pub fn chooser_options(&self, r: &RegistryName) -> Vec<ChooserOption> {
        editor::chooser_options(&self.catalog, r)
    }

    /// Mirrors a target writes, for the table, with their measurements.
    pub fn target_mirrors(&self, r: &RegistryName) -> String {
        derive::target_mirrors(&self.catalog, &self.selection, &self.probes, r)
    }

    /// Which key table is live: the open editor's, else the step's.
    pub fn key_mode(&self) -> Mode {
        match &self.editor {
            Some(e) => Mode::Editor(e.kind()),
            None => Mode::Step(self.step),
        }
    }

    /// `p` starts a pod sandbox on the live node only (not --root or
    /// --demo, where nothing runs the configuration), after an apply.
    pub fn can_pod(&self) -> bool {
        self.done.can_verify && !self.demo && self.apply.applied && self.node.is_some()
    }

    /// The facts the key tables' `enabled` predicates ask.
    pub fn key_context(&self) -> keys::Context {
        keys::Context {
            can_verify: self.done.can_verify,
            can_pod: self.can_pod(),
            plan_ready: matches!(self.step, Step::Review | Step::Apply)
                && self.review.plan.ready().is_some_and(|p| !p.is_noop()),
            applying: self.apply.state == ApplyState::Running,
            scrollable: matches!(self.step, Step::Node | Step::Done) && self.scroll_max.get() > 0,
            ..self
                .editor
                .as_ref()
                .map(Editor::key_context)
                .unwrap_or_default()
        }
    }

    /// Unapplied choices exist: quitting asks first. Past the preset step
    /// the user has chosen something (the preset, at least); a Review with
    /// nothing to change has nothing to lose.
    pub(super) fn has_unapplied(&self) -> bool {
        if self.apply.applied {
            return false;
        }
        match self.review.plan.ready() {
            Some(p) if self.step >= Step::Review => !p.is_noop(),
            _ => self.touched || self.step >= Step::Registries,
        }
    }

    /// The scroll of the step's long text (0 on another step).
    pub fn scroll_of(&self, step: Step) -> u16 {
        if self.scroll.0 == step {
            self.scroll.1
        } else {
            0
        }
    }

    /// Rows of the Extras step: the extras shown on this node, then each
    /// private registry.
    pub fn extras_rows(&self) -> usize {
        self.shown_extras().len() + self.selection.extras.private.len()
    }

    /// The extras shown on this node, in order.
    pub fn shown_extras(&self) -> Vec<Extra> {
        extras_step::shown(self.node.as_ref(), &self.selection)
    }

    /// The extra on row `i` (`None`: a private registry's row).
    pub fn extra_at(&self, i: usize) -> Option<Extra> {
        self.shown_extras().get(i).copied()
    }

    /// A registry added with `a` (not in the catalog).
    pub fn is_added(&self, r: &RegistryName) -> bool {
        self.catalog.registry(r).is_none()
    }

    pub(super) fn replan(&mut self) {
        self.review.plan = match &self.node {
            None => PlanState::Waiting,
            Some(n) => match self.make_plan(n) {
                Ok(p) => PlanState::Ready(p),
                Err(e) => PlanState::Failed {
                    why: e.to_string(),
                    fix: self.step_that_fixes(n),
                },
            },
        };
        self.review.file_cursor = 0;
        self.review.diff_scroll = 0;
    }

    /// The mirrors plan, and the heal timer's files when it is on.
    fn make_plan(&self, node: &NodeState) -> crate::error::Result<Plan> {
        let mut p = plan::make(node, &self.catalog, &self.selection)?;
        if let Some(inv) = &self.heal_invocation {
            let heal = extras_step::heal_choice(&self.catalog, &self.selection);
            crate::heal::schedule::add_to(&mut p, node, inv, Some(&heal))?;
        }
        Ok(p)
    }

    /// The selection as a profile saves it: the heal timer as shown.
    pub fn profile_selection(&self) -> Selection {
        Selection {
            heal: Some(extras_step::heal_choice(&self.catalog, &self.selection)),
            ..self.selection.clone()
        }
    }

    /// Which step's choices make the plan fail: without the extras it
    /// plans, so the extras (a private registry, the proxy); else the
    /// registries' mirrors.
    fn step_that_fixes(&self, node: &NodeState) -> Step {
        let without_extras = Selection {
            extras: Default::default(),
            ..self.selection.clone()
        };
        match plan::make(node, &self.catalog, &without_extras) {
            Ok(_) => Step::Extras,
            Err(_) => Step::Registries,
        }
    }

    pub fn selected_change(&self) -> Option<&plan::FileChange> {
        self.review
            .plan
            .ready()
            .and_then(|p| p.changes.get(self.review.file_cursor))
    }

    /// The one place an editor's change lands.
    pub fn apply_edit(&mut self, edit: Edit) -> Vec<Effect> {
        match edit {
            Edit::SetChoice(r, c) => {
                self.touched = true;
                self.selection.mirrors.insert(r, c);
            }
            Edit::SetSandbox(image) => self.selection.extras.sandbox_image = Some(image),
            Edit::SetProxy(p) => self.selection.extras.proxy = p,
            Edit::AddRegistry(r) => {
                if !self.registries.contains(&r) {
                    self.registries.push(r.clone());
                }
                self.registry_cursor = self.registries.iter().position(|x| *x == r).unwrap_or(0);
                // A new registry starts on upstream; the user picks next.
                self.selection
                    .mirrors
                    .entry(r.clone())
                    .or_insert(Choice::Preset("upstream".into()));
                let options = self.chooser_options(&r);
                self.editor = Some(Editor::Chooser {
                    cursor: options.len().saturating_sub(2),
                    registry: r,
                });
            }
            Edit::AddPrivate(r, form) => {
                self.touched = true;
                self.extras.pending_private = Some(*form);
                return vec![Effect::AddPrivate(r)];
            }
        }
        vec![]
    }
}

impl App {
    /// The troubleshoot panel: the doctor on the node with the live facts
    /// the wizard holds, as `ctrwiz doctor` sees them: the CRI plugins'
    /// state and the probes of the mirrors the hosts.toml files name.
    pub fn refresh_checks(&mut self) {
        let Some(node) = &self.node else { return };
        let probes: Vec<_> = doctor::configured_mirrors(node, &self.catalog)
            .iter()
            .filter_map(|c| {
                let key = (c.registry.to_string(), c.endpoint.url());
                self.probes.results.get(&key).cloned()
            })
            .collect();
        let live = doctor::LiveFacts {
            cri_failures: self.cri.clone(),
            probes: (!probes.is_empty()).then_some(probes),
            ..doctor::LiveFacts::default()
        };
        self.checks = Some(doctor::run(node, &live));
    }
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Resize(w, h) => app.size = (w, h),
        Msg::Tool(t) => {
            app.tools.insert(t.name, t);
        }
        Msg::Detected(node) => {
            for t in &node.tools {
                app.tools.insert(t.name, t.clone());
            }
            app.node = Some(*node);
            app.refresh_checks();
            if app.step >= Step::Review {
                app.replan();
            }
        }
        Msg::Probe(r) => {
            app.probes
                .results
                .insert((r.registry.clone(), r.url.clone()), r);
        }
        Msg::Cri(failures) => {
            app.cri = failures;
            app.refresh_checks();
        }
        Msg::ProbesDone => {
            app.probes.running = false;
            app.refresh_checks();
            if !app.touched {
                derive::prefer_fastest(&app.catalog, &mut app.selection, &app.probes);
            }
        }
        Msg::ApplyStep(line) => app.apply.log.push(line),
        Msg::ApplyDone(Ok(report)) => {
            app.apply.applied = true;
            app.apply.state = ApplyState::Confirm;
            app.apply.report = Some(report);
            app.step = Step::Done;
        }
        Msg::ApplyDone(Err(e)) => app.apply.state = ApplyState::Failed(e),
        Msg::PrivateReady(Ok(r)) => {
            let r = *r;
            let replaces = app.extras.pending_private.take().and_then(|f| f.replaces);
            let private = &mut app.selection.extras.private;
            // Edited in place: the row keeps its position.
            let at = private
                .iter()
                .position(|x| Some(&x.host) == replaces.as_ref() || x.host == r.host);
            private.retain(|x| x.host != r.host && Some(&x.host) != replaces.as_ref());
            let at = at.unwrap_or(private.len()).min(private.len());
            private.insert(at, r);
        }
        Msg::PrivateReady(Err(e)) => {
            // The form comes back as it was, on the field that failed.
            let mut form = app.extras.pending_private.take().unwrap_or_default();
            form.field = form.field_of_error(&e);
            form.error = Some(e);
            app.editor = Some(Editor::Private(form));
        }
        Msg::Verified(report) => app.done.verify = VerifyState::Done(report),
        Msg::PodChecked(r) => {
            app.done.pod = PodState::Done(r);
            // The result is near the end of Done: scroll it into view (the
            // screen clamps this to the text's last page).
            if app.step == Step::Done {
                app.scroll = (Step::Done, u16::MAX);
            }
        }
        Msg::ProfileExists(path) => {
            app.overwrite_asked = true;
            app.notice = Some(crate::t!("guide.notice.profile_exists", path = path));
        }
        Msg::ProfileSaved(r) => {
            app.overwrite_asked = false;
            app.done.saved = Some(r)
        }
        Msg::Signal(Signal::Terminate(sig)) => return vec![Effect::Terminate(sig)],
        Msg::Signal(Signal::Stop) => return vec![Effect::Suspend],
        Msg::Signal(Signal::Continue) => return vec![Effect::Resume],
        Msg::Key(key) => return super::actions::on_key(app, key),
        Msg::Paste(text) => return super::actions::on_paste(app, &text),
    }
    vec![]
}
