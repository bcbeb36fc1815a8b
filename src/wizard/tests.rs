//! `update()` for every step and key, and TestBackend snapshots of every
//! step at 80×24 (with and without detection results).

use super::app::{update, App, ApplyState, Effect, Msg, Overlay, PlanState, PodState, Step};
use super::editor::{ChooserOption, Editor};
use super::extras_step::Extra;
use super::{keys, view, widgets};
use crate::apply::Report;
use crate::catalog::Catalog;
use crate::i18n::Lang;
use crate::node::{self, Locations, NodeState};
use crate::registry::RegistryName;
use crate::selection::Choice;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::PathBuf;

/// The demo node, detected for real once (tools are shell stand-ins).
pub(super) fn demo_node() -> (tempfile::TempDir, NodeState) {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::demo::create(dir.path()).unwrap();
    let state = node::detect(&Locations {
        root,
        ..Locations::default()
    });
    (dir, state)
}

fn app() -> App {
    App::new(Catalog::builtin(), None, false)
}

fn detected() -> (tempfile::TempDir, App) {
    let (dir, node) = demo_node();
    let mut a = app();
    a.root_prefix = Some(dir.path().to_path_buf());
    update(&mut a, Msg::Detected(Box::new(node)));
    (dir, a)
}

fn key(a: &mut App, code: KeyCode) -> Vec<Effect> {
    update(a, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(a: &mut App, codes: &[KeyCode]) -> Vec<Effect> {
    codes.iter().flat_map(|c| key(a, *c)).collect()
}

fn typed(a: &mut App, text: &str) {
    for c in text.chars() {
        key(a, KeyCode::Char(c));
    }
}

/// The screen as text, at the app's size.
fn screen(a: &App) -> String {
    buffer_text(&render(a))
}

use KeyCode::{Char, Down, Enter, Esc};

#[test]
fn a_newcomer_is_done_in_five_keys() {
    let (_d, mut a) = detected();
    let effects = keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    assert_eq!(a.step, Step::Apply);
    assert_eq!(a.apply.state, ApplyState::Running);
    let [Effect::Apply(plan)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(!plan.is_noop());
    assert_eq!(
        a.selection.preset.as_deref(),
        Some("daocloud"),
        "the recommended preset"
    );
}

#[test]
fn the_confirmation_is_no_by_default() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Enter]);
    assert_eq!(a.step, Step::Apply);
    assert!(key(&mut a, Enter).is_empty(), "Enter means No");
    assert_eq!(a.step, Step::Review);
    keys(&mut a, &[Enter]);
    assert!(key(&mut a, Char('n')).is_empty());
    assert_eq!(a.step, Step::Review);
    keys(&mut a, &[Enter]);
    assert!(key(&mut a, Esc).is_empty());
    assert_eq!(a.step, Step::Review);
}

#[test]
fn esc_goes_back_without_losing_anything() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Down, Enter]); // NJU
    assert_eq!(a.selection.preset.as_deref(), Some("nju"));
    // docker.io: custom URL.
    key(&mut a, Char(' '));
    let Some(Editor::Chooser { .. }) = &a.editor else {
        panic!()
    };
    let n = a.chooser_options(&a.registries[0].clone()).len();
    for _ in 0..n - 2 {
        key(&mut a, Down);
    }
    key(&mut a, Enter);
    typed(&mut a, "https://hub.corp.example");
    key(&mut a, Enter);
    assert_eq!(
        a.selection.mirrors.values().next(),
        Some(&Choice::Urls(vec!["https://hub.corp.example".into()]))
    );
    keys(&mut a, &[Enter, Esc, Esc]);
    assert_eq!(a.step, Step::Preset);
    assert_eq!(a.preset_cursor, 1, "the cursor stays on NJU");
    keys(&mut a, &[Enter]);
    assert_eq!(
        a.selection.mirrors.len(),
        1,
        "the custom mirror survived going back"
    );
}

#[test]
fn a_preset_that_needs_your_id_asks_for_it_instead_of_failing_at_review() {
    let (_d, mut a) = detected();
    key(&mut a, Enter);
    let at = a
        .catalog
        .presets
        .iter()
        .position(|p| p.id == "aliyun")
        .unwrap();
    for _ in 0..at {
        key(&mut a, Down);
    }
    key(&mut a, Enter);
    assert_eq!(a.step, Step::Registries);
    assert_eq!(a.registries[a.registry_cursor].as_str(), "docker.io");
    assert!(
        matches!(a.editor, Some(Editor::AccountId { .. })),
        "{:?}",
        a.editor
    );
    assert!(
        screen(&a).contains("https://<id>.mirror.aliyuncs.com"),
        "{}",
        screen(&a)
    );
    // Nothing typed: Enter explains and keeps asking.
    key(&mut a, Enter);
    let Some(Editor::AccountId { error: Some(e), .. }) = &a.editor else {
        panic!("{:?}", a.editor)
    };
    assert!(e.contains("type the ID"), "{e}");
    // A space cannot be in a host name.
    typed(&mut a, "a1 b2");
    key(&mut a, Enter);
    assert!(matches!(
        a.editor,
        Some(Editor::AccountId { error: Some(_), .. })
    ));
    for _ in 0..5 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "a1b2c3");
    key(&mut a, Enter);
    assert!(a.editor.is_none());
    assert_eq!(
        a.selection
            .mirrors
            .get(&RegistryName::parse("docker.io").unwrap()),
        Some(&Choice::Urls(vec![
            "https://a1b2c3.mirror.aliyuncs.com".into()
        ]))
    );
    keys(&mut a, &[Enter, Enter]);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!("the plan fails: {:?}", a.review.plan)
    };
    let docker = plan
        .changes
        .iter()
        .find(|c| c.path.ends_with("docker.io/hosts.toml"))
        .unwrap();
    assert!(docker
        .after_text()
        .unwrap()
        .contains("https://a1b2c3.mirror.aliyuncs.com"));
}

#[test]
fn invalid_custom_urls_show_why_and_cannot_be_accepted() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter]);
    key(&mut a, Char(' '));
    let n = a.chooser_options(&a.registries[0].clone()).len();
    for _ in 0..n - 2 {
        key(&mut a, Down);
    }
    key(&mut a, Enter);
    typed(&mut a, "ftp://x");
    let Some(Editor::Custom { error: Some(e), .. }) = &a.editor else {
        panic!("{:?}", a.editor)
    };
    assert!(e.contains("only http:// and https://"), "{e}");
    key(&mut a, Enter);
    assert!(
        matches!(a.editor, Some(Editor::Custom { .. })),
        "still editing"
    );
    assert!(a.selection.mirrors.is_empty());
    key(&mut a, Esc);
    assert!(a.editor.is_none());
}

