//! Step 6: what was written, where the backup is, how to check it, and
//! `s` to save the choices as a profile for other nodes.

use crate::wizard::app::App;
use crate::wizard::view::{fit, Theme};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::styled("✓ Done.", theme.good())];
    if let Some(report) = &app.report {
        lines.push(Line::raw(report.message.clone()));
        lines.push(Line::raw(""));
        // A long list would push the checks off the screen: show a few.
        const SHOWN: usize = 4;
        for p in report.written.iter().take(SHOWN) {
            lines.push(Line::raw(fit(&format!("  wrote {}", p.display()), 80)));
        }
        if report.written.len() > SHOWN {
            lines.push(Line::raw(format!(
                "  … and {} more file(s) (all in apply.log)",
                report.written.len() - SHOWN
            )));
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
            lines.push(Line::raw(fit(
                &format!("  backup {shown} (undo: ctrwiz rollback)"),
                80,
            )));
        }
    }
    let hosts = app
        .node
        .as_ref()
        .map(|n| n.hosts_dir.path.display().to_string())
        .unwrap_or_else(|| "/etc/containerd/certs.d".into());
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Check that pulls use the mirror:",
        theme.accent(),
    ));
    lines.push(Line::raw(
        "  crictl pull docker.io/library/busybox:latest          (kubelet's path)",
    ));
    lines.push(Line::raw(fit(
        &format!("  ctr images pull --hosts-dir {hosts} docker.io/library/busybox:latest"),
        80,
    )));
    lines.push(Line::raw(
        "  nerdctl --debug pull busybox                           (look for the mirror)",
    ));
    match (&app.verify, app.can_verify) {
        (_, false) => lines.push(Line::raw(
            "  ctrwiz verify                                          (on the live node)",
        )),
        (None, true) => lines.push(Line::raw(
            "  v runs `ctrwiz verify` now: it pulls busybox and names the host that served it",
        )),
        (Some(None), true) => lines.push(Line::styled(
            "  verifying: pulling docker.io/library/busybox:latest…",
            theme.dim(),
        )),
        (Some(Some(r)), true) => {
            let (mark, style) = if r.ok() {
                ("✓", theme.good())
            } else {
                ("✗", theme.bad())
            };
            lines.push(Line::styled(format!("  {mark} {}", r.message), style));
        }
    }
    lines.push(Line::raw(""));
    match &app.saved {
        None => lines.push(Line::styled(
            "s saves these choices: `ctrwiz apply --profile FILE` on other nodes.",
            theme.dim(),
        )),
        Some(Ok(path)) => lines.push(Line::styled(
            fit(&format!("✓ Profile saved: {path}"), 80),
            theme.good(),
        )),
        Some(Err(e)) => lines.push(Line::styled(
            fit(&format!("✗ Could not save the profile: {e}"), 80),
            theme.bad(),
        )),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
