//! Step 4: every file that will be written (new / changed / unchanged),
//! its diff, and whether containerd restarts and why.

use crate::plan::ChangeKind;
use crate::wizard::app::{change_counts, App, Focus};
use crate::wizard::view::{fit, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let plan = match &app.plan {
        None => {
            frame.render_widget(
                Paragraph::new("Waiting for the node to be read… (Esc goes back)")
                    .style(theme.dim()),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            let text = format!("This selection cannot be planned:\n\n{e}\n\nNothing will be written. Esc goes back to change the selection.");
            frame.render_widget(
                Paragraph::new(text)
                    .style(theme.bad())
                    .wrap(Wrap { trim: false }),
                area,
            );
            return;
        }
        Some(Ok(p)) => p,
    };
    let list_h = (plan.changes.len() as u16 + 1).min(8);
    let notes_h = if plan.notes.is_empty() { 0 } else { 2 };
    let [head, list, diff, notes] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(list_h),
        Constraint::Min(3),
        Constraint::Length(notes_h),
    ])
    .areas(area);
    let (new, changed, same) = change_counts(plan);
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(
                if plan.is_noop() {
                    format!("{new} new, {changed} changed, {same} unchanged — nothing to apply")
                } else {
                    format!("{new} new, {changed} changed, {same} unchanged — apply them? [y/N]")
                },
                theme.accent(),
            ),
            Line::raw(plan.restart_sentence()),
        ])
        .wrap(Wrap { trim: true }),
        head,
    );
    let visible = list_h as usize;
    let start = app.file_cursor.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = plan
        .changes
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, c)| {
            let mark = match c.kind() {
                ChangeKind::Create => "[new]      ",
                ChangeKind::Modify => "[changed]  ",
                ChangeKind::Delete => "[removed]  ",
                ChangeKind::Unchanged => "[unchanged]",
            };
            let cursor = if i == app.file_cursor { "›" } else { " " };
            let style = if i == app.file_cursor && app.focus == Focus::Files {
                theme.selected()
            } else {
                Style::new()
            };
            Line::styled(
                fit(&format!("{cursor} {mark} {}", c.path.display()), 80),
                style,
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);

    let (title, body) = match app.selected_change() {
        Some(c) if c.kind() == ChangeKind::Unchanged => (
            format!(" {} ", c.path.display()),
            "(unchanged: nothing is written)".to_string(),
        ),
        Some(c) => (format!(" diff {} ", c.path.display()), c.diff()),
        None => (String::new(), String::new()),
    };
    let diff_lines: Vec<Line> = body
        .lines()
        .map(|l| {
            let style = match l.chars().next() {
                Some('+') if !l.starts_with("+++") => theme.good(),
                Some('-') if !l.starts_with("---") => theme.bad(),
                Some('@') => theme.dim(),
                _ => Style::new(),
            };
            Line::styled(l.to_string(), style)
        })
        .collect();
    let focus = if app.focus == Focus::Diff {
        " (scrolling) "
    } else {
        ""
    };
    frame.render_widget(
        Paragraph::new(diff_lines)
            .scroll((app.diff_scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .title(fit(&format!("{title}{focus}"), 78)),
            ),
        diff,
    );
    if notes_h > 0 {
        frame.render_widget(
            Paragraph::new(format!("note: {}", plan.notes.join(" · ")))
                .style(theme.warn())
                .wrap(Wrap { trim: true }),
            notes,
        );
    }
}