#[test]
fn adding_a_registry_validates_host_and_port() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Char('a')]);
    typed(&mut a, "../etc");
    let Some(Editor::AddRegistry { error: Some(_), .. }) = &a.editor else {
        panic!("{:?}", a.editor)
    };
    key(&mut a, Enter);
    assert!(matches!(a.editor, Some(Editor::AddRegistry { .. })));
    for _ in 0..6 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "harbor.corp:8443");
    key(&mut a, Enter);
    assert!(
        matches!(a.editor, Some(Editor::Chooser { .. })),
        "then pick its mirror"
    );
    key(&mut a, Esc);
    assert_eq!(a.registries.last().unwrap().as_str(), "harbor.corp:8443");
    assert_eq!(
        a.choice_of(a.registries.last().unwrap()),
        Some(Choice::Preset("upstream".into()))
    );
}

#[test]
fn quitting_asks_first_when_changes_are_not_applied() {
    let (_d, mut a) = detected();
    assert_eq!(
        key(&mut a, Char('q')),
        vec![Effect::Quit],
        "nothing planned yet"
    );
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter]);
    assert!(key(&mut a, Char('q')).is_empty());
    assert_eq!(a.overlay, Overlay::ConfirmQuit);
    assert!(key(&mut a, Char('n')).is_empty());
    assert_ne!(a.overlay, Overlay::ConfirmQuit);
    key(&mut a, Char('q'));
    assert_eq!(key(&mut a, Char('y')), vec![Effect::Quit]);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Char('a')]);
    assert!(a.editor.is_some());
    assert_eq!(
        update(
            &mut a,
            Msg::Key(KeyEvent::new(Char('c'), KeyModifiers::CONTROL))
        ),
        vec![Effect::Quit]
    );
}

#[test]
fn quitting_while_the_apply_runs_asks_to_wait_and_a_second_ctrl_c_leaves() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    assert_eq!(a.apply.state, ApplyState::Running);
    let ctrl_c = || Msg::Key(KeyEvent::new(Char('c'), KeyModifiers::CONTROL));
    assert_eq!(key(&mut a, Char('q')), vec![]);
    assert!(screen(&a).contains("Still applying"), "{}", screen(&a));
    assert_eq!(update(&mut a, ctrl_c()), vec![Effect::Quit]);
    // A fresh apply asks again.
    update(&mut a, Msg::ApplyDone(Err("x".into())));
    key(&mut a, Esc);
    keys(&mut a, &[Enter, Char('y')]);
    assert_eq!(a.apply.state, ApplyState::Running);
    assert!(!screen(&a).contains("Still applying"));
    assert_eq!(update(&mut a, ctrl_c()), vec![]);
    assert!(screen(&a).contains("Still applying"));
    assert_eq!(update(&mut a, ctrl_c()), vec![Effect::Quit]);
}

#[test]
fn after_a_successful_apply_done_quits_with_enter_or_q() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    update(
        &mut a,
        Msg::ApplyStep("created /etc/containerd/certs.d/docker.io/hosts.toml".into()),
    );
    update(
        &mut a,
        Msg::ApplyDone(Ok(Report {
            message: "done".into(),
            ..Default::default()
        })),
    );
    assert_eq!(a.step, Step::Done);
    assert_eq!(
        key(&mut a, Char('q')),
        vec![Effect::Quit],
        "no longer 'running'"
    );
    assert_eq!(key(&mut a, Enter), vec![Effect::Quit]);
    let effects = key(&mut a, Char('s'));
    let [Effect::SaveProfile { text, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(text.contains("preset = \"daocloud\""), "{text}");
}

#[test]
fn a_failed_apply_is_shown_and_esc_returns_to_review() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    assert!(key(&mut a, Char('q')).is_empty(), "never quit mid-write");
    update(
        &mut a,
        Msg::ApplyDone(Err(
            "containerd did not come back healthy\n  rolled back".into()
        )),
    );
    assert!(matches!(a.apply.state, ApplyState::Failed(_)));
    key(&mut a, Esc);
    assert_eq!(a.step, Step::Review);
}

#[test]
fn without_root_apply_explains_and_does_nothing() {
    let (dir, node) = demo_node();
    let mut a = App::new(
        Catalog::builtin(),
        Some(
            "ctrwiz needs root to write /etc/containerd: run it with sudo, or use --root DIR."
                .into(),
        ),
        false,
    );
    a.root_prefix = Some(dir.path().to_path_buf());
    update(&mut a, Msg::Detected(Box::new(node)));
    keys(&mut a, &[Enter, Enter, Enter, Enter]);
    assert!(key(&mut a, Char('y')).is_empty());
    assert!(screen(&a).contains("Applying needs root."));
}

#[test]
fn too_small_terminals_get_a_notice_and_only_quit_works() {
    let (_d, mut a) = detected();
    update(&mut a, Msg::Resize(60, 20));
    assert!(key(&mut a, Enter).is_empty());
    assert_eq!(a.step, Step::Node);
    assert!(screen(&a).contains("Please enlarge the terminal to 80×24 (now 60×20)."));
    assert_eq!(key(&mut a, Char('q')), vec![Effect::Quit]);
}

#[test]
fn detection_fills_rows_as_they_arrive() {
    let mut a = app();
    assert!(screen(&a).contains("… checking"));
    let (_d, node) = demo_node();
    let containerd = node
        .tools
        .iter()
        .find(|t| t.name == crate::node::ToolName::Containerd)
        .unwrap()
        .clone();
    update(&mut a, Msg::Tool(containerd));
    let s = screen(&a);
    assert!(s.contains("containerd   1.7.20"), "{s}");
    assert!(s.contains("ctr          … checking"), "{s}");
    assert!(s.contains("Reading config.toml"), "{s}");
}

#[test]
fn the_footer_and_help_come_from_one_key_table() {
    let (_d, mut a) = detected();
    for step in Step::ALL {
        a.step = step;
        let footer = keys::footer(keys::Mode::Step(step), &a.key_context()).join("  ");
        assert!(screen(&a).contains(&footer), "{step:?}");
    }
    a.step = Step::Registries;
    key(&mut a, Char('?'));
    assert_eq!(a.overlay, Overlay::Help);
    let s = screen(&a);
    for (k, h) in keys::help(keys::Mode::Step(Step::Registries), &a.key_context()) {
        assert!(s.contains(&k) && s.contains(h), "{k} {h}\n{s}");
    }
    key(&mut a, Char('x'));
    assert_eq!(a.overlay, Overlay::None, "any key closes help");
}

