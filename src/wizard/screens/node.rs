//! Step 1: what is on this node. Rows fill in as the probes report.

use crate::doctor::Status;
use crate::node::ToolName;
use crate::wizard::app::App;
use crate::wizard::view::{fit, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// Checks worth showing on the first screen (the rest: `t`).
const HEADLINE: &[&str] = &[
    "containerd.installed",
    "clients.nerdctl",
    "runtime.runc",
    "cni.installed",
    "cni.bin_dir",
    "cri.disabled",
    "config.parses",
];

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.show_checks {
        return draw_checks(frame, area, app, theme);
    }
    let [tools_area, rest] =
        Layout::vertical([Constraint::Length(6), Constraint::Min(1)]).areas(area);
    // Two columns: name and version (paths: `ctrwiz detect`).
    let cell = |name: ToolName| -> Vec<Span> {
        let (text, style) = match app.tools.get(&name) {
            None => ("… checking".to_string(), theme.dim()),
            Some(t) if t.path.is_none() => ("not found".to_string(), theme.dim()),
            Some(t) => (
                t.version.map(|v| v.to_string()).unwrap_or_else(|| {
                    if t.timed_out {
                        "no answer".into()
                    } else {
                        "version unknown".into()
                    }
                }),
                theme.good(),
            ),
        };
        vec![
            Span::raw(format!("  {:<12} ", name.as_str())),
            Span::styled(format!("{:<24}", text), style),
        ]
    };
    let mut lines = vec![Line::styled("Installed tools", theme.accent())];
    let half = ToolName::ALL.len().div_ceil(2);
    for i in 0..half {
        let mut spans = cell(ToolName::ALL[i]);
        if let Some(right) = ToolName::ALL.get(i + half) {
            spans.extend(cell(*right));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), tools_area);

    let mut info: Vec<Line> = vec![];
    match &app.node {
        None => info.push(Line::styled(
            "Reading config.toml and the hosts dir…",
            theme.dim(),
        )),
        Some(node) => {
            let c = &node.containerd_config;
            let state = match (c.exists, c.schema_version, &c.error) {
                (false, _, _) => "missing (ctrwiz will create it)".to_string(),
                (_, _, Some(_)) => "does not parse".to_string(),
                (true, Some(v), None) => format!("version {v}"),
                _ => "unreadable".into(),
            };
            info.push(Line::raw(fit(
                &format!("config.toml  {} — {state}", c.path.display()),
                78,
            )));
            let cp = c
                .config_path
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("not set (hosts.toml files are not used)");
            info.push(Line::raw(fit(&format!("config_path  {cp}"), 78)));
            let regs = if node.hosts_dir.registries.is_empty() {
                "no registries yet".into()
            } else {
                node.hosts_dir.registries.join(", ")
            };
            info.push(Line::raw(fit(
                &format!("hosts dir    {} — {regs}", node.hosts_dir.path.display()),
                78,
            )));
            if let Some(dir) = &node.cni_dir {
                info.push(Line::raw(format!("CNI plugins  {}", dir.display())));
            }
            let running = if node.service.running {
                "answers on its socket"
            } else {
                "does not answer"
            };
            info.push(Line::raw(
                format!(
                    "service      {:?}; containerd {running}",
                    node.service.manager
                )
                .to_lowercase(),
            ));
            if let Some(checks) = &app.checks {
                let problems = checks.iter().filter(|c| c.status != Status::Ok).count();
                info.push(Line::styled(
                    format!("{problems} finding(s) in all: t shows every check (the doctor)"),
                    theme.dim(),
                ));
                for c in checks
                    .iter()
                    .filter(|c| c.status != Status::Ok && HEADLINE.contains(&c.id.as_str()))
                {
                    let mark = if c.status == Status::Fail { "✗" } else { "!" };
                    let style = if c.status == Status::Fail {
                        theme.bad()
                    } else {
                        theme.warn()
                    };
                    info.push(Line::from(vec![
                        Span::styled(format!("{mark} "), style),
                        Span::raw(c.message.clone()),
                    ]));
                    if let Some(fix) = &c.fix {
                        info.push(Line::styled(format!("  fix: {fix}"), theme.dim()));
                    }
                }
            }
        }
    }
    frame.render_widget(
        Paragraph::new(info)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::TOP).title(" containerd ")),
        rest,
    );
}

fn draw_checks(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::styled(
        "Troubleshoot: every check (t goes back)",
        theme.accent(),
    )];
    match &app.checks {
        None => lines.push(Line::styled("… still reading the node", theme.dim())),
        Some(checks) => {
            for c in checks {
                let (mark, style) = match c.status {
                    Status::Ok => ("ok  ", theme.good()),
                    Status::Warn => ("WARN", theme.warn()),
                    Status::Fail => ("FAIL", theme.bad()),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("[{mark}] "), style),
                    Span::raw(c.message.clone()),
                ]));
                if let (Some(fix), true) = (&c.fix, c.status != Status::Ok) {
                    lines.push(Line::styled(format!("       fix: {fix}"), theme.dim()));
                }
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Fixes marked for ctrwiz are part of the plan: choose mirrors and review them.",
                theme.dim(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
