//! The real loop (`run_with`) on a TestBackend, with a scripted event
//! source and a fake host that records what the wizard asked of the world.

use super::app::{App, ApplyState, Msg, Overlay, Signal, Step};
use super::tests::demo_node;
use super::{run_with, Events, Exit, Host, Saved};
use crate::apply::Report;
use crate::catalog::Catalog;
use crate::extras::PrivateRegistry;
use crate::node::NodeState;
use crate::plan::Plan;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::cell::RefCell;
use std::sync::mpsc::Sender;

/// What the wizard asked the host to do, in order.
#[derive(Debug)]
enum Call {
    Detect,
    Probes,
    Apply(Box<Plan>),
    Verify,
    PodCheck,
    Save(String),
    LoadFiles(String),
    Suspend,
    Resume,
}

/// Answers at once, on the channel or as a return value, for the demo
/// node it holds.
struct FakeHost {
    /// The demo tree `node` was detected on, kept for the host's life.
    _tree: tempfile::TempDir,
    node: NodeState,
    apply: Result<Report, String>,
    calls: RefCell<Vec<Call>>,
    /// A profile is already saved where `s` writes.
    profile_there: bool,
}

impl FakeHost {
    fn demo() -> FakeHost {
        let (tree, node) = demo_node();
        FakeHost {
            _tree: tree,
            node,
            apply: Ok(Report::default()),
            calls: RefCell::new(vec![]),
            profile_there: false,
        }
    }

    fn record(&self, c: Call) {
        self.calls.borrow_mut().push(c);
    }

    /// How many of the calls so far are of one kind.
    fn count(&self, kind: fn(&Call) -> bool) -> usize {
        self.calls.borrow().iter().filter(|c| kind(c)).count()
    }
}

impl Host for FakeHost {
    fn detect(&self, tx: &Sender<Msg>) {
        self.record(Call::Detect);
        tx.send(Msg::Detected(Box::new(self.node.clone()))).unwrap();
    }

    fn probes(&self, _: &Sender<Msg>) -> bool {
        self.record(Call::Probes);
        false
    }

    fn apply(&self, plan: Plan, tx: &Sender<Msg>) {
        self.record(Call::Apply(Box::new(plan)));
        tx.send(Msg::ApplyStep("step".into())).unwrap();
        tx.send(Msg::ApplyDone(self.apply.clone())).unwrap();
    }

    fn verify(&self, _: NodeState, _: &Sender<Msg>) {
        self.record(Call::Verify);
    }

    fn pod_check(&self, _: NodeState, tx: &Sender<Msg>) {
        self.record(Call::PodCheck);
        // i18n: test data, containerd's error for a runc table without a type
        let e = "rpc error: code = Unknown desc = container.Runtime.Name must be set";
        tx.send(Msg::PodChecked(Err(e.into()))).unwrap();
    }

    fn save_profile(&self, text: &str, overwrite: bool) -> Result<Saved, String> {
        let path = "/tmp/profile.toml".to_string();
        if self.profile_there && !overwrite {
            return Ok(Saved::Exists(path));
        }
        self.record(Call::Save(text.to_string()));
        Ok(Saved::Wrote(path))
    }

    fn load_private_files(&self, r: PrivateRegistry) -> Result<Box<PrivateRegistry>, String> {
        self.record(Call::LoadFiles(r.host.to_string()));
        Ok(Box::new(r))
    }

    fn suspend(&self) {
        self.record(Call::Suspend);
    }

    fn resume(&self) {
        self.record(Call::Resume);
    }
}

fn press(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn script(codes: &[KeyCode]) -> Vec<Msg> {
    codes.iter().map(|c| press(*c)).collect()
}

/// Enter through the four steps before Review, then `then`.
fn to_review(then: &[KeyCode]) -> Vec<Msg> {
    let mut keys = script(&[KeyCode::Enter; 4]);
    keys.extend(script(then));
    keys
}

/// An app as on a live node after an apply: verify and the pod check are
/// offered.
fn live_app() -> App {
    let mut app = App::new(Catalog::builtin(), None, false);
    app.done.can_verify = true;
    app
}

/// Runs the loop to its end; the app, the last frame, how it ended.
fn drive(host: &FakeHost, msgs: Vec<Msg>) -> (App, String, Exit) {
    drive_app(App::new(Catalog::builtin(), None, false), host, msgs)
}

fn drive_app(mut app: App, host: &FakeHost, msgs: Vec<Msg>) -> (App, String, Exit) {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut events = Events::scripted(msgs);
    let exit = run_with(&mut terminal, &mut app, &mut events, host).unwrap();
    let buf = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            text.push_str(buf[(x, y)].symbol());
        }
        text.push('\n');
    }
    (app, text, exit)
}

