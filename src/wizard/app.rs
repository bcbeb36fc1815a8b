//! The wizard's state and `update(state, msg) -> effects`: pure, no I/O.
//! Background work (detection, apply, saving) comes back as messages.

use super::keys::{self, Action};
pub use super::step::Step;
use crate::apply::Report;
use crate::catalog::Catalog;
use crate::doctor;
use crate::endpoint::Endpoint;
use crate::node::{NodeState, Tool, ToolName};
use crate::plan::{self, ChangeKind, Plan};
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection, Target};
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
}

/// A row of the registries table is being changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Editor {
    /// Choosing among presets, upstream, custom URLs, none.
    Chooser {
        registry: RegistryName,
        cursor: usize,
    },
    /// Typing mirror URLs (comma-separated), validated as typed.
    Custom {
        registry: RegistryName,
        input: String,
        error: Option<String>,
    },
    /// Typing one's own accelerator ID for a preset whose URLs hold `<id>`.
    AccountId {
        registry: RegistryName,
        /// The preset's URLs, `<id>` still in them.
        template: Vec<String>,
        input: String,
        error: Option<String>,
    },
    /// A private registry: host, CA file, auth, transport.
    Private(PrivateForm),
    /// Typing a pause image of one's own.
    PauseImage {
        input: String,
        error: Option<String>,
    },
    /// Typing containerd's proxy URL (empty: no proxy).
    Proxy {
        input: String,
        error: Option<String>,
    },
    /// Typing a new registry name.
    AddRegistry {
        input: String,
        error: Option<String>,
    },
}

/// An option of the chooser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChooserOption {
    Preset(String),
    Custom,
    Remove,
}

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

