//! The one key table: the footer and the `?` overlay both read it, and
//! `update` maps keys to actions through it, so what is shown is what works.

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
}

pub struct Binding {
    /// Steps where the binding works (empty: all).
    pub steps: &'static [Step],
    pub keys: &'static [KeyCode],
    /// The footer's text, in the current language (`None`: not shown).
    pub label: Option<fn() -> &'static str>,
    /// The help overlay's text (`None`: not shown).
    pub help: Option<fn() -> &'static str>,
    pub action: Action,
}

use KeyCode::{Char, Down, Enter, Esc, PageDown, PageUp, Tab, Up};
use Step::{Apply, Done, Extras, Node, Preset, Registries, Review};

pub const BINDINGS: &[Binding] = &[
    Binding {
        steps: &[Node, Preset, Registries, Extras, Review],
        keys: &[Enter],
        label: Some(|| crate::t!("wizard.footer.next")),
        help: Some(|| crate::t!("wizard.keyhelp.next")),
        action: Action::Next,
    },
    Binding {
        steps: &[Done],
        keys: &[Enter],
        label: Some(|| crate::t!("wizard.footer.quit_done")),
        help: Some(|| crate::t!("wizard.keyhelp.quit_done")),
        action: Action::Quit,
    },
    Binding {
        steps: &[Review, Apply],
        keys: &[Char('y')],
        label: Some(|| crate::t!("wizard.footer.yes")),
        help: Some(|| crate::t!("wizard.keyhelp.yes")),
        action: Action::Yes,
    },
    Binding {
        steps: &[Apply],
        keys: &[Char('n'), Enter],
        label: Some(|| crate::t!("wizard.footer.no")),
        help: Some(|| crate::t!("wizard.keyhelp.no")),
        action: Action::No,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review],
        keys: &[Up, Char('k')],
        label: Some(|| crate::t!("wizard.footer.move")),
        help: Some(|| crate::t!("wizard.keyhelp.move")),
        action: Action::Up,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review],
        keys: &[Down, Char('j')],
        label: None,
        help: None,
        action: Action::Down,
    },
    Binding {
        steps: &[Registries, Extras],
        keys: &[Char(' '), KeyCode::Right],
        label: Some(|| crate::t!("wizard.footer.change")),
        help: Some(|| crate::t!("wizard.keyhelp.change")),
        action: Action::Change,
    },
    Binding {
        steps: &[Registries],
        keys: &[Char('a')],
        label: Some(|| crate::t!("wizard.footer.add")),
        help: Some(|| crate::t!("wizard.keyhelp.add")),
        action: Action::AddRegistry,
    },
    Binding {
        steps: &[Review],
        keys: &[Tab],
        label: Some(|| crate::t!("wizard.footer.focus")),
        help: Some(|| crate::t!("wizard.keyhelp.focus")),
        action: Action::Focus,
    },
    Binding {
        steps: &[Review],
        keys: &[PageUp],
        label: Some(|| crate::t!("wizard.footer.scroll")),
        help: Some(|| crate::t!("wizard.keyhelp.scroll")),
        action: Action::PageUp,
    },
    Binding {
        steps: &[Review],
        keys: &[PageDown],
        label: None,
        help: None,
        action: Action::PageDown,
    },
    Binding {
        steps: &[Node],
        keys: &[Char('t')],
        label: Some(|| crate::t!("wizard.footer.troubleshoot")),
        help: Some(|| crate::t!("wizard.keyhelp.troubleshoot")),
        action: Action::Troubleshoot,
    },
    Binding {
        steps: &[Node],
        keys: &[Char('f')],
        label: Some(|| crate::t!("wizard.footer.fix")),
        help: Some(|| crate::t!("wizard.keyhelp.fix")),
        action: Action::Fix,
    },
    Binding {
        steps: &[Done],
        keys: &[Char('v')],
        label: Some(|| crate::t!("wizard.footer.verify")),
        help: Some(|| crate::t!("wizard.keyhelp.verify")),
        action: Action::Verify,
    },
    Binding {
        steps: &[Done],
        keys: &[Char('s')],
        label: Some(|| crate::t!("wizard.footer.save")),
        help: Some(|| crate::t!("wizard.keyhelp.save")),
        action: Action::Save,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review, Apply],
        keys: &[Esc],
        label: Some(|| crate::t!("wizard.footer.back")),
        help: Some(|| crate::t!("wizard.keyhelp.back")),
        action: Action::Back,
    },
    Binding {
        steps: &[],
        keys: &[Char('?')],
        label: Some(|| crate::t!("wizard.footer.help")),
        help: Some(|| crate::t!("wizard.keyhelp.help")),
        action: Action::Help,
    },
    Binding {
        steps: &[],
        keys: &[Char('q')],
        label: Some(|| crate::t!("wizard.footer.quit")),
        help: Some(|| crate::t!("wizard.keyhelp.quit")),
        action: Action::Quit,
    },
];

/// The action of a key on a step, if any.
pub fn action(step: Step, key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|b| b.steps.is_empty() || b.steps.contains(&step))
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The footer: every labelled binding of the step.
pub fn footer(step: Step) -> Vec<&'static str> {
    BINDINGS
        .iter()
        .filter(|b| b.steps.is_empty() || b.steps.contains(&step))
        .filter_map(|b| b.label.map(|f| f()))
        .collect()
}

/// The help overlay: key names and what they do, for the step.
pub fn help(step: Step) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.steps.is_empty() || b.steps.contains(&step))
        .filter_map(|b| {
            let help = b.help?;
            Some((
                b.keys.iter().map(key_name).collect::<Vec<_>>().join(" "),
                help(),
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
        Up => "↑".into(),
        Down => "↓".into(),
        PageUp => "PgUp".into(),
        PageDown => "PgDn".into(),
        KeyCode::Right => "→".into(),
        Char(' ') => "Space".into(),
        Char(c) => c.to_string(),
        other => format!("{other:?}"),
    }
}
