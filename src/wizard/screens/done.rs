//! Step 7: what was written, where the backup is, how to check it, and
//! `s` to save the choices as a profile for other nodes. The same lines
//! are printed to the terminal when the wizard ends (`summary`), so the
//! paths and commands outlive the alternate screen.

use crate::doctor::Status;
use crate::node::ToolName;
use crate::t;
use crate::wizard::app::{App, PodState, VerifyState};
use crate::wizard::step::Step;
use crate::wizard::widgets::{scrolled, Theme};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::styled(t!("wizard.done.title"), theme.good())];
    let (report, checks) = report_and_checks(app);
    lines.extend(report.into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    lines.push(Line::styled(t!("wizard.done.check"), theme.accent()));
    lines.extend(checks.into_iter().map(Line::raw));
    match (&app.done.verify, app.done.can_verify) {
        (_, false) => {}
        (VerifyState::NotRun, true) => lines.push(Line::raw(t!("wizard.done.verify_now"))),
        (VerifyState::Running, true) => {
            lines.push(Line::styled(t!("wizard.done.verifying"), theme.dim()))
        }
        (VerifyState::Done(r), true) => {
            let (mark, style) = if r.ok() {
                ("✓", theme.good())
            } else {
                ("✗", theme.bad())
            };
            lines.push(Line::styled(format!("  {mark} {}", r.message), style));
        }
    }
    if let Some((text, ok)) = pod_line(app) {
        let style = match ok {
            None => theme.dim(),
            Some(true) => theme.good(),
            Some(false) => theme.bad(),
        };
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
    match &app.done.saved {
        None => lines.push(Line::styled(t!("wizard.done.save_hint"), theme.dim())),
        Some(Ok(path)) => lines.push(Line::styled(
            t!("wizard.done.saved", path = path),
            theme.good(),
        )),
        Some(Err(e)) => lines.push(Line::styled(
            t!("wizard.done.save_failed", error = e),
            theme.bad(),
        )),
    }
    scrolled(
        frame,
        area,
        lines,
        app.scroll_of(Step::Done),
        &app.scroll_max,
        theme,
    );
}

/// The pod-sandbox line (`p`): offered, running, or its result, whole
/// (the screen wraps it). The bool: `None` while there is no result yet.
fn pod_line(app: &App) -> Option<(String, Option<bool>)> {
    if !app.can_pod() {
        return None;
    }
    Some(match &app.done.pod {
        PodState::NotRun => (t!("done.pod.offer").to_string(), None),
        PodState::Running => (t!("done.pod.running").to_string(), None),
        PodState::Done(Ok(line)) => (
            format!("  ✓ {}", t!("done.pod.ok", detail = line)),
            Some(true),
        ),
        PodState::Done(Err(e)) => (
            format!("  ✗ {}", t!("done.pod.failed", error = e)),
            Some(false),
        ),
    })
}

/// What the wizard prints on the terminal as it ends after an apply: the
/// files, the backup and how to undo, the commands that check the mirror.
/// `None`: nothing was applied.
pub fn summary(app: &App) -> Option<String> {
    app.apply.report.as_ref()?;
    let (report, checks) = report_and_checks(app);
    let mut out = vec![format!("ctrwiz: {}", t!("wizard.done.title"))];
    out.extend(report);
    out.push(t!("wizard.done.check").to_string());
    out.extend(checks);
    // A pod sandbox that was tried: its result stays on the terminal too.
    if let Some((line, Some(_))) = pod_line(app) {
        out.push(line);
    }
    if let Some(Ok(path)) = &app.done.saved {
        out.push(t!("wizard.done.saved", path = path));
    }
    Some(out.join("\n") + "\n")
}

/// A node path as the user knows it (the `--root`/demo prefix cut off).
fn shown_path(app: &App, p: &std::path::Path) -> String {
    match app
        .root_prefix
        .as_ref()
        .and_then(|r| p.strip_prefix(r).ok())
    {
        Some(rel) => format!("/{}", rel.display()),
        None => p.display().to_string(),
    }
}

/// The report's lines (every file, the backup, undo) and the commands
/// that check the mirror on this node.
fn report_and_checks(app: &App) -> (Vec<String>, Vec<String>) {
    let mut report = vec![];
    if let Some(r) = &app.apply.report {
        // The demo's --root is ctrwiz's own, not the user's: say what
        // happened in the demo's words.
        report.push(if app.demo {
            t!("guide.demo.done").to_string()
        } else {
            r.message.clone()
        });
        for p in &r.written {
            report.push(t!("wizard.done.wrote", path = p.display()));
        }
        if let Some(dir) = &r.backup_dir {
            report.push(t!("wizard.done.backup", path = shown_path(app, dir)));
            let root = app
                .root_prefix
                .as_ref()
                .map(|r| format!(" --root {}", r.display()))
                .unwrap_or_default();
            // i18n: a command to type
            let command = format!("ctrwiz{root} rollback");
            report.push(t!("guide.done.undo", command = command));
        }
    }
    (report, check_commands(app))
}

/// Commands that show whether pulls use the mirror: crictl only where it
/// is installed, nerdctl only where it honours the mirror, both pointed
/// at the socket when it is not the default one.
fn check_commands(app: &App) -> Vec<String> {
    let node = app.node.as_ref();
    let hosts = node
        .map(|n| shown_path(app, &n.hosts_dir.path))
        .unwrap_or_else(|| crate::node::DEFAULT_HOSTS_DIR.into());
    let socket = node
        .map(|n| n.service.address.clone())
        .filter(|a| a != std::path::Path::new(crate::node::DEFAULT_ADDRESS));
    let has = |t: ToolName| app.tools.get(&t).is_some_and(|t| t.path.is_some());
    let nerdctl_ignores = app
        .checks
        .iter()
        .flatten()
        .any(|c| c.id == "clients.nerdctl" && c.status != Status::Ok);
    let mut v = vec![];
    if has(ToolName::Crictl) {
        let endpoint = socket
            .as_ref()
            .map(|a| format!(" --runtime-endpoint unix://{}", a.display()))
            .unwrap_or_default();
        // i18n: a command to type
        v.push(format!(
            "  crictl{endpoint} pull docker.io/library/busybox:latest"
        ));
        v.push(format!("    {}", t!("wizard.done.kubelet_path")));
    }
    let address = socket
        .as_ref()
        .map(|a| format!(" --address {}", a.display()))
        .unwrap_or_default();
    let image = "docker.io/library/busybox:latest";
    v.push(format!(
        // i18n: a command to type
        "  ctr{address} images pull --hosts-dir {hosts} {image}"
    ));
    if has(ToolName::Nerdctl) && !nerdctl_ignores {
        // i18n: a command to type
        v.push(format!("  nerdctl{address} --debug pull busybox"));
        v.push(format!("    {}", t!("wizard.done.look_for_mirror")));
    }
    if !app.done.can_verify {
        // i18n: a command to type
        v.push("  ctrwiz verify".into());
        v.push(format!("    {}", t!("wizard.done.live_node")));
    }
    v
}
