//! Step 3: registry → mirror(s), with a chooser and text fields.

use crate::selection::Choice;
use crate::tui::app::{App, ChooserOption, InputPurpose};
use crate::tui::view::{block, bold, centered, dim, selected};
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

/// (choice, mirrors, notes) for one registry row.
pub fn describe(app: &App, reg: &crate::registry::RegistryName) -> (String, String, String) {
    match app.choice_for(reg) {
        None => ("-".into(), "left as is".into(), String::new()),
        Some(Choice::Remove) => ("none".into(), "hosts.toml removed".into(), String::new()),
        Some(Choice::Urls(u)) => ("custom".into(), u.join(", "), String::new()),
        Some(Choice::Preset(id)) => match app.catalog.preset(&id) {
            Err(_) => (id, "unknown preset".into(), String::new()),
            Ok(p) => {
                let mirrors = if p.is_upstream() {
                    "upstream (no mirror)".to_string()
                } else {
                    p.mirrors_for(reg).unwrap_or_default().join(", ")
                };
                (id, mirrors, super::preset::notes_label(p))
            }
        },
    }
}

fn option_label(app: &App, o: &ChooserOption) -> String {
    match o {
        ChooserOption::Preset(id) => match app.catalog.preset(id) {
            Ok(p) if p.is_upstream() => "upstream: no mirror, the registry itself".into(),
            Ok(p) => {
                let notes = super::preset::notes_label(p);
                if notes.is_empty() {
                    p.name.clone()
                } else {
                    format!("{} [{notes}]", p.name)
                }
            }
            Err(_) => id.clone(),
        },
        ChooserOption::Custom => "custom URLs…".into(),
        ChooserOption::Remove => "none: remove its hosts.toml".into(),
        ChooserOption::Leave => "leave as is: write nothing for it".into(),
    }
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let title = match &app.selection.preset {
        Some(id) => format!(" 3 Registries (preset: {id}) "),
        None => " 3 Registries (no preset: choose per registry) ".to_string(),
    };
    let rows: Vec<Row> = app
        .rows()
        .iter()
        .map(|r| {
            let (choice, mirrors, notes) = describe(app, r);
            let own = if app.selection.mirrors.contains_key(r) {
                "*"
            } else {
                ""
            };
            Row::new(vec![
                r.to_string(),
                format!("{choice}{own}"),
                mirrors,
                notes,
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(22),
            Constraint::Length(12),
            Constraint::Min(20),
            Constraint::Length(15),
        ],
    )
    .header(Row::new(vec!["Registry", "Choice", "Mirror(s)", "Notes"]).style(bold()))
    .highlight_symbol("> ")
    .row_highlight_style(selected())
    .block(
        block(title).title_bottom(Line::from(Span::styled(
            " * = your own choice, overriding the preset ",
            dim(),
        ))),
    );
    let mut state = TableState::default().with_selected(Some(app.reg_cursor));
    frame.render_stateful_widget(table, area, &mut state);

    if let Some(ch) = &app.chooser {
        let h = ch.options.len() as u16 + 2;
        let r = centered(area, 64, h);
        frame.render_widget(Clear, r);
        let items: Vec<ListItem> = ch
            .options
            .iter()
            .map(|o| ListItem::new(option_label(app, o)))
            .collect();
        let mut st = ListState::default().with_selected(Some(ch.cursor));
        frame.render_stateful_widget(
            List::new(items)
                .block(block(format!(" Mirror for {} ", ch.registry)))
                .highlight_symbol("> ")
                .highlight_style(selected()),
            r,
            &mut st,
        );
    }
    if let Some(input) = &app.input {
        let (title, hint) = match &input.purpose {
            InputPurpose::CustomUrls(r) => (
                format!(" Custom mirror URLs for {r} "),
                "one or more URLs, tried in order; separate with commas",
            ),
            InputPurpose::AddRegistry => (
                " Add a registry ".to_string(),
                "host or host:port, e.g. harbor.example.com:8443",
            ),
        };
        let status = match &input.error {
            Some(e) => Line::from(format!("✗ {e}")),
            None => Line::from("✓ valid: Enter accepts"),
        };
        let r = centered(area, 72, 8);
        frame.render_widget(Clear, r);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(hint, dim())),
                Line::from(format!("> {}_", input.text)),
                status,
            ])
            .block(block(title))
            .wrap(Wrap { trim: false }),
            r,
        );
    }
}
