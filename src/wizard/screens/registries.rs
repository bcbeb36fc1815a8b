//! Step 3: registry → mirror(s), with each preset's notes; change any
//! row, type custom URLs (validated as typed) or add a registry.

use crate::selection::Choice;
use crate::t;
use crate::wizard::app::App;
use crate::wizard::editor::{ChooserOption, Editor};
use crate::wizard::widgets::{centered, clear, column, fit, input_box, wrapped, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [table, notes] = Layout::vertical([Constraint::Min(5), Constraint::Length(3)]).areas(area);
    let mut lines = vec![Line::styled(
        format!(
            "  {} {} {}",
            column(t!("wizard.registries.registry"), 24),
            column(t!("wizard.registries.choice"), 12),
            t!("wizard.registries.mirrors")
        ),
        theme.accent(),
    )];
    let visible = table.height.saturating_sub(1) as usize;
    let start = app
        .registry_cursor
        .saturating_sub(visible.saturating_sub(1));
    for (i, r) in app.registries.iter().enumerate().skip(start).take(visible) {
        let choice = match app.choice_of(r) {
            None => t!("wizard.registries.unchanged").to_string(),
            Some(Choice::Preset(id)) => id,
            Some(Choice::Urls(_)) => t!("wizard.registries.custom").into(),
            Some(Choice::Remove) => t!("wizard.registries.none").into(),
        };
        let mirrors = if app.choice_of(r).is_some() {
            app.target_mirrors(r)
        } else {
            t!("wizard.registries.left_as_is").into()
        };
        let cursor = if i == app.registry_cursor { "›" } else { " " };
        let text = format!(
            "{cursor} {} {} {}",
            column(r.as_str(), 24),
            column(&choice, 12),
            mirrors
        );
        let style = if i == app.registry_cursor {
            theme.selected()
        } else {
            Style::new()
        };
        lines.push(Line::styled(fit(&text, table.width as usize), style));
    }
    if app.probes.running {
        lines.push(Line::styled(t!("wizard.registries.measuring"), theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), table);

    // Notes of the selected row's preset.
    let note = app
        .registries
        .get(app.registry_cursor)
        .and_then(|r| match app.choice_of(r) {
            Some(Choice::Preset(id)) => app.catalog.preset(&id).ok().map(|p| {
                let labels: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
                let tag = if labels.is_empty() {
                    String::new()
                } else {
                    format!("[{}] ", labels.join(", "))
                };
                let text = format!("{tag}{}", p.display_summary());
                t!(
                    "wizard.registries.note_preset",
                    name = p.display_name(),
                    text = text
                )
            }),
            Some(Choice::Urls(_)) => Some(t!("wizard.registries.note_urls").into()),
            Some(Choice::Remove) => Some(t!("wizard.registries.note_remove").into()),
            None => Some(t!("wizard.registries.note_unmanaged").into()),
        });
    frame.render_widget(
        wrapped(note.unwrap_or_default(), notes.width)
            .style(theme.dim())
            .block(Block::default().borders(Borders::TOP)),
        notes,
    );

    if let Some(editor) = &app.editor {
        draw_editor(frame, area, app, editor, theme);
    }
}

fn draw_editor(frame: &mut Frame, area: Rect, app: &App, editor: &Editor, theme: &Theme) {
    match editor {
        Editor::Chooser { registry, cursor } => {
            let options = app.chooser_options(registry);
            let r = centered(area, 72, options.len() as u16 + 2);
            let lines: Vec<Line> = options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let label = match o {
                        ChooserOption::Preset(id) => {
                            let p = app
                                .catalog
                                .preset(id)
                                // i18n: an invariant, never shown
                                .expect("options come from the catalog");
                            let notes: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
                            let tag = if notes.is_empty() {
                                String::new()
                            } else {
                                format!(" [{}]", notes.join(", "))
                            };
                            format!("{} ({id}){tag}", p.display_name())
                        }
                        ChooserOption::Custom => t!("wizard.registries.option_custom").into(),
                        ChooserOption::Remove => t!("wizard.registries.option_remove").into(),
                    };
                    let sel = i == *cursor;
                    Line::styled(
                        fit(&format!("{} {label}", if sel { "›" } else { " " }), 68),
                        if sel { theme.selected() } else { Style::new() },
                    )
                })
                .collect();
            clear(frame, r);
            frame.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(t!("wizard.registries.chooser_title", registry = registry)),
                ),
                r,
            );
        }
        Editor::Custom {
            registry,
            input,
            error,
        } => {
            input_box(
                frame,
                area,
                theme,
                &t!("wizard.registries.custom_title", registry = registry),
                input,
                error.as_deref(),
                t!("wizard.registries.custom_hint"),
            );
        }
        Editor::AccountId {
            registry,
            template,
            input,
            error,
        } => {
            let hint = t!("wizard.registries.id_hint", url = template.join(", "));
            input_box(
                frame,
                area,
                theme,
                &t!("wizard.registries.id_title", registry = registry),
                input,
                error.as_deref(),
                &hint,
            );
        }
        Editor::Proxy { .. } | Editor::Private(_) | Editor::PauseImage { .. } => {}
        Editor::AddRegistry { input, error } => {
            input_box(
                frame,
                area,
                theme,
                t!("wizard.registries.add_title"),
                input,
                error.as_deref(),
                t!("wizard.registries.add_hint"),
            );
        }
    }
}
