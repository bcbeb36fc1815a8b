//! The key tables: one for the steps, one per editor. The footer and the
//! `?` overlay read them, and `update` and the editors map keys to actions
//! through them, so what is shown is what works (gitui's `commands()`).

use super::step::Step;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Change,
    /// Remove the row's entry (an added registry, a private registry) or
    /// take back the user's own choice on it.
    Remove,
    AddRegistry,
    Focus,
    Help,
    Quit,
    Yes,
    No,
    Save,
    Troubleshoot,
    Fix,
    Verify,
    /// Start a test pod sandbox on the node (`doctor --pod`).
    PodCheck,
}

/// The editors that open over a step, each with its own keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditorKind {
    Chooser,
    Urls,
    AccountId,
    Private,
    Proxy,
    /// The proxy's second question: Esc goes back to the URL.
    ClusterRanges,
    PauseImage,
    AddRegistry,
}

/// What a key does inside an editor; other keys edit its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditorAction {
    Up,
    Down,
    Accept,
    Cancel,
    NextField,
    PrevField,
    Transport,
    Help,
}

/// What the keys are for right now: a step, or the editor open over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Step(Step),
    Editor(EditorKind),
}

/// The facts an `enabled` predicate may ask about the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Verify pulls through the live node only (not --root / --demo).
    pub can_verify: bool,
    /// A pod sandbox can be started: live node, after an apply.
    pub can_pod: bool,
    /// The private-registry form's cursor is on its transport field.
    pub on_transport: bool,
    /// The Review has a plan with changes: `y` can apply it.
    pub plan_ready: bool,
    /// The apply runs: only waiting (and Ctrl-C) makes sense.
    pub applying: bool,
    /// The step's text is longer than the screen.
    pub scrollable: bool,
}

pub struct Binding<A> {
    /// Steps where the binding works (empty: all; editors: unused).
    pub steps: &'static [Step],
    pub keys: &'static [KeyCode],
    /// The footer's text, in the current language (`None`: not shown).
    pub label: Option<fn() -> &'static str>,
    /// The help overlay's text (`None`: not shown).
    pub help: Option<fn() -> &'static str>,
    pub action: A,
    /// `None`: always on. A disabled binding is neither shown nor run.
    pub enabled: Option<fn(&Context) -> bool>,
}

impl<A> Binding<A> {
    fn on(&self, step: Option<Step>, ctx: &Context) -> bool {
        let here = match step {
            Some(s) => self.steps.is_empty() || self.steps.contains(&s),
            None => true,
        };
        here && self.enabled.is_none_or(|f| f(ctx))
    }
}

use KeyCode::{Char, Down, Enter, Esc, PageDown, PageUp, Tab, Up};
use Step::{Apply, Done, Extras, Node, Preset, Registries, Review};