#[test]
fn an_open_editor_shows_its_own_keys_in_the_footer_and_help() {
    use keys::{EditorKind, Mode};
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Char(' ')]);
    assert_eq!(a.key_mode(), Mode::Editor(EditorKind::Chooser));
    let footer = keys::footer(a.key_mode(), &a.key_context()).join("  ");
    let s = screen(&a);
    assert!(s.contains(&footer), "{s}");
    assert!(!s.contains(crate::t!("wizard.footer.add")), "{s}");
    // `?` in the chooser: its keys, and the chooser is still open after.
    key(&mut a, Char('?'));
    assert_eq!(a.overlay, Overlay::Help);
    let s = screen(&a);
    for (k, h) in keys::help(a.key_mode(), &a.key_context()) {
        assert!(s.contains(&k) && s.contains(h), "{k} {h}\n{s}");
    }
    key(&mut a, Char('x'));
    assert!(matches!(a.editor, Some(Editor::Chooser { .. })));
    // In a text box `?` is text; F1 is the help there.
    key(&mut a, Esc);
    key(&mut a, Char('a'));
    key(&mut a, Char('?'));
    assert!(matches!(&a.editor, Some(Editor::AddRegistry { input, .. }) if input == "?"));
    key(&mut a, KeyCode::F(1));
    assert_eq!(a.overlay, Overlay::Help);
    key(&mut a, Esc);
    assert!(matches!(&a.editor, Some(Editor::AddRegistry { input, .. }) if input == "?"));
    // The private form offers Space only on the transport field.
    key(&mut a, Esc);
    key(&mut a, Enter);
    to_extra(&mut a, Extra::PrivateRegistry);
    key(&mut a, Char(' '));
    assert_eq!(a.key_mode(), Mode::Editor(EditorKind::Private));
    let transport = crate::t!("wizard.footer.transport");
    assert!(!screen(&a).contains(transport));
    for _ in 0..5 {
        key(&mut a, KeyCode::Tab);
    }
    assert!(screen(&a).contains(transport), "{}", screen(&a));
}

#[test]
fn verify_is_neither_offered_nor_run_where_it_cannot_work() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    update(&mut a, Msg::ApplyDone(Ok(Report::default())));
    let verify = crate::t!("wizard.footer.verify");
    assert!(!screen(&a).contains(verify));
    assert_eq!(
        keys::action(Step::Done, &KeyEvent::from(Char('v')), &a.key_context()),
        None
    );
    a.done.can_verify = true;
    assert!(screen(&a).contains(verify));
}

#[test]
fn troubleshoot_shows_every_doctor_check() {
    let (_d, mut a) = detected();
    key(&mut a, Char('t'));
    let s = screen(&a);
    assert!(
        s.contains("[FAIL]") && s.contains("server = \"https://docker.io\""),
        "{s}"
    );
}

fn probe(
    registry: &str,
    url: &str,
    source: &str,
    status: crate::probe::ProbeStatus,
    ms: u64,
) -> Msg {
    let r = crate::probe::ProbeResult::measured(registry, url, source, status, Some(ms));
    Msg::Probe(r)
}

#[test]
fn probes_show_latencies_and_move_defaults_to_the_fastest_working_mirror() {
    use crate::probe::ProbeStatus::{Denied, Ok as Fine, Unreachable};
    let (_d, mut a) = detected();
    a.probes.running = true;
    keys(&mut a, &[Enter]);
    update(
        &mut a,
        probe(
            "docker.io",
            "https://docker.m.daocloud.io",
            "daocloud",
            Denied,
            80,
        ),
    );
    update(
        &mut a,
        probe(
            "docker.io",
            "https://docker.1panel.live",
            "1panel",
            Fine,
            120,
        ),
    );
    update(
        &mut a,
        probe(
            "quay.io",
            "https://quay.m.daocloud.io",
            "daocloud",
            Fine,
            50,
        ),
    );
    update(
        &mut a,
        probe("quay.io", "https://quay.nju.edu.cn", "nju", Fine, 20),
    );
    assert!(screen(&a).contains("1/2 answer"), "{}", screen(&a));
    update(&mut a, Msg::ProbesDone);
    // docker.io: DaoCloud denied → the fastest working one; quay.io: the
    // recommended preset works, so it stays even if another is faster.
    let docker = RegistryName::parse("docker.io").unwrap();
    let quay = RegistryName::parse("quay.io").unwrap();
    assert_eq!(a.choice_of(&docker), Some(Choice::Preset("1panel".into())));
    assert_eq!(a.choice_of(&quay), Some(Choice::Preset("daocloud".into())));
    keys(&mut a, &[Enter]);
    let s = screen(&a);
    assert!(s.contains("https://docker.1panel.live (120 ms)"), "{s}");
    assert!(s.contains("https://quay.m.daocloud.io (50 ms)"), "{s}");

    // A user's own choice is never overridden; no network changes nothing.
    let (_d, mut b) = detected();
    keys(&mut b, &[Enter, Down, Enter]);
    update(
        &mut b,
        probe(
            "docker.io",
            "https://docker.1panel.live",
            "1panel",
            Fine,
            10,
        ),
    );
    update(&mut b, Msg::ProbesDone);
    assert!(b.selection.mirrors.is_empty());
    let (_d, mut c) = detected();
    update(
        &mut c,
        probe(
            "docker.io",
            "https://docker.m.daocloud.io",
            "daocloud",
            Unreachable,
            3000,
        ),
    );
    update(&mut c, Msg::ProbesDone);
    assert!(c.selection.mirrors.is_empty(), "the catalog order stands");
}

