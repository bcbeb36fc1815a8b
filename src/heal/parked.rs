//! A parked host table in a managed hosts.toml: the file read as its
//! `[host."…"]` tables (active or commented out), and written back with
//! each table parked, left, or restored. This is the one place that knows
//! the on-disk format of parking (the `# ctrwiz heal: parked since …` line
//! and the `#~` prefix); the pass only decides, table by table.

use crate::containerd::hosts;
use crate::probe::{Failure, ProbeResult};
use std::path::Path;

// i18n: file content (the same in every language)
const PARKED: &str = "# ctrwiz heal: parked since ";
// i18n: file content
const ANSWERED: &str = "; consecutive passes answered: ";
/// The prefix of each line of a parked host table.
// i18n: file content
const COMMENTED: &str = "#~";

/// One `[host."…"]` table of a managed file (with its sub-tables), active or
/// parked, as a range of lines.
#[derive(Clone, Debug)]
pub(super) struct Block {
    pub(super) url: String,
    /// Lines of the table itself (for a parked one: without the comment line).
    lines: std::ops::Range<usize>,
    pub(super) parked: Option<Parked>,
    /// Has its own CA, client certificate, skip_verify or headers.
    pub(super) own_tls_or_auth: bool,
    pub(super) override_path: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Parked {
    pub(super) since: String,
    pub(super) reason: String,
    pub(super) answered: u32,
}

impl Parked {
    fn line(&self) -> String {
        format!(
            "{PARKED}{} ({}){ANSWERED}{}",
            self.since, self.reason, self.answered
        )
    }

    fn parse(line: &str) -> Option<Parked> {
        let rest = line.trim_end().strip_prefix(PARKED)?;
        let (rest, answered) = rest.rsplit_once(ANSWERED)?;
        let (since, reason) = rest.split_once(" (")?;
        Some(Parked {
            since: since.to_string(),
            reason: reason.strip_suffix(')')?.to_string(),
            answered: answered.trim().parse().ok()?,
        })
    }
}

/// The lines of a file (each with its line end) and its host tables.
pub(super) struct Layout {
    lines: Vec<String>,
    pub(super) blocks: Vec<Block>,
}

/// The host URL a table header names: `[host."URL"]` or `[host."URL".sub]`.
fn header_url(line: &str) -> Option<String> {
    let t = line.trim();
    if !t.starts_with("[host.") || t.starts_with("[[") {
        return None;
    }
    let doc: toml_edit::DocumentMut = format!("{t}\n").parse().ok()?;
    let host = doc.get("host")?.as_table_like()?;
    let url = host.iter().next().map(|(k, _)| k.to_string());
    url
}

fn uncomment(line: &str) -> Option<String> {
    let (body, end) = split_end(line);
    let rest = body.strip_prefix(COMMENTED)?;
    let rest = match rest.strip_prefix(' ') {
        Some(r) => r,
        None if rest.is_empty() => rest,
        None => return None,
    };
    Some(format!("{rest}{end}"))
}

fn comment(line: &str) -> String {
    let (body, end) = split_end(line);
    if body.is_empty() {
        format!("{COMMENTED}{end}")
    } else {
        format!("{COMMENTED} {body}{end}")
    }
}

fn split_end(line: &str) -> (&str, &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    (body, &line[body.len()..])
}

fn own_tls_or_auth(line: &str) -> bool {
    let t = line.trim_start();
    ["ca ", "ca=", "client", "skip_verify"]
        .iter()
        .any(|k| t.starts_with(k))
        || (t.starts_with("[host.") && t.trim_end().ends_with(".header]"))
}

/// Finds the host tables of a managed file. A layout heal cannot follow
/// (hosts as inline tables, a parked table that does not read back) is an
/// error: the file is reported and left alone.
pub(super) fn layout(path: &Path, text: &str) -> std::result::Result<Layout, String> {
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut blocks: Vec<Block> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let parked = Parked::parse(line);
        let (start, url) = match &parked {
            Some(_) => {
                let first = lines.get(i + 1).and_then(|l| uncomment(l));
                match first.as_deref().and_then(header_url) {
                    Some(url) => (i + 1, url),
                    None => return Err(crate::t!("heal.layout.parked", line = i + 1)),
                }
            }
            None => match header_url(line) {
                Some(url) => (i, url),
                None => {
                    i += 1;
                    continue;
                }
            },
        };
        // The table runs to the next table header that is not one of its
        // own sub-tables, or the next parked table; trailing blank lines
        // stay outside.
        let mut end = start + 1;
        let (mut own, mut override_path) = (false, false);
        while end < lines.len() {
            let raw = &lines[end];
            let l = if parked.is_some() {
                match uncomment(raw) {
                    Some(l) => l,
                    None => break,
                }
            } else {
                raw.clone()
            };
            let t = l.trim_start();
            if Parked::parse(raw).is_some() {
                break;
            }
            if t.starts_with('[') && header_url(&l).as_deref() != Some(url.as_str()) {
                break;
            }
            own |= own_tls_or_auth(&l);
            override_path |= t.replace(' ', "").starts_with("override_path=true");
            end += 1;
        }
        let mut last = end;
        while last > start + 1 && {
            let l = &lines[last - 1];
            let body = uncomment(l).unwrap_or_else(|| l.clone());
            body.trim().is_empty()
        } {
            last -= 1;
        }
        if parked.is_none() && blocks.iter().any(|b| b.url == url && b.parked.is_none()) {
            return Err(crate::t!("heal.layout.split", url = url));
        }
        blocks.push(Block {
            url,
            lines: start..last,
            parked,
            own_tls_or_auth: own,
            override_path,
        });
        i = end;
    }
    // Every host containerd reads must be one of the tables found.
    let parsed = hosts::parse(path, text).map_err(|e| e.to_string())?;
    let active: Vec<&str> = blocks
        .iter()
        .filter(|b| b.parked.is_none())
        .map(|b| b.url.as_str())
        .collect();
    let read: Vec<&str> = parsed.hosts.iter().map(|h| h.url.as_str()).collect();
    if active != read {
        return Err(crate::t!("heal.layout.hosts").into());
    }
    Ok(Layout { lines, blocks })
}

/// The text with each block parked, left, or restored as decided.
pub(super) fn render(layout: &Layout, decided: &[(Option<Parked>, bool)]) -> String {
    let mut out = String::new();
    let mut i = 0;
    for (block, (park, was_parked)) in layout.blocks.iter().zip(decided) {
        let comment_line = block.lines.start - usize::from(*was_parked);
        out.extend(layout.lines[i..comment_line].iter().cloned());
        let body = &layout.lines[block.lines.clone()];
        match (park, was_parked) {
            (Some(p), _) => {
                let end = body
                    .first()
                    .map(|l| split_end(l).1)
                    .filter(|e| !e.is_empty())
                    .unwrap_or("\n");
                out.push_str(&p.line());
                out.push_str(end);
                for l in body {
                    out.push_str(&if *was_parked { l.clone() } else { comment(l) });
                }
            }
            (None, true) => {
                for l in body {
                    out.push_str(&uncomment(l).unwrap_or_else(|| l.clone()));
                }
            }
            (None, false) => out.extend(body.iter().cloned()),
        }
        i = block.lines.end;
    }
    out.extend(layout.lines[i..].iter().cloned());
    out
}

/// The language-independent reason written into the file.
pub(super) fn reason(r: &ProbeResult) -> String {
    let kind = r.failure.map_or("failed", Failure::as_str);
    match r.manifest_status.or(r.v2_status) {
        Some(code) => format!("{kind}, HTTP {code}"),
        None => kind.to_string(),
    }
}
