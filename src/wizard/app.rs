//! The wizard's state and `update(state, msg) -> effects`: pure, no I/O.
//! Background work (detection, apply, saving) comes back as messages.
//! Editors (editor.rs) and the Extras rows (extras_step.rs) hand back
//! what they want changed; `App::apply_edit` is where edits land.

use super::derive::{self, Probes};
use super::editor::{self, ChooserOption, Edit, Editor, EditorCtx, EditorOutcome};
use super::extras_step::{self, Extra, ExtraCtx};
use super::keys::{self, Action, EditorAction, Mode};
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
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
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
    Verified(Box<crate::verify::Report>),
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
    fn has_unapplied(&self) -> bool {
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

    /// Rows of the Extras step: the fixed ones, then each private registry.
    pub fn extras_rows(&self) -> usize {
        Extra::ALL.len() + self.selection.extras.private.len()
    }

    /// A registry added with `a` (not in the catalog).
    pub fn is_added(&self, r: &RegistryName) -> bool {
        self.catalog.registry(r).is_none()
    }

    fn replan(&mut self) {
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
        Msg::Key(key) => return on_key(app, key),
        Msg::Paste(text) => return on_paste(app, &text),
    }
    vec![]
}

/// Pasted text goes into the open input box, at its cursor; with no box
/// open (or an overlay over it) it does nothing: a paste is never a key.
fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    if app.overlay != Overlay::None {
        return vec![];
    }
    let Some(editor) = app.editor.take() else {
        return vec![];
    };
    let ctx = EditorCtx {
        catalog: &app.catalog,
        selection: &app.selection,
        node: app.node.as_ref(),
    };
    match editor.paste(text, &ctx) {
        EditorOutcome::Stay(e) => app.editor = Some(e),
        EditorOutcome::Close => {}
        EditorOutcome::Commit(edit) => return app.apply_edit(edit),
    }
    vec![]
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    app.notice = None;
    // Raw mode reads Ctrl-Z as a key (no SIGTSTP): suspend as a shell would.
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('z') {
        return vec![Effect::Suspend];
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        // Leaving mid-apply is safe (atomic writes; the next apply finishes
        // a pending restart) but leaves containerd unchecked: ask to wait once.
        if app.apply.state == ApplyState::Running && !app.apply.quit_asked {
            app.apply.quit_asked = true;
            return vec![];
        }
        return vec![Effect::Quit];
    }
    match app.overlay {
        Overlay::ConfirmQuit => {
            app.overlay = Overlay::None;
            return if key.code == KeyCode::Char('y') {
                vec![Effect::Quit]
            } else {
                vec![]
            };
        }
        Overlay::Help => {
            // Any key closes the overlay.
            app.overlay = Overlay::None;
            return vec![];
        }
        Overlay::None => {}
    }
    if let Some(editor) = app.editor.take() {
        if editor.action(&key) == Some(EditorAction::Help) {
            app.editor = Some(editor);
            app.overlay = Overlay::Help;
            return vec![];
        }
        let ctx = EditorCtx {
            catalog: &app.catalog,
            selection: &app.selection,
            node: app.node.as_ref(),
        };
        return match editor.key(key, &ctx) {
            EditorOutcome::Stay(e) => {
                app.editor = Some(e);
                vec![]
            }
            EditorOutcome::Close => vec![],
            EditorOutcome::Commit(edit) => app.apply_edit(edit),
        };
    }
    let action = keys::action(app.step, &key, &app.key_context());
    if app.too_small() {
        return match action {
            Some(Action::Quit) => quit(app),
            _ => vec![],
        };
    }
    let Some(action) = action else {
        if app.step == Step::Done && app.apply.applied && key.code == KeyCode::Char('v') {
            // Offered only on the live node: say why here.
            app.notice = Some(cannot_verify(app));
        } else if app.step == Step::Done && key.code == KeyCode::Char('p') {
            app.notice = Some(cannot_pod(app));
        } else if app.step == Step::Review && key.code == KeyCode::Char('y') {
            app.notice = Some(match &app.review.plan {
                PlanState::Failed { fix, .. } => {
                    crate::t!("guide.notice.no_plan", step = fix.title())
                }
                PlanState::Waiting => crate::t!("guide.notice.waiting").to_string(),
                PlanState::Ready(_) => crate::t!("guide.notice.nothing_to_apply").to_string(),
            });
        }
        return vec![];
    };
    if action != Action::Save {
        app.overwrite_asked = false;
    }
    on_action(app, action)
}

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Help => app.overlay = Overlay::Help,
        Action::Quit => return quit(app),
        Action::Back => {
            if app.step == Step::Apply && app.apply.state == ApplyState::Running {
                return vec![];
            }
            app.step = app.step.prev();
            app.apply.state = ApplyState::Confirm;
        }
        Action::Next => return next(app),
        Action::Up => move_cursor(app, -1),
        Action::Down => move_cursor(app, 1),
        Action::PageUp if app.step == Step::Review => {
            app.review.diff_scroll = app.review.diff_scroll.saturating_sub(10)
        }
        Action::PageDown if app.step == Step::Review => {
            app.review.diff_scroll = app.review.diff_scroll.saturating_add(10)
        }
        Action::PageUp => scroll(app, -10),
        Action::PageDown => scroll(app, 10),
        Action::Remove => remove(app),
        Action::Focus => {
            app.review.focus = match app.review.focus {
                Focus::Files => Focus::Diff,
                Focus::Diff => Focus::Files,
            };
        }
        Action::Change if app.step == Step::Extras && app.extras.cursor >= Extra::ALL.len() => {
            // A private registry's row: its form, filled in, to edit.
            let i = app.extras.cursor - Extra::ALL.len();
            if let Some(r) = app.selection.extras.private.get(i) {
                app.editor = Some(Editor::Private(editor::PrivateForm::editing(r)));
            }
        }
        Action::Change if app.step == Step::Extras => {
            let extra = Extra::ALL[app.extras.cursor];
            // A proxy needs a systemd drop-in: where nothing reads one, the
            // plan would refuse it, so the wizard does not offer the choice.
            let no_drop_ins = app
                .node
                .as_ref()
                .is_some_and(|n| !n.service.reads_drop_ins());
            if extra == Extra::Proxy && no_drop_ins && app.selection.extras.proxy.is_none() {
                app.notice = Some(crate::t!("tui.notice.no_proxy_here").into());
                return vec![];
            }
            app.touched = true;
            let ctx = ExtraCtx {
                catalog: &app.catalog,
                probes: &app.probes,
                node: app.node.as_ref(),
            };
            if let Some(e) = extras_step::change_extra(extra, &ctx, &mut app.selection) {
                app.editor = Some(e);
            }
        }
        Action::Change => {
            if let Some(r) = app.registries.get(app.registry_cursor).cloned() {
                let options = app.chooser_options(&r);
                let current = match app.choice_of(&r) {
                    Some(Choice::Preset(id)) => options
                        .iter()
                        .position(|o| matches!(o, ChooserOption::Preset(p) if *p == id)),
                    Some(Choice::Urls(_)) => {
                        options.iter().position(|o| *o == ChooserOption::Custom)
                    }
                    _ => None,
                };
                app.editor = Some(Editor::Chooser {
                    registry: r,
                    cursor: current.unwrap_or(0),
                });
            }
        }
        Action::AddRegistry => {
            app.editor = Some(Editor::AddRegistry {
                input: Default::default(),
                error: None,
            });
        }
        Action::Troubleshoot => app.show_checks = !app.show_checks,
        Action::Fix => {
            // The doctor's repairs go through the normal review/apply path.
            let repairs: Vec<_> = app
                .checks
                .iter()
                .flatten()
                .filter_map(|c| c.repair.clone())
                .collect();
            if repairs.is_empty() || app.node.is_none() {
                return vec![];
            }
            for r in repairs {
                app.selection.add_repair(r);
            }
            app.touched = true;
            app.show_checks = false;
            app.replan();
            app.step = Step::Review;
        }
        Action::Yes => return yes(app),
        Action::No => {
            if app.apply.state != ApplyState::Running {
                app.step = Step::Review;
                app.apply.state = ApplyState::Confirm;
            }
        }
        Action::Save => {
            return vec![Effect::SaveProfile {
                text: app.profile_selection().to_profile(),
                overwrite: app.overwrite_asked,
            }]
        }
        Action::Verify => {
            if !app.done.can_verify || app.done.verify == VerifyState::Running || app.node.is_none()
            {
                return vec![];
            }
            app.done.verify = VerifyState::Running;
            return vec![Effect::Verify];
        }
        Action::PodCheck => {
            if !app.can_pod() || app.done.pod == PodState::Running {
                return vec![];
            }
            app.done.pod = PodState::Running;
            return vec![Effect::PodCheck];
        }
    }
    vec![]
}