pub const BINDINGS: &[Binding<Action>] = &[
    Binding {
        steps: &[Node, Preset, Registries, Extras, Review],
        keys: &[Enter],
        label: Some(|| crate::t!("wizard.footer.next")),
        help: Some(|| crate::t!("wizard.keyhelp.next")),
        action: Action::Next,
        enabled: None,
    },
    Binding {
        steps: &[Done],
        keys: &[Enter],
        label: Some(|| crate::t!("wizard.footer.quit_done")),
        help: Some(|| crate::t!("wizard.keyhelp.quit_done")),
        action: Action::Quit,
        enabled: None,
    },
    Binding {
        steps: &[Review, Apply],
        keys: &[Char('y')],
        label: Some(|| crate::t!("wizard.footer.yes")),
        help: Some(|| crate::t!("wizard.keyhelp.yes")),
        action: Action::Yes,
        // No plan, nothing to apply: the key is neither offered nor run.
        enabled: Some(|c| c.plan_ready && !c.applying),
    },
    Binding {
        steps: &[Apply],
        keys: &[Char('n'), Enter],
        label: Some(|| crate::t!("wizard.footer.no")),
        help: Some(|| crate::t!("wizard.keyhelp.no")),
        action: Action::No,
        enabled: Some(|c| c.plan_ready && !c.applying),
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review],
        keys: &[Up, Char('k')],
        label: Some(|| crate::t!("wizard.footer.move")),
        help: Some(|| crate::t!("wizard.keyhelp.move")),
        action: Action::Up,
        enabled: None,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review],
        keys: &[Down, Char('j')],
        label: None,
        help: Some(|| crate::t!("guide.keyhelp.move_down")),
        action: Action::Down,
        enabled: None,
    },
    Binding {
        steps: &[Registries, Extras],
        keys: &[Char(' '), KeyCode::Right],
        label: Some(|| crate::t!("wizard.footer.change")),
        help: Some(|| crate::t!("wizard.keyhelp.change")),
        action: Action::Change,
        enabled: None,
    },
    Binding {
        steps: &[Registries, Extras],
        keys: &[Char('d'), KeyCode::Delete, KeyCode::Backspace],
        label: Some(|| crate::t!("guide.footer.remove")),
        help: Some(|| crate::t!("guide.keyhelp.remove")),
        action: Action::Remove,
        enabled: None,
    },
    Binding {
        steps: &[Registries],
        keys: &[Char('a')],
        label: Some(|| crate::t!("wizard.footer.add")),
        help: Some(|| crate::t!("wizard.keyhelp.add")),
        action: Action::AddRegistry,
        enabled: None,
    },
    Binding {
        steps: &[Review],
        keys: &[Tab],
        label: Some(|| crate::t!("wizard.footer.focus")),
        help: Some(|| crate::t!("wizard.keyhelp.focus")),
        action: Action::Focus,
        enabled: None,
    },
    Binding {
        steps: &[Review],
        keys: &[PageUp],
        label: Some(|| crate::t!("wizard.footer.scroll")),
        help: Some(|| crate::t!("wizard.keyhelp.scroll")),
        action: Action::PageUp,
        enabled: None,
    },
    Binding {
        steps: &[Review],
        keys: &[PageDown],
        label: None,
        help: None,
        action: Action::PageDown,
        enabled: None,
    },
    // Long text (troubleshoot, Done) scrolls; offered while there is more.
    Binding {
        steps: &[Node, Done],
        keys: &[Down, Char('j')],
        label: None,
        help: Some(|| crate::t!("guide.keyhelp.scroll_down")),
        action: Action::Down,
        enabled: Some(|c| c.scrollable),
    },
    Binding {
        steps: &[Node, Done],
        keys: &[Up, Char('k')],
        label: None,
        help: Some(|| crate::t!("guide.keyhelp.scroll_up")),
        action: Action::Up,
        enabled: Some(|c| c.scrollable),
    },
    Binding {
        steps: &[Node, Done],
        keys: &[PageDown],
        label: Some(|| crate::t!("wizard.footer.scroll")),
        help: Some(|| crate::t!("guide.keyhelp.page_down")),
        action: Action::PageDown,
        enabled: Some(|c| c.scrollable),
    },
    Binding {
        steps: &[Node, Done],
        keys: &[PageUp],
        label: None,
        help: Some(|| crate::t!("guide.keyhelp.page_up")),
        action: Action::PageUp,
        enabled: Some(|c| c.scrollable),
    },
    Binding {
        steps: &[Node],
        keys: &[Char('t')],
        label: Some(|| crate::t!("wizard.footer.troubleshoot")),
        help: Some(|| crate::t!("wizard.keyhelp.troubleshoot")),
        action: Action::Troubleshoot,
        enabled: None,
    },
    Binding {
        steps: &[Node],
        keys: &[Char('f')],
        label: Some(|| crate::t!("wizard.footer.fix")),
        help: Some(|| crate::t!("wizard.keyhelp.fix")),
        action: Action::Fix,
        enabled: None,
    },
    Binding {
        steps: &[Done],
        keys: &[Char('v')],
        label: Some(|| crate::t!("wizard.footer.verify")),
        help: Some(|| crate::t!("wizard.keyhelp.verify")),
        action: Action::Verify,
        enabled: Some(|c| c.can_verify),
    },
    Binding {
        steps: &[Done],
        keys: &[Char('p')],
        label: Some(|| crate::t!("done.footer.pod")),
        help: Some(|| crate::t!("done.keyhelp.pod")),
        action: Action::PodCheck,
        enabled: Some(|c| c.can_pod),
    },
    Binding {
        steps: &[Done],
        keys: &[Char('s')],
        label: Some(|| crate::t!("wizard.footer.save")),
        help: Some(|| crate::t!("wizard.keyhelp.save")),
        action: Action::Save,
        enabled: None,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review, Apply],
        keys: &[Esc],
        label: Some(|| crate::t!("wizard.footer.back")),
        help: Some(|| crate::t!("wizard.keyhelp.back")),
        action: Action::Back,
        enabled: Some(|c| !c.applying),
    },
    Binding {
        steps: &[],
        keys: &[Char('?')],
        label: Some(|| crate::t!("wizard.footer.help")),
        help: Some(|| crate::t!("wizard.keyhelp.help")),
        action: Action::Help,
        enabled: None,
    },
    Binding {
        steps: &[],
        keys: &[Char('q')],
        label: Some(|| crate::t!("wizard.footer.quit")),
        help: Some(|| crate::t!("wizard.keyhelp.quit")),
        action: Action::Quit,
        enabled: None,
    },
];