pub struct App {
    pub step: Step,
    pub extras_cursor: usize,
    /// Recommended extras were filled in once (going back keeps edits).
    pub extras_seeded: bool,
    /// Mirror measurements: (registry, url) → result.
    pub probes: BTreeMap<(String, String), crate::probe::ProbeResult>,
    pub probing: bool,
    /// The user changed a choice: probe results no longer move defaults.
    pub touched: bool,
    /// The `--root` prefix, cut from paths shown (tools are found inside it).
    pub root_prefix: Option<std::path::PathBuf>,
    pub catalog: Catalog,
    /// Tools as their probes finish.
    pub tools: BTreeMap<ToolName, Tool>,
    pub node: Option<NodeState>,
    pub checks: Option<Vec<doctor::Check>>,
    pub show_checks: bool,
    /// Preset list cursor; `presets.len()` is "choose per registry".
    pub preset_cursor: usize,
    pub selection: Selection,
    /// Registries offered (catalog order, then added ones).
    pub registries: Vec<RegistryName>,
    pub registry_cursor: usize,
    pub editor: Option<Editor>,
    pub plan: Option<Result<Plan, String>>,
    pub file_cursor: usize,
    pub diff_scroll: u16,
    pub focus: Focus,
    pub apply_state: ApplyState,
    pub apply_log: Vec<String>,
    pub report: Option<Report>,
    /// Why Apply is impossible here (not root and no --root).
    pub cannot_apply: Option<String>,
    pub applied: bool,
    pub saved: Option<Result<String, String>>,
    /// `None`: not run; `Some(None)`: running; `Some(Some(report))`: done.
    pub verify: Option<Option<crate::verify::Report>>,
    /// Verify pulls through the live node only (not --root / --demo).
    pub can_verify: bool,
    /// Why the last private registry could not be added (a file unreadable).
    pub private_error: Option<String>,
    pub help: bool,
    pub confirm_quit: bool,
    /// Ctrl-C or q came while the apply runs: said once that it is better
    /// to wait; a second Ctrl-C leaves anyway.
    pub quit_during_apply: bool,
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
            extras_cursor: 0,
            extras_seeded: false,
            probes: BTreeMap::new(),
            probing: false,
            touched: false,
            root_prefix: None,
            catalog,
            tools: BTreeMap::new(),
            node: None,
            checks: None,
            show_checks: false,
            preset_cursor: 0,
            selection,
            registries,
            registry_cursor: 0,
            editor: None,
            plan: None,
            file_cursor: 0,
            diff_scroll: 0,
            focus: Focus::Files,
            apply_state: ApplyState::Confirm,
            apply_log: vec![],
            report: None,
            cannot_apply,
            applied: false,
            saved: None,
            verify: None,
            can_verify: false,
            private_error: None,
            help: false,
            confirm_quit: false,
            quit_during_apply: false,
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
        let mut v: Vec<ChooserOption> = self
            .catalog
            .presets_for(r)
            .map(|p| ChooserOption::Preset(p.id.clone()))
            .collect();
        v.push(ChooserOption::Custom);
        v.push(ChooserOption::Remove);
        v
    }

    /// Unapplied changes exist: quitting asks first.
    fn has_unapplied(&self) -> bool {
        !self.applied && matches!(&self.plan, Some(Ok(p)) if !p.is_noop())
    }

    fn replan(&mut self) {
        self.plan = self
            .node
            .as_ref()
            .map(|n| plan::make(n, &self.catalog, &self.selection).map_err(|e| e.to_string()));
        self.file_cursor = 0;
        self.diff_scroll = 0;
    }

    pub fn selected_change(&self) -> Option<&plan::FileChange> {
        match &self.plan {
            Some(Ok(p)) => p.changes.get(self.file_cursor),
            _ => None,
        }
    }
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Resize(w, h) => {
            app.size = (w, h);
            vec![]
        }
        Msg::Tool(t) => {
            app.tools.insert(t.name, t);
            vec![]
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
            vec![]
        }
        Msg::Probe(r) => {
            app.probes.insert((r.registry.clone(), r.url.clone()), r);
            vec![]
        }
        Msg::ProbesDone => {
            app.probing = false;
            prefer_fastest(app);
            vec![]
        }
        Msg::ApplyStep(line) => {
            app.apply_log.push(line);
            vec![]
        }
        Msg::ApplyDone(Ok(report)) => {
            app.applied = true;
            app.apply_state = ApplyState::Confirm;
            app.report = Some(report);
            app.step = Step::Done;
            vec![]
        }
        Msg::ApplyDone(Err(e)) => {
            app.apply_state = ApplyState::Failed(e);
            vec![]
        }
        Msg::PrivateReady(Ok(r)) => {
            let r = *r;
            app.selection.extras.private.retain(|x| x.host != r.host);
            app.selection.extras.private.push(r);
            app.private_error = None;
            vec![]
        }
        Msg::PrivateReady(Err(e)) => {
            app.private_error = Some(e);
            vec![]
        }
        Msg::Verified(report) => {
            app.verify = Some(Some(*report));
            vec![]
        }
        Msg::ProfileSaved(r) => {
            app.saved = Some(r);
            vec![]
        }
        Msg::Key(key) => on_key(app, key),
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        // Leaving mid-apply is safe (atomic writes; the next apply finishes
        // a pending restart) but leaves containerd unchecked: ask to wait once.
        if app.apply_state == ApplyState::Running && !app.quit_during_apply {
            app.quit_during_apply = true;
            return vec![];
        }
        return vec![Effect::Quit];
    }
    if app.confirm_quit {
        app.confirm_quit = false;
        return if key.code == KeyCode::Char('y') {
            vec![Effect::Quit]
        } else {
            vec![]
        };
    }
    if app.help {
        // Any key closes the overlay.
        app.help = false;
        return vec![];
    }
    if app.editor.is_some() {
        return on_editor_key(app, key);
    }
    if app.too_small() {
        return match keys::action(app.step, &key) {
            Some(Action::Quit) => quit(app),
            _ => vec![],
        };
    }
    let Some(action) = keys::action(app.step, &key) else {
        return vec![];
    };
    match action {
        Action::Help => {
            app.help = true;
            vec![]
        }
        Action::Quit => quit(app),
        Action::Back => {
            if app.step == Step::Apply && app.apply_state == ApplyState::Running {
                return vec![];
            }
            app.step = app.step.prev();
            app.apply_state = ApplyState::Confirm;
            vec![]
        }
        Action::Next => next(app),
        Action::Up => {
            move_cursor(app, -1);
            vec![]
        }
        Action::Down => {
            move_cursor(app, 1);
            vec![]
        }
        Action::PageUp => {
            app.diff_scroll = app.diff_scroll.saturating_sub(10);
            vec![]
        }
        Action::PageDown => {
            app.diff_scroll = app.diff_scroll.saturating_add(10);
            vec![]
        }
        Action::Focus => {
            app.focus = if app.focus == Focus::Files {
                Focus::Diff
            } else {
                Focus::Files
            };
            vec![]
        }
        Action::Change if app.step == Step::Extras => {
            change_extra(app);
            vec![]
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
            vec![]
        }
        Action::AddRegistry => {
            app.editor = Some(Editor::AddRegistry {
                input: String::new(),
                error: None,
            });
            vec![]
        }
        Action::Troubleshoot => {
            app.show_checks = !app.show_checks;
            vec![]
        }
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
            vec![]
        }
        Action::Yes => {
            if app.apply_state != ApplyState::Confirm || app.cannot_apply.is_some() {
                if app.step == Step::Review && app.cannot_apply.is_some() {
                    app.step = Step::Apply; // explains why it cannot
                }
                return vec![];
            }
            app.step = Step::Apply;
            match &app.plan {
                Some(Ok(p)) if !p.is_noop() => {
                    app.apply_state = ApplyState::Running;
                    app.quit_during_apply = false;
                    app.apply_log.clear();
                    vec![Effect::Apply(Box::new(p.clone()))]
                }
                _ => vec![],
            }
        }
        Action::No => {
            if app.apply_state != ApplyState::Running {
                app.step = Step::Review;
                app.apply_state = ApplyState::Confirm;
            }
            vec![]
        }
        Action::Save => vec![Effect::SaveProfile(app.selection.to_profile())],
        Action::Verify => {
            if !app.can_verify || matches!(app.verify, Some(None)) {
                return vec![];
            }
            if app.node.is_none() {
                return vec![];
            }
            app.verify = Some(None);
            vec![Effect::Verify]
        }
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    if app.has_unapplied() && app.apply_state != ApplyState::Running {
        app.confirm_quit = true;
        vec![]
    } else if app.apply_state == ApplyState::Running {
        // Never leave in the middle of writing files.
        app.quit_during_apply = true;
        vec![]
    } else {
        vec![Effect::Quit]
    }
}