/// Scrolls the step's long text (troubleshoot on Node, the Done screen);
/// the screen clamps it to what there is.
fn scroll(app: &mut App, delta: i32) {
    let max = app.scroll_max.get();
    let cur = app.scroll_of(app.step).min(max);
    let next = (i32::from(cur) + delta).clamp(0, i32::from(max));
    app.scroll = (app.step, next as u16);
}

/// `d` on a row: an added registry leaves the table, a catalog registry
/// goes back to the preset, a private registry or an extra is taken out.
fn remove(app: &mut App) {
    match app.step {
        Step::Registries => {
            let Some(r) = app.registries.get(app.registry_cursor).cloned() else {
                return;
            };
            if app.is_added(&r) {
                app.registries.remove(app.registry_cursor);
                app.selection.mirrors.remove(&r);
                app.registry_cursor = app
                    .registry_cursor
                    .min(app.registries.len().saturating_sub(1));
                app.notice = Some(crate::t!("guide.notice.removed", what = r));
            } else if app.selection.mirrors.remove(&r).is_some() {
                app.notice = Some(crate::t!("guide.notice.back_to_preset", registry = r));
            } else {
                app.notice = Some(crate::t!("guide.notice.cannot_remove", registry = r));
            }
            app.touched = true;
        }
        Step::Extras => {
            let x = &mut app.selection.extras;
            let i = app.extras.cursor;
            if i >= Extra::ALL.len() {
                let r = x.private.remove(i - Extra::ALL.len());
                app.extras.cursor = i
                    .min(Extra::ALL.len() + x.private.len())
                    .saturating_sub(usize::from(i >= Extra::ALL.len() + x.private.len()));
                app.notice = Some(crate::t!("guide.notice.removed", what = r.host));
                app.touched = true;
                return;
            }
            match Extra::ALL[i] {
                Extra::SystemdCgroup => x.systemd_cgroup = None,
                Extra::PauseImage => x.sandbox_image = None,
                Extra::Proxy => x.proxy = None,
                Extra::DockerMirror => x.docker_mirrors = None,
                Extra::DefaultMirror => {
                    if let Ok(d) = RegistryName::parse(crate::registry::DEFAULT_NAMESPACE) {
                        app.selection.mirrors.remove(&d);
                    }
                }
                Extra::PrivateRegistry => {
                    app.notice = Some(crate::t!("guide.notice.pick_private").to_string());
                    return;
                }
                Extra::Heal => app.selection.heal = Some(crate::selection::HealSchedule::Off),
            }
            app.touched = true;
            app.notice = Some(crate::t!("guide.notice.extra_off").to_string());
        }
        _ => {}
    }
}