use EditorAction as E;

/// A key that edits nothing but is listed: moving, accepting, leaving.
const fn key<A>(
    keys: &'static [KeyCode],
    label: Option<fn() -> &'static str>,
    help: Option<fn() -> &'static str>,
    action: A,
) -> Binding<A> {
    Binding {
        steps: &[],
        keys,
        label,
        help,
        action,
        enabled: None,
    }
}

const CANCEL: Binding<EditorAction> = key(
    &[Esc],
    Some(|| crate::t!("wizard.footer.cancel")),
    Some(|| crate::t!("wizard.keyhelp.cancel")),
    E::Cancel,
);

/// Text editors take `?` as text: F1 opens the help there.
const HELP_F1: Binding<EditorAction> = key(
    &[KeyCode::F(1)],
    Some(|| crate::t!("wizard.footer.help_f1")),
    Some(|| crate::t!("wizard.keyhelp.help")),
    E::Help,
);

pub const CHOOSER: &[Binding<EditorAction>] = &[
    key(
        &[Up, Char('k')],
        Some(|| crate::t!("wizard.footer.move")),
        Some(|| crate::t!("wizard.keyhelp.move")),
        E::Up,
    ),
    key(&[Down, Char('j')], None, None, E::Down),
    key(
        &[Enter, Char(' ')],
        Some(|| crate::t!("wizard.footer.pick")),
        Some(|| crate::t!("wizard.keyhelp.pick")),
        E::Accept,
    ),
    key(
        &[Esc],
        Some(|| crate::t!("wizard.footer.keep")),
        Some(|| crate::t!("wizard.keyhelp.keep")),
        E::Cancel,
    ),
    key(
        &[Char('?'), KeyCode::F(1)],
        Some(|| crate::t!("wizard.footer.help")),
        Some(|| crate::t!("wizard.keyhelp.help")),
        E::Help,
    ),
];

/// A one-line text editor: Enter (`label`, `help`), Esc, F1.
const fn text_editor(
    label: fn() -> &'static str,
    help: fn() -> &'static str,
) -> [Binding<EditorAction>; 3] {
    [
        key(&[Enter], Some(label), Some(help), E::Accept),
        CANCEL,
        HELP_F1,
    ]
}

pub const URLS: &[Binding<EditorAction>] = &text_editor(
    || crate::t!("wizard.footer.accept"),
    || crate::t!("wizard.keyhelp.accept_urls"),
);
pub const ACCOUNT_ID: &[Binding<EditorAction>] = &text_editor(
    || crate::t!("wizard.footer.accept"),
    || crate::t!("wizard.keyhelp.accept_id"),
);
pub const PROXY: &[Binding<EditorAction>] = &text_editor(
    || crate::t!("wizard.footer.accept"),
    || crate::t!("wizard.keyhelp.accept_proxy"),
);
pub const CLUSTER_RANGES: &[Binding<EditorAction>] = &[
    key(
        &[Enter],
        Some(|| crate::t!("wizard.footer.accept")),
        Some(|| crate::t!("wizard.keyhelp.accept_cluster")),
        E::Accept,
    ),
    key(
        &[Esc],
        Some(|| crate::t!("wizard.footer.back")),
        Some(|| crate::t!("wizard.keyhelp.back_to_url")),
        E::Cancel,
    ),
    HELP_F1,
];
pub const PAUSE_IMAGE: &[Binding<EditorAction>] = &text_editor(
    || crate::t!("wizard.footer.accept"),
    || crate::t!("wizard.keyhelp.accept_pause"),
);
pub const ADD_REGISTRY: &[Binding<EditorAction>] = &text_editor(
    || crate::t!("wizard.footer.add_it"),
    || crate::t!("wizard.keyhelp.add_registry"),
);