/// The ID prompt for a preset whose URLs hold the user's own `<id>`
/// (Aliyun's and Huawei Cloud's personal accelerators).
fn ask_for_id(app: &App, registry: RegistryName, preset: &str) -> Option<Editor> {
    let template = app
        .catalog
        .preset(preset)
        .ok()?
        .mirrors_for(&registry)?
        .to_vec();
    Some(Editor::AccountId {
        registry,
        template,
        input: String::new(),
        error: None,
    })
}

/// The template's URLs with `id` in place of `<id>`, validated.
fn with_id(template: &[String], id: &str) -> Result<Vec<String>, String> {
    let id = id.trim();
    if id.is_empty() {
        return Err(crate::t!("wizard.registries.id_empty").into());
    }
    let urls: Vec<String> = template.iter().map(|u| u.replace("<id>", id)).collect();
    validate_urls(&urls.join(","))
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
                app.editor = ask_for_id(app, app.registries[i].clone(), &p.id);
            }
        }
        Step::Registries => {
            if !app.extras_seeded {
                seed_extras(app);
            }
            app.step = Step::Extras;
        }
        Step::Extras => {
            // Plans need the node; until detection ends, Review waits.
            app.replan();
            app.step = Step::Review;
        }
        Step::Review => {
            if matches!(&app.plan, Some(Ok(p)) if !p.is_noop()) {
                app.apply_state = ApplyState::Confirm;
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
    match app.step {
        Step::Preset => app.preset_cursor = step(app.preset_cursor, app.catalog.presets.len() + 1),
        Step::Registries => app.registry_cursor = step(app.registry_cursor, app.registries.len()),
        Step::Extras => app.extras_cursor = step(app.extras_cursor, Extra::ALL.len()),
        Step::Review if app.focus == Focus::Diff => {
            app.diff_scroll = if delta < 0 {
                app.diff_scroll.saturating_sub(1)
            } else {
                app.diff_scroll.saturating_add(1)
            };
        }
        Step::Review => {
            let len = match &app.plan {
                Some(Ok(p)) => p.changes.len(),
                _ => 0,
            };
            app.file_cursor = step(app.file_cursor, len);
            app.diff_scroll = 0;
        }
        _ => {}
    }
}

/// Validates comma-separated mirror URLs as the user types.
pub fn validate_urls(input: &str) -> Result<Vec<String>, String> {
    let urls: Vec<&str> = input
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if urls.is_empty() {
        return Err(crate::t!("wizard.registries.urls_missing").into());
    }
    urls.iter()
        .map(|u| {
            Endpoint::parse(u)
                .map(|e| e.url())
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn on_editor_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(editor) = app.editor.take() else {
        return vec![];
    };
    if let Editor::Private(form) = editor {
        let (next, effects) = on_private_key(app, form, key);
        app.editor = next;
        return effects;
    }
    app.editor = match editor {
        Editor::Private(form) => Some(Editor::Private(form)),
        Editor::PauseImage { mut input, .. } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => match validate_image(&input) {
                Ok(image) => {
                    app.selection.extras.sandbox_image = Some(image);
                    None
                }
                Err(e) => Some(Editor::PauseImage {
                    input,
                    error: Some(e),
                }),
            },
            code => {
                edit_text(&mut input, code);
                let error = validate_image(&input).err();
                Some(Editor::PauseImage { input, error })
            }
        },
        Editor::Chooser {
            registry,
            mut cursor,
        } => {
            let options = app.chooser_options(&registry);
            match key.code {
                KeyCode::Esc => None,
                KeyCode::Up | KeyCode::Char('k') => {
                    cursor = cursor.saturating_sub(1);
                    Some(Editor::Chooser { registry, cursor })
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    cursor = (cursor + 1).min(options.len() - 1);
                    Some(Editor::Chooser { registry, cursor })
                }
                KeyCode::Enter | KeyCode::Char(' ') => match &options[cursor] {
                    ChooserOption::Preset(id)
                        if app.catalog.preset(id).is_ok_and(|p| p.needs_id()) =>
                    {
                        ask_for_id(app, registry, id)
                    }
                    ChooserOption::Preset(id) => {
                        app.touched = true;
                        app.selection
                            .mirrors
                            .insert(registry, Choice::Preset(id.clone()));
                        None
                    }
                    ChooserOption::Remove => {
                        app.touched = true;
                        app.selection.mirrors.insert(registry, Choice::Remove);
                        None
                    }
                    ChooserOption::Custom => {
                        let input = match app.selection.mirrors.get(&registry) {
                            Some(Choice::Urls(u)) => u.join(","),
                            _ => String::new(),
                        };
                        let error = validate_urls(&input).err();
                        Some(Editor::Custom {
                            registry,
                            input,
                            error,
                        })
                    }
                },
                _ => Some(Editor::Chooser { registry, cursor }),
            }
        }
        Editor::Custom {
            registry,
            mut input,
            ..
        } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => match validate_urls(&input) {
                Ok(urls) => {
                    app.touched = true;
                    app.selection.mirrors.insert(registry, Choice::Urls(urls));
                    None
                }
                Err(e) => Some(Editor::Custom {
                    registry,
                    input,
                    error: Some(e),
                }),
            },
            code => {
                edit_text(&mut input, code);
                let error = validate_urls(&input).err();
                Some(Editor::Custom {
                    registry,
                    input,
                    error,
                })
            }
        },
        Editor::AccountId {
            registry,
            template,
            mut input,
            ..
        } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => match with_id(&template, &input) {
                Ok(urls) => {
                    app.touched = true;
                    app.selection.mirrors.insert(registry, Choice::Urls(urls));
                    None
                }
                Err(e) => Some(Editor::AccountId {
                    registry,
                    template,
                    input,
                    error: Some(e),
                }),
            },
            code => {
                edit_text(&mut input, code);
                // Say what is wrong once there is something to judge.
                let error = (!input.is_empty())
                    .then(|| with_id(&template, &input).err())
                    .flatten();
                Some(Editor::AccountId {
                    registry,
                    template,
                    input,
                    error,
                })
            }
        },
        Editor::Proxy { mut input, .. } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter if input.trim().is_empty() => {
                // "No proxy" removes a drop-in that is there.
                let present = app.node.as_ref().is_some_and(|n| n.proxy_drop_in.is_some());
                app.selection.extras.proxy = present.then_some(crate::extras::Proxy::Remove);
                None
            }
            KeyCode::Enter => {
                let addrs = app
                    .node
                    .as_ref()
                    .map(|n| n.addresses.clone())
                    .unwrap_or_default();
                // "URL [NO_PROXY list]": the list is optional.
                let mut parts = input.split_whitespace();
                let url = parts.next().unwrap_or("");
                let no_proxy = parts.next();
                match crate::extras::Proxy::from_flags(url, no_proxy, &addrs) {
                    Ok(p) => {
                        app.selection.extras.proxy = Some(p);
                        None
                    }
                    Err(e) => Some(Editor::Proxy {
                        input,
                        error: Some(e.to_string()),
                    }),
                }
            }
            code => {
                edit_text(&mut input, code);
                let error = if input.trim().is_empty() {
                    None
                } else {
                    Endpoint::parse(input.split_whitespace().next().unwrap_or(""))
                        .err()
                        .map(|e| e.reason.to_string())
                };
                Some(Editor::Proxy { input, error })
            }
        },
        Editor::AddRegistry { mut input, .. } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => match RegistryName::parse(&input) {
                Ok(r) => {
                    if !app.registries.contains(&r) {
                        app.registries.push(r.clone());
                    }
                    app.registry_cursor = app.registries.iter().position(|x| *x == r).unwrap_or(0);
                    // A new registry starts on upstream; the user picks next.
                    app.selection
                        .mirrors
                        .entry(r.clone())
                        .or_insert(Choice::Preset("upstream".into()));
                    let options = app.chooser_options(&r);
                    Some(Editor::Chooser {
                        cursor: options.len().saturating_sub(2),
                        registry: r,
                    })
                }
                Err(e) => Some(Editor::AddRegistry {
                    input,
                    error: Some(e.reason.to_string()),
                }),
            },
            code => {
                edit_text(&mut input, code);
                let error = if input.is_empty() {
                    None
                } else {
                    RegistryName::parse(&input)
                        .err()
                        .map(|e| e.reason.to_string())
                };
                Some(Editor::AddRegistry { input, error })
            }
        },
    };
    vec![]
}

