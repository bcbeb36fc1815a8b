//! Drawing: the frame (step indicator, body, status, footer), popups, the
//! help overlay and the too-small notice. Each step draws its own body.

use super::app::{App, Step, MIN_SIZE};
use super::keys::{self, Scope};
use super::steps;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

/// A style without colours when `NO_COLOR` is set (modifiers stay).
pub fn paint(app: &App, s: Style) -> Style {
    if app.no_color {
        Style {
            fg: None,
            bg: None,
            underline_color: None,
            ..s
        }
    } else {
        s
    }
}

pub fn fg(app: &App, c: Color) -> Style {
    paint(app, Style::default().fg(c))
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

/// The highlighted row: reversed, so it shows without colour too.
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

pub fn block<'a>(title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default().borders(Borders::ALL).title(title)
}

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        draw_too_small(frame, area);
        return;
    }
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(step_indicator(app)), header);
    match app.step {
        Step::Node => steps::node::draw(app, frame, body),
        Step::Preset => steps::preset::draw(app, frame, body),
        Step::Registries => steps::registries::draw(app, frame, body),
        Step::Review => steps::review::draw(app, frame, body),
        Step::Apply => steps::apply::draw(app, frame, body),
        Step::Done => steps::done::draw(app, frame, body),
    }
    if let Some(s) = &app.status {
        frame.render_widget(Paragraph::new(Line::from(format!(" {s}"))), status);
    }
    frame.render_widget(Paragraph::new(footer_line(app.scope())), footer);
    if app.confirm_quit {
        draw_confirm_quit(frame, body);
    }
    if app.help {
        draw_help(app, frame, body);
    }
}

/// `ctrwiz  ✓ Node › [2 Preset] › 3 Registries …`: done steps ticked, the
/// current one bracketed and reversed.
pub fn step_indicator(app: &App) -> Line<'static> {
    let mut spans = vec![Span::styled("ctrwiz ", bold())];
    for (i, s) in Step::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" › "));
        }
        if *s == app.step {
            spans.push(Span::styled(
                format!("[{} {}]", s.number(), s.title()),
                bold().add_modifier(Modifier::REVERSED),
            ));
        } else if *s < app.step {
            spans.push(Span::raw(format!("✓ {}", s.title())));
        } else {
            spans.push(Span::styled(format!("{} {}", s.number(), s.title()), dim()));
        }
    }
    Line::from(spans)
}

/// The current scope's keys from the key table.
pub fn footer_line(scope: Scope) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, b) in keys::footer(scope).enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(b.hint, bold()));
        spans.push(Span::raw(format!(" {}", b.label)));
    }
    Line::from(spans)
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("please enlarge the terminal"),
        Line::from(format!(
            "(need {}×{}, have {}×{})",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        )),
        Line::from("q quits"),
    ];
    let h = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    let r = Rect::new(area.x, y, area.width, h);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_confirm_quit(frame: &mut Frame, area: Rect) {
    let r = centered(area, 52, 5);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from("Quit without applying? [y/N]"),
            Line::from("Nothing has been written to this node."),
            Line::from(Span::styled("y quit  ·  n/Enter/Esc stay", dim())),
        ])
        .block(block(" Quit? "))
        .alignment(Alignment::Center),
        r,
    );
}

fn draw_help(app: &App, frame: &mut Frame, area: Rect) {
    let r = centered(area, 72, area.height);
    frame.render_widget(Clear, r);
    let under = app.scope_under_help();
    let mut lines = Vec::new();
    for scope in [under, Scope::Global] {
        lines.push(Line::from(Span::styled(scope.title(), bold())));
        for b in keys::all(scope) {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(format!("{:<12}", b.hint), bold()),
                Span::raw(b.label),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(
        "Newcomer path: Enter, Enter, Enter, Enter, y applies the recommended preset.",
    ));
    lines.push(Line::from(
        "Markers: ✓ ok/done  ! warning  ✗ missing  … still checking  > cursor",
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" Help (Esc or ? closes) "))
            .wrap(Wrap { trim: false }),
        r,
    );
}
