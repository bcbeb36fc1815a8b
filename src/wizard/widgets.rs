//! What the frame and every screen draw with: the theme, display-width
//! text helpers (CJK-safe) and the input box. Screens import this, never
//! `view`, so drawing has no import circle.

use super::input::Input;
use crate::t;
use ratatui::layout::Rect;
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
        // An indented line keeps its indent, and two more, when it wraps.
        let lead = cells.iter().take_while(|(c, _)| *c == ' ').count();
        let hang = if lead > 0 && lead + 2 < width / 2 {
            lead + 2
        } else {
            0
        };
        let hang_style = cells.first().map(|(_, s)| *s).unwrap_or_default();
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
                    // Never break inside the indent (a row of blanks).
                    let first = if rows.is_empty() { lead } else { hang };
                    (first + 1..cur.len())
                        .rev()
                        .find(|&i| can_break(cur[i - 1].0, cur[i].0))
                        .unwrap_or(cur.len())
                };
                // A row that still does not fit (a long word after the
                // indent) is cut hard at the width.
                let mut at = at;
                let mut w = 0;
                for (i, (c, _)) in cur.iter().enumerate().take(at) {
                    w += cw(*c);
                    if w > width {
                        at = i.max(1);
                        break;
                    }
                }
                let rest = cur.split_off(at);
                while cur.last().is_some_and(|(c, _)| *c == ' ') {
                    cur.pop();
                }
                rows.push(std::mem::take(&mut cur));
                cur = std::iter::repeat_n((' ', hang_style), hang)
                    .chain(rest.into_iter().skip_while(|(c, _)| *c == ' '))
                    .collect();
                used = cur.iter().map(|(c, _)| cw(*c)).sum();
            }
            if c == ' '
                && cur.len() <= hang
                && !rows.is_empty()
                && cur.iter().all(|(c, _)| *c == ' ')
            {
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

/// A one-line input over `area`: the visible part of `input` (scrolled
/// sideways to keep the insertion point inside), its status and a hint.
/// With `focused`, the terminal cursor is put at the insertion point.
#[allow(clippy::too_many_arguments)]
pub fn input_box(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    input: &Input,
    error: Option<&str>,
    hint: &str,
    focused: bool,
) {
    let status = match error {
        Some(e) => Line::styled(format!("✗ {e}"), theme.bad()),
        None if input.is_empty() => Line::raw(""),
        None => Line::styled(t!("wizard.input.valid"), theme.good()),
    };
    let width = area.width.min(74);
    // Inside the border, after the two-cell prompt.
    let view = input.view(width.saturating_sub(4));
    let prompt = if view.left { "… " } else { "> " };
    let lines = vec![
        Line::from(vec![Span::raw(prompt), Span::raw(view.text.clone())]),
        status,
        Line::styled(hint, theme.dim()),
    ];
    // As tall as its wrapped text (a long error or a Chinese hint takes
    // two rows), so nothing is cut off. The input's row never wraps: it
    // is as wide as the box.
    let body = wrap_lines(lines, width.saturating_sub(2));
    let r = centered(area, width, body.len() as u16 + 2);
    clear(frame, r);
    frame.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        ),
        r,
    );
    if focused {
        frame.set_cursor_position((r.x + 3 + view.cursor, r.y + 1));
    }
}

/// Long text in `area`, wrapped and scrolled by `offset` rows (clamped;
/// the largest offset is recorded for the keys). When more lies below or
/// above, the last row says so and which keys scroll.
pub fn scrolled(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line<'_>>,
    offset: u16,
    max: &std::cell::Cell<u16>,
    theme: &Theme,
) {
    let rows = wrap_lines(lines, area.width);
    let total = rows.len() as u16;
    if total <= area.height {
        max.set(0);
        frame.render_widget(Paragraph::new(rows), area);
        return;
    }
    // One row is the indicator.
    let view = area.height.saturating_sub(1).max(1);
    let most = total - view;
    max.set(most);
    let offset = offset.min(most);
    let shown: Vec<Line> = rows
        .into_iter()
        .skip(usize::from(offset))
        .take(usize::from(view))
        .collect();
    frame.render_widget(Paragraph::new(shown), area);
    let below = most - offset;
    let more = if below > 0 {
        t!("guide.scroll.more_below", n = below)
    } else {
        t!("guide.scroll.top", n = offset)
    };
    let r = Rect {
        y: area.y + view,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(fit(&more, usize::from(area.width))).style(theme.dim()),
        r,
    );
}
