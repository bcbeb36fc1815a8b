//! The catalogs are complete in both languages, every key the code asks for
//! exists, and no user-facing text is written outside them.

use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn entries(lang: Lang) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (area, en, zh) in FILES {
        let text = if lang == Lang::En { en } else { zh };
        for (k, v) in parse_file(area, text).unwrap_or_else(|e| panic!("{lang:?} {e}")) {
            assert!(out.insert(k.clone(), v).is_none(), "{k} twice");
        }
    }
    out
}

#[test]
fn both_catalogs_have_the_same_keys_and_placeholders() {
    let en = entries(Lang::En);
    let zh = entries(Lang::Zh);
    let en_keys: BTreeSet<_> = en.keys().collect();
    let zh_keys: BTreeSet<_> = zh.keys().collect();
    let only_en: Vec<_> = en_keys.difference(&zh_keys).collect();
    let only_zh: Vec<_> = zh_keys.difference(&en_keys).collect();
    assert!(only_en.is_empty(), "missing from zh: {only_en:?}");
    assert!(only_zh.is_empty(), "missing from en: {only_zh:?}");
    for (k, e) in &en {
        let z = &zh[k];
        assert!(!e.trim().is_empty() && !z.trim().is_empty(), "{k} is empty");
        assert_eq!(placeholders(e), placeholders(z), "{k}: placeholders differ");
    }
    assert!(en.len() > 100, "only {} keys", en.len());
}

#[test]
fn chinese_catalog_is_chinese() {
    // A key copied over untranslated is as bad as a missing one. Short
    // technical texts (a command, a path) may stay as they are.
    let en = entries(Lang::En);
    let zh = entries(Lang::Zh);
    let untranslated: Vec<_> = en
        .iter()
        .filter(|(k, e)| {
            let z = &zh[*k];
            z == *e
                && e.split_whitespace()
                    .filter(|w| w.chars().all(char::is_alphabetic))
                    .count()
                    >= 3
        })
        .map(|(k, _)| k.clone())
        .collect();
    assert!(untranslated.is_empty(), "not translated: {untranslated:?}");
}

#[test]
fn placeholders_are_filled_and_braces_escaped() {
    assert_eq!(format("{a} and {b}", &[("a", &1), ("b", &"x")]), "1 and x");
    assert_eq!(format("{{a}} {a}", &[("a", &2)]), "{a} 2");
    assert_eq!(format("{missing}", &[]), "{missing}");
    assert_eq!(placeholders("{b} {a} {{c}} {a}"), vec!["a", "b"]);
}

#[test]
fn language_comes_from_flag_then_lc_all_lc_messages_lang() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(Lang::from_env_vars(env(&[])), Lang::En);
    assert_eq!(
        Lang::from_env_vars(env(&[("LANG", "zh_CN.UTF-8")])),
        Lang::Zh
    );
    assert_eq!(
        Lang::from_env_vars(env(&[
            ("LANG", "zh_CN.UTF-8"),
            ("LC_MESSAGES", "en_US.UTF-8")
        ])),
        Lang::En
    );
    assert_eq!(
        Lang::from_env_vars(env(&[("LC_ALL", "zh_TW.UTF-8"), ("LC_MESSAGES", "C")])),
        Lang::Zh
    );
    // An empty variable does not count as set.
    assert_eq!(
        Lang::from_env_vars(env(&[("LC_ALL", ""), ("LANG", "zh_CN")])),
        Lang::Zh
    );
    assert_eq!(Lang::from_env_vars(env(&[("LANG", "C.UTF-8")])), Lang::En);
    assert_eq!(
        Lang::from_args_or_env(&["ctrwiz", "--lang", "zh", "plan"]),
        Lang::Zh
    );
    assert_eq!(Lang::from_args_or_env(&["ctrwiz", "--lang=zh"]), Lang::Zh);
}

#[test]
fn thread_override_does_not_leak() {
    {
        let _zh = scoped(Lang::Zh);
        assert_eq!(lang(), Lang::Zh);
        {
            let _en = scoped(Lang::En);
            assert_eq!(lang(), Lang::En);
        }
        assert_eq!(lang(), Lang::Zh);
    }
    assert_eq!(lang(), Lang::En);
}

// ---- the source scan -------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A string literal of the source, with its line and the code just ahead of
/// it (across line breaks: rustfmt puts a long `t!(` key on a line of its own).
struct Literal {
    line: usize,
    text: String,
    before: String,
}

