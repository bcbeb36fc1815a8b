//! The model and `update`: pure state changes, no I/O. Work that touches
//! the node is asked for as an [`Effect`] and comes back as a [`Msg`].

use super::keys::{self, Action, Key, Scope};
use crate::apply::Report;
use crate::catalog::Catalog;
use crate::endpoint::Endpoint;
use crate::node::{NodeState, Tool};
use crate::plan::Plan;
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};
use crossterm::event::{KeyEvent, KeyEventKind};
use std::path::PathBuf;

/// The smallest terminal the wizard lays out for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Node,
    Preset,
    Registries,
    Review,
    Apply,
    Done,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Node,
        Step::Preset,
        Step::Registries,
        Step::Review,
        Step::Apply,
        Step::Done,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Node => "Node",
            Step::Preset => "Preset",
            Step::Registries => "Registries",
            Step::Review => "Review",
            Step::Apply => "Apply",
            Step::Done => "Done",
        }
    }

    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }
}

#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// One tool probe finished.
    DetectedTool(Tool),
    /// Everything about the node is known (tools, files, service).
    DetectedNode(Box<NodeState>),
    /// One line of apply progress (`apply::Step`'s Display).
    ApplyStep(String),
    ApplyDone(Result<Report, String>),
    /// The profile was saved (its path) or could not be.
    Saved(Result<PathBuf, String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// Probe tools (each reported as it arrives), then read the files.
    Detect,
    Apply(Plan),
    /// Write this profile text to the profile path.
    SaveProfile(String),
    Quit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChooserOption {
    Preset(String),
    Custom,
    Remove,
    /// Drop the per-registry choice (no hosts.toml written for it).
    Leave,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chooser {
    pub registry: RegistryName,
    pub options: Vec<ChooserOption>,
    pub cursor: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputPurpose {
    CustomUrls(RegistryName),
    AddRegistry,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub purpose: InputPurpose,
    pub text: String,
    /// Why the text cannot be accepted (checked on every keystroke).
    pub error: Option<String>,
}

impl Input {
    fn new(purpose: InputPurpose, text: String) -> Input {
        let mut i = Input {
            purpose,
            text,
            error: None,
        };
        i.validate();
        i
    }

    fn validate(&mut self) {
        self.error = match &self.purpose {
            InputPurpose::CustomUrls(_) => {
                let urls = split_urls(&self.text);
                if urls.is_empty() {
                    Some("type at least one mirror URL, e.g. https://mirror.example.com".into())
                } else {
                    urls.iter()
                        .find_map(|u| Endpoint::parse(u).err())
                        .map(|e| e.to_string())
                }
            }
            InputPurpose::AddRegistry => {
                RegistryName::parse(&self.text).err().map(|e| e.to_string())
            }
        };
    }
}

/// Mirror URLs as typed: separated by commas or spaces.
pub fn split_urls(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyPhase {
    Confirm,
    Running,
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct App {
    pub step: Step,
    pub catalog: Catalog,
    /// `false`: not root and no `--root`.
    pub can_apply: bool,
    pub profile_path: PathBuf,
    pub no_color: bool,
    pub size: (u16, u16),
    /// Tool probes as they arrive (before the node is assembled).
    pub tools: Vec<Tool>,
    pub node: Option<NodeState>,
    pub preset_cursor: usize,
    pub selection: Selection,
    /// Registries added with `a` (the catalog's come first).
    pub added: Vec<RegistryName>,
    pub reg_cursor: usize,
    pub chooser: Option<Chooser>,
    pub input: Option<Input>,
    pub plan: Option<Result<Plan, String>>,
    pub file_cursor: usize,
    pub diff_focus: bool,
    pub diff_scroll: usize,
    pub confirm_quit: bool,
    pub help: bool,
    pub apply_phase: ApplyPhase,
    pub apply_lines: Vec<String>,
    pub apply_scroll: usize,
    pub report: Option<Report>,
    /// One line under the body: what just happened or why a key did nothing.
    pub status: Option<String>,
    /// Something changed since the last draw.
    pub dirty: bool,
}

impl App {
    pub fn new(catalog: Catalog, can_apply: bool, profile_path: PathBuf) -> App {
        let recommended = catalog.recommended().id.clone();
        let preset_cursor = catalog
            .presets
            .iter()
            .position(|p| p.id == recommended)
            .unwrap_or(0);
        App {
            step: Step::Node,
            catalog,
            can_apply,
            profile_path,
            no_color: false,
            size: MIN_SIZE,
            tools: vec![],
            node: None,
            preset_cursor,
            selection: Selection {
                preset: Some(recommended),
                ..Default::default()
            },
            added: vec![],
            reg_cursor: 0,
            chooser: None,
            input: None,
            plan: None,
            file_cursor: 0,
            diff_focus: false,
            diff_scroll: 0,
            confirm_quit: false,
            help: false,
            apply_phase: ApplyPhase::Confirm,
            apply_lines: vec![],
            apply_scroll: 0,
            report: None,
            status: None,
            dirty: true,
        }
    }

    /// What the runtime does first.
    pub fn init(&self) -> Vec<Effect> {
        vec![Effect::Detect]
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }

    /// The registry rows: the catalog's in order, then any others chosen or added.
    pub fn rows(&self) -> Vec<RegistryName> {
        let mut rows: Vec<RegistryName> =
            self.catalog.registries.iter().map(|r| r.name.clone()).collect();
        for r in self.selection.mirrors.keys().chain(self.added.iter()) {
            if !rows.contains(r) {
                rows.push(r.clone());
            }
        }
        rows
    }

    /// What will happen to a registry: its own choice, else the preset's
    /// (when the preset covers it), else nothing.
    pub fn choice_for(&self, r: &RegistryName) -> Option<Choice> {
        if let Some(c) = self.selection.mirrors.get(r) {
            return Some(c.clone());
        }
        let id = self.selection.preset.as_ref()?;
        let preset = self.catalog.preset(id).ok()?;
        preset.covers(r).then(|| Choice::Preset(id.clone()))
    }

    pub fn plan_ok(&self) -> Option<&Plan> {
        match &self.plan {
            Some(Ok(p)) => Some(p),
            _ => None,
        }
    }

    /// The plan would change files that have not been written yet.
    pub fn has_unapplied(&self) -> bool {
        self.step != Step::Done && self.plan_ok().is_some_and(|p| !p.is_noop())
    }

    /// The Apply step can ask "apply N changes?".
    pub fn apply_confirmable(&self) -> bool {
        self.can_apply
            && self.apply_phase == ApplyPhase::Confirm
            && self.plan_ok().is_some_and(|p| !p.is_noop())
    }

    /// Which bindings are live now.
    pub fn scope(&self) -> Scope {
        if self.help {
            Scope::Help
        } else {
            self.scope_under_help()
        }
    }

    /// The scope the help overlay explains.
    pub fn scope_under_help(&self) -> Scope {
        if self.confirm_quit {
            Scope::Confirm
        } else if self.input.is_some() {
            Scope::Input
        } else if self.chooser.is_some() {
            Scope::Chooser
        } else {
            match self.step {
                Step::Node => Scope::Node,
                Step::Preset => Scope::Preset,
                Step::Registries => Scope::Registries,
                Step::Review => Scope::Review,
                Step::Apply if self.apply_confirmable() => Scope::Apply,
                Step::Apply => Scope::ApplyInfo,
                Step::Done => Scope::Done,
            }
        }
    }

    fn refresh_plan(&mut self) {
        if let Some(node) = &self.node {
            self.plan = Some(
                crate::plan::make(node, &self.catalog, &self.selection).map_err(|e| e.to_string()),
            );
            let n = self.plan_ok().map_or(0, |p| p.changes.len());
            self.file_cursor = self.file_cursor.min(n.saturating_sub(1));
            self.diff_scroll = 0;
        }
    }

    /// Lines of the selected file's diff.
    pub fn diff_lines(&self) -> usize {
        self.plan_ok()
            .and_then(|p| p.changes.get(self.file_cursor))
            .map_or(0, |c| c.diff().lines().count())
    }

    fn select_preset_at_cursor(&mut self) {
        self.selection.preset = self
            .catalog
            .presets
            .get(self.preset_cursor)
            .map(|p| p.id.clone());
        self.refresh_plan();
    }

    fn open_chooser(&mut self) {
        let rows = self.rows();
        let Some(reg) = rows.get(self.reg_cursor).cloned() else {
            return;
        };
        let mut options: Vec<ChooserOption> = self
            .catalog
            .presets_for(&reg)
            .map(|p| ChooserOption::Preset(p.id.clone()))
            .collect();
        options.push(ChooserOption::Custom);
        options.push(ChooserOption::Remove);
        let preset_covers = self
            .selection
            .preset
            .as_ref()
            .and_then(|id| self.catalog.preset(id).ok())
            .is_some_and(|p| p.covers(&reg));
        if !preset_covers {
            options.push(ChooserOption::Leave);
        }
        let current = match self.choice_for(&reg) {
            Some(Choice::Preset(id)) => ChooserOption::Preset(id),
            Some(Choice::Urls(_)) => ChooserOption::Custom,
            Some(Choice::Remove) => ChooserOption::Remove,
            None => ChooserOption::Leave,
        };
        let cursor = options.iter().position(|o| *o == current).unwrap_or(0);
        self.chooser = Some(Chooser {
            registry: reg,
            options,
            cursor,
        });
    }

    /// Sets a registry's choice; a choice equal to the preset's drops the
    /// override so that the profile stays short.
    fn set_choice(&mut self, reg: RegistryName, choice: Option<Choice>) {
        self.selection.mirrors.remove(&reg);
        if let Some(c) = choice {
            if self.choice_for(&reg).as_ref() != Some(&c) {
                self.selection.mirrors.insert(reg, c);
            }
        }
        self.refresh_plan();
    }

    fn pick_in_chooser(&mut self) {
        let Some(ch) = self.chooser.take() else {
            return;
        };
        let Some(opt) = ch.options.get(ch.cursor).cloned() else {
            return;
        };
        let reg = ch.registry.clone();
        match opt {
            ChooserOption::Preset(id) => self.set_choice(reg, Some(Choice::Preset(id))),
            ChooserOption::Remove => self.set_choice(reg, Some(Choice::Remove)),
            ChooserOption::Leave => self.set_choice(reg, None),
            ChooserOption::Custom => {
                let text = match self.selection.mirrors.get(&reg) {
                    Some(Choice::Urls(u)) => u.join(", "),
                    _ => String::new(),
                };
                self.input = Some(Input::new(InputPurpose::CustomUrls(reg), text));
            }
        }
    }

    fn accept_input(&mut self) {
        let Some(input) = &self.input else { return };
        if input.error.is_some() {
            self.status = Some("not accepted: fix the text first (the reason is shown)".into());
            return;
        }
        let input = self.input.take().expect("checked");
        match input.purpose {
            InputPurpose::CustomUrls(reg) => {
                let urls = split_urls(&input.text)
                    .iter()
                    .map(|u| Endpoint::parse(u).map(|e| e.url()).unwrap_or_else(|_| u.clone()))
                    .collect();
                self.set_choice(reg, Some(Choice::Urls(urls)));
            }
            InputPurpose::AddRegistry => {
                let reg = RegistryName::parse(&input.text).expect("validated");
                if !self.rows().contains(&reg) {
                    self.added.push(reg.clone());
                }
                self.reg_cursor = self.rows().iter().position(|r| *r == reg).unwrap_or(0);
                self.open_chooser();
            }
        }
    }

    fn quit(&mut self) -> Vec<Effect> {
        if self.step == Step::Apply && self.apply_phase == ApplyPhase::Running {
            self.status = Some("applying: wait for it to finish (Ctrl-C leaves at once)".into());
            return vec![];
        }
        if self.has_unapplied() {
            self.confirm_quit = true;
            return vec![];
        }
        vec![Effect::Quit]
    }
}

/// Applies one message to the model; returns the work to do.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(ev) => {
            if ev.kind != KeyEventKind::Press {
                return vec![];
            }
            let Some(k) = Key::from_event(&ev) else {
                return vec![];
            };
            on_key(app, k)
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            app.dirty = true;
            vec![]
        }
        Msg::DetectedTool(t) => {
            match app.tools.iter_mut().find(|x| x.name == t.name) {
                Some(x) => *x = t,
                None => app.tools.push(t),
            }
            app.dirty = true;
            vec![]
        }
        Msg::DetectedNode(node) => {
            app.tools = node.tools.clone();
            app.node = Some(*node);
            app.refresh_plan();
            app.dirty = true;
            vec![]
        }
        Msg::ApplyStep(line) => {
            app.apply_lines.push(line);
            app.dirty = true;
            vec![]
        }
        Msg::ApplyDone(Ok(report)) => {
            app.report = Some(report);
            app.apply_phase = ApplyPhase::Confirm;
            app.step = Step::Done;
            app.status = None;
            app.dirty = true;
            vec![]
        }
        Msg::ApplyDone(Err(e)) => {
            app.apply_phase = ApplyPhase::Failed(e);
            app.dirty = true;
            vec![]
        }
        Msg::Saved(r) => {
            app.status = Some(match r {
                Ok(p) => format!("✓ saved the profile to {}", p.display()),
                Err(e) => format!("! could not save the profile: {e}"),
            });
            app.dirty = true;
            vec![]
        }
    }
}

fn on_key(app: &mut App, k: Key) -> Vec<Effect> {
    let scope = app.scope();
    let action = keys::action_for(scope, k);
    // A text field takes every key its bindings do not.
    if scope == Scope::Input && action.is_none() {
        let input = app.input.as_mut().expect("scope");
        match k {
            Key::Char(c) => input.text.push(c),
            Key::Space => input.text.push(' '),
            Key::Backspace => {
                input.text.pop();
            }
            _ => return vec![],
        }
        input.validate();
        app.dirty = true;
        return vec![];
    }
    let Some(action) = action else {
        return vec![];
    };
    app.dirty = true;
    app.status = None;
    if action == Action::ForceQuit {
        return vec![Effect::Quit];
    }
    match scope {
        Scope::Help => {
            app.help = false;
            vec![]
        }
        Scope::Confirm => {
            app.confirm_quit = false;
            if action == Action::Yes {
                vec![Effect::Quit]
            } else {
                vec![]
            }
        }
        Scope::Input => {
            match action {
                Action::Next => app.accept_input(),
                Action::Back => app.input = None,
                _ => {}
            }
            vec![]
        }
        Scope::Chooser => {
            let ch = app.chooser.as_mut().expect("scope");
            match action {
                Action::Up => ch.cursor = ch.cursor.saturating_sub(1),
                Action::Down => ch.cursor = (ch.cursor + 1).min(ch.options.len() - 1),
                Action::Next => app.pick_in_chooser(),
                Action::Back => app.chooser = None,
                Action::Help => app.help = true,
                Action::Quit => return app.quit(),
                _ => {}
            }
            vec![]
        }
        _ => step_action(app, action),
    }
}

fn step_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Help => {
            app.help = true;
            return vec![];
        }
        Action::Quit => return app.quit(),
        _ => {}
    }
    match app.step {
        Step::Node => {
            if action == Action::Next {
                app.step = Step::Preset;
            }
        }
        Step::Preset => {
            let last = app.catalog.presets.len(); // "choose per registry"
            match action {
                Action::Up => app.preset_cursor = app.preset_cursor.saturating_sub(1),
                Action::Down => app.preset_cursor = (app.preset_cursor + 1).min(last),
                Action::Toggle => app.select_preset_at_cursor(),
                Action::Next => {
                    app.select_preset_at_cursor();
                    app.step = Step::Registries;
                }
                Action::Back => app.step = Step::Node,
                _ => {}
            }
        }
        Step::Registries => {
            let n = app.rows().len();
            match action {
                Action::Up => app.reg_cursor = app.reg_cursor.saturating_sub(1),
                Action::Down => app.reg_cursor = (app.reg_cursor + 1).min(n.saturating_sub(1)),
                Action::Choose => app.open_chooser(),
                Action::AddRegistry => {
                    app.input = Some(Input::new(InputPurpose::AddRegistry, String::new()))
                }
                Action::Next => {
                    app.step = Step::Review;
                    app.diff_focus = false;
                    app.diff_scroll = 0;
                }
                Action::Back => app.step = Step::Preset,
                _ => {}
            }
        }
        Step::Review => {
            let files = app.plan_ok().map_or(0, |p| p.changes.len());
            let max_scroll = app.diff_lines().saturating_sub(1);
            match action {
                Action::Up if app.diff_focus => app.diff_scroll = app.diff_scroll.saturating_sub(1),
                Action::Down if app.diff_focus => {
                    app.diff_scroll = (app.diff_scroll + 1).min(max_scroll)
                }
                Action::Up => {
                    app.file_cursor = app.file_cursor.saturating_sub(1);
                    app.diff_scroll = 0;
                }
                Action::Down => {
                    app.file_cursor = (app.file_cursor + 1).min(files.saturating_sub(1));
                    app.diff_scroll = 0;
                }
                Action::PageUp => app.diff_scroll = app.diff_scroll.saturating_sub(10),
                Action::PageDown => app.diff_scroll = (app.diff_scroll + 10).min(max_scroll),
                Action::Focus => app.diff_focus = !app.diff_focus,
                Action::Back => app.step = Step::Registries,
                Action::Next => match &app.plan {
                    None => {
                        app.status = Some("still reading the node: wait a moment".into());
                    }
                    Some(Err(_)) => {
                        app.status =
                            Some("the plan has an error (shown above): fix it first".into());
                    }
                    Some(Ok(_)) => {
                        app.step = Step::Apply;
                        app.apply_phase = ApplyPhase::Confirm;
                        app.apply_lines.clear();
                        app.apply_scroll = 0;
                    }
                },
                _ => {}
            }
        }
        Step::Apply => match action {
            Action::Yes if app.apply_confirmable() => {
                app.apply_phase = ApplyPhase::Running;
                app.apply_lines.clear();
                let plan = app.plan_ok().expect("confirmable").clone();
                return vec![Effect::Apply(plan)];
            }
            Action::No => app.step = Step::Review,
            Action::Back => match app.apply_phase {
                ApplyPhase::Running => {
                    app.status = Some("applying: wait for it to finish".into());
                }
                ApplyPhase::Failed(_) => {
                    // The node may differ now: read it again before a new plan.
                    app.apply_phase = ApplyPhase::Confirm;
                    app.step = Step::Review;
                    app.node = None;
                    app.tools.clear();
                    app.plan = None;
                    return vec![Effect::Detect];
                }
                ApplyPhase::Confirm => app.step = Step::Review,
            },
            Action::Up => app.apply_scroll = app.apply_scroll.saturating_sub(1),
            Action::Down => {
                app.apply_scroll = (app.apply_scroll + 1).min(app.apply_lines.len())
            }
            _ => {}
        },
        Step::Done => {
            if action == Action::Save {
                return vec![Effect::SaveProfile(app.selection.to_profile())];
            }
        }
    }
    vec![]
}
