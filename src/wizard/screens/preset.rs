//! Step 2: one preset for every registry, the recommended one first.

use crate::wizard::app::App;
use crate::wizard::view::{fit, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let n = app.catalog.presets.len();
    let [list_area, detail] =
        Layout::vertical([Constraint::Length(n as u16 + 3), Constraint::Min(1)]).areas(area);
    let mut lines = vec![Line::styled(
        "Which mirrors should this node use? (one preset for every registry)",
        theme.accent(),
    )];
    for (i, p) in app.catalog.presets.iter().enumerate() {
        let cursor = if i == app.preset_cursor { "›" } else { " " };
        let notes: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
        let mut text = format!("{cursor} {:<32}", fit(&p.name, 32));
        if app.probing || !app.probes.is_empty() {
            let measured = crate::wizard::app::preset_probe_summary(app, p).unwrap_or_default();
            text.push_str(&format!(" {measured:<12}"));
        }
        if i == 0 {
            text.push_str(" (recommended)");
        }
        if !notes.is_empty() {
            text.push_str(&format!(" [{}]", notes.join(", ")));
        }
        let style = if i == app.preset_cursor {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::styled(fit(&text, 78), style));
    }
    let per = app.preset_cursor == n;
    let text = format!("{} Choose per registry…", if per { "›" } else { " " });
    lines.push(Line::styled(
        text,
        if per {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        },
    ));
    frame.render_widget(Paragraph::new(lines), list_area);

    let details: Vec<Line> = match app.catalog.presets.get(app.preset_cursor) {
        Some(p) => {
            let regs: Vec<&str> = if p.all_registries {
                vec!["every registry"]
            } else {
                p.mirrors.keys().map(String::as_str).collect()
            };
            vec![
                Line::raw(p.summary.clone()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("covers   ", theme.dim()),
                    Span::raw(regs.join(", ")),
                ]),
                Line::from(vec![
                    Span::styled("verified ", theme.dim()),
                    Span::raw(if p.verified.is_empty() {
                        "-".to_string()
                    } else {
                        format!("{} (a public source; `ctrwiz probe` measures)", p.verified)
                    }),
                ]),
                Line::from(vec![
                    Span::styled("source   ", theme.dim()),
                    Span::raw(p.source.clone()),
                ]),
            ]
        }
        None => vec![Line::raw(
            "Pick a mirror (or none) for each registry yourself on the next screen.",
        )],
    };
    frame.render_widget(
        Paragraph::new(details)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::TOP)),
        detail,
    );
}