pub const PRIVATE: &[Binding<EditorAction>] = &[
    key(
        &[Tab, Down],
        Some(|| crate::t!("wizard.footer.field")),
        Some(|| crate::t!("wizard.keyhelp.field")),
        E::NextField,
    ),
    key(
        &[KeyCode::BackTab, Up],
        None,
        Some(|| crate::t!("wizard.keyhelp.prev_field")),
        E::PrevField,
    ),
    // Space is text in the other fields.
    Binding {
        enabled: Some(|c| c.on_transport),
        ..key(
            &[Char(' ')],
            Some(|| crate::t!("wizard.footer.transport")),
            Some(|| crate::t!("wizard.keyhelp.transport")),
            E::Transport,
        )
    },
    key(
        &[Enter],
        Some(|| crate::t!("wizard.footer.add_it")),
        Some(|| crate::t!("wizard.keyhelp.add_private")),
        E::Accept,
    ),
    CANCEL,
    HELP_F1,
];

pub fn editor_table(kind: EditorKind) -> &'static [Binding<EditorAction>] {
    match kind {
        EditorKind::Chooser => CHOOSER,
        EditorKind::Urls => URLS,
        EditorKind::AccountId => ACCOUNT_ID,
        EditorKind::Private => PRIVATE,
        EditorKind::Proxy => PROXY,
        EditorKind::ClusterRanges => CLUSTER_RANGES,
        EditorKind::PauseImage => PAUSE_IMAGE,
        EditorKind::AddRegistry => ADD_REGISTRY,
    }
}

fn find<A: Copy>(
    table: &[Binding<A>],
    step: Option<Step>,
    ctx: &Context,
    key: &KeyEvent,
) -> Option<A> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    table
        .iter()
        .filter(|b| b.on(step, ctx))
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The action of a key on a step, if any.
pub fn action(step: Step, key: &KeyEvent, ctx: &Context) -> Option<Action> {
    find(BINDINGS, Some(step), ctx, key)
}

/// The action of a key in an editor, if any (`None`: the key edits text).
pub fn editor_action(kind: EditorKind, key: &KeyEvent, ctx: &Context) -> Option<EditorAction> {
    find(editor_table(kind), None, ctx, key)
}

/// A shown binding: its keys, footer label and help text.
type Row = (
    &'static [KeyCode],
    Option<fn() -> &'static str>,
    Option<fn() -> &'static str>,
);

/// The footer's labels and the overlay's rows, for the mode's table.
fn shown(mode: Mode, ctx: &Context) -> Vec<Row> {
    fn rows<A>(table: &'static [Binding<A>], step: Option<Step>, ctx: &Context) -> Vec<Row> {
        table
            .iter()
            .filter(|b| b.on(step, ctx))
            .map(|b| (b.keys, b.label, b.help))
            .collect()
    }
    match mode {
        Mode::Step(step) => rows(BINDINGS, Some(step), ctx),
        Mode::Editor(kind) => rows(editor_table(kind), None, ctx),
    }
}

/// The footer: every labelled, enabled binding of the mode.
pub fn footer(mode: Mode, ctx: &Context) -> Vec<&'static str> {
    shown(mode, ctx)
        .into_iter()
        .filter_map(|(_, label, _)| label.map(|f| f()))
        .collect()
}

/// The help overlay: key names and what they do, for the mode.
pub fn help(mode: Mode, ctx: &Context) -> Vec<(String, &'static str)> {
    shown(mode, ctx)
        .into_iter()
        .filter_map(|(keys, _, help)| {
            Some((
                keys.iter().map(key_name).collect::<Vec<_>>().join(" "),
                help?(),
            ))
        })
        .collect()
}

/// Key names are the same in every language (they are printed on the keys).
fn key_name(k: &KeyCode) -> String {
    match k {
        Enter => "Enter".into(),
        Esc => "Esc".into(),
        Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        Up => "↑".into(),
        Down => "↓".into(),
        PageUp => "PgUp".into(),
        PageDown => "PgDn".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Left => "←".into(),
        KeyCode::F(n) => format!("F{n}"),
        Char(' ') => "Space".into(),
        Char(c) => c.to_string(),
        other => format!("{other:?}"),
    }
}

/// What a readline key does in an input box (input.rs carries it out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditKey {
    Start,
    End,
    Left,
    Right,
    WordLeft,
    WordRight,
    /// Delete from the start of the line to the cursor.
    KillBefore,
    /// Delete from the cursor to the end of the line.
    KillAfter,
    /// Delete the word before the cursor.
    KillWord,
    /// Delete the character before the cursor.
    DeleteBack,
    /// Delete the character at the cursor.
    DeleteAt,
}

