//! Step 6: what was written, where the backup is, how to check it, and
//! `s` to save the choices as a profile for other nodes.

use crate::t;
use crate::wizard::app::{App, VerifyState};
use crate::wizard::widgets::{fit, wrapped, Theme};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::styled(t!("wizard.done.title"), theme.good())];
    if let Some(report) = &app.apply.report {
        lines.push(Line::raw(report.message.clone()));
        lines.push(Line::raw(""));
        // A long list would push the checks off the screen: show a few.
        const SHOWN: usize = 4;
        for p in report.written.iter().take(SHOWN) {
            lines.push(Line::raw(fit(
                &t!("wizard.done.wrote", path = p.display()),
                80,
            )));
        }
        if report.written.len() > SHOWN {
            let n = report.written.len() - SHOWN;
            lines.push(Line::raw(t!("wizard.done.more", n = n)));
        }
        if let Some(dir) = &report.backup_dir {
            let shown = match app
                .root_prefix
                .as_ref()
                .and_then(|r| dir.strip_prefix(r).ok())
            {
                Some(rel) => format!("/{}", rel.display()),
                None => dir.display().to_string(),
            };
            lines.push(Line::raw(fit(&t!("wizard.done.backup", path = shown), 80)));
        }
    }
    let hosts = app
        .node
        .as_ref()
        .map(|n| n.hosts_dir.path.display().to_string())
        .unwrap_or_else(|| "/etc/containerd/certs.d".into());
    lines.push(Line::raw(""));
    lines.push(Line::styled(t!("wizard.done.check"), theme.accent()));
    lines.push(Line::raw(command(
        // i18n: a command to type
        "crictl pull docker.io/library/busybox:latest",
        53,
        t!("wizard.done.kubelet_path"),
    )));
    lines.push(Line::raw(fit(
        // i18n: a command to type
        &format!("  ctr images pull --hosts-dir {hosts} docker.io/library/busybox:latest"),
        80,
    )));
    lines.push(Line::raw(command(
        // i18n: a command to type
        "nerdctl --debug pull busybox",
        54,
        t!("wizard.done.look_for_mirror"),
    )));
    match (&app.done.verify, app.done.can_verify) {
        (_, false) => lines.push(Line::raw(command(
            // i18n: a command to type
            "ctrwiz verify",
            54,
            t!("wizard.done.live_node"),
        ))),
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
    lines.push(Line::raw(""));
    match &app.done.saved {
        None => lines.push(Line::styled(t!("wizard.done.save_hint"), theme.dim())),
        Some(Ok(path)) => lines.push(Line::styled(
            fit(&t!("wizard.done.saved", path = path), 80),
            theme.good(),
        )),
        Some(Err(e)) => lines.push(Line::styled(
            fit(&t!("wizard.done.save_failed", error = e), 80),
            theme.bad(),
        )),
    }
    frame.render_widget(wrapped(lines, area.width), area);
}

/// A command and, after it in a column, what it shows (commands are ASCII).
fn command(cmd: &str, width: usize, comment: &str) -> String {
    format!("  {cmd:<width$} {comment}")
}
