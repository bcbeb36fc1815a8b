//! The Extras step's heal timer: on by default when mirrors are chosen,
//! Space turns it off and on, the plan carries `heal --install`'s files,
//! and the saved profile says what was shown.

use super::super::app::{App, PlanState, Step};
use super::super::extras_step::Extra;
use super::{detected, key, keys};
use crate::heal::schedule::{self, Invocation};
use crate::selection::{HealSchedule, Selection};
use crossterm::event::KeyCode::{Char, Enter, Esc};
use std::path::Path;

fn invocation() -> Invocation {
    Invocation::new(
        Path::new("/usr/local/bin/ctrwiz"),
        Path::new("/etc/containerd/config.toml"),
        None,
        Path::new("/run/containerd/containerd.sock"),
        None,
    )
    .unwrap()
}

fn on_heal_row() -> (tempfile::TempDir, App) {
    let (d, mut a) = detected();
    a.heal_invocation = Some(invocation());
    keys(&mut a, &[Enter, Enter, Enter]);
    assert_eq!(a.step, Step::Extras);
    super::to_extra(&mut a, Extra::Heal);
    (d, a)
}

/// The plan's timer files (their paths), at Review.
fn timer_files(a: &mut App) -> Vec<String> {
    key(a, Enter);
    assert_eq!(a.step, Step::Review);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!("{:?}", a.review.plan)
    };
    let files = plan
        .effective()
        .filter(|c| c.purpose == crate::plan::Purpose::HealSchedule)
        .map(|c| c.path.display().to_string())
        .collect();
    key(a, Esc);
    files
}

#[test]
fn the_heal_timer_is_on_by_default_with_mirrors_and_space_toggles_it() {
    let (_d, mut a) = on_heal_row();
    assert_eq!(a.selection.heal, None, "not chosen yet: the default shows");
    let on = schedule::plan(a.node.as_ref().unwrap(), &invocation(), None, true).unwrap();
    let expected: Vec<String> = on
        .changes
        .iter()
        .map(|c| c.path.display().to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(timer_files(&mut a), expected, "heal --install's files");
    // The plan's file is byte for byte heal --install's.
    key(&mut a, Enter);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!()
    };
    let file = |p: &crate::plan::Plan| {
        p.changes
            .iter()
            .find(|c| c.path == on.changes[0].path)
            .and_then(|c| c.after.clone())
    };
    assert_eq!(file(plan), file(&on));
    key(&mut a, Esc);
    // Space: off, no timer files.
    key(&mut a, Char(' '));
    assert_eq!(a.selection.heal, Some(HealSchedule::Off));
    assert!(timer_files(&mut a).is_empty());
    // Space again: on.
    key(&mut a, Char(' '));
    assert_eq!(a.selection.heal, Some(HealSchedule::default_on()));
    assert_eq!(timer_files(&mut a), expected);
    // `d` turns it off, as on every extra.
    key(&mut a, Char('d'));
    assert_eq!(a.selection.heal, Some(HealSchedule::Off));
}

#[test]
fn without_mirrors_the_timer_is_off_and_the_profile_saves_what_was_shown() {
    let (_d, mut a) = on_heal_row();
    let text = a.profile_selection().to_profile();
    assert!(text.contains("heal_every = \"15m\"\n"), "{text}");
    let back = Selection::from_profile(Path::new("p"), &text).unwrap();
    assert_eq!(back.heal, Some(HealSchedule::default_on()));
    // Upstream for every registry: nothing to heal, no timer.
    a.selection.preset = Some("upstream".into());
    a.selection.mirrors.clear();
    assert_eq!(
        super::super::extras_step::heal_choice(&a.catalog, &a.selection),
        HealSchedule::Off
    );
    assert!(timer_files(&mut a).is_empty());
}