/// Which modifier a readline key needs: none, Ctrl or Alt (Shift ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mod {
    None,
    Ctrl,
    Alt,
}

/// One readline key binding: its keys (the first ones name it in the
/// help overlay), its help text, what it does.
pub struct EditBinding {
    pub keys: &'static [(Mod, KeyCode)],
    pub help: fn() -> &'static str,
    pub action: EditKey,
}

const fn edit(
    keys: &'static [(Mod, KeyCode)],
    help: fn() -> &'static str,
    action: EditKey,
) -> EditBinding {
    EditBinding { keys, help, action }
}

use KeyCode::{Backspace, Delete, End, Home, Left, Right};

/// The readline keys of every input box: `Input::key` runs them, the help
/// overlay lists them, from this one table.
pub const READLINE: &[EditBinding] = &[
    edit(
        &[(Mod::Ctrl, Char('a')), (Mod::None, Home)],
        || crate::t!("readline.help.start"),
        EditKey::Start,
    ),
    edit(
        &[(Mod::Ctrl, Char('e')), (Mod::None, End)],
        || crate::t!("readline.help.end"),
        EditKey::End,
    ),
    edit(
        &[(Mod::None, Left), (Mod::Ctrl, Char('b'))],
        || crate::t!("readline.help.left"),
        EditKey::Left,
    ),
    edit(
        &[(Mod::None, Right), (Mod::Ctrl, Char('f'))],
        || crate::t!("readline.help.right"),
        EditKey::Right,
    ),
    edit(
        &[(Mod::Ctrl, Left), (Mod::Alt, Char('b')), (Mod::Alt, Left)],
        || crate::t!("readline.help.word_left"),
        EditKey::WordLeft,
    ),
    edit(
        &[(Mod::Ctrl, Right), (Mod::Alt, Char('f')), (Mod::Alt, Right)],
        || crate::t!("readline.help.word_right"),
        EditKey::WordRight,
    ),
    edit(
        &[(Mod::Ctrl, Char('u'))],
        || crate::t!("readline.help.kill_before"),
        EditKey::KillBefore,
    ),
    edit(
        &[(Mod::Ctrl, Char('k'))],
        || crate::t!("readline.help.kill_after"),
        EditKey::KillAfter,
    ),
    edit(
        &[
            (Mod::Ctrl, Char('w')),
            (Mod::Ctrl, Backspace),
            (Mod::Alt, Backspace),
        ],
        || crate::t!("readline.help.kill_word"),
        EditKey::KillWord,
    ),
    edit(
        &[(Mod::None, Backspace), (Mod::Ctrl, Char('h'))],
        || crate::t!("readline.help.delete_back"),
        EditKey::DeleteBack,
    ),
    edit(
        &[(Mod::None, Delete), (Mod::Ctrl, Char('d'))],
        || crate::t!("readline.help.delete_at"),
        EditKey::DeleteAt,
    ),
];

/// The readline action of a key in an input box, if it is one.
pub fn edit_key(key: &KeyEvent) -> Option<EditKey> {
    let m = if key.modifiers.contains(KeyModifiers::CONTROL) {
        Mod::Ctrl
    } else if key.modifiers.contains(KeyModifiers::ALT) {
        Mod::Alt
    } else {
        Mod::None
    };
    READLINE
        .iter()
        .find(|b| b.keys.contains(&(m, key.code)))
        .map(|b| b.action)
}

/// The help overlay's readline rows: the first two keys, what they do.
pub fn readline_help() -> Vec<(String, &'static str)> {
    READLINE
        .iter()
        .map(|b| {
            let names: Vec<String> = b
                .keys
                .iter()
                .take(2)
                .map(|(m, k)| {
                    let name = match k {
                        Char(c) => c.to_ascii_uppercase().to_string(),
                        other => key_name(other),
                    };
                    match m {
                        Mod::None => name,
                        Mod::Ctrl => format!("Ctrl-{name}"),
                        Mod::Alt => format!("Alt-{name}"),
                    }
                })
                .collect();
            (names.join(" "), (b.help)())
        })
        .collect()
}

/// Whether the mode's editor has an input box (the chooser has none).
pub fn has_input(mode: Mode) -> bool {
    matches!(mode, Mode::Editor(k) if k != EditorKind::Chooser)
}
