//! Step 4: every file that will be written (new / changed / unchanged),
//! its diff, and whether containerd restarts and why.

use crate::plan::ChangeKind;
use crate::t;
use crate::wizard::app::{App, Focus, PlanState};
use crate::wizard::derive::change_counts;
use crate::wizard::widgets::{fit, pad, wrapped, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let plan = match &app.review.plan {
        PlanState::Waiting => {
            frame.render_widget(
                Paragraph::new(t!("wizard.review.waiting")).style(theme.dim()),
                area,
            );
            return;
        }
        PlanState::Failed { why, fix } => {
            let text = t!("wizard.review.cannot_plan", error = why);
            let go = t!("guide.review.fix_at", step = fix.title());
            frame.render_widget(
                wrapped(
                    vec![
                        Line::styled(text, theme.bad()),
                        Line::raw(""),
                        Line::styled(go, theme.accent()),
                    ],
                    area.width,
                ),
                area,
            );
            return;
        }
        PlanState::Ready(p) => p,
    };
    let (n, c, s) = change_counts(plan);
    let head_rows = crate::wizard::widgets::wrap_lines(
        [
            Line::styled(
                if plan.is_noop() {
                    t!("wizard.review.counts_noop", new = n, changed = c, same = s)
                } else {
                    t!("wizard.review.counts", new = n, changed = c, same = s)
                },
                theme.accent(),
            ),
            Line::raw(plan.restart_sentence()),
        ],
        area.width,
    );
    let list_h = (plan.changes.len() as u16 + 1).min(8);
    let notes_h = if plan.notes.is_empty() { 0 } else { 2 };
    // Every reason for the restart is shown: a long one takes rows from
    // the diff (which scrolls), never a cut sentence.
    let [head, list, diff, notes] = Layout::vertical([
        Constraint::Length(head_rows.len().max(4) as u16),
        Constraint::Length(list_h),
        Constraint::Min(3),
        Constraint::Length(notes_h),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head_rows), head);

    let visible = list_h as usize;
    let start = app
        .review
        .file_cursor
        .saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = plan
        .changes
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, c)| {
            let mark = match c.kind() {
                ChangeKind::Create => t!("wizard.review.new"),
                ChangeKind::Modify => t!("wizard.review.changed"),
                ChangeKind::Delete => t!("wizard.review.removed"),
                ChangeKind::Unchanged => t!("wizard.review.unchanged"),
            };
            let mark = pad(&format!("[{mark}]"), 11);
            let cursor = if i == app.review.file_cursor {
                "›"
            } else {
                " "
            };
            let style = if i == app.review.file_cursor && app.review.focus == Focus::Files {
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
            t!("wizard.review.unchanged_body").to_string(),
        ),
        Some(c) => (
            t!("wizard.review.diff_title", path = c.path.display()),
            c.diff(),
        ),
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
    let focus = if app.review.focus == Focus::Diff {
        t!("wizard.review.scrolling")
    } else {
        ""
    };
    frame.render_widget(
        Paragraph::new(diff_lines)
            .scroll((app.review.diff_scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .title(fit(&format!("{title}{focus}"), 78)),
            ),
        diff,
    );
    if notes_h > 0 {
        frame.render_widget(
            wrapped(
                t!(
                    "wizard.review.note",
                    notes = crate::plan::joined(&plan.notes, " · ")
                ),
                notes.width,
            )
            .style(theme.warn()),
            notes,
        );
    }
}