/// Just enough of Rust's lexer to find string literals: comments, char
/// literals vs lifetimes, raw strings, escapes. Stops at `#[cfg(test)]`
/// (the test modules sit at the end of each file).
fn literals(src: &str) -> Vec<Literal> {
    let b = src.as_bytes();
    let (mut i, mut line) = (0, 1);
    let mut out = Vec::new();
    while i < b.len() {
        if let Some(rest) = src[i..].strip_prefix("#[cfg(test)]") {
            // `#[cfg(test)] mod svg;` declares a test-only file; anything
            // else is the test module at the end of the file.
            let item = rest.trim_start().lines().next().unwrap_or("");
            if !(item.starts_with("mod ") && item.ends_with(';')) {
                break;
            }
        }
        match b[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                line += src[i..end].matches('\n').count();
                i = end;
            }
            b'\'' => {
                // 'x' or '\n' is a char; 'a without a closing quote a lifetime.
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else {
                    let c = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    if b.get(i + 1 + c) == Some(&b'\'') {
                        i += c + 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = src[i + 1..].bytes().take_while(|&c| c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let end = src[open + 1..]
                    .find(&close)
                    .map_or(b.len(), |e| open + 1 + e);
                out.push(Literal {
                    line,
                    text: src[open + 1..end].to_string(),
                    before: ahead(src, i),
                });
                line += src[i..end].matches('\n').count();
                i = end + close.len();
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Literal {
                    line,
                    text: src[start + 1..i.min(b.len())].to_string(),
                    before: ahead(src, start),
                });
                line += src[start..i.min(b.len())].matches('\n').count();
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// `code` ends with a call of `name` (`format!(` is not `t!(`).
fn calls(code: &str, name: &str) -> bool {
    code.trim_end().strip_suffix(name).is_some_and(|rest| {
        !rest
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn ahead(src: &str, at: usize) -> String {
    let mut from = at.saturating_sub(48);
    while !src.is_char_boundary(from) {
        from += 1;
    }
    src[from..at].to_string()
}

/// Words a person reads: two words of letters in a row, or any Chinese.
fn is_prose(s: &str) -> bool {
    if s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return true;
    }
    let words: Vec<&str> = s.split([' ', '\n']).collect();
    words.windows(2).any(|w| {
        let word = |x: &str| {
            let x = x.trim_end_matches([',', '.', ':', ';', '?', '!']);
            x.len() >= 2 && x.chars().all(|c| c.is_ascii_alphabetic() || c == '\'')
        };
        word(w[0]) && word(w[1])
    })
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Files whose strings are not shown to a person: the test-only SVG writer,
/// the i18n machinery and its tests, the modules' test files.
const NOT_UI: &[&str] = &[
    "i18n/mod.rs",
    "i18n/tests.rs",
    "wizard/svg.rs",
    "wizard/tests.rs",
    "wizard/tests/input_tests.rs",
    "wizard/tests/heal_tests.rs",
    "wizard/tests/extras_tests.rs",
    "heal/tests.rs",
    "doctor/tests.rs",
    "containerd/config/tests.rs",
    "probe/tests.rs",
    "apply/tests.rs",
];

#[test]
fn no_user_facing_text_outside_the_catalogs() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut found = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(src_dir())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if NOT_UI.contains(&rel.as_str()) {
            continue;
        }
        let src = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = src.lines().collect();
        for lit in literals(&src) {
            if !is_prose(&lit.text) {
                continue;
            }
            // A literal that is not for people says why on its line or the
            // one before: `// i18n: file content`, `// i18n: command` …
            let marked = |n: usize| lines.get(n).is_some_and(|l| l.contains("// i18n:"));
            // Panics state broken invariants for developers, not users.
            let before = lit.before.trim_end();
            let for_developers = ["expect(", "panic!(", "unreachable!("]
                .iter()
                .any(|m| before.ends_with(m));
            if calls(before, "t!(")
                || for_developers
                || marked(lit.line - 1)
                || marked(lit.line.saturating_sub(2))
            {
                continue;
            }
            found.push(format!("src/{rel}:{}: {:?}", lit.line, lit.text));
        }
    }
    assert!(
        found.is_empty(),
        "{} user-facing strings outside assets/i18n (move them to the catalogs with t!, \
         or mark a line that is not for people with `// i18n: <why>`):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn every_key_the_code_uses_exists_and_every_key_is_used() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut used = BTreeSet::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        for lit in literals(&src) {
            let b = lit.before.trim_end();
            if calls(b, "t!(") || calls(b, "tr(") {
                used.insert(lit.text);
            }
        }
    }
    let en = entries(Lang::En);
    let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys used but not in the catalogs: {missing:?}"
    );
    // Keys read by a computed name (clap's help texts) live under `*.help.`.
    let unused: Vec<_> = en
        .keys()
        .filter(|k| !used.contains(*k) && !k.contains(".help."))
        .collect();
    assert!(
        unused.is_empty(),
        "keys in the catalogs that nothing uses: {unused:?}"
    );
}

#[test]
fn the_scanner_sees_what_it_should() {
    let src = "let a = t!(\"x.y\");\n// \"not this\"\nlet b = \"two words\"; let c = 'q'; fn f<'a>() {}\nlet d = r#\"raw \"text\" here\"#;\n#[cfg(test)]\nlet e = \"after tests\";";
    let lits: Vec<_> = literals(src)
        .into_iter()
        .map(|l| (l.line, l.text))
        .collect();
    assert_eq!(
        lits,
        vec![
            (1, "x.y".to_string()),
            (3, "two words".to_string()),
            (4, "raw \"text\" here".to_string())
        ]
    );
    assert!(
        is_prose("two words") && is_prose("镜像") && !is_prose("{:<12} {}") && !is_prose("a b")
    );
}