fn edit_text(input: &mut String, code: KeyCode) {
    match code {
        KeyCode::Backspace => {
            input.pop();
        }
        KeyCode::Char(c) => input.push(c),
        _ => {}
    }
}

/// Summary counts for the review header.
pub fn change_counts(plan: &Plan) -> (usize, usize, usize) {
    plan.changes
        .iter()
        .fold((0, 0, 0), |(n, c, u), ch| match ch.kind() {
            ChangeKind::Create => (n + 1, c, u),
            ChangeKind::Modify | ChangeKind::Delete => (n, c + 1, u),
            ChangeKind::Unchanged => (n, c, u + 1),
        })
}

/// Mirrors a target writes, for the table, with their measurements.
pub fn target_mirrors(app: &App, r: &RegistryName) -> String {
    let (catalog, sel) = (&app.catalog, &app.selection);
    let mut one = Selection::default();
    match sel
        .mirrors
        .get(r)
        .cloned()
        .or_else(|| sel.preset.clone().map(Choice::Preset))
    {
        Some(c) => one.mirrors.insert(r.clone(), c),
        None => return String::new(),
    };
    let label = |url: String| match probe_label(app, r, &url) {
        Some(l) => format!("{url} ({l})"),
        None => url,
    };
    match one.resolve(catalog) {
        Ok(targets) => match targets.first() {
            Some(Target::Write(spec))
                if spec
                    .hosts
                    .iter()
                    .all(|h| Some(h.endpoint.url()) == spec.server) =>
            {
                crate::t!("wizard.registries.itself").into()
            }
            Some(Target::Write(spec)) => spec
                .hosts
                .iter()
                .map(|h| label(h.endpoint.url()))
                .collect::<Vec<_>>()
                .join(", "),
            Some(Target::Remove(_)) => crate::t!("wizard.registries.remove").into(),
            None => String::new(),
        },
        Err(e) => format!("! {e}"),
    }
}

