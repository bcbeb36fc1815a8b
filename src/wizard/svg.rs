//! A terminal buffer as SVG, for the README's screenshots: the same
//! fixture states as the snapshot tests, drawn with a monospace font.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 9.0;
const CELL_H: f32 = 18.0;
const BG: &str = "#1e1e2e";
const FG: &str = "#d9e0ee";

fn color(c: Color, default: &str) -> String {
    match c {
        Color::Reset => default.into(),
        Color::Black => "#45475a".into(),
        Color::Red => "#f38ba8".into(),
        Color::Green => "#a6e3a1".into(),
        Color::Yellow => "#f9e2af".into(),
        Color::Blue => "#89b4fa".into(),
        Color::Magenta => "#f5c2e7".into(),
        Color::Cyan => "#89dceb".into(),
        Color::Gray => "#bac2de".into(),
        Color::DarkGray => "#7f849c".into(),
        Color::White => "#ffffff".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        _ => default.into(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"DejaVu Sans Mono, WenQuanYi Zen Hei Mono, monospace\" font-size=\"15\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n",
        w as f32 * CELL_W + 16.0,
        h as f32 * CELL_H + 16.0
    );
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            // A wide (CJK) character spans two cells; the one it covers
            // holds a placeholder and is not drawn.
            let cells = (unicode_width::UnicodeWidthStr::width(cell.symbol()) as u16).clamp(1, 2);
            let col = x;
            x += cells;
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (color(cell.fg, FG), color(cell.bg, BG));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (8.0 + col as f32 * CELL_W, 8.0 + y as f32 * CELL_H);
            let cell_w = CELL_W * f32::from(cells);
            if bg != BG {
                out.push_str(&format!("<rect x=\"{px}\" y=\"{py}\" width=\"{cell_w}\" height=\"{CELL_H}\" fill=\"{bg}\"/>\n"));
            }
            let sym = cell.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) {
                " font-weight=\"bold\""
            } else {
                ""
            };
            out.push_str(&format!(
                "<text x=\"{px}\" y=\"{}\" fill=\"{fg}\"{weight}>{}</text>\n",
                py + CELL_H * 0.78,
                escape(sym)
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}