#[test]
fn troubleshoot_fixes_go_through_review() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Char('t'), Char('f')]);
    assert_eq!(a.step, Step::Review);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!("{:?}", a.review.plan)
    };
    let docker = plan
        .changes
        .iter()
        .find(|c| c.path.ends_with("docker.io/hosts.toml"))
        .unwrap();
    let after = docker.after_text().unwrap();
    assert!(
        after.contains("server = \"https://registry-1.docker.io\""),
        "the seed's server fixed: {after}"
    );
    assert!(
        after.contains("[host.\"https://docker.unsee.tech\"]"),
        "scheme added: {after}"
    );
    // The node-setup repairs come along too, not only the mirrors: CNI
    // where the plugins are, and a runc table containerd can start pods with.
    let config = plan
        .changes
        .iter()
        .find(|c| c.path.ends_with("config.toml"))
        .and_then(|c| c.after_text())
        .unwrap();
    assert!(config.contains("bin_dir = \"/usr/lib/cni\""), "{config}");
    assert!(
        config.contains("runtime_type = \"io.containerd.runc.v2\""),
        "{config}"
    );
    // crictl.yaml (the demo has crictl and no file) comes along too.
    assert!(plan
        .changes
        .iter()
        .any(|c| c.path == std::path::Path::new(crate::paths::CRICTL_YAML)));

    // And the proxy's: a drop-in that would carry the node's own Harbor
    // gets it in NO_PROXY.
    let (_d, mut node) = demo_node();
    node.proxy_drop_in = Some(
        "[Service]\nEnvironment=\"HTTP_PROXY=http://p:3128\" \"HTTPS_PROXY=http://p:3128\"\n"
            .into(),
    );
    node.hosts_dir.files.insert(
        "harbor.corp".into(),
        Some("[host.\"https://harbor.corp\"]\n  capabilities = [\"pull\", \"resolve\"]\n".into()),
    );
    let mut b = app();
    update(&mut b, Msg::Detected(Box::new(node)));
    keys(&mut b, &[Char('t'), Char('f')]);
    let PlanState::Ready(plan) = &b.review.plan else {
        panic!("{:?}", b.review.plan)
    };
    let drop_in = plan
        .changes
        .iter()
        .find(|c| c.path == std::path::Path::new(crate::paths::PROXY_DROP_IN))
        .and_then(|c| c.after_text())
        .unwrap_or_else(|| panic!("{:?}", plan.changes));
    assert!(drop_in.contains("NO_PROXY=harbor.corp\""), "{drop_in}");
}

// Snapshots of every step at 80×24 (NO_COLOR look: markers, not colour),
// and the same states as SVG for screenshots/ (scripts/screenshots).

fn render(a: &App) -> ratatui::buffer::Buffer {
    let (mut buf, cursor) = render_cursor(a);
    // The terminal's cursor, drawn as a block in the SVG screenshots.
    if let Some(at) = cursor {
        buf[at].modifier.insert(ratatui::style::Modifier::REVERSED);
    }
    buf
}

/// The frame, and where it puts the terminal cursor (`None`: hidden).
fn render_cursor(a: &App) -> (ratatui::buffer::Buffer, Option<(u16, u16)>) {
    use ratatui::backend::Backend;
    let mut t = Terminal::new(TestBackend::new(a.size.0, a.size.1)).unwrap();
    // A frame that hides the cursor leaves it at this impossible place.
    t.backend_mut()
        .set_cursor_position((u16::MAX, u16::MAX))
        .unwrap();
    t.draw(|f| view::draw(f, a)).unwrap();
    let p = t.backend_mut().get_cursor_position().unwrap();
    let shown = (p.x < a.size.0 && p.y < a.size.1).then_some((p.x, p.y));
    (t.backend().buffer().clone(), shown)
}

mod extras_tests;
mod heal_tests;
mod input_tests;
use extras_tests::to_extra;

