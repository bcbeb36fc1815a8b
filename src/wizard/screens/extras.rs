//! Step 4: node-setup extras from the guides. Each is off unless the node
//! clearly needs it; then it is preselected and the reason is shown.

use crate::extras::Proxy;
use crate::wizard::app::{App, Editor, Extra, PrivateForm, TRANSPORTS};
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
                "type `URL [NO_PROXY,list]`; the default NO_PROXY keeps loopback, private ranges and .svc direct",
            ),
            Extra::DefaultMirror => (
                "Fallback mirror (_default)",
                match app.selection.mirrors.get(&crate::registry::RegistryName::parse("_default").expect("valid")) {
                    Some(crate::selection::Choice::Urls(u)) => format!("[x] {}", u.join(", ")),
                    _ => "[ ] none".to_string(),
                },
                "used for every registry without its own directory (containerd 1.6.17 or newer)",
            ),
            Extra::PrivateRegistry => (
                "Private registries",
                if x.private.is_empty() {
                    "[ ] none (Space adds one)".to_string()
                } else {
                    format!("[x] {}", x.private.iter().map(|p| p.host.to_string()).collect::<Vec<_>>().join(", "))
                },
                "Harbor and the like: CA file copied next to hosts.toml, auth in a 0600 file, push allowed",
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
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if let Some(e) = &app.private_error {
        let r = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1,
            ..area
        };
        frame.render_widget(Paragraph::new(format!("✗ {e}")).style(theme.bad()), r);
    }
    match &app.editor {
        Some(Editor::Proxy { input, error }) => input_box(
            frame,
            area,
            theme,
            " Proxy URL for containerd (empty: none) ",
            input,
            error.as_deref(),
            "Enter accepts, Esc cancels",
        ),
        Some(Editor::Custom { input, error, .. }) => input_box(
            frame,
            area,
            theme,
            " Fallback mirror URLs for every other registry ",
            input,
            error.as_deref(),
            "Enter accepts a valid list, Esc cancels",
        ),
        Some(Editor::Private(form)) => draw_private(frame, area, form, theme),
        Some(Editor::PauseImage { input, error }) => input_box(
            frame,
            area,
            theme,
            " Pause image of your own ",
            input,
            error.as_deref(),
            "Enter accepts, Esc cancels",
        ),
        _ => {}
    }
}

fn draw_private(frame: &mut Frame, area: Rect, form: &PrivateForm, theme: &Theme) {
    let r = crate::wizard::view::centered(area, 76, 12);
    let field = |i: usize, label: &str, value: &str| {
        let cursor = if form.field == i { "›" } else { " " };
        let caret = if form.field == i && i < 5 { "_" } else { "" };
        Line::styled(
            format!("{cursor} {label:<18} {value}{caret}"),
            if form.field == i {
                theme.selected()
            } else {
                Style::new()
            },
        )
    };
    let lines = vec![
        field(0, "host[:port]", &form.host),
        field(1, "CA file (optional)", &form.ca),
        field(2, "client cert (opt.)", &form.client_cert),
        field(3, "client key (opt.)", &form.client_key),
        field(4, "user:password", &form.auth),
        field(5, "transport", TRANSPORTS[form.transport]),
        Line::raw(""),
        match &form.error {
            Some(e) => Line::styled(format!("✗ {e}"), theme.bad()),
            None if form.host.is_empty() => Line::raw(""),
            None => Line::styled("✓ valid", theme.good()),
        },
        Line::styled(
            "Tab/↑↓ field · Space changes transport · Enter adds · Esc cancels",
            theme.dim(),
        ),
    ];
    frame.render_widget(ratatui::widgets::Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(
            ratatui::widgets::Block::default()
                .borders(ratatui::widgets::Borders::ALL)
                .title(" Private registry "),
        ),
        r,
    );
}
