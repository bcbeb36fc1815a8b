//! The one key table: `update` looks actions up here, and both the footer
//! and the `?` help overlay are printed from it, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies: a step, or a popup that has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every screen (after the scope-specific bindings).
    Global,
    Node,
    Preset,
    Registries,
    Review,
    Apply,
    /// The Apply step when there is nothing to confirm (cannot apply,
    /// applying, failed).
    ApplyInfo,
    Done,
    /// The per-registry chooser popup.
    Chooser,
    /// A text field (custom URLs, add registry).
    Input,
    /// A yes/no question (quit without applying?).
    Confirm,
    /// The help overlay.
    Help,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Node => "1 Node",
            Scope::Preset => "2 Preset",
            Scope::Registries => "3 Registries",
            Scope::Review => "4 Review",
            Scope::Apply => "5 Apply",
            Scope::ApplyInfo => "5 Apply (nothing to confirm)",
            Scope::Done => "6 Done",
            Scope::Chooser => "Mirror chooser",
            Scope::Input => "Text field",
            Scope::Confirm => "Yes/no question",
            Scope::Help => "Help",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Back,
    Up,
    Down,
    /// Space: select the highlighted entry without moving on.
    Toggle,
    /// Open the chooser for the highlighted registry.
    Choose,
    AddRegistry,
    /// Tab: files ↔ diff on Review.
    Focus,
    PageUp,
    PageDown,
    Yes,
    No,
    Save,
    Help,
    Quit,
    /// Ctrl-C: leave at once.
    ForceQuit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Enter,
    Esc,
    Up,
    Down,
    Left,
    Right,
    Tab,
    BackTab,
    PageUp,
    PageDown,
    Space,
    Backspace,
    Char(char),
    Ctrl(char),
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            return match ev.code {
                KeyCode::Char(c) => Some(Key::Ctrl(c.to_ascii_lowercase())),
                _ => None,
            };
        }
        Some(match ev.code {
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Char(' ') => Key::Space,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Char(c) => Key::Char(c),
            _ => return None,
        })
    }
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    /// How the keys are written in the footer and help (ASCII names).
    pub hint: &'static str,
    pub label: &'static str,
    pub action: Action,
    /// Shown in the footer (every binding is in the help overlay).
    pub footer: bool,
}

const fn b(
    scope: Scope,
    keys: &'static [Key],
    hint: &'static str,
    label: &'static str,
    action: Action,
    footer: bool,
) -> Binding {
    Binding {
        scope,
        keys,
        hint,
        label,
        action,
        footer,
    }
}

use Key as K;
use Scope as S;

