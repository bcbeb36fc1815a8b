//! Step 6: what was written, the backup, how to check, save the profile.

use crate::tui::app::App;
use crate::tui::view::{block, bold};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let mut lines: Vec<Line> = Vec::new();
    if let Some(r) = &app.report {
        lines.push(Line::from(Span::styled(format!("✓ {}", r.message), bold())));
        if r.written.is_empty() {
            lines.push(Line::from("  no files were written"));
        }
        for p in &r.written {
            lines.push(Line::from(format!("  wrote {}", p.display())));
        }
        match &r.backup_dir {
            Some(d) => lines.push(Line::from(format!("  backup: {}", d.display()))),
            None => lines.push(Line::from("  backup: none (no existing file was changed)")),
        }
        lines.push(Line::from(if r.restarted {
            "  containerd was restarted"
        } else {
            "  containerd was not restarted"
        }));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Check that pulls use the mirror:", bold())));
    lines.push(Line::from("  crictl pull docker.io/library/busybox"));
    lines.push(Line::from(
        "  ctr --hosts-dir /etc/containerd/certs.d images pull docker.io/library/busybox:latest",
    ));
    lines.push(Line::from("  nerdctl --debug pull busybox"));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Same setup on another node:", bold())));
    lines.push(Line::from(format!(
        "  s saves your choices to {}",
        app.profile_path.display()
    )));
    lines.push(Line::from(format!(
        "  then: ctrwiz apply --profile {}",
        app.profile_path.display()
    )));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" 6 Done "))
            .wrap(Wrap { trim: false }),
        area,
    );
}