/// The buffer as lines of text. A wide (CJK) character fills its cell and
/// hides the next one, which holds a placeholder: skipped, so that a line
/// is as wide on screen as the terminal.
fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            x += (widgets::width(sym) as u16).max(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Every step, in the states a user meets, as rendered buffers, in `lang`
/// (the whole journey runs in it: the node's findings too).
fn fixture_screens(lang: Lang, color: bool) -> Vec<(&'static str, ratatui::buffer::Buffer)> {
    fixture_screens_at(lang, color, super::app::MIN_SIZE)
}

/// The same journey on a terminal of `size`.
fn fixture_screens_at(
    lang: Lang,
    color: bool,
    size: (u16, u16),
) -> Vec<(&'static str, ratatui::buffer::Buffer)> {
    let _lang = crate::i18n::scoped(lang);
    let mut shots = Vec::new();
    let mut fresh = app();
    fresh.color = color;
    fresh.size = size;
    shots.push(("1_node_detecting", render(&fresh)));

    let (_d, mut a) = detected();
    a.color = color;
    a.size = size;
    let mut shot = |name: &'static str, a: &App| shots.push((name, render(a)));
    shot("1_node_detected", &a);
    key(&mut a, Char('t'));
    shot("1_node_troubleshoot", &a);
    key(&mut a, Char('t'));
    key(&mut a, Enter);
    shot("2_preset", &a);
    key(&mut a, Enter);
    shot("3_registries", &a);
    key(&mut a, Char(' '));
    shot("3_registries_chooser", &a);
    key(&mut a, Esc);
    key(&mut a, Char('a'));
    typed(&mut a, "bad..name");
    shot("3_registries_add_invalid", &a);
    key(&mut a, KeyCode::F(1));
    shot("help_overlay_input", &a);
    key(&mut a, Esc);
    key(&mut a, Esc);
    // docker.io's chooser → the Aliyun preset asks for the user's ID.
    key(&mut a, Char(' '));
    let aliyun = ChooserOption::Preset("aliyun".into());
    let at = a
        .chooser_options(&a.registries[0].clone())
        .iter()
        .position(|o| *o == aliyun);
    for _ in 0..at.expect("aliyun is offered for docker.io") {
        key(&mut a, Down);
    }
    key(&mut a, Enter);
    typed(&mut a, "a1b2 c3");
    shot("3_registries_account_id", &a);
    key(&mut a, Esc);
    key(&mut a, Enter);
    shot("4_extras", &a);
    key(&mut a, Enter);
    shot("5_review", &a);
    key(&mut a, Enter);
    shot("6_apply_confirm", &a);
    key(&mut a, Char('y'));
    let steps = [
        crate::t!(
            "apply.step.backed_up",
            files = 3,
            dir = "/var/lib/ctrwiz/backups/20261122T120000Z"
        ),
        crate::t!("apply.step.updated", path = "/etc/containerd/config.toml"),
        crate::t!(
            "apply.step.restarting",
            command = "systemctl restart containerd"
        ),
    ];
    for step in steps {
        update(&mut a, Msg::ApplyStep(step));
    }
    shot("6_apply_running", &a);
    update(
        &mut a,
        Msg::ApplyDone(Ok(Report {
            backup_dir: Some(PathBuf::from("/var/lib/ctrwiz/backups/20261122T120000Z")),
            written: vec![
                PathBuf::from("/etc/containerd/certs.d/docker.io/hosts.toml"),
                PathBuf::from("/etc/containerd/config.toml"),
            ],
            restarted: true,
            // The texts apply::run writes, in the screen's language.
            message: crate::t!(
                "apply.restarted_healthy",
                reasons = crate::t!(
                    "plan.config.config_path_set",
                    dir = "/etc/containerd/certs.d"
                )
            ),
        })),
    );
    shot("7_done", &a);
    update(
        &mut a,
        Msg::ProfileSaved(Ok("/root/.config/ctrwiz/profile.toml".into())),
    );
    shot("7_done_saved", &a);
    key(&mut a, Char('?'));
    shot("help_overlay", &a);
    key(&mut a, Esc);
    // On the live node: `p` ran a pod sandbox and containerd refused it.
    a.done.can_verify = true;
    update(&mut a, Msg::PodChecked(Err(pod_error())));
    shot("7_done_pod_failed", &a);

    let (_d, mut failed) = detected();
    failed.color = color;
    keys(&mut failed, &[Enter, Enter, Enter, Enter, Char('y')]);
    let why = crate::t!(
        "apply.health.cri_failed",
        plugins = "io.containerd.grpc.v1.cri",
        detail = ""
    );
    let error = crate::t!(
        "apply.rolled_back",
        why = why,
        dir = "/var/lib/ctrwiz/backups/20261122T120000Z",
        restored = crate::t!("apply.backup.all_restored", files = 2),
        after = crate::t!("apply.rollback_healthy")
    );
    update(&mut failed, Msg::ApplyDone(Err(error)));
    shot("6_apply_failed", &failed);

    let (_d, mut small) = detected();
    small.color = color;
    update(&mut small, Msg::Resize(70, 20));
    shot("too_small", &small);
    shots
}

/// What a failed pod check reports when the runc table has no type.
fn pod_error() -> String {
    crate::t!(
        "pods.health.did_not_start",
        image = "registry.k8s.io/pause:3.8",
        error = "rpc error: code = Unknown desc = failed to get sandbox runtime \"\": \
                 container.Runtime.Name must be set: invalid argument"
    )
}

/// A snapshot's name: English as it always was, other languages prefixed.
fn shot_name(lang: Lang, name: &str) -> String {
    match lang {
        Lang::En => name.to_string(),
        other => format!("{}_{name}", other.code()),
    }
}

/// The fixtures' node lives in a temporary directory: `--root DIR` in a
/// command shown is masked so snapshots stay stable.
fn mask_root(text: &str) -> String {
    text.split('\n')
        .map(|line| match line.find("--root /") {
            Some(i) => {
                let rest = &line[i + 7..];
                let end = rest.find(' ').unwrap_or(rest.len());
                format!("{}--root ROOT{}", &line[..i], &rest[end..])
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn snapshots_of_every_step() {
    for lang in Lang::ALL {
        for (name, buf) in fixture_screens(lang, false) {
            insta::assert_snapshot!(shot_name(lang, name), mask_root(&buffer_text(&buf)));
        }
    }
}

#[test]
fn chinese_screens_are_chinese_and_fit_the_terminal() {
    let is_cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    for (name, buf) in fixture_screens(Lang::Zh, false) {
        let text = buffer_text(&buf);
        assert!(
            text.chars().any(is_cjk),
            "{name} is not in Chinese:\n{text}"
        );
        for line in text.lines() {
            assert!(
                widgets::width(line) <= buf.area.width as usize,
                "{name}: a line wider than {}: {line:?}",
                buf.area.width
            );
        }
    }
    // The language is the thread's: English stays the default.
    let en = fixture_screens(Lang::En, false);
    assert!(!buffer_text(&en[0].1).chars().any(is_cjk));
}

#[test]
fn worker_threads_take_the_spawning_threads_language() {
    let _zh = crate::i18n::scoped(Lang::Zh);
    let (tx, rx) = std::sync::mpsc::channel();
    crate::i18n::spawn(move || {
        let _ = tx.send(crate::i18n::lang());
    });
    assert_eq!(rx.recv().unwrap(), Lang::Zh);
}

#[test]
fn wide_characters_take_two_cells_in_text_and_svg() {
    let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 6, 1));
    buf.set_string(0, 0, "镜像ab", ratatui::style::Style::new());
    assert_eq!(buffer_text(&buf), "镜像ab\n");
    let svg = super::svg::render(&buf);
    // 镜 at column 0, 像 at column 2, a at column 4: x = 8 + 9 × column.
    for (c, x) in [("镜", 8), ("像", 26), ("a", 44), ("b", 53)] {
        let line = svg
            .lines()
            .find(|l| l.ends_with(&format!(">{c}</text>")))
            .unwrap_or_else(|| panic!("no {c}:\n{svg}"));
        assert!(line.starts_with(&format!("<text x=\"{x}\" ")), "{line}");
    }
    assert_eq!(svg.matches("</text>").count(), 4, "{svg}");
}

/// Writes `<dir>/<step>.svg` (and `<dir>/zh_<step>.svg` in Chinese) for
/// every fixture screen when `CTRWIZ_SCREENSHOTS=<dir>` is set
/// (scripts/screenshots converts them).
#[test]
fn write_screenshot_svgs() {
    let Some(dir) = std::env::var_os("CTRWIZ_SCREENSHOTS") else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for lang in Lang::ALL {
        for (name, buf) in fixture_screens(lang, true) {
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{}.svg", shot_name(lang, name))),
                super::svg::render(&buf),
            )
            .unwrap();
        }
    }
}

#[test]
fn p_proves_a_pod_starts_on_the_live_node_after_an_apply_only() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    update(&mut a, Msg::ApplyDone(Ok(Report::default())));
    // --root (the fixture's): neither offered nor run, and p says why.
    assert!(!screen(&a).contains(crate::t!("done.footer.pod")));
    assert!(key(&mut a, Char('p')).is_empty());
    assert_eq!(a.notice.as_deref(), Some(crate::t!("done.pod.no_root")));
    assert_eq!(a.done.pod, PodState::NotRun);
    // The demo says so in its words.
    a.demo = true;
    a.done.can_verify = true;
    assert!(key(&mut a, Char('p')).is_empty());
    assert_eq!(a.notice.as_deref(), Some(crate::t!("done.pod.no_demo")));
    // The live node: offered, runs once at a time, shows it is running.
    a.demo = false;
    let s = screen(&a);
    assert!(s.contains(crate::t!("done.footer.pod")), "{s}");
    assert_eq!(key(&mut a, Char('p')), vec![Effect::PodCheck]);
    assert_eq!(a.done.pod, PodState::Running);
    assert!(key(&mut a, Char('p')).is_empty(), "one at a time");
    assert!(screen(&a).contains("starting a test pod sandbox…"));
    // Quitting now asks once (the sandbox would stay until the next check).
    assert!(key(&mut a, Enter).is_empty());
    assert_eq!(
        a.notice.as_deref(),
        Some(crate::t!("done.pod.quit_running"))
    );
    assert_eq!(key(&mut a, Char('q')), vec![Effect::Quit]);
    // The result: ok.
    let line = crate::t!("pods.health.started", image = "registry.k8s.io/pause:3.8");
    update(&mut a, Msg::PodChecked(Ok(line.clone())));
    assert!(screen(&a).contains(&format!("✓ {line}")), "{}", screen(&a));
    // p again runs it again (after a fix, say).
    assert_eq!(key(&mut a, Char('p')), vec![Effect::PodCheck]);
    // The failure: containerd's error, whole, however long.
    update(&mut a, Msg::PodChecked(Err(pod_error())));
    let flat = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown = flat(all_of_done(&mut a));
    let want = flat(format!(
        "✗ {}",
        crate::t!("done.pod.failed", error = pod_error())
    ));
    assert!(shown.contains(&want), "{shown}");
    // And it stays on the terminal after quitting.
    let summary = super::screens::done::summary(&a).unwrap();
    assert!(
        summary.contains("container.Runtime.Name must be set"),
        "{summary}"
    );
}

#[test]
fn p_is_not_offered_before_an_apply() {
    let (_d, mut a) = detected();
    a.done.can_verify = true;
    a.step = Step::Done;
    assert!(!a.can_pod());
    assert!(key(&mut a, Char('p')).is_empty());
    assert_eq!(a.notice.as_deref(), Some(crate::t!("done.pod.not_applied")));
}

/// The Done screen scrolled through: every row it has, in order.
fn all_of_done(a: &mut App) -> String {
    let mut out = String::new();
    a.scroll = (Step::Done, 0);
    loop {
        let s = screen(a);
        // The text rows only: the frame's head (2 rows) and foot cut.
        let rows: Vec<&str> = s.lines().collect();
        out.push_str(&rows[2..rows.len().saturating_sub(3)].join("\n"));
        out.push('\n');
        let (_, at) = a.scroll;
        if at >= a.scroll_max.get() {
            return out;
        }
        a.scroll = (Step::Done, at + 1);
    }
}

#[test]
fn the_input_help_lists_the_readline_keys_in_both_languages() {
    for lang in Lang::ALL {
        let _l = crate::i18n::scoped(lang);
        let (_d, mut a) = detected();
        keys(&mut a, &[Enter, Enter, Char('a')]);
        key(&mut a, KeyCode::F(1));
        let s = screen(&a);
        for k in [
            "Ctrl-A Home",
            "Ctrl-E End",
            "← Ctrl-B",
            "→ Ctrl-F",
            "Ctrl-← Alt-B",
        ] {
            assert!(s.contains(k), "{lang:?} {k}: {s}");
        }
        for k in ["Ctrl-U", "Ctrl-K", "Ctrl-W", "Delete", "Ctrl-→"] {
            assert!(s.contains(k), "{lang:?} {k}: {s}");
        }
        for b in super::keys::READLINE {
            assert!(s.contains((b.help)()), "{lang:?}: {s}");
        }
    }
}

#[test]
fn every_readline_key_in_the_table_is_the_one_the_input_runs() {
    use super::keys::{edit_key, Mod, READLINE};
    for b in READLINE {
        for (m, code) in b.keys {
            let mods = match m {
                Mod::None => KeyModifiers::NONE,
                Mod::Ctrl => KeyModifiers::CONTROL,
                Mod::Alt => KeyModifiers::ALT,
            };
            assert_eq!(edit_key(&KeyEvent::new(*code, mods)), Some(b.action));
        }
    }
    // Ctrl-U in a box deletes, it does not insert a `u`.
    let mut i = super::input::Input::new("https://a.b");
    i.key(&KeyEvent::new(Char('u'), KeyModifiers::CONTROL));
    assert_eq!(i.as_str(), "");
}

#[test]
fn done_offers_verify_on_the_live_node_only() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    update(&mut a, Msg::ApplyDone(Ok(Report::default())));
    assert!(key(&mut a, Char('v')).is_empty(), "not on --root / --demo");
    assert!(screen(&a).contains("ctrwiz verify"));
    a.done.can_verify = true;
    assert_eq!(key(&mut a, Char('v')), vec![Effect::Verify]);
    assert!(key(&mut a, Char('v')).is_empty(), "one at a time");
    assert!(screen(&a).contains("verifying"));
    let report = crate::verify::PullReport {
        image: "docker.io/library/busybox:latest".into(),
        registry: "docker.io".into(),
        pulled: true,
        resolved_by: Some("docker.m.daocloud.io".into()),
        fetched_from: vec![],
        mirrors: vec!["docker.m.daocloud.io".into()],
        served_by_mirror: true,
        refused_by: vec![],
        cri: None,
        message: "docker.io/library/busybox:latest was served by the mirror docker.m.daocloud.io"
            .into(),
    };
    update(&mut a, Msg::Verified(Box::new(report)));
    let s = screen(&a);
    assert!(
        s.contains("✓ docker.io/library/busybox:latest was served by the mirror"),
        "{s}"
    );
}