pub static KEYS: &[Binding] = &[
    // 1 Node
    b(S::Node, &[K::Enter, K::Right, K::Char('l')], "Enter", "next: choose a preset", Action::Next, true),
    b(S::Node, &[K::Esc], "Esc", "quit", Action::Quit, false),
    // 2 Preset
    b(S::Preset, &[K::Up, K::Char('k')], "↑↓/jk", "move", Action::Up, true),
    b(S::Preset, &[K::Down, K::Char('j')], "↓/j", "move down", Action::Down, false),
    b(S::Preset, &[K::Space], "Space", "select", Action::Toggle, true),
    b(S::Preset, &[K::Enter, K::Right, K::Char('l')], "Enter", "use it, next", Action::Next, true),
    b(S::Preset, &[K::Esc, K::Left, K::Char('h')], "Esc", "back", Action::Back, true),
    // 3 Registries
    b(S::Registries, &[K::Up, K::Char('k')], "↑↓/jk", "move", Action::Up, true),
    b(S::Registries, &[K::Down, K::Char('j')], "↓/j", "move down", Action::Down, false),
    b(S::Registries, &[K::Right, K::Space, K::Char('e'), K::Char('l')], "→/Space", "change mirror", Action::Choose, true),
    b(S::Registries, &[K::Char('a')], "a", "add registry", Action::AddRegistry, true),
    b(S::Registries, &[K::Enter, K::Tab], "Enter", "review", Action::Next, true),
    b(S::Registries, &[K::Esc, K::Left, K::Char('h')], "Esc", "back", Action::Back, true),
    // 4 Review
    b(S::Review, &[K::Up, K::Char('k')], "↑↓/jk", "file or scroll", Action::Up, true),
    b(S::Review, &[K::Down, K::Char('j')], "↓/j", "next file / scroll down", Action::Down, false),
    b(S::Review, &[K::Tab, K::BackTab], "Tab", "files/diff", Action::Focus, true),
    b(S::Review, &[K::PageUp], "PgUp", "scroll diff up", Action::PageUp, false),
    b(S::Review, &[K::PageDown], "PgDn", "scroll diff", Action::PageDown, true),
    b(S::Review, &[K::Enter], "Enter", "apply…", Action::Next, true),
    b(S::Review, &[K::Esc, K::Left, K::Char('h')], "Esc", "back", Action::Back, true),
    // 5 Apply
    b(S::Apply, &[K::Char('y'), K::Char('Y')], "y", "yes, apply", Action::Yes, true),
    b(S::Apply, &[K::Char('n'), K::Char('N'), K::Enter, K::Esc], "n/Enter/Esc", "no, back", Action::No, true),
    b(S::Apply, &[K::Up, K::Char('k')], "↑/k", "scroll up", Action::Up, false),
    b(S::Apply, &[K::Down, K::Char('j')], "↓/j", "scroll down", Action::Down, false),
    b(S::ApplyInfo, &[K::Esc, K::Enter, K::Left, K::Char('h')], "Esc", "back to review", Action::Back, true),
    b(S::ApplyInfo, &[K::Up, K::Char('k')], "↑↓", "scroll", Action::Up, false),
    b(S::ApplyInfo, &[K::Down, K::Char('j')], "↓/j", "scroll down", Action::Down, false),
    // 6 Done
    b(S::Done, &[K::Char('s')], "s", "save profile", Action::Save, true),
    b(S::Done, &[K::Enter, K::Esc], "Enter", "quit", Action::Quit, true),
    // Chooser popup
    b(S::Chooser, &[K::Up, K::Char('k')], "↑↓/jk", "move", Action::Up, true),
    b(S::Chooser, &[K::Down, K::Char('j')], "↓/j", "move down", Action::Down, false),
    b(S::Chooser, &[K::Enter, K::Space], "Enter", "pick", Action::Next, true),
    b(S::Chooser, &[K::Esc, K::Left], "Esc", "cancel", Action::Back, true),
    // Text field
    b(S::Input, &[K::Enter], "Enter", "accept (when valid)", Action::Next, true),
    b(S::Input, &[K::Esc], "Esc", "cancel", Action::Back, true),
    // Yes/no question
    b(S::Confirm, &[K::Char('y'), K::Char('Y')], "y", "yes", Action::Yes, true),
    b(S::Confirm, &[K::Char('n'), K::Char('N'), K::Enter, K::Esc], "n/Enter/Esc", "no", Action::No, true),
    // Help overlay
    b(S::Help, &[K::Esc, K::Enter, K::Char('?'), K::Char('q')], "Esc/?", "close help", Action::Back, true),
    // Everywhere
    b(S::Global, &[K::Char('?')], "?", "help", Action::Help, true),
    b(S::Global, &[K::Char('q')], "q", "quit", Action::Quit, true),
    b(S::Global, &[K::Ctrl('c')], "Ctrl-C", "quit now", Action::ForceQuit, false),
];

/// Scopes whose global bindings are hidden (the popup takes every key).
fn exclusive(scope: Scope) -> bool {
    matches!(scope, Scope::Input | Scope::Confirm | Scope::Help)
}

/// The action for a key in a scope: the scope's own bindings first, then
/// the global ones (Ctrl-C always works).
pub fn action_for(scope: Scope, key: Key) -> Option<Action> {
    let own = KEYS
        .iter()
        .find(|b| b.scope == scope && b.keys.contains(&key))
        .map(|b| b.action);
    own.or_else(|| {
        KEYS.iter()
            .filter(|b| b.scope == Scope::Global)
            .filter(|b| !exclusive(scope) || b.action == Action::ForceQuit)
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action)
    })
}

/// The bindings the footer lists for a scope, in table order.
pub fn footer(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    KEYS.iter().filter(move |b| {
        b.footer && (b.scope == scope || (b.scope == Scope::Global && !exclusive(scope)))
    })
}

/// Every binding of a scope, for the help overlay.
pub fn all(scope: Scope) -> impl Iterator<Item = &'static Binding> {
    KEYS.iter().filter(move |b| b.scope == scope)
}
