//! Step 5: confirm `[y/N]` (No by default), then live progress; on
//! failure the rollback and what to do next.

use crate::plan::ChangeKind;
use crate::t;
use crate::wizard::app::{App, ApplyState};
use crate::wizard::widgets::{fit, pad, wrap_lines, wrapped, Theme};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines: Vec<Line> = vec![];
    let Some(plan) = app.review.plan.ready() else {
        return;
    };
    match &app.apply.state {
        ApplyState::Confirm => {
            if let Some(why) = &app.apply.cannot_apply {
                lines.push(Line::styled(t!("wizard.apply.needs_root"), theme.bad()));
                lines.push(Line::raw(""));
                lines.push(Line::raw(why.clone()));
                lines.push(Line::raw(""));
                lines.push(Line::raw(t!("wizard.apply.preview_only")));
            } else {
                let n = plan.effective().count();
                lines.push(Line::styled(
                    t!("wizard.apply.confirm", n = n),
                    theme.accent(),
                ));
                lines.push(Line::raw(""));
                let restart = plan.restart_sentence();
                let tail = wrap_lines(
                    [
                        Line::raw(""),
                        Line::raw(t!("wizard.apply.backed_up", restart = restart)),
                        Line::styled(t!("wizard.apply.confirm_hint"), theme.dim()),
                    ],
                    area.width,
                );
                // What y does must stay on the screen: a list longer than
                // the room left ends with how many more (Review lists all).
                let room = usize::from(area.height).saturating_sub(lines.len() + tail.len());
                let files: Vec<_> = plan.effective().collect();
                let shown = if files.len() > room {
                    room.saturating_sub(1)
                } else {
                    files.len()
                };
                for c in &files[..shown] {
                    let verb = match c.kind() {
                        ChangeKind::Create => t!("wizard.apply.create"),
                        ChangeKind::Delete => t!("wizard.apply.remove"),
                        _ => t!("wizard.apply.update"),
                    };
                    lines.push(Line::raw(fit(
                        &format!("  {}{}", pad(&format!("{verb} "), 7), c.path.display()),
                        80,
                    )));
                }
                if shown < files.len() {
                    let more = t!("wizard.apply.more_files", n = files.len() - shown);
                    lines.push(Line::styled(format!("  {more}"), theme.dim()));
                }
                lines.extend(tail);
            }
        }
        ApplyState::Running | ApplyState::Failed(_) => {
            lines.push(Line::styled(t!("wizard.apply.running"), theme.accent()));
            for l in &app.apply.log {
                lines.push(Line::raw(format!("  ✓ {l}")));
            }
            if app.apply.state == ApplyState::Running && app.apply.quit_asked {
                lines.push(Line::raw(""));
                lines.push(Line::styled(t!("wizard.apply.wait"), theme.warn()));
            }
            if let ApplyState::Failed(e) = &app.apply.state {
                lines.push(Line::raw(""));
                lines.push(Line::styled(t!("wizard.apply.failed"), theme.bad()));
                for l in e.lines() {
                    lines.push(Line::raw(l.trim().to_string()));
                }
                lines.push(Line::raw(""));
                lines.push(Line::raw(t!("wizard.apply.next")));
                lines.push(Line::styled(t!("wizard.apply.failed_hint"), theme.dim()));
            }
        }
    }
    frame.render_widget(wrapped(lines, area.width), area);
}