/// How many of a preset's mirrors answered, for the preset list.
pub fn preset_probe_summary(app: &App, preset: &crate::catalog::Preset) -> Option<String> {
    let probed: Vec<_> = app
        .probes
        .values()
        .filter(|p| p.source == preset.id)
        .collect();
    if probed.is_empty() {
        return app
            .probing
            .then(|| crate::t!("wizard.preset.measuring").to_string());
    }
    let ok = probed.iter().filter(|p| p.status.works()).count();
    let total = probed.len();
    Some(crate::t!("wizard.preset.answered", ok = ok, total = total))
}

/// Once every probe is in, and unless the user chose otherwise, each
/// registry defaults to its fastest working mirror. With no network every
/// probe fails and the catalog order stands.
fn prefer_fastest(app: &mut App) {
    if app.touched {
        return;
    }
    let results: Vec<crate::probe::ProbeResult> = app.probes.values().cloned().collect();
    let current = app.selection.preset.clone();
    for (registry, best) in crate::probe::recommend(&results) {
        let (Some(best), Ok(r)) = (best, RegistryName::parse(&registry)) else {
            continue;
        };
        if best.source == "upstream" || current.as_deref() == Some(best.source.as_str()) {
            continue;
        }
        // Keep the recommended preset where it works too.
        let preset_works = results.iter().any(|x| {
            x.registry == registry
                && Some(x.source.as_str()) == current.as_deref()
                && x.status == crate::probe::ProbeStatus::Ok
        });
        if !preset_works && app.catalog.preset(&best.source).is_ok() {
            app.selection
                .mirrors
                .insert(r, Choice::Preset(best.source.clone()));
        }
    }
}

