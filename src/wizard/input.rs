//! The one-line text model of every wizard input box: the text, the
//! insertion point, and the readline keys that move and edit at it.
//! Drawing asks `view` for the visible part and where the terminal cursor
//! goes, by display width, so Chinese text lines up and a text wider than
//! its box scrolls sideways.
//!
//! A "word" for Ctrl-W and Ctrl-←/→ ends at a space, a comma or a slash:
//! the boxes hold URL lists and paths, and one Ctrl-W takes back one URL
//! segment (`/v2`) or one list entry, not the whole line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::cell::Cell;
use unicode_width::UnicodeWidthChar;

#[derive(Clone, Debug, Default)]
pub struct Input {
    text: String,
    /// Byte offset of the insertion point, always on a char boundary.
    cursor: usize,
    /// Byte offset of the first char shown, as last drawn (horizontal
    /// scroll kept between frames so the view moves only when it must).
    first: Cell<usize>,
}

/// What one frame shows of an input.
#[derive(Debug, PartialEq, Eq)]
pub struct View {
    /// The visible text, at most `width` cells.
    pub text: String,
    /// The cursor's column inside `text` (cells).
    pub cursor: u16,
    /// Text is hidden left of the view.
    pub left: bool,
    /// Text is hidden right of the view.
    pub right: bool,
}

fn is_sep(c: char) -> bool {
    c.is_whitespace() || c == ',' || c == '/'
}

