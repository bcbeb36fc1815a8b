//! Step 4: node-setup extras from the guides. Each is off unless the node
//! clearly needs it; then it is preselected and the reason is shown.

use crate::extras::Proxy;
use crate::t;
use crate::wizard::app::App;
use crate::wizard::editor::{Editor, PrivateField, PrivateForm};
use crate::wizard::extras_step::Extra;
use crate::wizard::widgets::{fit, input_box, pad, Theme};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
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
        Line::styled(t!("wizard.extras.heading"), theme.accent()),
        Line::raw(""),
    ];
    // The last line of the selected row (an extra's reason, or a private
    // registry's line): kept on the screen.
    let mut selected = 0;
    let shown = app.shown_extras();
    // Doctor's word on the node, where an extra repairs what it checks.
    let advice = |extra: Extra| -> Option<String> {
        let ids = crate::wizard::extras_step::check_of(extra);
        app.checks
            .iter()
            .flatten()
            .find(|c| ids.contains(&c.id.as_str()))
            .map(|c| c.message.clone())
    };
    for (i, extra) in shown.iter().enumerate() {
        let (title, value, why) = match extra {
            Extra::SystemdCgroup => (
                t!("wizard.extras.systemd_cgroup"),
                match x.systemd_cgroup {
                    None => format!("[ ] {}", t!("wizard.extras.keep")),
                    Some(true) => "[x] true".to_string(),
                    Some(false) => "[x] false".to_string(),
                },
                if systemd {
                    t!("wizard.extras.why_systemd")
                } else {
                    t!("wizard.extras.why_no_systemd")
                }
                .to_string(),
            ),
            Extra::PauseImage => (
                t!("wizard.extras.pause_image"),
                match &x.sandbox_image {
                    None => format!("[ ] {}", t!("wizard.extras.keep")),
                    Some(img) => format!("[x] {img}"),
                },
                t!("wizard.extras.why_pause").to_string(),
            ),
            Extra::Proxy => (
                t!("wizard.extras.proxy"),
                match &x.proxy {
                    None => match app.node.as_ref().and_then(|n| n.proxy_env()) {
                        // The node's own drop-in stays as it is.
                        Some(env) => format!(
                            "[ ] {}",
                            t!("wizard.extras.proxy_keep", url = env.shown_url())
                        ),
                        None => format!("[ ] {}", t!("wizard.extras.none")),
                    },
                    Some(Proxy::Set { url, .. }) => {
                        let url = crate::plan::redact_url_passwords(url);
                        format!("[x] {}", t!("wizard.extras.proxy_set", url = url))
                    }
                    Some(Proxy::Remove) => format!("[x] {}", t!("wizard.extras.proxy_remove")),
                },
                match (&x.proxy, &app.node) {
                    (Some(p @ Proxy::Set { no_proxy, .. }), Some(node)) => {
                        let list = p.no_proxy_on(node);
                        match no_proxy {
                            crate::extras::NoProxy::Exactly(_) => {
                                t!("wizard.extras.no_proxy_is", list = list.join(","))
                            }
                            crate::extras::NoProxy::Default { .. } => {
                                // The seed's list is long and always there:
                                // the row names what this node adds to it.
                                let added: Vec<&str> = list
                                    .iter()
                                    .map(String::as_str)
                                    .filter(|e| !crate::extras::DEFAULT_NO_PROXY.contains(e))
                                    .collect();
                                if added.is_empty() {
                                    t!("wizard.extras.no_proxy_default").to_string()
                                } else {
                                    t!("wizard.extras.no_proxy_plus", list = added.join(", "))
                                }
                            }
                        }
                    }
                    _ => t!("wizard.extras.why_proxy").to_string(),
                },
            ),
            Extra::CniBinDir => (
                t!("wizard.extras.cni"),
                match (&x.cni_bin_dir, app.node.as_ref()) {
                    (None, _) => format!("[ ] {}", t!("wizard.extras.keep")),
                    (Some(d), Some(node)) => match d.resolve(node) {
                        Ok(dir) => format!("[x] {}", t!("wizard.extras.cni_set", dir = dir)),
                        Err(e) => format!("[x] {e}"),
                    },
                    (Some(d), None) => format!("[x] {}", d.to_profile()),
                },
                advice(Extra::CniBinDir).unwrap_or_else(|| t!("wizard.extras.why_cni").into()),
            ),
            Extra::Crictl => (
                t!("wizard.extras.crictl"),
                match (x.crictl, app.node.as_ref()) {
                    (false, _) => format!("[ ] {}", t!("wizard.extras.leave")),
                    (true, Some(n)) => format!(
                        "[x] {}",
                        t!(
                            "wizard.extras.crictl_set",
                            socket = n.service.address.display()
                        )
                    ),
                    (true, None) => "[x]".to_string(),
                },
                advice(Extra::Crictl).unwrap_or_else(|| t!("wizard.extras.why_crictl").into()),
            ),
            Extra::Nerdctl => (
                t!("wizard.extras.nerdctl"),
                match (x.nerdctl, app.node.as_ref()) {
                    (false, _) => format!("[ ] {}", t!("wizard.extras.leave")),
                    (true, Some(n)) => format!(
                        "[x] {}",
                        t!(
                            "wizard.extras.nerdctl_set",
                            dir = n.hosts_dir.path.display()
                        )
                    ),
                    (true, None) => "[x]".to_string(),
                },
                advice(Extra::Nerdctl).unwrap_or_else(|| t!("wizard.extras.why_nerdctl").into()),
            ),
            Extra::DefaultMirror => (
                t!("wizard.extras.default_mirror"),
                match app
                    .selection
                    .mirrors
                    .get(&crate::registry::RegistryName::default_namespace())
                {
                    Some(crate::selection::Choice::Urls(u)) => format!("[x] {}", u.join(", ")),
                    _ => format!("[ ] {}", t!("wizard.extras.none")),
                },
                t!("wizard.extras.why_default_mirror").to_string(),
            ),
            Extra::PrivateRegistry => (
                t!("wizard.extras.private"),
                if x.private.is_empty() {
                    format!("[ ] {}", t!("wizard.extras.none_add"))
                } else {
                    format!(
                        "[x] {}",
                        x.private
                            .iter()
                            .map(|p| p.host.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                t!("wizard.extras.why_private").to_string(),
            ),
            Extra::DockerMirror => (
                t!("wizard.extras.docker"),
                match &x.docker_mirrors {
                    None => format!("[ ] {}", t!("wizard.extras.leave")),
                    Some(m) => format!("[x] registry-mirrors = {}", m.join(", ")),
                },
                if dockerd {
                    t!("wizard.extras.why_dockerd")
                } else {
                    t!("wizard.extras.why_no_dockerd")
                }
                .to_string(),
            ),
            Extra::Heal => (
                t!("tui.heal.title"),
                match crate::wizard::extras_step::heal_choice(&app.catalog, &app.selection).every()
                {
                    Some(every) => format!("[x] {}", t!("tui.heal.on", every = every)),
                    None => format!("[ ] {}", t!("tui.heal.off")),
                },
                t!("tui.heal.why").to_string(),
            ),
        };
        let cursor = if i == app.extras.cursor { "›" } else { " " };
        let style = if i == app.extras.cursor {
            theme.selected()
        } else {
            Style::new()
        };
        lines.push(Line::styled(
            fit(
                &format!("{cursor} {} {value}", pad(title, 28)),
                usize::from(area.width),
            ),
            style,
        ));
        lines.push(Line::styled(format!("    {why}"), theme.dim()));
        if i == app.extras.cursor {
            selected = lines.len() - 1;
        }
    }
    // Each private registry is a row of its own: Space edits, d removes.
    for (j, p) in x.private.iter().enumerate() {
        let i = shown.len() + j;
        let here = i == app.extras.cursor;
        let transport = if p.plain_http {
            t!("wizard.private.plain_http")
        } else if p.skip_verify {
            t!("wizard.private.skip_verify")
        } else {
            t!("wizard.private.https")
        };
        lines.push(Line::styled(
            format!(
                "{}   · {} ({transport})",
                if here { "›" } else { " " },
                p.host
            ),
            if here { theme.selected() } else { Style::new() },
        ));
        if here {
            selected = lines.len() - 1;
        }
    }
    // Keep the cursor's row on the screen (two rows per extra); when the
    // list is longer than the screen, the last row says more is below.
    // Counted after wrapping: a long reason takes two rows or more.
    let mut rows = Vec::new();
    let mut cursor_row = 0;
    for (i, line) in lines.into_iter().enumerate() {
        rows.extend(crate::wizard::widgets::wrap_lines([line], area.width));
        if i == selected {
            cursor_row = rows.len();
        }
    }
    let total = rows.len();
    let height = usize::from(area.height);
    let view = if total > height {
        height.saturating_sub(1).max(1)
    } else {
        height
    };
    let skip = cursor_row.saturating_sub(view);
    let below = total.saturating_sub(skip + view);
    frame.render_widget(
        Paragraph::new(rows.into_iter().skip(skip).take(view).collect::<Vec<_>>()),
        area,
    );
    if total > height {
        let more = if below > 0 {
            t!("guide.scroll.rows_below").to_string()
        } else {
            t!("tui.scroll.rows_above").to_string()
        };
        let r = Rect {
            y: area.y + view as u16,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(fit(&more, usize::from(area.width))).style(theme.dim()),
            r,
        );
    }
    match &app.editor {
        Some(Editor::Proxy { input, error }) => input_box(
            frame,
            area,
            theme,
            t!("wizard.extras.proxy_title"),
            input,
            error.as_deref(),
            t!("wizard.extras.accept_hint"),
            app.overlay == crate::wizard::app::Overlay::None,
        ),
        Some(Editor::ClusterRanges { input, error, .. }) => input_box(
            frame,
            area,
            theme,
            t!("wizard.extras.cluster_title"),
            input,
            error.as_deref(),
            t!("wizard.extras.cluster_hint"),
            app.overlay == crate::wizard::app::Overlay::None,
        ),
        Some(Editor::Custom { input, error, .. }) => input_box(
            frame,
            area,
            theme,
            t!("wizard.extras.default_mirror_title"),
            input,
            error.as_deref(),
            t!("wizard.registries.custom_hint"),
            app.overlay == crate::wizard::app::Overlay::None,
        ),
        Some(Editor::Private(form)) => draw_private(
            frame,
            area,
            form,
            theme,
            app.overlay == crate::wizard::app::Overlay::None,
        ),
        Some(Editor::PauseImage { input, error }) => input_box(
            frame,
            area,
            theme,
            t!("wizard.extras.pause_title"),
            input,
            error.as_deref(),
            t!("wizard.extras.accept_hint"),
            app.overlay == crate::wizard::app::Overlay::None,
        ),
        _ => {}
    }
}

fn draw_private(frame: &mut Frame, area: Rect, form: &PrivateForm, theme: &Theme, focused: bool) {
    let r = crate::wizard::widgets::centered(area, 76, 12);
    // Inside the border: "› ", the label, a space, then the value.
    let inner = usize::from(r.width.saturating_sub(2));
    let mut cursor_at = None;
    let mut field = |f: PrivateField, label: &str| {
        let here = form.field == f;
        let lead = format!("{} {} ", if here { "›" } else { " " }, pad(label, 18));
        let room = inner.saturating_sub(crate::wizard::widgets::width(&lead));
        let value = match form.text(f) {
            // The field being typed in scrolls to keep its cursor shown.
            Some(text) if here => {
                let view = text.view(room as u16);
                let row = PrivateField::ALL.iter().position(|x| *x == f).unwrap_or(0);
                cursor_at = Some((
                    r.x + 1 + crate::wizard::widgets::width(&lead) as u16 + view.cursor,
                    r.y + 1 + row as u16,
                ));
                view.text
            }
            Some(text) => fit(text, room),
            None => form.transport.label().to_string(),
        };
        Line::styled(
            format!("{lead}{value}"),
            if here { theme.selected() } else { Style::new() },
        )
    };
    let lines = vec![
        field(PrivateField::Host, t!("wizard.private.host")),
        field(PrivateField::Ca, t!("wizard.private.ca")),
        field(PrivateField::ClientCert, t!("wizard.private.client_cert")),
        field(PrivateField::ClientKey, t!("wizard.private.client_key")),
        field(PrivateField::Auth, t!("wizard.private.auth")),
        field(PrivateField::Transport, t!("wizard.private.transport")),
        Line::raw(""),
        match &form.error {
            Some(e) => Line::styled(format!("✗ {e}"), theme.bad()),
            None if form.host.is_empty() => Line::raw(""),
            None => Line::styled(t!("wizard.input.valid"), theme.good()),
        },
        Line::styled(t!("wizard.private.hint"), theme.dim()),
    ];
    crate::wizard::widgets::clear(frame, r);
    frame.render_widget(
        Paragraph::new(lines).block(
            ratatui::widgets::Block::default()
                .borders(ratatui::widgets::Borders::ALL)
                .title(t!("wizard.private.title")),
        ),
        r,
    );
    if let Some(at) = cursor_at.filter(|_| focused) {
        frame.set_cursor_position(at);
    }
}
