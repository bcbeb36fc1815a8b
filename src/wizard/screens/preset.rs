//! Step 2: one preset for every registry, the recommended one first.

use crate::t;
use crate::wizard::app::App;
use crate::wizard::widgets::{column, fit, pad, wrapped, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let n = app.catalog.presets.len();
    let [list_area, detail] =
        Layout::vertical([Constraint::Length(n as u16 + 3), Constraint::Min(1)]).areas(area);
    let mut lines = vec![Line::styled(t!("wizard.preset.question"), theme.accent())];
    for (i, p) in app.catalog.presets.iter().enumerate() {
        let cursor = if i == app.preset_cursor { "›" } else { " " };
        let notes: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
        let mut text = format!("{cursor} {}", column(p.display_name(), 32));
        if app.probes.running || !app.probes.results.is_empty() {
            let measured = app.probes.preset_summary(p).unwrap_or_default();
            text.push(' ');
            text.push_str(&pad(&measured, 12));
        }
        if i == 0 {
            text.push(' ');
            text.push_str(t!("wizard.preset.recommended"));
        }
        if !notes.is_empty() {
            let list = notes.join(t!("guide.punct.list_sep"));
            text.push(' ');
            text.push_str(&t!("guide.punct.tag", list = list));
        }
        let style = if i == app.preset_cursor {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::styled(fit(&text, 78), style));
    }
    let per = app.preset_cursor == n;
    let text = format!(
        "{} {}",
        if per { "›" } else { " " },
        t!("wizard.preset.per_registry")
    );
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
                vec![t!("wizard.preset.every_registry")]
            } else {
                p.mirrors.keys().map(String::as_str).collect()
            };
            vec![
                Line::raw(p.display_summary().to_string()),
                Line::from(vec![
                    Span::styled(label(t!("wizard.preset.covers")), theme.dim()),
                    Span::raw(regs.join(", ")),
                ]),
                Line::from(vec![
                    Span::styled(label(t!("wizard.preset.verified")), theme.dim()),
                    Span::raw(if p.verified.is_empty() {
                        "-".to_string()
                    } else {
                        t!("wizard.preset.verified_value", date = p.verified)
                    }),
                ]),
                Line::from(vec![
                    Span::styled(label(t!("wizard.preset.source")), theme.dim()),
                    Span::raw(p.source.clone()),
                ]),
            ]
        }
        None => vec![Line::raw(t!("wizard.preset.per_registry_detail"))],
    };
    frame.render_widget(
        wrapped(details, detail.width).block(Block::default().borders(Borders::TOP)),
        detail,
    );
}

/// A label of the details, as a column of 9 cells (8 and a space).
fn label(text: &str) -> String {
    pad(&format!("{text} "), 9)
}
