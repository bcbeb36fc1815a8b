//! Step 2: one preset for every registry, or per-registry choices.

use crate::catalog::Preset;
use crate::tui::app::App;
use crate::tui::view::{block, bold, dim, selected};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

pub fn notes_label(p: &Preset) -> String {
    p.notes
        .iter()
        .map(|n| n.label())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let outer = block(" 2 Preset: one mirror source for every registry ");
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let n = app.catalog.presets.len() + 1;
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Max(n as u16), Constraint::Min(3)]).areas(inner);
    let recommended = &app.catalog.recommended().id;
    let mut items: Vec<ListItem> = app
        .catalog
        .presets
        .iter()
        .map(|p| {
            let radio = if app.selection.preset.as_deref() == Some(p.id.as_str()) {
                "(•) "
            } else {
                "( ) "
            };
            let mut spans = vec![Span::raw(radio), Span::raw(format!("{:<34}", p.name))];
            if &p.id == recommended {
                spans.push(Span::styled("recommended ", bold()));
            }
            let notes = notes_label(p);
            if !notes.is_empty() {
                spans.push(Span::raw(format!("[{notes}]")));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let radio = if app.selection.preset.is_none() {
        "(•) "
    } else {
        "( ) "
    };
    items.push(ListItem::new(Line::from(format!(
        "{radio}choose per registry…"
    ))));
    let mut state = ListState::default().with_selected(Some(app.preset_cursor));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_symbol("> ")
            .highlight_style(selected()),
        list_area,
        &mut state,
    );
    let detail: Vec<Line> = match app.catalog.presets.get(app.preset_cursor) {
        Some(p) => {
            let covers: Vec<&str> = if p.all_registries {
                vec!["every registry"]
            } else {
                p.mirrors.keys().map(String::as_str).collect()
            };
            let mut d = vec![
                Line::from(""),
                Line::from(Span::styled(p.summary.clone(), dim())),
                Line::from(format!("covers: {}", covers.join(", "))),
            ];
            if !p.verified.is_empty() {
                d.push(Line::from(format!("last seen working: {}", p.verified)));
            }
            d
        }
        None => vec![
            Line::from(""),
            Line::from("No preset for all: pick a mirror for each registry on the next step."),
        ],
    };
    frame.render_widget(Paragraph::new(detail).wrap(Wrap { trim: true }), detail_area);
}
