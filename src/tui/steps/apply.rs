//! Step 5: "Apply N changes? [y/N]", then live progress, or why not.

use crate::tui::app::{App, ApplyPhase};
use crate::tui::view::{block, bold};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let mut lines: Vec<Line> = Vec::new();
    let plan = app.plan_ok();
    let n = plan.map_or(0, |p| p.effective().count());
    let title;
    if !app.can_apply {
        title = " 5 Apply: needs root ";
        lines.push(Line::from(Span::styled(
            "Applying needs root (sudo) or --root DIR.",
            bold(),
        )));
        lines.push(Line::from(""));
        lines.push(Line::from(
            "This wizard runs as a normal user, so it cannot write /etc/containerd or restart containerd.",
        ));
        lines.push(Line::from(
            "Run it again with sudo (sudo ctrwiz), or with --root DIR to write into another tree.",
        ));
        lines.push(Line::from("Nothing was written."));
    } else if n == 0 && app.apply_phase == ApplyPhase::Confirm {
        title = " 5 Apply: nothing to do ";
        lines.push(Line::from("✓ The node already matches your choices: nothing to apply."));
    } else {
        match &app.apply_phase {
            ApplyPhase::Confirm => {
                title = " 5 Apply: confirm ";
                lines.push(Line::from(Span::styled(
                    format!("Apply {n} change{}? [y/N]", if n == 1 { "" } else { "s" }),
                    bold(),
                )));
                lines.push(Line::from(""));
                if let Some(p) = plan {
                    for c in p.effective() {
                        lines.push(Line::from(format!(
                            "  {:<12}{}",
                            super::review::kind_label(c.kind()),
                            c.path.display()
                        )));
                    }
                    lines.push(Line::from(""));
                    lines.push(Line::from(format!("· {}", p.restart_sentence())));
                }
                lines.push(Line::from(
                    "· every file is backed up first; a failed health check rolls back",
                ));
                lines.push(Line::from(""));
                lines.push(Line::from(
                    "Only y applies. n, Enter or Esc go back to the review.",
                ));
            }
            ApplyPhase::Running => {
                title = " 5 Apply: applying… ";
                lines.extend(app.apply_lines.iter().map(|l| Line::from(format!("✓ {l}"))));
                lines.push(Line::from("… working"));
            }
            ApplyPhase::Failed(e) => {
                title = " 5 Apply: failed ";
                lines.extend(app.apply_lines.iter().map(|l| Line::from(format!("· {l}"))));
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled("✗ Apply failed:", bold())));
                lines.extend(e.lines().map(|l| Line::from(format!("  {l}"))));
                lines.push(Line::from(""));
                lines.push(Line::from(
                    "What next: fix the cause above, then Esc to review again (the node is read anew)",
                ));
                lines.push(Line::from(
                    "and apply once more; or q to quit. The backup dir above holds the old files.",
                ));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title))
            .wrap(Wrap { trim: false })
            .scroll((app.apply_scroll as u16, 0)),
        area,
    );
}
