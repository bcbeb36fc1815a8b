//! The input boxes through `update()`: readline keys and pastes land at
//! the cursor, and the frame puts the terminal cursor there (by display
//! width), scrolling a text wider than its box.

use super::super::app::{update, App, Msg, Overlay, Step};
use super::super::editor::{Editor, PrivateField};
use super::{buffer_text, detected, key, keys, render_cursor, typed};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use KeyCode::{Backspace, Char, Delete, End, Enter, Home, Left, Right};

fn ctrl(a: &mut App, code: KeyCode) {
    update(a, Msg::Key(KeyEvent::new(code, KeyModifiers::CONTROL)));
}

/// The add-registry box's text with `|` at its cursor.
fn add_box(a: &App) -> String {
    match &a.editor {
        Some(Editor::AddRegistry { input, .. }) => {
            let mut s = input.to_string();
            s.insert(input.cursor(), '|');
            s
        }
        e => panic!("{e:?}"),
    }
}

fn on_add_box() -> (tempfile::TempDir, App) {
    let (d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Char('a')]);
    assert!(matches!(a.editor, Some(Editor::AddRegistry { .. })));
    (d, a)
}

#[test]
fn every_readline_key_edits_at_the_cursor_in_a_wizard_box() {
    let (_d, mut a) = on_add_box();
    typed(&mut a, "harbor.corp");
    key(&mut a, Home);
    typed(&mut a, "my");
    assert_eq!(add_box(&a), "my|harbor.corp");
    key(&mut a, End);
    assert_eq!(add_box(&a), "myharbor.corp|");
    ctrl(&mut a, Char('a'));
    key(&mut a, Delete);
    key(&mut a, Delete);
    assert_eq!(add_box(&a), "|harbor.corp");
    ctrl(&mut a, Char('e'));
    typed(&mut a, ":8443");
    for _ in 0..5 {
        key(&mut a, Left);
    }
    key(&mut a, Backspace);
    assert_eq!(add_box(&a), "harbor.cor|:8443");
    key(&mut a, Right);
    ctrl(&mut a, Char('k'));
    assert_eq!(add_box(&a), "harbor.cor:|");
    typed(&mut a, "5000/x y");
    ctrl(&mut a, Left);
    assert_eq!(add_box(&a), "harbor.cor:5000/x |y");
    ctrl(&mut a, Left);
    assert_eq!(add_box(&a), "harbor.cor:5000/|x y");
    ctrl(&mut a, Right);
    assert_eq!(add_box(&a), "harbor.cor:5000/x| y");
    ctrl(&mut a, Char('w'));
    assert_eq!(add_box(&a), "harbor.cor:5000/| y");
    ctrl(&mut a, Char('u'));
    assert_eq!(add_box(&a), "| y");
    // Editing keys never leave the box or reach the step (Delete and
    // Backspace remove a row there; → opens the chooser).
    assert_eq!(a.step, Step::Registries);
    assert!(a.editor.is_some());
}

#[test]
fn a_paste_goes_in_at_the_cursor_and_is_checked_like_typing() {
    let (_d, mut a) = on_add_box();
    typed(&mut a, ".corp");
    key(&mut a, Home);
    let effects = update(&mut a, Msg::Paste("harbor\n".into()));
    assert!(effects.is_empty());
    assert_eq!(add_box(&a), "harbor|.corp");
    let Some(Editor::AddRegistry { error, .. }) = &a.editor else {
        panic!()
    };
    assert_eq!(*error, None, "harbor.corp is a valid name");
    // A paste that makes it invalid says so at once.
    update(&mut a, Msg::Paste("/../".into()));
    let Some(Editor::AddRegistry { error, .. }) = &a.editor else {
        panic!()
    };
    assert!(error.is_some());
    // The pasted line break was no Enter; Enter after a paste accepts.
    ctrl(&mut a, Char('a'));
    ctrl(&mut a, Char('k'));
    update(&mut a, Msg::Paste("harbor.corp:5000\r\n".into()));
    assert_eq!(add_box(&a), "harbor.corp:5000|");
    key(&mut a, Enter);
    assert!(
        a.registries
            .iter()
            .any(|r| r.to_string() == "harbor.corp:5000"),
        "{:?}",
        a.registries
    );
}

#[test]
fn a_paste_with_no_box_open_is_not_taken_as_keys() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter]);
    let before = a.selection.clone();
    // "q" would ask to quit, "a" add a row, Enter go on: none of it.
    assert!(update(&mut a, Msg::Paste("qa\n".into())).is_empty());
    assert_eq!(a.step, Step::Registries);
    assert_eq!(a.overlay, Overlay::None);
    assert!(a.editor.is_none());
    assert_eq!(a.selection, before);
    // Under the help overlay, the box below takes nothing either.
    key(&mut a, Char('a'));
    key(&mut a, KeyCode::F(1));
    update(&mut a, Msg::Paste("x".into()));
    assert_eq!(a.overlay, Overlay::Help);
    key(&mut a, Char(' '));
    assert_eq!(add_box(&a), "|");
}

