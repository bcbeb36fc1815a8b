//! Step 4: every file the plan touches, the selected file's diff, the
//! restart sentence and the plan's notes.

use crate::plan::{ChangeKind, FileChange};
use crate::tui::app::App;
use crate::tui::view::{block, bold, fg};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

pub fn kind_label(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Create => "[new]",
        ChangeKind::Modify => "[changed]",
        ChangeKind::Delete => "[deleted]",
        ChangeKind::Unchanged => "[unchanged]",
    }
}

fn file_item(c: &FileChange) -> ListItem<'static> {
    let mut text = format!("{:<12}{}", kind_label(c.kind()), c.path.display());
    if let Some(n) = &c.note {
        text.push_str(&format!("  ({n})"));
    }
    ListItem::new(text)
}

fn diff_line(app: &App, l: &str) -> Line<'static> {
    let style = if l.starts_with("+++") || l.starts_with("---") {
        bold()
    } else if l.starts_with('+') {
        fg(app, Color::Green)
    } else if l.starts_with('-') {
        fg(app, Color::Red)
    } else if l.starts_with("@@") {
        fg(app, Color::Cyan)
    } else {
        Style::default()
    };
    Line::from(Span::styled(l.to_string(), style))
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let plan = match &app.plan {
        None => {
            frame.render_widget(
                Paragraph::new("… still reading the node; the plan appears when it is done.")
                    .block(block(" 4 Review ")),
                area,
            );
            return;
        }
        Some(Err(e)) => {
            let mut lines = vec![
                Line::from(Span::styled("The plan could not be made:", bold())),
                Line::from(""),
            ];
            lines.extend(e.lines().map(|l| Line::from(format!("! {l}"))));
            lines.push(Line::from(""));
            lines.push(Line::from(
                "Nothing was written. Esc goes back to change your choices; q quits.",
            ));
            frame.render_widget(
                Paragraph::new(lines)
                    .block(block(" 4 Review: error "))
                    .wrap(Wrap { trim: false }),
                area,
            );
            return;
        }
        Some(Ok(p)) => p,
    };
    let changed = plan.effective().count();
    let mut info = vec![Line::from(format!("· {}", plan.restart_sentence()))];
    info.extend(plan.notes.iter().map(|n| Line::from(format!("! {n}"))));
    let info_h = (info.len() as u16).clamp(1, 4);
    let files_h = (plan.changes.len() as u16).clamp(1, 6) + 2;
    let [files_area, diff_area, info_area] = Layout::vertical([
        Constraint::Length(files_h),
        Constraint::Min(3),
        Constraint::Length(info_h),
    ])
    .areas(area);

    let focus = |on: bool| if on { " [focus]" } else { "" };
    let files_title = format!(
        " 4 Review: {changed} of {} files change{} ",
        plan.changes.len(),
        focus(!app.diff_focus)
    );
    let items: Vec<ListItem> = plan.changes.iter().map(file_item).collect();
    let mut st = ListState::default().with_selected(Some(app.file_cursor));
    let highlight = if app.diff_focus {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    frame.render_stateful_widget(
        List::new(items)
            .block(block(files_title))
            .highlight_symbol("> ")
            .highlight_style(highlight),
        files_area,
        &mut st,
    );

    let change = plan.changes.get(app.file_cursor);
    let diff = change.map(|c| c.diff()).unwrap_or_default();
    let total = diff.lines().count();
    let visible = diff_area.height.saturating_sub(2) as usize;
    let range = if total == 0 {
        "no changes".to_string()
    } else {
        format!(
            "lines {}-{} of {total}",
            app.diff_scroll + 1,
            (app.diff_scroll + visible).min(total)
        )
    };
    let diff_title = format!(" Diff ({range}){} ", focus(app.diff_focus));
    let lines: Vec<Line> = if total == 0 {
        vec![Line::from("This file stays as it is.")]
    } else {
        diff.lines().map(|l| diff_line(app, l)).collect()
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(diff_title))
            .scroll((app.diff_scroll as u16, 0)),
        diff_area,
    );
    frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), info_area);
}