use KeyCode::{Char, Enter, Esc};

#[test]
fn the_newcomer_path_reaches_done_through_the_loop_and_the_host_applies_once() {
    let host = FakeHost::demo();
    let (app, screen, exit) = drive(&host, to_review(&[Char('y'), Char('s'), Enter]));
    // Enter on Done quits.
    assert_eq!(exit, Exit::Quit);
    assert_eq!(app.step, Step::Done);
    assert!(screen.contains(crate::t!("wizard.done.title")), "{screen}");
    let calls = host.calls.borrow();
    assert!(matches!(calls[0], Call::Detect) && matches!(calls[1], Call::Probes));
    let applies: Vec<&Plan> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Apply(p) => Some(&**p),
            _ => None,
        })
        .collect();
    assert_eq!(applies.len(), 1, "{calls:?}");
    assert!(!applies[0].is_noop());
    let saved = calls.iter().find_map(|c| match c {
        Call::Save(text) => Some(text),
        _ => None,
    });
    assert!(
        saved.is_some_and(|t| t.contains("preset = \"daocloud\"")),
        "{calls:?}"
    );
    assert_eq!(app.done.saved, Some(Ok("/tmp/profile.toml".into())));
}

#[test]
fn quitting_with_unapplied_changes_asks_and_n_stays() {
    let host = FakeHost::demo();
    let (app, screen, exit) = drive(&host, to_review(&[Char('q')]));
    // Still running: it asks first.
    assert_eq!(exit, Exit::EventsEnded);
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    let first = crate::t!("wizard.frame.quit_confirm")
        .lines()
        .next()
        .unwrap();
    assert!(screen.contains(first), "{screen}");

    let host = FakeHost::demo();
    let (app, _, exit) = drive(&host, to_review(&[Char('q'), Char('n')]));
    assert_eq!(exit, Exit::EventsEnded);
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.step, Step::Review);

    let host = FakeHost::demo();
    let (_, _, exit) = drive(&host, to_review(&[Char('q'), Char('y')]));
    assert_eq!(exit, Exit::Quit);
    assert_eq!(host.count(|c| matches!(c, Call::Apply(_))), 0);
}

#[test]
fn a_failed_apply_reported_by_the_host_is_shown_and_esc_goes_back() {
    let mut host = FakeHost::demo();
    // i18n: test data, an error the host reports
    host.apply = Err("containerd did not come back\n  rolled back".into());
    let (app, screen, _) = drive(&host, to_review(&[Char('y')]));
    assert!(matches!(app.apply.state, ApplyState::Failed(_)));
    assert!(
        screen.contains(crate::t!("wizard.apply.failed")),
        "{screen}"
    );
    let rolled = "rolled back"; // i18n: the host's error above
    assert!(screen.contains(rolled), "{screen}");

    let mut host = FakeHost::demo();
    host.apply = Err("x".into());
    let ctrl_c = Msg::Key(KeyEvent::new(Char('c'), KeyModifiers::CONTROL));
    let mut msgs = to_review(&[Char('y'), Esc]);
    msgs.push(ctrl_c);
    let (app, _, exit) = drive(&host, msgs);
    assert_eq!(app.step, Step::Review);
    // Ctrl-C leaves.
    assert_eq!(exit, Exit::Quit);
}

#[test]
fn private_registry_files_are_read_by_the_host_then_added() {
    let host = FakeHost::demo();
    let mut keys = vec![Enter, Enter, Enter];
    let row = super::extras_step::shown(Some(&host.node), &Default::default())
        .iter()
        .position(|e| *e == super::extras_step::Extra::PrivateRegistry)
        .unwrap();
    keys.extend(std::iter::repeat_n(KeyCode::Down, row));
    keys.push(Char(' '));
    keys.extend("harbor.corp".chars().map(Char));
    keys.push(Enter);
    let (app, screen, _) = drive(&host, script(&keys));
    assert!(
        matches!(&host.calls.borrow()[..], [.., Call::LoadFiles(h)] if h == "harbor.corp"),
        "{:?}",
        host.calls.borrow()
    );
    assert_eq!(app.selection.extras.private[0].host.as_str(), "harbor.corp");
    assert!(screen.contains("[x] harbor.corp"), "{screen}");
}

