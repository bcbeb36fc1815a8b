//! Step 1: what is installed, filled in as the probes answer.

use crate::node::{NodeState, Tool, ToolName};
use crate::tui::app::App;
use crate::tui::view::{block, bold, dim, fg};
use crate::version::Version;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::path::Path;

/// Shown always; crun and dockerd only when found.
const ROWS: [ToolName; 7] = [
    ToolName::Containerd,
    ToolName::Ctr,
    ToolName::Runc,
    ToolName::CniPlugins,
    ToolName::Nerdctl,
    ToolName::Crictl,
    ToolName::Buildkitd,
];
const OPTIONAL: [ToolName; 2] = [ToolName::Crun, ToolName::Dockerd];

fn tool<'a>(app: &'a App, name: ToolName) -> Option<&'a Tool> {
    app.tools.iter().find(|t| t.name == name)
}

/// Problems worth fixing before configuring mirrors, each with its fix.
pub fn warnings(app: &App) -> Vec<String> {
    let mut out = Vec::new();
    let found = |n| tool(app, n).is_some_and(|t| t.path.is_some());
    let known = |n| tool(app, n).is_some();
    if known(ToolName::Containerd) && !found(ToolName::Containerd) {
        out.push("containerd not found. Install it: apt-get install containerd (or the upstream release tarball from github.com/containerd/containerd)".into());
    }
    if let Some(v) = tool(app, ToolName::Nerdctl).and_then(|t| t.version) {
        if v == Version::new(2, 0, 0) || v == Version::new(2, 0, 1) {
            out.push(format!(
                "nerdctl {v} ignores docker.io mirrors in hosts.toml: upgrade nerdctl to 2.0.2 or newer"
            ));
        }
    }
    if known(ToolName::Runc) && !found(ToolName::Runc) {
        out.push("runc not found: containerd cannot start containers without it. Install it: apt-get install runc".into());
    }
    if let Some(node) = &app.node {
        if let Some(dir) = &node.cni_dir {
            if dir != Path::new("/opt/cni/bin") {
                out.push(format!(
                    "CNI plugins are in {}, not /opt/cni/bin (containerd's default bin_dir): set bin_dir in config.toml or link them there",
                    dir.display()
                ));
            }
        }
        if let Some(e) = &node.containerd_config.error {
            out.push(format!(
                "config.toml does not parse: {}",
                e.lines().next().unwrap_or("")
            ));
        }
    }
    out
}

fn tool_line(app: &App, name: ToolName) -> Line<'static> {
    let label = format!("{:<12}", name.as_str());
    let Some(t) = tool(app, name) else {
        return Line::from(vec![
            Span::raw("  … "),
            Span::raw(label),
            Span::styled("checking…", dim()),
        ]);
    };
    let Some(path) = &t.path else {
        return Line::from(vec![
            Span::styled("  ✗ ", fg(app, Color::Yellow)),
            Span::raw(label),
            Span::raw("not found"),
        ]);
    };
    let shown_path = match name {
        ToolName::CniPlugins => path.parent().unwrap_or(path).display().to_string(),
        _ => path.display().to_string(),
    };
    let (mark, version) = if t.timed_out {
        ("  ! ", "no answer in time".to_string())
    } else if let Some(v) = t.version {
        ("  ✓ ", v.to_string())
    } else {
        ("  ✓ ", t.raw.clone().unwrap_or_else(|| "version unknown".into()))
    };
    let mut version: String = version.chars().take(24).collect();
    if version.chars().count() < 24 {
        version = format!("{version:<24}");
    }
    Line::from(vec![
        Span::styled(mark, fg(app, Color::Green)),
        Span::raw(label),
        Span::raw(format!("{version} ")),
        Span::styled(shown_path, dim()),
    ])
}

fn node_lines(node: &NodeState) -> Vec<Line<'static>> {
    let cfg = &node.containerd_config;
    let config = if let Some(e) = &cfg.error {
        format!(
            "  ! config.toml   {}: {}",
            cfg.path.display(),
            e.lines().next().unwrap_or("")
        )
    } else if cfg.exists {
        format!(
            "  ✓ config.toml   {} (schema version {})",
            cfg.path.display(),
            cfg.schema_version.map_or("?".into(), |v| v.to_string())
        )
    } else {
        format!(
            "  ✗ config.toml   {} does not exist: it will be created",
            cfg.path.display()
        )
    };
    let hosts = &node.hosts_dir;
    let hosts_line = if hosts.exists {
        format!(
            "  ✓ hosts dir     {} ({} registr{})",
            hosts.path.display(),
            hosts.registries.len(),
            if hosts.registries.len() == 1 { "y" } else { "ies" }
        )
    } else {
        format!(
            "  ✗ hosts dir     {} does not exist: it will be created",
            hosts.path.display()
        )
    };
    let svc = &node.service;
    let manager = match svc.manager {
        crate::node::ServiceManager::Systemd => "systemd",
        crate::node::ServiceManager::Openrc => "OpenRC",
        crate::node::ServiceManager::None => "none found",
    };
    let running = if svc.running {
        "✓ containerd answers on its socket"
    } else {
        "✗ containerd is not running"
    };
    vec![
        Line::from(config),
        Line::from(hosts_line),
        Line::from(format!("  · service       {manager}; {running}")),
    ]
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let mut lines = vec![Line::from(Span::styled("Tools", bold()))];
    for name in ROWS {
        lines.push(tool_line(app, name));
    }
    for name in OPTIONAL {
        if tool(app, name).is_some_and(|t| t.path.is_some()) {
            lines.push(tool_line(app, name));
        }
    }
    lines.push(Line::from(Span::styled("Files and service", bold())));
    match &app.node {
        Some(node) => lines.extend(node_lines(node)),
        None => {
            for what in ["config.toml", "hosts dir", "service"] {
                lines.push(Line::from(vec![
                    Span::raw(format!("  … {what:<13} ")),
                    Span::styled("checking…", dim()),
                ]));
            }
        }
    }
    let warnings = warnings(app);
    if !warnings.is_empty() {
        lines.push(Line::from(Span::styled("Warnings", bold())));
        for w in warnings {
            lines.push(Line::from(vec![
                Span::styled("  ! ", fg(app, Color::Yellow)),
                Span::raw(w),
            ]));
        }
    }
    let title = if app.node.is_some() {
        " 1 Node: what is installed "
    } else {
        " 1 Node: what is installed (checking…) "
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title))
            .wrap(Wrap { trim: false }),
        area,
    );
}
