//! Step 3: registry → mirror(s), with each preset's notes; change any
//! row, type custom URLs (validated as typed) or add a registry.

use crate::selection::Choice;
use crate::t;
use crate::wizard::app::App;
use crate::wizard::editor::{ChooserOption, Editor};
use crate::wizard::widgets::{centered, clear, column, input_box, wrap_lines, wrapped, Theme};
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
    // Each row's mirrors wrap under their column (never cut); the rows
    // scroll so the cursor's row is whole on the screen.
    let mut rows: Vec<Vec<Line>> = vec![];
    for (i, r) in app.registries.iter().enumerate() {
        let choice = match app.choice_of(r) {
            None => t!("wizard.registries.unchanged").to_string(),
            Some(Choice::Preset(id)) => id,
            Some(Choice::Urls(u)) => crate::wizard::derive::preset_with_id(&app.catalog, r, &u)
                .map_or_else(|| t!("wizard.registries.custom").into(), |p| p.id.clone()),
            Some(Choice::Remove) => t!("wizard.registries.none").into(),
        };
        let mirrors = if app.choice_of(r).is_some() {
            app.target_mirrors(r)
        } else {
            t!("wizard.registries.left_as_is").into()
        };
        let cursor = if i == app.registry_cursor { "›" } else { " " };
        let head = format!(
            "{cursor} {} {} ",
            column(r.as_str(), 24),
            column(&choice, 12),
        );
        let style = if i == app.registry_cursor {
            theme.selected()
        } else {
            Style::new()
        };
        let indent = crate::wizard::widgets::width(&head);
        let room = usize::from(table.width).saturating_sub(indent).max(8);
        let parts = wrap_lines([Line::raw(mirrors)], room as u16);
        let mut block = vec![];
        for (n, part) in parts.into_iter().enumerate() {
            let lead = if n == 0 {
                head.clone()
            } else {
                " ".repeat(indent)
            };
            block.push(Line::styled(format!("{lead}{part}"), style));
        }
        rows.push(block);
    }
    let visible = table.height.saturating_sub(1) as usize;
    let through_cursor: usize = rows
        .iter()
        .take(app.registry_cursor + 1)
        .map(Vec::len)
        .sum();
    let mut skip_lines = through_cursor.saturating_sub(visible);
    let mut start = 0;
    while start < rows.len() && skip_lines > 0 {
        skip_lines = skip_lines.saturating_sub(rows[start].len());
        start += 1;
    }
    let more_below = rows.iter().skip(start).map(Vec::len).sum::<usize>() > visible;
    let mut body: Vec<Line> = rows.into_iter().skip(start).flatten().collect();
    body.truncate(visible);
    if more_below && visible > 1 {
        body.pop();
        body.push(Line::styled(t!("guide.scroll.rows_below"), theme.dim()));
    }
    lines.extend(body);
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
                let tag = tags(p);
                let tag = if tag.is_empty() {
                    tag
                } else {
                    format!("{tag} ")
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
            let width = area.width.min(78);
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
                            let tag = tags(p);
                            let tag = if tag.is_empty() {
                                tag
                            } else {
                                format!(" {tag}")
                            };
                            format!("{} ({id}){tag}", p.display_name())
                        }
                        ChooserOption::Custom => t!("wizard.registries.option_custom").into(),
                        ChooserOption::Remove => t!("wizard.registries.option_remove").into(),
                    };
                    let sel = i == *cursor;
                    Line::styled(
                        format!("{} {label}", if sel { "›" } else { " " }),
                        if sel { theme.selected() } else { Style::new() },
                    )
                })
                .collect();
            // Long labels wrap; the box is as tall as they are.
            let lines = wrap_lines(lines, width.saturating_sub(2));
            let r = centered(area, width, lines.len() as u16 + 2);
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
                app.overlay == crate::wizard::app::Overlay::None,
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
                app.overlay == crate::wizard::app::Overlay::None,
            );
        }
        Editor::Proxy { .. }
        | Editor::ClusterRanges { .. }
        | Editor::Private(_)
        | Editor::PauseImage { .. } => {}
        Editor::AddRegistry { input, error } => {
            input_box(
                frame,
                area,
                theme,
                t!("wizard.registries.add_title"),
                input,
                error.as_deref(),
                t!("wizard.registries.add_hint"),
                app.overlay == crate::wizard::app::Overlay::None,
            );
        }
    }
}

/// A preset's notes as a tag, punctuated for the language
/// ("[needs your ID, cloud-internal only]", "【需要你的 ID，仅云内网】").
fn tags(p: &crate::catalog::Preset) -> String {
    let labels: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
    if labels.is_empty() {
        return String::new();
    }
    let list = labels.join(t!("guide.punct.list_sep"));
    t!("guide.punct.tag", list = list)
}