/// Every catalog text, in both languages, wrapped at widths from 12 to 80:
/// no row is wider than the width, and nothing but the spaces at the
/// breaks is lost (ratatui's wrapper overflowed by one cell on CJK).
#[test]
fn wrapping_by_display_width_never_overflows_or_loses_text() {
    use ratatui::text::Line;
    use unicode_width::UnicodeWidthStr;
    let mut texts: Vec<String> = Vec::new();
    for (area, en, zh) in crate::i18n::FILES {
        for text in [en, zh] {
            texts.extend(
                crate::i18n::parse_file(area, text)
                    .unwrap()
                    .into_iter()
                    .map(|(_, v)| v),
            );
        }
    }
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for text in &texts {
        for width in [12u16, 33, 57, 80] {
            let rows = widgets::wrap_lines(text.lines().map(|l| Line::raw(l.to_string())), width);
            let mut joined = String::new();
            for r in &rows {
                let s: String = r.spans.iter().map(|s| s.content.as_ref()).collect();
                assert!(s.width() <= width as usize, "{s:?} is wider than {width}");
                joined.push_str(&s);
            }
            assert_eq!(squash(&joined), squash(text), "width {width}");
        }
    }
    // A break goes at a space or between Chinese characters, never before
    // a closing mark.
    let rows = widgets::wrap_lines([Line::raw("配置文件，不变")], 8);
    let rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    assert_eq!(rows, ["配置文", "件，不变"]);
}