#[test]
fn the_private_form_edits_and_pastes_in_the_field_with_the_cursor() {
    let (_d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter]);
    super::to_extra(&mut a, super::Extra::PrivateRegistry);
    key(&mut a, Char(' '));
    typed(&mut a, "harbor.corp");
    key(&mut a, Home);
    update(&mut a, Msg::Paste("my".into()));
    key(&mut a, KeyCode::Tab);
    update(&mut a, Msg::Paste("/etc/ca.pem".into()));
    key(&mut a, Left);
    key(&mut a, Left);
    key(&mut a, Left);
    key(&mut a, Left);
    typed(&mut a, "-x");
    let Some(Editor::Private(form)) = &a.editor else {
        panic!("{:?}", a.editor)
    };
    assert_eq!(form.host, "myharbor.corp");
    assert_eq!(form.ca, "/etc/ca-x.pem");
    assert_eq!(form.field, PrivateField::Ca);
    // On the transport field a paste has nowhere to go.
    for _ in 0..4 {
        key(&mut a, KeyCode::Tab);
    }
    update(&mut a, Msg::Paste("zzz".into()));
    let Some(Editor::Private(form)) = &a.editor else {
        panic!()
    };
    assert_eq!(form.field, PrivateField::Transport);
    assert!(!format!("{form:?}").contains("zzz"));
}

/// The row and column the terminal cursor is on, and the text left of it
/// on that row.
fn cursor_and_left(a: &App) -> ((u16, u16), String) {
    let (buf, cursor) = render_cursor(a);
    let (x, y) = cursor.expect("the cursor is shown in an input box");
    let text = buffer_text(&buf);
    let row = text.lines().nth(usize::from(y)).unwrap().to_string();
    // Columns are cells: walk the row by display width.
    let mut used = 0;
    let left: String = row
        .chars()
        .take_while(|c| {
            used += crate::wizard::widgets::width(&c.to_string());
            used <= usize::from(x)
        })
        .collect();
    ((x, y), left)
}

#[test]
fn the_terminal_cursor_is_at_the_insertion_point_by_display_width() {
    let _en = crate::i18n::scoped(crate::i18n::Lang::En);
    {
        let (_d, mut a) = on_add_box();
        typed(&mut a, "harbor.corp");
        let (_, left) = cursor_and_left(&a);
        assert!(left.ends_with("> harbor.corp"), "{left:?}");
        key(&mut a, Left);
        key(&mut a, Left);
        let (_, left) = cursor_and_left(&a);
        assert!(left.ends_with("> harbor.co"), "{left:?}");
        // Chinese text: two cells a character (the pause-image box takes
        // anything; the error below it is beside the point here).
        a.editor = Some(Editor::PauseImage {
            input: "镜像/暂停:3.9".into(),
            error: None,
        });
        a.step = Step::Extras;
        for _ in 0..5 {
            key(&mut a, Left);
        }
        let ((x, _), left) = cursor_and_left(&a);
        assert!(left.ends_with("> 镜像/暂"), "{left:?}");
        let start = left.find("> ").unwrap();
        let box_x = crate::wizard::widgets::width(&left[..start]) as u16;
        assert_eq!(x, box_x + 2 + 7, "镜像/暂 is 7 cells wide");
        // The help overlay covers the box: no cursor over it.
        key(&mut a, KeyCode::F(1));
        assert_eq!(render_cursor(&a).1, None);
    }
}

/// The screen with a `^` row under the terminal cursor's cell.
fn marked(a: &App) -> String {
    let (buf, cursor) = render_cursor(a);
    let (x, y) = cursor.expect("cursor shown");
    let mut rows: Vec<String> = buffer_text(&buf).lines().map(str::to_string).collect();
    rows.insert(
        usize::from(y) + 1,
        format!("{}^ cursor", " ".repeat(usize::from(x))),
    );
    rows.join("\n") + "\n"
}

#[test]
fn a_text_wider_than_its_box_scrolls_and_keeps_the_cursor_shown() {
    let _en = crate::i18n::scoped(crate::i18n::Lang::En);
    {
        let (_d, mut a) = detected();
        keys(&mut a, &[Enter, Enter]);
        // The last row's chooser → custom URLs.
        key(&mut a, Char(' '));
        let n = a.chooser_options(&a.registries[0].clone()).len();
        for _ in 0..n - 2 {
            key(&mut a, KeyCode::Down);
        }
        key(&mut a, Enter);
        let urls = "https://mirror-one.example.com/v2/a,https://mirror-two.example.com,https://mirror-three.example.com";
        update(&mut a, Msg::Paste(urls.into()));
        let ((x, y), left) = cursor_and_left(&a);
        // At the end: the start of the list is scrolled away.
        assert!(left.ends_with("mirror-three.example.com"), "{left:?}");
        assert!(left.contains("… "), "the hidden start is marked: {left:?}");
        assert!(!left.contains("mirror-one"), "{left:?}");
        let at_end = marked(&a);
        // Back to the start: the view follows.
        key(&mut a, Home);
        let ((x0, y0), left0) = cursor_and_left(&a);
        assert_eq!(y0, y);
        assert!(x0 < x);
        assert!(left0.ends_with("> "), "{left0:?}");
        let shot = format!(
            "cursor at the end: column {x}, row {y}\n{at_end}cursor at Home: column {x0}, row {y0}\n{}",
            marked(&a)
        );
        insta::assert_snapshot!("input_scrolled_with_cursor", shot);
    }
}
