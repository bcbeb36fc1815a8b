//! Every user-facing string, in English and Simplified Chinese.
//!
//! The catalogs are `assets/i18n/<lang>/<area>.toml`, embedded in the binary;
//! a key is `<area>.<table>.<name>` (the file's stem, then the TOML path).
//! Text goes through [`t!`]: `t!("cli.plan.files", count = n)`. Placeholders
//! are `{name}`; `{{` and `}}` are literal braces.
//!
//! The language is process-wide (set once from `--lang` or the locale), with
//! a per-thread override so tests can render both languages side by side.
//! Files ctrwiz writes (hosts.toml, config.toml comments) never depend on it:
//! a change of language must not show up as a diff.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Lang::En),
            "zh" | "zh-cn" | "zh_cn" | "chinese" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The POSIX order: LC_ALL, then LC_MESSAGES, then LANG; the first one
    /// set decides (`zh_CN.UTF-8`, `zh_TW`, `zh` → Chinese; anything else,
    /// including `C`, → English).
    pub fn from_env_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| get(k))
            .find(|v| !v.is_empty())
            .map_or(Lang::En, |v| {
                if v.to_ascii_lowercase().starts_with("zh") {
                    Lang::Zh
                } else {
                    Lang::En
                }
            })
    }

    pub fn from_env() -> Lang {
        Lang::from_env_vars(|k| std::env::var(k).ok())
    }

    /// `--lang X` / `--lang=X` among the arguments (read before clap parses,
    /// so that its help is in the chosen language too), else the locale.
    pub fn from_args_or_env<S: AsRef<str>>(args: &[S]) -> Lang {
        let mut it = args.iter().map(AsRef::as_ref);
        while let Some(a) = it.next() {
            if a == "--" {
                break;
            }
            let v = match a.strip_prefix("--lang") {
                Some("") => it.next(),
                Some(rest) => rest.strip_prefix('='),
                None => None,
            };
            if let Some(lang) = v.and_then(Lang::parse) {
                return lang;
            }
        }
        Lang::from_env()
    }
}

static GLOBAL: AtomicU8 = AtomicU8::new(0);

thread_local! {
    static THREAD: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the process's language (once, at start-up).
pub fn set(lang: Lang) {
    GLOBAL.store(lang as u8, Ordering::Relaxed);
}

/// This thread's language: its override, else the process's.
pub fn lang() -> Lang {
    THREAD.with(Cell::get).unwrap_or_else(|| {
        if GLOBAL.load(Ordering::Relaxed) == Lang::Zh as u8 {
            Lang::Zh
        } else {
            Lang::En
        }
    })
}

/// Overrides the language on this thread until the guard drops. Worker
/// threads take the spawning thread's language with `set_thread(lang())`.
pub fn scoped(lang: Lang) -> ThreadLang {
    let prev = THREAD.with(|c| c.replace(Some(lang)));
    ThreadLang { prev }
}

pub fn set_thread(lang: Lang) {
    THREAD.with(|c| c.set(Some(lang)));
}

/// `std::thread::spawn` for workers whose text reaches the user: the new
/// thread speaks the spawning thread's language.
pub fn spawn<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let lang = lang();
    std::thread::spawn(move || {
        set_thread(lang);
        f()
    })
}

pub struct ThreadLang {
    prev: Option<Lang>,
}

impl Drop for ThreadLang {
    fn drop(&mut self) {
        THREAD.with(|c| c.set(self.prev));
    }
}

/// (area, English text, Chinese text) of every catalog file.
macro_rules! catalog_files {
    ($($area:literal),* $(,)?) => {
        pub const FILES: &[(&str, &str, &str)] = &[$((
            $area,
            include_str!(concat!("../../assets/i18n/en/", $area, ".toml")),
            include_str!(concat!("../../assets/i18n/zh/", $area, ".toml")),
        )),*];
    };
}
catalog_files!(
    "common", "cli", "errors", "plan", "apply", "doctor", "verify", "probe", "wizard", "fleet",
    "guide", "heal", "owner", "pods", "tui", "done", "readline", "clients", "cni", "nerdctl"
);

type Catalog = HashMap<String, &'static str>;

/// Flattens one catalog file into `area.table.key` → text.
pub fn parse_file(area: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    fn walk(
        prefix: &str,
        table: &toml::Table,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), String> {
        for (k, v) in table {
            let key = format!("{prefix}.{k}");
            match v {
                toml::Value::String(s) => out.push((key, s.clone())),
                toml::Value::Table(t) => walk(&key, t, out)?,
                _ => {
                    return Err(format!(
                        "{key}: only strings and tables belong in a catalog"
                    ))
                }
            }
        }
        Ok(())
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("{area}: {e}"))?;
    let mut out = Vec::new();
    walk(area, &table, &mut out)?;
    Ok(out)
}

fn catalog(lang: Lang) -> &'static Catalog {
    // One language at a time: an English run never parses the Chinese file
    // (about half a millisecond each, see benches/plan.rs).
    static CATALOGS: [OnceLock<Catalog>; 2] = [OnceLock::new(), OnceLock::new()];
    CATALOGS[lang as usize].get_or_init(|| {
        let mut map = Catalog::new();
        for (area, en, zh) in FILES {
            let text = if lang == Lang::En { en } else { zh };
            // The catalogs are compiled in and checked by tests; a broken
            // one is a build defect, not a user error.
            let entries = parse_file(area, text).expect("embedded catalog parses");
            for (k, v) in entries {
                map.insert(k, &*Box::leak(v.into_boxed_str()));
            }
        }
        map
    })
}

/// The text of `key` in this thread's language; a missing key falls back to
/// English, then to the key itself (tests make sure neither happens).
pub fn tr(key: &str) -> &'static str {
    catalog(lang())
        .get(key)
        .or_else(|| catalog(Lang::En).get(key))
        .copied()
        .unwrap_or_else(|| Box::leak(key.to_string().into_boxed_str()))
}

pub fn has_key(lang: Lang, key: &str) -> bool {
    catalog(lang).contains_key(key)
}

/// Fills `{name}` placeholders.
pub fn format(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            let name = &tail[1..end];
            if let Some((_, v)) = args.iter().find(|(n, _)| *n == name) {
                out.push_str(&v.to_string());
                rest = &tail[end + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The placeholder names of a template, for the catalog tests.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template.replace("{{", "").replace("}}", "");
    while let Some(i) = rest.find('{') {
        let Some(end) = rest[i..].find('}') else {
            break;
        };
        names.push(rest[i + 1..i + end].to_string());
        rest = rest[i + end + 1..].to_string();
    }
    names.sort();
    names.dedup();
    names
}

/// Cells a text takes on a terminal (a Chinese character takes two).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Pads with spaces to a display width (`{:<N}` counts chars, not cells).
pub fn pad(s: &str, width: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(self::width(s)),
    ));
    out
}

/// `t!("area.key")` → `&'static str`;
/// `t!("area.key", name = value, …)` → `String` with the placeholders filled.
#[macro_export]
macro_rules! t {
    ($key:literal) => {
        $crate::i18n::tr($key)
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::format(
            $crate::i18n::tr($key),
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
}

#[cfg(test)]
mod tests;