/// One rule, one message: the wizard's fields give the engine's verdict on
/// the same bad values the CLI and profiles are refused for
/// (tests/integration/hostile.rs feeds them through a flag and a profile).
#[test]
fn bad_values_get_the_engines_message_in_the_wizard_too() {
    use super::editor::{Editor, EditorCtx, EditorOutcome};
    let catalog = crate::catalog::Catalog::builtin();
    let selection = crate::selection::Selection::default();
    let ctx = EditorCtx {
        catalog: &catalog,
        selection: &selection,
        node: None,
    };
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let engine_image = crate::extras::sandbox_image("bad image no tag").unwrap_err();
    let EditorOutcome::Stay(Editor::PauseImage { error, .. }) = (Editor::PauseImage {
        input: "bad image no tag".into(),
        error: None,
    })
    .key(enter, &ctx) else {
        panic!("a bad image is not accepted")
    };
    assert_eq!(error.as_deref(), Some(engine_image.as_str()));

    let inject = "http://p:3128 x\"\nExecStartPre=/bin/sh";
    let (_, why) =
        crate::extras::Proxy::parse("http://p:3128", Some(&["x\"".into()]), &[]).unwrap_err();
    let EditorOutcome::Stay(Editor::Proxy { error, .. }) = (Editor::Proxy {
        input: inject.into(),
        error: None,
    })
    .key(enter, &ctx) else {
        panic!("an injected NO_PROXY is not accepted")
    };
    let error = error.unwrap();
    assert_eq!(
        error,
        format!("{}: {why}", crate::t!("wizard.extras.proxy"))
    );
    assert!(!error.contains("--proxy"), "{error}");
}

/// Issue 16, the dead end: a registry added with `a` and chosen again as a
/// private registry. The Review names the step that fixes it, Enter goes
/// there, no `y apply` is offered, and `d` removes the entries.
#[test]
fn a_review_that_cannot_be_planned_leads_to_the_step_that_fixes_it() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter]);
    key(&mut a, Char('a'));
    typed(&mut a, "harbor.corp:8443");
    key(&mut a, Enter); // the chooser opens on it
    keys(&mut a, &[KeyCode::Up, Enter]); // Upstream
    let harbor = RegistryName::parse("harbor.corp:8443").unwrap();
    assert!(a.registries.contains(&harbor));
    assert_eq!(a.editor, None);
    keys(&mut a, &[Enter]);
    assert_eq!(a.step, Step::Extras, "{:?}", a.editor);
    to_extra(&mut a, Extra::PrivateRegistry);
    key(&mut a, Char(' '));
    typed(&mut a, "harbor.corp:8443");
    let effects = key(&mut a, Enter);
    let [Effect::AddPrivate(r)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    update(&mut a, Msg::PrivateReady(Ok(r.clone())));
    key(&mut a, Enter);
    assert_eq!(a.step, Step::Review);
    let PlanState::Failed { fix, why } = &a.review.plan else {
        panic!("{:?}", a.review.plan)
    };
    assert_eq!(*fix, Step::Extras, "{why}");
    let s = screen(&a);
    assert!(s.contains("Enter goes to the Extras step"), "{s}");
    assert!(!s.contains("y apply"), "no plan, no apply offered:\n{s}");
    // `y` does nothing but say why; no blank Apply screen.
    assert!(key(&mut a, Char('y')).is_empty());
    assert_eq!(a.step, Step::Review);
    assert!(
        a.notice.as_deref().unwrap().contains("Extras"),
        "{:?}",
        a.notice
    );
    // Enter goes to Extras; the private registry has a row of its own.
    key(&mut a, Enter);
    assert_eq!(a.step, Step::Extras);
    key(&mut a, Down);
    assert_eq!(
        a.extras.cursor,
        a.shown_extras().len(),
        "the private registry's row, after the extras"
    );
    assert!(screen(&a).contains("· harbor.corp:8443"), "{}", screen(&a));
    // Space edits it, filled in.
    key(&mut a, Char(' '));
    let Some(Editor::Private(form)) = &a.editor else {
        panic!("{:?}", a.editor)
    };
    assert_eq!(form.host, "harbor.corp:8443");
    key(&mut a, Esc);
    // d removes it, and the plan works again.
    key(&mut a, Char('d'));
    assert!(a.selection.extras.private.is_empty());
    key(&mut a, Enter);
    assert!(a.review.plan.ready().is_some(), "{:?}", a.review.plan);
    assert!(screen(&a).contains("y apply"));
    // The added registry is removed with d on its row too.
    keys(&mut a, &[Esc, Esc]);
    assert_eq!(a.step, Step::Registries);
    assert_eq!(a.registries[a.registry_cursor], harbor);
    key(&mut a, KeyCode::Delete);
    assert!(!a.registries.contains(&harbor));
    assert!(!a.selection.mirrors.contains_key(&harbor));
    // On a catalog row, d takes back the user's own choice.
    let docker = a.registries[0].clone();
    a.registry_cursor = 0;
    a.selection.mirrors.insert(docker.clone(), Choice::Remove);
    key(&mut a, Char('d'));
    assert!(!a.selection.mirrors.contains_key(&docker));
    assert!(a.registries.contains(&docker), "built-in rows stay");
}

#[test]
fn the_apply_footer_offers_nothing_while_the_apply_runs() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter, Enter, Char('y')]);
    assert_eq!(a.apply.state, ApplyState::Running);
    let s = screen(&a);
    let footer = s.lines().last().unwrap();
    for gone in ["y apply", "N cancel", "Esc back"] {
        assert!(!footer.contains(gone), "{footer}");
    }
}

#[test]
fn q_asks_on_registries_and_extras_before_choices_are_lost() {
    for steps in [2, 3] {
        let (_d, mut a) = detected();
        for _ in 0..steps {
            key(&mut a, Enter);
        }
        assert!(matches!(a.step, Step::Registries | Step::Extras));
        assert!(key(&mut a, Char('q')).is_empty(), "{:?}", a.step);
        assert_eq!(a.overlay, Overlay::ConfirmQuit);
        assert_eq!(key(&mut a, Char('y')), vec![Effect::Quit]);
    }
}

