//! Step 5: confirm `[y/N]` (No by default), then live progress; on
//! failure the rollback and what to do next.

use crate::plan::ChangeKind;
use crate::wizard::app::{App, ApplyState};
use crate::wizard::view::{fit, Theme};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines: Vec<Line> = vec![];
    let Some(Ok(plan)) = &app.plan else { return };
    match &app.apply_state {
        ApplyState::Confirm => {
            if let Some(why) = &app.cannot_apply {
                lines.push(Line::styled("Applying needs root.", theme.bad()));
                lines.push(Line::raw(""));
                lines.push(Line::raw(why.clone()));
                lines.push(Line::raw(""));
                lines.push(Line::raw(
                    "Everything up to here was a preview: nothing was written. Esc goes back.",
                ));
            } else {
                let n = plan.effective().count();
                lines.push(Line::styled(
                    format!("Apply {n} change(s)? [y/N]"),
                    theme.accent(),
                ));
                lines.push(Line::raw(""));
                for c in plan.effective() {
                    let verb = match c.kind() {
                        ChangeKind::Create => "create",
                        ChangeKind::Delete => "remove",
                        _ => "update",
                    };
                    lines.push(Line::raw(fit(
                        &format!("  {verb:<7}{}", c.path.display()),
                        80,
                    )));
                }
                lines.push(Line::raw(""));
                lines.push(Line::raw(
                    "Every file is backed up first; ".to_string() + &plan.restart_sentence(),
                ));
                lines.push(Line::styled(
                    "y applies; n, Enter or Esc go back without writing anything.",
                    theme.dim(),
                ));
            }
        }
        ApplyState::Running | ApplyState::Failed(_) => {
            lines.push(Line::styled("Applying…", theme.accent()));
            for l in &app.apply_log {
                lines.push(Line::raw(format!("  ✓ {l}")));
            }
            if let ApplyState::Failed(e) = &app.apply_state {
                lines.push(Line::raw(""));
                lines.push(Line::styled("✗ The apply failed.", theme.bad()));
                for l in e.lines() {
                    lines.push(Line::raw(l.trim().to_string()));
                }
                lines.push(Line::raw(""));
                lines.push(Line::raw("Next: `ctrwiz doctor` explains the node; the backup and apply.log are in the backup set."));
                lines.push(Line::styled(
                    "Esc goes back to the review; q quits.",
                    theme.dim(),
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
