//! Drawing from state: the frame (title, step bar, footer) and overlays;
//! each step's body lives in `screens/`.

use super::app::{App, Overlay, MIN_SIZE};
use super::step::Step;
use super::widgets::{centered, clear, pad, wrapped, Theme};
use super::{keys, screens};
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

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
    // A demo, or a user who cannot write the files, is told from the first
    // screen on (not at Apply).
    let banner = if app.demo {
        Some(crate::t!("guide.demo.banner"))
    } else if app.apply.cannot_apply.is_some() {
        Some(crate::t!("guide.demo.preview"))
    } else {
        None
    };
    let notice = app.notice.as_ref().map(|n| {
        super::widgets::wrap_lines([Line::styled(format!("! {n}"), theme.warn())], area.width)
    });
    let [title, banner_area, body, notice_area, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(match banner {
            Some(b) => super::widgets::wrap_lines([Line::raw(b)], area.width).len() as u16,
            None => 0,
        }),
        Constraint::Min(1),
        Constraint::Length(notice.as_ref().map_or(0, |n| n.len() as u16)),
        Constraint::Length(1),
    ])
    .areas(area);
    if let Some(b) = banner {
        frame.render_widget(
            super::widgets::wrapped(b, area.width).style(theme.warn()),
            banner_area,
        );
    }
    if let Some(n) = notice {
        frame.render_widget(Paragraph::new(n), notice_area);
    }
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
    // The open editor's keys, else the step's; disabled ones are left out.
    let keys = keys::footer(app.key_mode(), &app.key_context()).join("  ");
    frame.render_widget(Paragraph::new(keys).style(theme.dim()), footer);
    if app.overlay == Overlay::Help {
        draw_help(frame, area, app, &theme);
    }
    if app.overlay == Overlay::ConfirmQuit {
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
    let mode = app.key_mode();
    let rows = keys::help(mode, &app.key_context());
    // An input box is open: its readline keys too, from the same table
    // that runs them.
    let readline = if keys::has_input(mode) {
        keys::readline_help()
    } else {
        vec![]
    };
    let width = rows
        .iter()
        .chain(&readline)
        .map(|(k, _)| super::widgets::width(k) + 1)
        .max()
        .unwrap_or(0)
        .max(14);
    let row = |(k, h): (String, &'static str)| {
        Line::from(vec![
            Span::styled(pad(&k, width), theme.accent()),
            Span::raw(h),
        ])
    };
    let extra = if readline.is_empty() {
        0
    } else {
        readline.len() + 1
    };
    let r = centered(area, 70, (rows.len() + extra) as u16 + 4);
    let mut lines: Vec<Line> = rows.into_iter().map(row).collect();
    if !readline.is_empty() {
        lines.push(Line::styled(crate::t!("readline.help.title"), theme.dim()));
        lines.extend(readline.into_iter().map(row));
    }
    lines.extend([
        Line::raw(""),
        Line::raw(crate::t!("wizard.frame.help_close")),
    ]);
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