#[test]
fn a_ca_file_that_cannot_be_read_keeps_the_form_and_marks_the_field() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter]);
    to_extra(&mut a, Extra::PrivateRegistry);
    key(&mut a, Char(' '));
    typed(&mut a, "harbor.corp");
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "/no/such/ca.pem");
    for _ in 0..3 {
        key(&mut a, KeyCode::Tab);
    }
    typed(&mut a, "robot:pw");
    let effects = key(&mut a, Enter);
    let [Effect::AddPrivate(r)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let mut r = (**r).clone();
    let why = r.load_files().unwrap_err().to_string();
    update(&mut a, Msg::PrivateReady(Err(why)));
    let Some(Editor::Private(form)) = &a.editor else {
        panic!("the form is gone: {:?}", a.editor)
    };
    assert_eq!(form.host, "harbor.corp");
    assert_eq!(form.ca, "/no/such/ca.pem");
    assert_eq!(form.auth, "robot:pw");
    assert_eq!(
        form.field,
        super::editor::PrivateField::Ca,
        "{:?}",
        form.error
    );
    assert!(form.error.as_deref().unwrap().contains("/no/such/ca.pem"));
    assert!(a.selection.extras.private.is_empty());
}

#[test]
fn input_boxes_take_ctrl_u_and_ctrl_w_and_no_ctrl_letters() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter]);
    key(&mut a, Char('a'));
    typed(&mut a, "harbor.corp");
    let ctrl = |a: &mut App, c| update(a, Msg::Key(KeyEvent::new(Char(c), KeyModifiers::CONTROL)));
    ctrl(&mut a, 'a');
    ctrl(&mut a, 'e');
    let input = |a: &App| match &a.editor {
        Some(Editor::AddRegistry { input, .. }) => input.clone(),
        e => panic!("{e:?}"),
    };
    assert_eq!(input(&a), "harbor.corp", "Ctrl keys insert nothing");
    typed(&mut a, "/x y");
    ctrl(&mut a, 'w');
    assert_eq!(input(&a), "harbor.corp/x ");
    ctrl(&mut a, 'u');
    assert_eq!(input(&a), "");
}

#[test]
fn choosing_a_preset_replaces_rows_set_by_hand_on_the_registries_it_covers() {
    let (_d, mut a) = detected();
    let docker = RegistryName::parse("registry.k8s.io").unwrap();
    a.selection.mirrors.insert(
        docker.clone(),
        Choice::Urls(vec!["https://a.example".into()]),
    );
    a.touched = true;
    let added = RegistryName::parse("harbor.corp").unwrap();
    a.selection
        .mirrors
        .insert(added.clone(), Choice::Preset("upstream".into()));
    key(&mut a, Enter);
    key(&mut a, Down); // NJU
    key(&mut a, Enter);
    assert_eq!(a.selection.preset.as_deref(), Some("nju"));
    assert!(
        !a.selection.mirrors.contains_key(&docker),
        "{:?}",
        a.selection.mirrors
    );
    assert!(
        a.selection.mirrors.contains_key(&added),
        "added rows keep theirs"
    );
}

#[test]
fn troubleshoot_scrolls_with_the_usual_keys_and_says_there_is_more() {
    let (_d, mut a) = detected();
    key(&mut a, Char('t'));
    let first = screen(&a);
    assert!(first.contains("more line"), "{first}");
    assert!(first.contains("PgDn scroll"), "{first}");
    for k in [Down, Char('j'), KeyCode::PageDown] {
        let before = screen(&a);
        key(&mut a, k);
        assert_ne!(screen(&a), before, "{k:?} scrolls");
    }
    for _ in 0..10 {
        key(&mut a, KeyCode::PageDown);
    }
    let end = screen(&a);
    assert!(!end.contains("more line"), "{end}");
    assert!(end.contains(
        crate::t!("wizard.node.checks_footer")
            .lines()
            .next()
            .unwrap()
    ));
}

/// Nothing the user must read is cut: at 80×24 and 100×30, in English and
/// Chinese, no screen of the journey shows a "…" where text was cut at
/// the edge of the screen or of a box (text wraps or scrolls instead).
/// A "…" that is part of the text ("measuring…") stands before a space.
#[test]
fn no_screen_cuts_text_at_an_edge() {
    let mut cut = vec![];
    for size in [(80, 24), (100, 30)] {
        for lang in Lang::ALL {
            for (name, buf) in fixture_screens_at(lang, false, size) {
                if name == "too_small" {
                    continue;
                }
                let w = buf.area.width;
                for y in 0..buf.area.height {
                    for x in 0..w {
                        if buf[(x, y)].symbol() != "…" {
                            continue;
                        }
                        let next = if x + 1 < w {
                            buf[(x + 1, y)].symbol()
                        } else {
                            ""
                        };
                        if next.is_empty() || next == "│" || next == "┐" || next == "┘" {
                            let row: String =
                                (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
                            cut.push(format!(
                                "{}×{} {} {name}: {}",
                                size.0,
                                size.1,
                                lang.code(),
                                row.trim_end()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(cut.is_empty(), "text cut at an edge:\n{}", cut.join("\n"));
}

/// The troubleshoot panel sees what `ctrwiz doctor` sees: a dead CRI
/// plugin the daemon reported and a dead mirror the hosts.toml names.
#[test]
fn the_troubleshoot_panel_runs_the_doctor_with_the_live_facts() {
    use crate::probe::ProbeStatus::Unreachable;
    let mut a = app();
    let node = NodeState::fixture()
        .containerd("1.7.24")
        .config("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n")
        .hosts(
            "docker.io",
            "server = \"https://registry-1.docker.io\"\n\n[host.\"https://dead.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
        )
        .build();
    update(&mut a, Msg::Detected(Box::new(node)));
    let status = |a: &App, id: &str| {
        a.checks
            .iter()
            .flatten()
            .find(|c| c.id == id)
            .map(|c| c.status)
    };
    // Not asked yet.
    assert_eq!(status(&a, "cri.loaded"), None);
    assert_eq!(status(&a, "mirror.docker.io.dead.example"), None);
    update(
        &mut a,
        Msg::Cri(Some(vec!["io.containerd.grpc.v1.cri: error".into()])),
    );
    update(
        &mut a,
        probe(
            "docker.io",
            "https://dead.example",
            "hosts.toml",
            Unreachable,
            3000,
        ),
    );
    // A catalog mirror the node does not use is not the doctor's business.
    update(
        &mut a,
        probe("quay.io", "https://other.example", "x", Unreachable, 3000),
    );
    update(&mut a, Msg::ProbesDone);
    use crate::doctor::Status::Fail;
    assert_eq!(status(&a, "cri.loaded"), Some(Fail));
    assert_eq!(status(&a, "mirror.docker.io.dead.example"), Some(Fail));
    assert_eq!(status(&a, "mirror.quay.io.other.example"), None);
}
