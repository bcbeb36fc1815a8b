//! The one key table: the footer and the `?` overlay both read it, and
//! `update` maps keys to actions through it, so what is shown is what works.

use super::app::Step;
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
    pub label: &'static str,
    pub help: &'static str,
    pub action: Action,
}

use KeyCode::{Char, Down, Enter, Esc, PageDown, PageUp, Tab, Up};
use Step::{Apply, Done, Extras, Node, Preset, Registries, Review};

pub const BINDINGS: &[Binding] = &[
    Binding {
        steps: &[Node, Preset, Registries, Extras, Review],
        keys: &[Enter],
        label: "Enter next",
        help: "accept this step and go on",
        action: Action::Next,
    },
    Binding {
        steps: &[Done],
        keys: &[Enter],
        label: "Enter quit",
        help: "leave the wizard",
        action: Action::Quit,
    },
    Binding {
        steps: &[Review, Apply],
        keys: &[Char('y')],
        label: "y apply",
        help: "confirm: write the files",
        action: Action::Yes,
    },
    Binding {
        steps: &[Apply],
        keys: &[Char('n'), Enter],
        label: "N cancel",
        help: "do not apply (the default)",
        action: Action::No,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review],
        keys: &[Up, Char('k')],
        label: "↑↓ move",
        help: "move the selection (also j/k)",
        action: Action::Up,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review],
        keys: &[Down, Char('j')],
        label: "",
        help: "",
        action: Action::Down,
    },
    Binding {
        steps: &[Registries, Extras],
        keys: &[Char(' '), KeyCode::Right],
        label: "Space change",
        help: "change the mirror of this registry",
        action: Action::Change,
    },
    Binding {
        steps: &[Registries],
        keys: &[Char('a')],
        label: "a add",
        help: "add a registry (host or host:port)",
        action: Action::AddRegistry,
    },
    Binding {
        steps: &[Review],
        keys: &[Tab],
        label: "Tab diff",
        help: "switch between the file list and its diff",
        action: Action::Focus,
    },
    Binding {
        steps: &[Review],
        keys: &[PageUp],
        label: "PgDn scroll",
        help: "scroll the diff",
        action: Action::PageUp,
    },
    Binding {
        steps: &[Review],
        keys: &[PageDown],
        label: "",
        help: "",
        action: Action::PageDown,
    },
    Binding {
        steps: &[Node],
        keys: &[Char('t')],
        label: "t troubleshoot",
        help: "run the doctor's checks on this node",
        action: Action::Troubleshoot,
    },
    Binding {
        steps: &[Node],
        keys: &[Char('f')],
        label: "f fix",
        help: "plan the fixes ctrwiz can make, then review them",
        action: Action::Fix,
    },
    Binding {
        steps: &[Done],
        keys: &[Char('v')],
        label: "v verify",
        help: "pull a small image now and show which host served it",
        action: Action::Verify,
    },
    Binding {
        steps: &[Done],
        keys: &[Char('s')],
        label: "s save profile",
        help: "save these choices for `ctrwiz apply --profile`",
        action: Action::Save,
    },
    Binding {
        steps: &[Preset, Registries, Extras, Review, Apply],
        keys: &[Esc],
        label: "Esc back",
        help: "go back without losing anything",
        action: Action::Back,
    },
    Binding {
        steps: &[],
        keys: &[Char('?')],
        label: "? help",
        help: "show or hide this help",
        action: Action::Help,
    },
    Binding {
        steps: &[],
        keys: &[Char('q')],
        label: "q quit",
        help: "quit (asks first if not applied); Ctrl-C at once",
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
        .filter(|b| (b.steps.is_empty() || b.steps.contains(&step)) && !b.label.is_empty())
        .map(|b| b.label)
        .collect()
}

/// The help overlay: key names and what they do, for the step.
pub fn help(step: Step) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| (b.steps.is_empty() || b.steps.contains(&step)) && !b.help.is_empty())
        .map(|b| {
            (
                b.keys.iter().map(key_name).collect::<Vec<_>>().join(" "),
                b.help,
            )
        })
        .collect()
}

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