fn cells(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

impl Input {
    /// `text` with the cursor at its end.
    pub fn new(text: impl Into<String>) -> Input {
        let text = text.into();
        Input {
            cursor: text.len(),
            text,
            first: Cell::new(0),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The insertion point, in bytes.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The char boundary before `at`.
    fn prev(&self, at: usize) -> usize {
        self.text[..at].char_indices().last().map_or(0, |(i, _)| i)
    }

    /// The char boundary after `at`.
    fn next(&self, at: usize) -> usize {
        self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8())
    }

    /// Start of the word before the cursor (separators before it skipped).
    fn word_left(&self) -> usize {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end_matches(is_sep);
        trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| is_sep(*c))
            .map_or(0, |(i, c)| i + c.len_utf8())
    }

    /// End of the word after the cursor (separators before it skipped).
    fn word_right(&self) -> usize {
        let after = &self.text[self.cursor..];
        let skip = after.len() - after.trim_start_matches(is_sep).len();
        let rest = &after[skip..];
        let end = rest.find(is_sep).unwrap_or(rest.len());
        self.cursor + skip + end
    }

    fn delete(&mut self, from: usize, to: usize) {
        self.text.replace_range(from..to, "");
        self.cursor = from;
    }

    /// Inserts at the cursor and moves past it.
    pub fn insert(&mut self, s: &str) {
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
    }

    /// Pasted text, at the cursor. The box is one line: a trailing line
    /// break is dropped, other line breaks and tabs become spaces, other
    /// control characters are left out.
    pub fn paste(&mut self, s: &str) {
        let s = s.trim_end_matches(['\r', '\n']);
        let clean: String = s
            .replace("\r\n", "\n")
            .chars()
            .filter_map(|c| match c {
                '\n' | '\r' | '\t' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
        self.insert(&clean);
    }

    /// A key typed into the box. Returns whether the text changed. Ctrl
    /// and Alt combinations that are not editing keys insert nothing.
    pub fn key(&mut self, key: &KeyEvent) -> bool {
        use super::keys::EditKey as K;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let before = self.text.len();
        let at = self.cursor;
        // The readline keys: one table (keys::READLINE), also the help's.
        match super::keys::edit_key(key) {
            Some(K::Start) => self.cursor = 0,
            Some(K::End) => self.cursor = self.text.len(),
            Some(K::Left) => self.cursor = self.prev(at),
            Some(K::Right) => self.cursor = self.next(at),
            Some(K::WordLeft) => self.cursor = self.word_left(),
            Some(K::WordRight) => self.cursor = self.word_right(),
            Some(K::KillBefore) => self.delete(0, at),
            Some(K::KillAfter) => self.delete(at, self.text.len()),
            Some(K::KillWord) => self.delete(self.word_left(), at),
            Some(K::DeleteBack) => self.delete(self.prev(at), at),
            Some(K::DeleteAt) => self.delete(at, self.next(at)),
            None => match key.code {
                KeyCode::Char(_) if ctrl || alt => {}
                KeyCode::Char(c) => self.insert(c.encode_utf8(&mut [0; 4])),
                _ => {}
            },
        }
        self.text.len() != before
    }

    /// The part of the text shown in `width` cells, and where the cursor
    /// is in it. One cell is kept for the cursor at the end. The view
    /// scrolls only as far as it must to keep the cursor inside.
    pub fn view(&self, width: u16) -> View {
        let width = usize::from(width.max(1));
        let mut first = self.first.get().min(self.cursor);
        while !self.text.is_char_boundary(first) {
            first -= 1;
        }
        // The cursor past the right edge: scroll right.
        while cells(&self.text[first..self.cursor]) + 1 > width && first < self.cursor {
            first = self.next(first);
        }
        // Room left at the end (text deleted, box wider): scroll back.
        while first > 0 {
            let p = self.prev(first);
            if cells(&self.text[p..]) + 1 > width {
                break;
            }
            first = p;
        }
        self.first.set(first);
        let mut shown = String::new();
        let mut used = 0;
        let mut end = first;
        for c in self.text[first..].chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                break;
            }
            shown.push(c);
            used += w;
            end += c.len_utf8();
        }
        View {
            cursor: cells(&self.text[first..self.cursor]) as u16,
            text: shown,
            left: first > 0,
            right: end < self.text.len(),
        }
    }
}

impl PartialEq for Input {
    /// The same text and insertion point (the scroll is drawing's).
    fn eq(&self, other: &Input) -> bool {
        self.text == other.text && self.cursor == other.cursor
    }
}

impl Eq for Input {}

impl PartialEq<str> for Input {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Input {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl std::ops::Deref for Input {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<String> for Input {
    fn from(s: String) -> Input {
        Input::new(s)
    }
}

impl From<&str> for Input {
    fn from(s: &str) -> Input {
        Input::new(s)
    }
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    fn ctrl(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::CONTROL)
    }
    fn alt(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::ALT)
    }
    use KeyCode::{Backspace, Char, Delete, End, Home, Left, Right};

    /// The text with `|` at the cursor.
    fn show(i: &Input) -> String {
        let mut s = i.as_str().to_string();
        s.insert(i.cursor(), '|');
        s
    }

    /// `text` with the cursor at `|`.
    fn at(text: &str) -> Input {
        let cursor = text.find('|').unwrap();
        Input {
            text: text.replace('|', ""),
            cursor,
            first: Cell::new(0),
        }
    }

    fn after(start: &str, keys: &[KeyEvent]) -> String {
        let mut i = at(start);
        for key in keys {
            i.key(key);
        }
        show(&i)
    }

    #[test]
    fn typing_inserts_at_the_cursor() {
        assert_eq!(after("ab|cd", &[k(Char('X'))]), "abX|cd");
        assert_eq!(after("镜像|源", &[k(Char('中'))]), "镜像中|源");
        assert_eq!(after("|", &[k(Char('é')), k(Char('x'))]), "éx|");
    }

    #[test]
    fn home_end_and_ctrl_a_ctrl_e() {
        assert_eq!(after("ab|cd", &[k(Home)]), "|abcd");
        assert_eq!(after("ab|cd", &[ctrl(Char('a'))]), "|abcd");
        assert_eq!(after("ab|cd", &[k(End)]), "abcd|");
        assert_eq!(after("镜|像", &[ctrl(Char('e'))]), "镜像|");
    }

    #[test]
    fn left_and_right_move_by_one_character_even_a_wide_one() {
        assert_eq!(after("镜像|源", &[k(Left)]), "镜|像源");
        assert_eq!(after("镜像|源", &[k(Right)]), "镜像源|");
        assert_eq!(after("|ab", &[k(Left)]), "|ab", "stops at the start");
        assert_eq!(after("ab|", &[k(Right)]), "ab|", "stops at the end");
        assert_eq!(after("ab|", &[ctrl(Char('b'))]), "a|b");
        assert_eq!(after("|ab", &[ctrl(Char('f'))]), "a|b");
    }

    #[test]
    fn ctrl_arrows_move_by_word() {
        let s = "https://a.example/v2, https://b.cn|";
        assert_eq!(
            after(s, &[ctrl(Left)]),
            "https://a.example/v2, https://|b.cn"
        );
        assert_eq!(
            after(s, &[ctrl(Left), ctrl(Left)]),
            "https://a.example/v2, |https://b.cn"
        );
        assert_eq!(
            after(s, &[ctrl(Left), ctrl(Left), ctrl(Left)]),
            "https://a.example/|v2, https://b.cn"
        );
        assert_eq!(after("|a, b", &[ctrl(Right)]), "a|, b");
        assert_eq!(after("a|, b", &[ctrl(Right)]), "a, b|");
        assert_eq!(after("镜像 源|", &[alt(Char('b'))]), "镜像 |源");
        assert_eq!(after("|镜像 源", &[alt(Char('f'))]), "镜像| 源");
        assert_eq!(after("a b|", &[alt(Left)]), "a |b");
    }

    #[test]
    fn backspace_and_delete_at_the_cursor() {
        assert_eq!(after("ab|cd", &[k(Backspace)]), "a|cd");
        assert_eq!(after("ab|cd", &[k(Delete)]), "ab|d");
        assert_eq!(after("镜像|源", &[k(Backspace)]), "镜|源");
        assert_eq!(after("镜|像源", &[k(Delete)]), "镜|源");
        assert_eq!(after("|ab", &[k(Backspace)]), "|ab");
        assert_eq!(after("ab|", &[k(Delete)]), "ab|");
        assert_eq!(after("ab|", &[ctrl(Char('h'))]), "a|");
        assert_eq!(after("|ab", &[ctrl(Char('d'))]), "|b");
    }

    #[test]
    fn kill_keys() {
        assert_eq!(after("ab|cd", &[ctrl(Char('k'))]), "ab|");
        assert_eq!(after("ab|cd", &[ctrl(Char('u'))]), "|cd");
        assert_eq!(
            after("harbor.corp/x y|", &[ctrl(Char('w'))]),
            "harbor.corp/x |"
        );
        assert_eq!(
            after("https://a.b/v2/|", &[ctrl(Char('w'))]),
            "https://a.b/|"
        );
        assert_eq!(after("a, 镜像源| x", &[ctrl(Char('w'))]), "a, | x");
        assert_eq!(after("a b|", &[ctrl(Backspace)]), "a |");
        assert_eq!(after("a b|", &[alt(Backspace)]), "a |");
    }

    #[test]
    fn other_ctrl_and_alt_letters_insert_nothing() {
        for c in ['c', 'g', 'l', 'r', 'x', 'z'] {
            let mut i = at("ab|");
            assert!(!i.key(&ctrl(Char(c))), "Ctrl-{c}");
            assert!(!i.key(&alt(Char(c))), "Alt-{c}");
            assert_eq!(show(&i), "ab|");
        }
    }

    #[test]
    fn key_says_whether_the_text_changed() {
        let mut i = at("ab|");
        assert!(!i.key(&k(Left)));
        assert!(i.key(&k(Char('x'))));
        assert!(i.key(&k(Backspace)));
    }

    #[test]
    fn paste_inserts_at_the_cursor_on_one_line() {
        let mut i = at("a|z");
        i.paste("https://镜像.cn,\r\nhttps://b.cn\n");
        assert_eq!(show(&i), "ahttps://镜像.cn, https://b.cn|z");
        let mut i = at("|");
        i.paste("x\u{1b}[31my\tz");
        assert_eq!(show(&i), "x[31my z|");
    }

    #[test]
    fn the_view_keeps_the_cursor_inside_and_scrolls_only_when_it_must() {
        let i = at("abcdefghij|");
        // 10 chars and the cursor cell in 6 cells: the last 5 shown.
        let v = i.view(6);
        assert_eq!(
            (v.text.as_str(), v.cursor, v.left, v.right),
            ("fghij", 5, true, false)
        );
        // Moving left inside the view does not scroll it.
        let mut i = i;
        for _ in 0..4 {
            i.key(&k(Left));
        }
        let v = i.view(6);
        assert_eq!((v.text.as_str(), v.cursor), ("fghij", 1));
        // Past its left edge, it follows.
        i.key(&k(Left));
        i.key(&k(Left));
        let v = i.view(6);
        assert_eq!((v.text.as_str(), v.cursor, v.left), ("efghij", 0, true));
        // Home shows the start.
        i.key(&k(Home));
        let v = i.view(6);
        assert_eq!((v.text.as_str(), v.cursor, v.left), ("abcdef", 0, false));
        // Text that fits is shown whole.
        let v = at("ab|c").view(10);
        assert_eq!(
            (v.text.as_str(), v.cursor, v.left, v.right),
            ("abc", 2, false, false)
        );
    }

    #[test]
    fn the_view_counts_display_width() {
        let i = at("镜像源|");
        assert_eq!(i.view(20).cursor, 6);
        // 7 cells: 3 wide chars and the cursor do not fit; two do.
        let v = i.view(6);
        assert_eq!((v.text.as_str(), v.cursor, v.left), ("像源", 4, true));
        let i = at("镜|像源");
        let v = i.view(5);
        assert_eq!((v.text.as_str(), v.cursor), ("镜像", 2));
        assert!(v.right);
    }

    #[test]
    fn deleting_scrolls_back_to_use_the_room() {
        let mut i = at("abcdefghij|");
        i.view(6);
        for _ in 0..6 {
            i.key(&k(Backspace));
        }
        let v = i.view(6);
        assert_eq!((v.text.as_str(), v.cursor, v.left), ("abcd", 4, false));
    }
}
