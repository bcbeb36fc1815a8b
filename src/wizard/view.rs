//! Drawing from state: the frame (title, step bar, footer) and overlays;
//! each step's body lives in `screens/`.

use super::app::{App, Step, MIN_SIZE};
use super::{keys, screens};
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Styles that never carry meaning by colour alone: every highlighted
/// thing also has a marker or text, and NO_COLOR drops colour entirely.
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn accent(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn warn(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new()
        }
    }
    pub fn bad(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn good(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Green)
        } else {
            Style::new()
        }
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = Theme { color: app.color };
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let ((w, h), (cw, ch)) = (MIN_SIZE, (area.width, area.height));
        let msg = crate::t!("wizard.frame.too_small", w = w, h = h, cw = cw, ch = ch);
        let y = area.height.saturating_sub(3) / 2;
        let r = Rect {
            x: area.x,
            y: area.y + y,
            width: area.width,
            height: area.height.saturating_sub(y),
        };
        frame.render_widget(wrapped(msg, r.width).alignment(Alignment::Center), r);
        return;
    }
    let [title, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_title(frame, title, app, &theme);
    match app.step {
        Step::Node => screens::node::draw(frame, body, app, &theme),
        Step::Preset => screens::preset::draw(frame, body, app, &theme),
        Step::Registries => screens::registries::draw(frame, body, app, &theme),
        Step::Extras => screens::extras::draw(frame, body, app, &theme),
        Step::Review => screens::review::draw(frame, body, app, &theme),
        Step::Apply => screens::apply::draw(frame, body, app, &theme),
        Step::Done => screens::done::draw(frame, body, app, &theme),
    }
    let keys = keys::footer(app.step).join("  ");
    frame.render_widget(Paragraph::new(keys).style(theme.dim()), footer);
    if app.help {
        draw_help(frame, area, app, &theme);
    }
    if app.confirm_quit {
        let r = centered(area, 50, 5);
        clear(frame, r);
        frame.render_widget(
            Paragraph::new(crate::t!("wizard.frame.quit_confirm"))
                .alignment(Alignment::Center)
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(crate::t!("wizard.frame.quit_title")),
                ),
            r,
        );
    }
}

fn draw_title(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let n = Step::ALL.iter().position(|s| *s == app.step).unwrap_or(0) + 1;
    let mut steps: Vec<Span> = vec![];
    for (i, s) in Step::ALL.iter().enumerate() {
        if i > 0 {
            steps.push(Span::styled(" › ", theme.dim()));
        }
        if *s == app.step {
            steps.push(Span::styled(format!("[{}]", s.title()), theme.accent()));
        } else {
            steps.push(Span::raw(s.title()));
        }
    }
    let total = Step::ALL.len();
    let head = Line::from(vec![
        Span::styled("ctrwiz", theme.accent()),
        Span::raw(crate::t!("wizard.frame.title", n = n, total = total)),
    ]);
    frame.render_widget(Paragraph::new(vec![head, Line::from(steps)]), area);
}

fn draw_help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = keys::help(app.step);
    let r = centered(area, 70, rows.len() as u16 + 4);
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(k, h)| {
            Line::from(vec![
                Span::styled(pad(&k, 14), theme.accent()),
                Span::raw(h),
            ])
        })
        .chain([
            Line::raw(""),
            Line::raw(crate::t!("wizard.frame.help_close")),
        ])
        .collect();
    clear(frame, r);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(crate::t!("wizard.frame.help_title")),
        ),
        r,
    );
}

/// Clears `r` for an overlay. A wide (CJK) character just left of it
/// would still cover the overlay's first column (its border): blanked too.
pub fn clear(frame: &mut Frame, r: Rect) {
    frame.render_widget(Clear, r);
    let Some(left) = r.x.checked_sub(1) else {
        return;
    };
    let buf = frame.buffer_mut();
    for y in r.top()..r.bottom() {
        let cell = &mut buf[(left, y)];
        if width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Truncates to a display width (CJK-safe), adding "…" when cut.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

// The CLI lays out its tables with the same two.
pub use crate::i18n::{pad, width};

/// Truncates to a display width, then pads to it: a fixed-width column.
pub fn column(s: &str, width: usize) -> String {
    pad(&fit(s, width), width)
}

/// A paragraph wrapped to `width` cells by display width. ratatui's own
/// word wrapper (0.29 and 0.30) lets a line that ends in a wide character
/// run one cell past the edge, and that cell then blanks the first cell of
/// the next row; Chinese text hits this all the time.
pub fn wrapped<'a>(text: impl Into<ratatui::text::Text<'a>>, width: u16) -> Paragraph<'static> {
    let text = text.into();
    let base = text.style;
    Paragraph::new(wrap_lines(
        text.lines.into_iter().map(|mut l| {
            l.style = base.patch(l.style);
            l
        }),
        width,
    ))
}

/// Breaks lines at spaces and next to wide (CJK) characters, never before
/// closing or after opening punctuation, and hard-breaks what cannot fit.
pub fn wrap_lines<'a>(lines: impl IntoIterator<Item = Line<'a>>, width: u16) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let width = usize::from(width.max(1));
    let cw = |c: char| c.width().unwrap_or(0);
    let mut out = Vec::new();
    for line in lines {
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| {
                let style = line.style.patch(s.style);
                s.content.chars().map(move |c| (c, style))
            })
            .collect();
        let mut rows: Vec<Vec<(char, Style)>> = Vec::new();
        let mut cur: Vec<(char, Style)> = Vec::new();
        let mut used = 0;
        for (c, style) in cells {
            if used + cw(c) > width && !cur.is_empty() {
                // The row may end right here; else at its last break.
                let here = c == ' ' || cur.last().is_some_and(|(p, _)| can_break(*p, c));
                let at = if here {
                    cur.len()
                } else {
                    (1..cur.len())
                        .rev()
                        .find(|&i| can_break(cur[i - 1].0, cur[i].0))
                        .unwrap_or(cur.len())
                };
                let rest = cur.split_off(at);
                while cur.last().is_some_and(|(c, _)| *c == ' ') {
                    cur.pop();
                }
                rows.push(std::mem::take(&mut cur));
                cur = rest.into_iter().skip_while(|(c, _)| *c == ' ').collect();
                used = cur.iter().map(|(c, _)| cw(*c)).sum();
            }
            if c == ' ' && cur.is_empty() && !rows.is_empty() {
                continue;
            }
            used += cw(c);
            cur.push((c, style));
        }
        rows.push(cur);
        for row in rows {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (c, style) in row {
                match spans.last_mut() {
                    Some(s) if s.style == style => s.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            let mut l = Line::from(spans);
            l.alignment = line.alignment;
            out.push(l);
        }
    }
    out
}

fn can_break(prev: char, next: char) -> bool {
    use unicode_width::UnicodeWidthChar;
    const CLOSING: &str = "，。、：；！？）》」』】,.:;!?)]}";
    const OPENING: &str = "（《「『【([{";
    if next == ' ' || CLOSING.contains(next) || OPENING.contains(prev) {
        return false;
    }
    prev == ' ' || prev.width() == Some(2) || next.width() == Some(2)
}