/// A short measurement for a mirror URL, if probed.
pub fn probe_label(app: &App, registry: &RegistryName, url: &str) -> Option<String> {
    let r = app.probes.get(&(registry.to_string(), url.to_string()))?;
    use crate::probe::ProbeStatus as S;
    Some(match (r.status, r.latency_ms) {
        (S::Ok, Some(ms)) => crate::t!("wizard.probe.ms", ms = ms),
        (S::Slow, Some(ms)) => crate::t!("wizard.probe.slow_ms", ms = ms),
        (S::Ok, None) => crate::t!("wizard.probe.ok").to_string(),
        (S::Slow, None) => crate::t!("wizard.probe.slow").to_string(),
        (S::Denied, _) => crate::t!("wizard.probe.denied").to_string(),
        (S::Unreachable, _) => crate::t!("wizard.probe.unreachable").to_string(),
        (S::TlsError, _) => crate::t!("wizard.probe.tls_error").to_string(),
        (S::HttpError, _) => crate::t!("wizard.probe.http_error").to_string(),
    })
}

/// The rows of the Extras step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    SystemdCgroup,
    PauseImage,
    Proxy,
    DockerMirror,
    /// A fallback mirror for every registry without its own directory.
    DefaultMirror,
    PrivateRegistry,
}

