//! The wizard's state and `update(state, msg) -> effects`: pure, no I/O.
//! Background work (detection, apply, saving) comes back as messages.
//! Editors (editor.rs) and the Extras rows (extras_step.rs) hand back
//! what they want changed; `App::apply_edit` is where edits land.

use super::derive::{self, Probes};
use super::editor::{self, ChooserOption, Edit, Editor, EditorCtx, EditorOutcome};
use super::extras_step::{self, Extra, ExtraCtx};
use super::keys::{self, Action, EditorAction, Mode};
pub use super::state::{
    ApplyState, ApplyStep, DoneStep, ExtrasStep, Focus, Overlay, PlanState, ReviewStep, VerifyState,
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
    ApplyDone(Result<Report, String>),
    ProfileSaved(Result<String, String>),
    /// A private registry with its files read (or why they could not be).
    PrivateReady(Result<Box<crate::extras::PrivateRegistry>, String>),
    /// `ctrwiz verify` from the Done step.
    Verified(Box<crate::verify::Report>),
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
    SaveProfile(String),
    /// Pull a small image through the new configuration.
    Verify,
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
                can_verify: false,
            },
            editor: None,
            overlay: Overlay::None,
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

    /// The facts the key tables' `enabled` predicates ask.
    pub fn key_context(&self) -> keys::Context {
        keys::Context {
            can_verify: self.done.can_verify,
            ..self
                .editor
                .as_ref()
                .map(Editor::key_context)
                .unwrap_or_default()
        }
    }

    /// Unapplied changes exist: quitting asks first.
    fn has_unapplied(&self) -> bool {
        !self.apply.applied && self.review.plan.ready().is_some_and(|p| !p.is_noop())
    }

    fn replan(&mut self) {
        self.review.plan = match &self.node {
            None => PlanState::Waiting,
            Some(n) => match plan::make(n, &self.catalog, &self.selection) {
                Ok(p) => PlanState::Ready(p),
                Err(e) => PlanState::Failed(e.to_string()),
            },
        };
        self.review.file_cursor = 0;
        self.review.diff_scroll = 0;
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
            Edit::AddPrivate(r) => {
                self.touched = true;
                return vec![Effect::AddPrivate(r)];
            }
        }
        vec![]
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
            app.checks = Some(doctor::run(&node, &doctor::LiveFacts::default()));
            app.node = Some(*node);
            if app.step >= Step::Review {
                app.replan();
            }
        }
        Msg::Probe(r) => {
            app.probes
                .results
                .insert((r.registry.clone(), r.url.clone()), r);
        }
        Msg::ProbesDone => {
            app.probes.running = false;
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
            app.selection.extras.private.retain(|x| x.host != r.host);
            app.selection.extras.private.push(r);
            app.extras.private_error = None;
        }
        Msg::PrivateReady(Err(e)) => app.extras.private_error = Some(e),
        Msg::Verified(report) => app.done.verify = VerifyState::Done(*report),
        Msg::ProfileSaved(r) => app.done.saved = Some(r),
        Msg::Signal(Signal::Terminate(sig)) => return vec![Effect::Terminate(sig)],
        Msg::Signal(Signal::Stop) => return vec![Effect::Suspend],
        Msg::Signal(Signal::Continue) => return vec![Effect::Resume],
        Msg::Key(key) => return on_key(app, key),
    }
    vec![]
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
        return vec![];
    };
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
        Action::PageUp => app.review.diff_scroll = app.review.diff_scroll.saturating_sub(10),
        Action::PageDown => app.review.diff_scroll = app.review.diff_scroll.saturating_add(10),
        Action::Focus => {
            app.review.focus = match app.review.focus {
                Focus::Files => Focus::Diff,
                Focus::Diff => Focus::Files,
            };
        }
        Action::Change if app.step == Step::Extras => {
            app.touched = true;
            let extra = Extra::ALL[app.extras.cursor];
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
                input: String::new(),
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
                app.selection.mirrors.extend(r.mirrors);
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
        Action::Save => return vec![Effect::SaveProfile(app.selection.to_profile())],
        Action::Verify => {
            if !app.done.can_verify || app.done.verify == VerifyState::Running || app.node.is_none()
            {
                return vec![];
            }
            app.done.verify = VerifyState::Running;
            return vec![Effect::Verify];
        }
    }
    vec![]
}

fn yes(app: &mut App) -> Vec<Effect> {
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
                    if app.selection.preset.as_deref() != Some(p.id.as_str()) {
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
        Step::Review => {
            if app.review.plan.ready().is_some_and(|p| !p.is_noop()) {
                app.apply.state = ApplyState::Confirm;
                app.step = Step::Apply;
            }
        }
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
        Step::Extras => app.extras.cursor = step(app.extras.cursor, Extra::ALL.len()),
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