fn cannot_verify(app: &App) -> String {
    if app.demo {
        crate::t!("guide.notice.no_verify_demo").to_string()
    } else {
        crate::t!("guide.notice.no_verify_root").to_string()
    }
}

/// Why `p` cannot start a pod sandbox here.
fn cannot_pod(app: &App) -> String {
    if app.demo {
        crate::t!("done.pod.no_demo").to_string()
    } else if !app.done.can_verify {
        crate::t!("done.pod.no_root").to_string()
    } else {
        crate::t!("done.pod.not_applied").to_string()
    }
}

fn yes(app: &mut App) -> Vec<Effect> {
    if app.review.plan.ready().is_none_or(|p| p.is_noop()) {
        return vec![];
    }
    if app.apply.state != ApplyState::Confirm || app.apply.cannot_apply.is_some() {
        if app.step == Step::Review && app.apply.cannot_apply.is_some() {
            app.step = Step::Apply; // explains why it cannot
        }
        return vec![];
    }
    app.step = Step::Apply;
    match &app.review.plan {
        PlanState::Ready(p) if !p.is_noop() => {
            app.apply.state = ApplyState::Running;
            app.apply.quit_asked = false;
            app.apply.log.clear();
            vec![Effect::Apply(Box::new(p.clone()))]
        }
        _ => vec![],
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    if app.has_unapplied() && app.apply.state != ApplyState::Running {
        app.overlay = Overlay::ConfirmQuit;
        vec![]
    } else if app.apply.state == ApplyState::Running {
        // Never leave in the middle of writing files.
        app.apply.quit_asked = true;
        vec![]
    } else if app.done.pod == PodState::Running && !app.done.pod_quit_asked {
        // The check removes its sandbox when it ends; leaving now leaves
        // it to the next check (which removes stale ones first).
        app.done.pod_quit_asked = true;
        app.notice = Some(crate::t!("done.pod.quit_running").to_string());
        vec![]
    } else {
        vec![Effect::Quit]
    }
}

fn next(app: &mut App) -> Vec<Effect> {
    match app.step {
        Step::Node => app.step = Step::Preset,
        Step::Preset => {
            match app.catalog.presets.get(app.preset_cursor) {
                Some(p) => {
                    let changed = app.selection.preset.as_deref() != Some(p.id.as_str());
                    // "For every registry": the preset replaces what was set
                    // by hand on the registries it covers (the screen says
                    // so). Added registries and the fallback keep theirs.
                    if changed || app.touched {
                        let p = p.clone();
                        app.selection
                            .mirrors
                            .retain(|r, _| !p.covers(r) || app.catalog.registry(r).is_none());
                    }
                    if changed {
                        app.touched = true;
                    }
                    app.selection.preset = Some(p.id.clone())
                }
                // "Choose per registry": nothing chosen until a row is.
                None => {
                    app.touched = true;
                    app.selection.preset = None
                }
            }
            app.step = Step::Registries;
            // A preset with the user's own ID in its URL: ask for it now,
            // on the registry it covers, instead of failing at Review.
            let needs_id = app
                .catalog
                .presets
                .get(app.preset_cursor)
                .filter(|p| p.needs_id())
                .and_then(|p| Some((app.registries.iter().position(|r| p.covers(r))?, p)));
            if let Some((i, p)) = needs_id {
                app.registry_cursor = i;
                app.editor = editor::ask_for_id(&app.catalog, app.registries[i].clone(), &p.id);
            }
        }
        Step::Registries => {
            if !app.extras.seeded {
                app.extras.seeded = true;
                extras_step::seed_extras(app.node.as_ref(), &mut app.selection.extras);
            }
            app.step = Step::Extras;
        }
        Step::Extras => {
            // Plans need the node; until detection ends, Review waits.
            app.replan();
            app.step = Step::Review;
        }
        Step::Review => match &app.review.plan {
            PlanState::Ready(p) if !p.is_noop() => {
                app.apply.state = ApplyState::Confirm;
                app.step = Step::Apply;
            }
            // The Review says which step fixes it; Enter goes there.
            PlanState::Failed { fix, .. } => app.step = *fix,
            _ => {}
        },
        Step::Apply => {}
        Step::Done => return vec![Effect::Quit],
    }
    vec![]
}

fn move_cursor(app: &mut App, delta: i32) {
    let step = |cur: usize, len: usize| -> usize {
        if len == 0 {
            return 0;
        }
        (cur as i64 + i64::from(delta)).clamp(0, len as i64 - 1) as usize
    };
    let review = &mut app.review;
    match app.step {
        Step::Preset => app.preset_cursor = step(app.preset_cursor, app.catalog.presets.len() + 1),
        Step::Registries => app.registry_cursor = step(app.registry_cursor, app.registries.len()),
        Step::Extras => app.extras.cursor = step(app.extras.cursor, app.extras_rows()),
        Step::Node | Step::Done => scroll(app, delta),
        Step::Review if review.focus == Focus::Diff => {
            review.diff_scroll = if delta < 0 {
                review.diff_scroll.saturating_sub(1)
            } else {
                review.diff_scroll.saturating_add(1)
            };
        }
        Step::Review => {
            let len = review.plan.ready().map_or(0, |p| p.changes.len());
            review.file_cursor = step(review.file_cursor, len);
            review.diff_scroll = 0;
        }
        _ => {}
    }
}