impl Extra {
    pub const ALL: [Extra; 6] = [
        Extra::SystemdCgroup,
        Extra::PauseImage,
        Extra::Proxy,
        Extra::DockerMirror,
        Extra::DefaultMirror,
        Extra::PrivateRegistry,
    ];
}

/// Extras start off unless the node clearly needs them: SystemdCgroup is
/// recommended when PID 1 is systemd (kubelet's driver must match).
fn seed_extras(app: &mut App) {
    app.extras_seeded = true;
    let Some(node) = &app.node else { return };
    let systemd = node.service.manager == crate::node::ServiceManager::Systemd;
    let current = node
        .containerd_config
        .text
        .as_deref()
        .and_then(|t| {
            crate::containerd::config::ContainerdConfig::parse(&node.containerd_config.path, t).ok()
        })
        .and_then(|c| c.systemd_cgroup());
    if systemd && current != Some(true) && app.selection.extras.systemd_cgroup.is_none() {
        app.selection.extras.systemd_cgroup = Some(true);
    }
}

/// The pause image choices, in the order Space cycles them.
pub fn pause_choices(app: &App) -> Vec<Option<String>> {
    let tag = crate::extras::pause_tag(app.node.as_ref().and_then(|n| n.containerd_version()));
    let mut v = vec![None];
    if let Ok(k8s) = RegistryName::parse("registry.k8s.io") {
        let mirror = target_mirrors(app, &k8s);
        if let Some(first) = mirror
            .split(", ")
            .next()
            .filter(|m| m.starts_with("https://"))
        {
            let host = first
                .split(' ')
                .next()
                .unwrap_or(first)
                .trim_start_matches("https://");
            if !host.contains("/v2/") {
                v.push(Some(format!("{host}/pause:{tag}")));
            }
        }
    }
    v.push(Some(format!(
        "registry.aliyuncs.com/google_containers/pause:{tag}"
    )));
    v
}

fn change_extra(app: &mut App) {
    app.touched = true;
    let extras = &app.selection.extras;
    match Extra::ALL[app.extras_cursor] {
        Extra::SystemdCgroup => {
            app.selection.extras.systemd_cgroup = match extras.systemd_cgroup {
                None => Some(true),
                Some(true) => Some(false),
                Some(false) => None,
            }
        }
        Extra::PauseImage => {
            // keep → the registry.k8s.io mirror's → Aliyun's copy → custom…
            let choices = pause_choices(app);
            match choices
                .iter()
                .position(|c| *c == app.selection.extras.sandbox_image)
            {
                Some(i) if i + 1 < choices.len() => {
                    app.selection.extras.sandbox_image = choices[i + 1].clone()
                }
                Some(_) => {
                    app.editor = Some(Editor::PauseImage {
                        input: String::new(),
                        error: None,
                    })
                }
                None => app.selection.extras.sandbox_image = None,
            }
        }
        Extra::Proxy => {
            let input = match &extras.proxy {
                Some(crate::extras::Proxy::Set { url, no_proxy }) => {
                    format!("{url} {}", no_proxy.join(","))
                }
                _ => String::new(),
            };
            app.editor = Some(Editor::Proxy { input, error: None });
        }
        Extra::DefaultMirror => {
            let default = RegistryName::parse(crate::registry::DEFAULT_NAMESPACE).expect("valid");
            let input = match app.selection.mirrors.get(&default) {
                Some(Choice::Urls(u)) => u.join(","),
                _ => String::new(),
            };
            let error = validate_urls(&input).err();
            app.editor = Some(Editor::Custom {
                registry: default,
                input,
                error,
            });
        }
        Extra::PrivateRegistry => {
            app.editor = Some(Editor::Private(PrivateForm::default()));
        }
        Extra::DockerMirror => {
            let docker = RegistryName::parse("docker.io").expect("valid");
            let urls: Vec<String> = target_mirrors(app, &docker)
                .split(", ")
                .filter(|u| u.starts_with("http"))
                .map(|u| u.split(' ').next().unwrap_or(u).to_string())
                .collect();
            app.selection.extras.docker_mirrors = match &extras.docker_mirrors {
                None if !urls.is_empty() => Some(urls),
                _ => None,
            };
        }
    }
}

