//! Step 1: what is on this node. Rows fill in as the probes report.

use crate::doctor::Status;
use crate::node::{ServiceManager, ToolName};
use crate::t;
use crate::wizard::app::App;
use crate::wizard::widgets::{pad, scrolled, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
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
            None => (t!("wizard.node.checking").to_string(), theme.dim()),
            Some(tool) if tool.path.is_none() => {
                (t!("wizard.node.not_found").to_string(), theme.dim())
            }
            Some(tool) => (
                tool.version.map(|v| v.to_string()).unwrap_or_else(|| {
                    if tool.timed_out {
                        t!("wizard.node.no_answer").into()
                    } else {
                        t!("wizard.node.version_unknown").into()
                    }
                }),
                theme.good(),
            ),
        };
        vec![
            Span::raw(format!("  {:<12} ", name.as_str())),
            Span::styled(pad(&text, 24), style),
        ]
    };
    let mut lines = vec![Line::styled(t!("wizard.node.tools"), theme.accent())];
    let half = ToolName::ALL.len().div_ceil(2);
    for i in 0..half {
        let mut spans = cell(ToolName::ALL[i]);
        if let Some(right) = ToolName::ALL.get(i + half) {
            spans.extend(cell(*right));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(ratatui::widgets::Paragraph::new(lines), tools_area);

    let mut info: Vec<Line> = vec![];
    match &app.node {
        None => info.push(Line::styled(t!("wizard.node.reading"), theme.dim())),
        Some(node) => {
            let c = &node.containerd_config;
            let state = match (c.exists, c.schema_version, &c.error) {
                (false, _, _) => t!("wizard.node.config_missing").to_string(),
                (_, _, Some(_)) => t!("wizard.node.config_broken").to_string(),
                (true, Some(v), None) => t!("wizard.node.config_version", v = v),
                _ => t!("wizard.node.config_unreadable").into(),
            };
            let path = c.path.display();
            let line = t!("wizard.node.config_line", path = path, state = state);
            info.push(Line::raw(line));
            let cp = c
                .config_path
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(t!("wizard.node.config_path_unset"));
            info.push(Line::raw(t!("wizard.node.config_path_line", value = cp)));
            let regs = if node.hosts_dir.registries.is_empty() {
                t!("wizard.node.no_registries").into()
            } else {
                node.hosts_dir.registries.join(", ")
            };
            let path = node.hosts_dir.path.display();
            let line = t!("wizard.node.hosts_dir_line", path = path, list = regs);
            info.push(Line::raw(line));
            if let Some(dir) = &node.cni_dir {
                info.push(Line::raw(t!("wizard.node.cni_line", dir = dir.display())));
            }
            let state = if node.service.running {
                t!("wizard.node.running")
            } else {
                t!("wizard.node.not_running")
            };
            let manager = match node.service.manager {
                ServiceManager::None => t!("wizard.node.no_manager").to_string(),
                m => format!("{m:?}").to_lowercase(),
            };
            let line = t!("wizard.node.service_line", manager = manager, state = state);
            info.push(Line::raw(line));
            if let Some(env) = node.proxy_env() {
                let url = env.shown_url();
                info.push(Line::raw(t!("wizard.node.proxy_line", url = url)));
            }
            if let Some(checks) = &app.checks {
                let problems = checks.iter().filter(|c| c.status != Status::Ok).count();
                info.push(Line::styled(
                    t!("wizard.node.findings", n = problems),
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
                        info.push(Line::styled(
                            format!("  {}", t!("wizard.node.fix", fix = fix)),
                            theme.dim(),
                        ));
                    }
                }
            }
        }
    }
    let block = Block::default().borders(Borders::TOP).title(" containerd ");
    let inner = block.inner(rest);
    frame.render_widget(block, rest);
    scrolled(
        frame,
        inner,
        info,
        app.scroll_of(crate::wizard::step::Step::Node),
        &app.scroll_max,
        theme,
    );
}

fn draw_checks(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::styled(t!("wizard.node.checks_title"), theme.accent())];
    match &app.checks {
        None => lines.push(Line::styled(t!("wizard.node.still_reading"), theme.dim())),
        Some(checks) => {
            for c in checks {
                let (mark, style) = match c.status {
                    Status::Ok => (t!("wizard.node.status_ok"), theme.good()),
                    Status::Warn => (t!("wizard.node.status_warn"), theme.warn()),
                    Status::Fail => (t!("wizard.node.status_fail"), theme.bad()),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("[{}] ", pad(mark, 4)), style),
                    Span::raw(c.message.clone()),
                ]));
                if let (Some(fix), true) = (&c.fix, c.status != Status::Ok) {
                    lines.push(Line::styled(
                        format!("       {}", t!("wizard.node.fix", fix = fix)),
                        theme.dim(),
                    ));
                }
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(t!("wizard.node.checks_footer"), theme.dim()));
        }
    }
    scrolled(
        frame,
        area,
        lines,
        app.scroll_of(crate::wizard::step::Step::Node),
        &app.scroll_max,
        theme,
    );
}
