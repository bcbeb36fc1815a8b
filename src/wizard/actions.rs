//! What keys and pastes do to the wizard's state: the half of `update`
//! that turns a key into an action and an action into changes and
//! effects. Pure like `app`: no I/O, effects are returned.

use super::app::*;
use super::editor::{self, ChooserOption, Editor, EditorCtx, EditorOutcome};
use super::extras_step::{self, Extra, ExtraCtx};
use super::keys::{self, Action, EditorAction};
use crate::registry::RegistryName;
use crate::selection::Choice;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Pasted text goes into the open input box, at its cursor; with no box
/// open (or an overlay over it) it does nothing: a paste is never a key.
pub(super) fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
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

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
        Action::Change if app.step == Step::Extras && app.extra_at(app.extras.cursor).is_none() => {
            // A private registry's row: its form, filled in, to edit.
            let i = app.extras.cursor - app.shown_extras().len();
            if let Some(r) = app.selection.extras.private.get(i) {
                app.editor = Some(Editor::Private(editor::PrivateForm::editing(r)));
            }
        }
        Action::Change if app.step == Step::Extras => {
            let Some(extra) = app.extra_at(app.extras.cursor) else {
                return vec![];
            };
            // A choice the plan would refuse, or that does nothing here:
            // the wizard says why instead of making it.
            if let Some(why) = extras_step::cannot_turn_on(extra, app.node.as_ref(), &app.selection)
            {
                app.notice = Some(why);
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
            let i = app.extras.cursor;
            let shown = app.shown_extras().len();
            let Some(extra) = app.extra_at(i) else {
                let x = &mut app.selection.extras;
                let r = x.private.remove(i - shown);
                app.extras.cursor = i
                    .min(shown + x.private.len())
                    .saturating_sub(usize::from(i >= shown + x.private.len()));
                app.notice = Some(crate::t!("guide.notice.removed", what = r.host));
                app.touched = true;
                return;
            };
            let x = &mut app.selection.extras;
            match extra {
                Extra::SystemdCgroup => x.systemd_cgroup = None,
                Extra::PauseImage => x.sandbox_image = None,
                Extra::Proxy => x.proxy = None,
                Extra::DockerMirror => x.docker_mirrors = None,
                Extra::DefaultMirror => {
                    app.selection
                        .mirrors
                        .remove(&RegistryName::default_namespace());
                }
                Extra::PrivateRegistry => {
                    app.notice = Some(crate::t!("guide.notice.pick_private").to_string());
                    return;
                }
                Extra::Heal => app.selection.heal = Some(crate::selection::HealSchedule::Off),
                Extra::CniBinDir => x.cni_bin_dir = None,
                Extra::Crictl => x.crictl = false,
                Extra::Nerdctl => x.nerdctl = false,
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
                extras_step::seed_extras(
                    app.node.as_ref(),
                    app.checks.as_deref().unwrap_or_default(),
                    &mut app.selection.extras,
                );
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
