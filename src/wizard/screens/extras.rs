//! Step 4: node-setup extras from the guides. Each is off unless the node
//! clearly needs it; then it is preselected and the reason is shown.

use crate::extras::Proxy;
use crate::wizard::app::{App, Editor, Extra};
use crate::wizard::screens::registries::input_box;
use crate::wizard::view::{fit, Theme};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let x = &app.selection.extras;
    let systemd = app
        .node
        .as_ref()
        .is_some_and(|n| n.service.manager == crate::node::ServiceManager::Systemd);
    let dockerd = app
        .node
        .as_ref()
        .is_some_and(|n| n.tool(crate::node::ToolName::Dockerd).is_some());
    let mut lines = vec![
        Line::styled(
            "Extras for this node (Space changes the selected row)",
            theme.accent(),
        ),
        Line::raw(""),
    ];
    for (i, extra) in Extra::ALL.iter().enumerate() {
        let (title, value, why) = match extra {
            Extra::SystemdCgroup => (
                "SystemdCgroup for runc",
                match x.systemd_cgroup {
                    None => "[ ] keep as it is".to_string(),
                    Some(true) => "[x] true".to_string(),
                    Some(false) => "[x] false".to_string(),
                },
                if systemd {
                    "recommended: PID 1 is systemd, and kubelet's cgroup driver must match containerd's"
                } else {
                    "PID 1 is not systemd here: keep cgroupfs unless kubelet uses the systemd driver"
                },
            ),
            Extra::PauseImage => (
                "Pause (sandbox) image",
                match &x.sandbox_image {
                    None => "[ ] keep as it is".to_string(),
                    Some(img) => format!("[x] {img}"),
                },
                "hosts.toml mirrors serve the default pause image too; registry.aliyuncs.com is a copy, not a proxy",
            ),
            Extra::Proxy => (
                "Proxy for containerd only",
                match &x.proxy {
                    None => "[ ] none".to_string(),
                    Some(Proxy::Set { url, .. }) => format!("[x] {url} (systemd drop-in)"),
                    Some(Proxy::Remove) => "[x] remove the drop-in".to_string(),
                },
                "for nodes that reach registries only through a proxy; NO_PROXY keeps cluster traffic direct",
            ),
            Extra::DockerMirror => (
                "Docker's daemon.json",
                match &x.docker_mirrors {
                    None => "[ ] leave it".to_string(),
                    Some(m) => format!("[x] registry-mirrors = {}", m.join(", ")),
                },
                if dockerd {
                    "dockerd is installed and keeps its own images; Docker is not restarted by the wizard"
                } else {
                    "dockerd is not installed here"
                },
            ),
        };
        let cursor = if i == app.extras_cursor { "›" } else { " " };
        let style = if i == app.extras_cursor {
            theme.selected()
        } else {
            Style::new()
        };
        lines.push(Line::styled(
            fit(&format!("{cursor} {title:<28} {value}"), 80),
            style,
        ));
        lines.push(Line::styled(format!("    {why}"), theme.dim()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Private registries with CA files or passwords: `ctrwiz apply --registry …` or a profile.",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if let Some(Editor::Proxy { input, error }) = &app.editor {
        input_box(
            frame,
            area,
            theme,
            " Proxy URL for containerd (empty: none) ",
            input,
            error.as_deref(),
            "Enter accepts, Esc cancels",
        );
    }
}