#[test]
fn verify_goes_to_the_host_only_on_a_live_node() {
    let host = FakeHost::demo();
    let keys = [Char('y'), Char('v'), Char('v')];
    drive(&host, to_review(&keys));
    let verifies = |h: &FakeHost| h.count(|c| matches!(c, Call::Verify));
    // Not on --root / --demo.
    assert_eq!(verifies(&host), 0);

    let host = FakeHost::demo();
    let (app, _, _) = drive_app(live_app(), &host, to_review(&keys));
    // One at a time.
    assert_eq!(verifies(&host), 1);
    assert_eq!(app.done.verify, super::app::VerifyState::Running);
}

#[test]
fn p_on_done_starts_a_pod_check_through_the_host_on_a_live_node_only() {
    let keys = [Char('y'), Char('p'), Char('p')];
    let pod_checks = |h: &FakeHost| h.count(|c| matches!(c, Call::PodCheck));
    // Not on --root / --demo: the host is never asked, the key says why.
    let host = FakeHost::demo();
    let (app, screen, _) = drive(&host, to_review(&keys));
    assert_eq!(pod_checks(&host), 0);
    assert_eq!(app.done.pod, super::app::PodState::NotRun);
    assert!(screen.contains("doctor --pod"), "{screen}");

    // Live: one check per `p` while none runs; the host's answer (here at
    // once) is drawn whole, wrapped.
    let host = FakeHost::demo();
    let (app, screen, _) = drive_app(live_app(), &host, to_review(&keys));
    // The first check had answered before the second p.
    assert_eq!(pod_checks(&host), 2);
    assert!(matches!(app.done.pod, super::app::PodState::Done(Err(_))));
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let error = "container.Runtime.Name must be set"; // i18n: the host's error above
    assert!(flat.contains(error), "{screen}");
}

#[test]
fn a_terminating_signal_ends_the_loop_with_its_number() {
    let host = FakeHost::demo();
    let mut msgs = to_review(&[]);
    msgs.push(Msg::Signal(Signal::Terminate(15)));
    msgs.extend(script(&[Char('y')]));
    let (_, _, exit) = drive(&host, msgs);
    assert_eq!(exit, Exit::Signal(15));
    // Even with changes unapplied: nothing asks, nothing is applied.
    assert_eq!(host.count(|c| matches!(c, Call::Apply(_))), 0);
}

#[test]
fn ctrl_z_and_sigtstp_suspend_sigcont_resumes_and_the_step_is_redrawn() {
    let host = FakeHost::demo();
    let ctrl_z = Msg::Key(KeyEvent::new(Char('z'), KeyModifiers::CONTROL));
    let mut msgs = script(&[Enter, Enter, Char(' ')]);
    msgs.extend([
        ctrl_z,
        Msg::Signal(Signal::Stop),
        Msg::Signal(Signal::Continue),
    ]);
    let (app, screen, exit) = drive(&host, msgs);
    assert_eq!(exit, Exit::EventsEnded);
    let calls: Vec<String> = host
        .calls
        .borrow()
        .iter()
        .map(|c| format!("{c:?}"))
        .collect();
    assert_eq!(calls[2..], ["Suspend", "Suspend", "Resume"], "{calls:?}");
    // Ctrl-Z is not a key for the open chooser: it is still there, drawn.
    assert!(matches!(
        app.editor,
        Some(super::editor::Editor::Chooser { .. })
    ));
    let title = crate::t!("wizard.registries.chooser_title", registry = "docker.io");
    assert!(screen.contains(title.trim()), "{screen}");
}

/// `s` never overwrites a saved profile silently: the first press says
/// where it is and asks, the second writes; the path is shown.
#[test]
fn saving_over_an_existing_profile_asks_first_and_shows_the_path() {
    let mut host = FakeHost::demo();
    host.profile_there = true;
    let (app, screen, _) = drive(&host, to_review(&[Char('y'), Char('s')]));
    assert_eq!(app.step, Step::Done);
    assert!(app.overwrite_asked);
    assert!(
        screen.contains("/tmp/profile.toml exists"),
        "asks first:\n{screen}"
    );
    assert_eq!(host.count(|c| matches!(c, Call::Save(_))), 0);
    let keys = to_review(&[Char('y'), Char('s'), Char('s')]);
    let host = FakeHost {
        profile_there: true,
        ..FakeHost::demo()
    };
    let (app, screen, _) = drive(&host, keys);
    assert!(host.count(|c| matches!(c, Call::Save(_))) > 0);
    assert_eq!(app.done.saved, Some(Ok("/tmp/profile.toml".into())));
    assert!(screen.contains("/tmp/profile.toml"), "{screen}");
}