/// The private-registry form of the Extras step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrivateForm {
    /// 0 host, 1 CA file, 2 client cert, 3 client key, 4 user:password, 5 transport.
    pub field: usize,
    pub host: String,
    pub ca: String,
    pub client_cert: String,
    pub client_key: String,
    pub auth: String,
    /// 0 https, 1 https without verification, 2 plain http.
    pub transport: usize,
    pub error: Option<String>,
}

pub const PRIVATE_FIELDS: usize = 6;
pub const TRANSPORTS: usize = 3;

/// The name of transport `i` (0 https, 1 skip verification, 2 plain http).
pub fn transport_label(i: usize) -> &'static str {
    match i {
        0 => crate::t!("wizard.private.https"),
        1 => crate::t!("wizard.private.skip_verify"),
        _ => crate::t!("wizard.private.plain_http"),
    }
}

impl PrivateForm {
    /// The registry this form describes; the CA file is read later, at the
    /// edge (`Effect::AddPrivate`).
    pub fn to_registry(&self) -> Result<crate::extras::PrivateRegistry, String> {
        let host = RegistryName::parse(self.host.trim())
            .map_err(|e| crate::t!("wizard.private.bad_host", reason = e.reason))?;
        let mut r = crate::extras::PrivateRegistry::new(host);
        r.skip_verify = self.transport == 1;
        r.plain_http = self.transport == 2;
        if !self.ca.trim().is_empty() {
            r.ca = Some(std::path::PathBuf::from(self.ca.trim()));
        }
        if !self.client_cert.trim().is_empty() {
            r.client_cert = Some(std::path::PathBuf::from(self.client_cert.trim()));
        }
        if !self.client_key.trim().is_empty() {
            r.client_key = Some(std::path::PathBuf::from(self.client_key.trim()));
        }
        if !self.auth.trim().is_empty() {
            let (u, p) = self
                .auth
                .trim()
                .split_once(':')
                .ok_or(crate::t!("wizard.private.bad_auth"))?;
            r.username = Some(u.to_string());
            r.password = Some(p.to_string());
        }
        r.validate().map_err(|e| e.to_string())?;
        Ok(r)
    }
}

fn on_private_key(
    app: &mut App,
    mut form: PrivateForm,
    key: KeyEvent,
) -> (Option<Editor>, Vec<Effect>) {
    match key.code {
        KeyCode::Esc => return (None, vec![]),
        KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % PRIVATE_FIELDS,
        KeyCode::BackTab | KeyCode::Up => {
            form.field = (form.field + PRIVATE_FIELDS - 1) % PRIVATE_FIELDS
        }
        KeyCode::Char(' ') if form.field == PRIVATE_FIELDS - 1 => {
            form.transport = (form.transport + 1) % TRANSPORTS
        }
        KeyCode::Enter => match form.to_registry() {
            Ok(r) => {
                app.touched = true;
                return (None, vec![Effect::AddPrivate(Box::new(r))]);
            }
            Err(e) => form.error = Some(e),
        },
        code => {
            match form.field {
                0 => edit_text(&mut form.host, code),
                1 => edit_text(&mut form.ca, code),
                2 => edit_text(&mut form.client_cert, code),
                3 => edit_text(&mut form.client_key, code),
                4 => edit_text(&mut form.auth, code),
                _ => {}
            }
            form.error = form.to_registry().err().filter(|_| !form.host.is_empty());
        }
    }
    (Some(Editor::Private(form)), vec![])
}

/// A pause image reference: `[registry/]path:tag` (or `@sha256:…`), no spaces.
pub fn validate_image(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() || s.contains(char::is_whitespace) {
        return Err(crate::t!("wizard.extras.image_missing").into());
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    if !last.contains(':') && !s.contains('@') {
        return Err(crate::t!("wizard.extras.image_no_tag").into());
    }
    Ok(s.to_string())
}
