//! `ctrwiz heal`: one pass that keeps dead mirrors from stopping pulls.
//!
//! Every pull dials the hosts of a hosts.toml in order, and every request
//! of a pull does so again: a blackholed first mirror costs the dial timeout
//! (30 s by default) per request, and one that accepts and never answers
//! stops the pull (containerd before 2.3 has no response-header timeout,
//! docs/containerd-facts.md §9). Only taking it out of the file helps,
//! and containerd re-reads hosts.toml on every pull, so that needs no
//! restart.
//!
//! A pass measures every mirror of the hosts.toml files ctrwiz manages with
//! the probe (`probe::run`: its statuses and `Failure` kinds), then:
//! - a working mirror stays where it is;
//! - a failing one is *parked*: its table stays in the file, commented out
//!   in place under one line that says why and since when, so the choice is
//!   never lost;
//! - a parked one that answers on `RESTORE_AFTER` consecutive passes is
//!   restored in its place (the count lives in that comment line).
//!
//! The result is a hosts-only `Plan`, carried out by `apply::run_hosts_only`
//! (lock, backup set, atomic writes, log: `ctrwiz rollback` undoes a heal).
//! It never touches config.toml, never restarts, never edits a file ctrwiz
//! does not manage (those are reported), and on a node whose mirrors all
//! work it writes nothing at all.
//!
//! `decide` is pure (node + measurements → report + plan); `run` does the
//! measuring and the writing.

use crate::apply::{self, ApplyOptions};
use crate::catalog::Catalog;
use crate::containerd::hosts;
use crate::endpoint::Endpoint;
use crate::error::Result;
use crate::node::NodeState;
use crate::plan::{self, FileChange, Plan, Purpose};
use crate::probe::{Candidate, Failure, ProbeOptions, ProbeResult, ProbeStatus};
use crate::registry::RegistryName;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Consecutive answering passes before a parked mirror is restored: one
/// good answer after an outage is often a blip, two are a trend.
pub const RESTORE_AFTER: u32 = 2;

// i18n: file content (the same in every language)
const PARKED: &str = "# ctrwiz heal: parked since ";
// i18n: file content
const ANSWERED: &str = "; consecutive passes answered: ";
/// The prefix of each line of a parked host table.
// i18n: file content
const COMMENTED: &str = "#~";

/// What a pass did with one host of a hosts.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Works, stays where it is.
    Kept,
    /// Failed: commented out in place.
    Parked,
    /// Parked, and stays so (it failed again, or has not yet answered on
    /// enough consecutive passes).
    StillParked,
    /// Parked, answered on `RESTORE_AFTER` consecutive passes: back in place.
    Restored,
    /// The registry itself (the last resort), or a host with its own CA,
    /// client certificate or headers, which the probe cannot speak for.
    NotMeasured,
    /// In a file ctrwiz does not manage: measured and reported, never edited.
    NotManaged,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostReport {
    pub url: String,
    pub action: Action,
    pub status: Option<ProbeStatus>,
    pub failure: Option<Failure>,
    pub latency_ms: Option<u64>,
    /// Since when it is parked (UTC, `20261122T154501Z`).
    pub parked_since: Option<String>,
    /// Consecutive passes it answered while parked.
    pub answered: Option<u32>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegistryReport {
    pub registry: String,
    /// Node path of its hosts.toml.
    pub path: PathBuf,
    pub managed: bool,
    /// Whether this pass rewrites the file.
    pub changed: bool,
    pub hosts: Vec<HostReport>,
    /// Why the file was left alone, when it was.
    pub note: Option<String>,
}

/// config.toml no longer points at the hosts dir (a package upgrade
/// replaced it): no hosts.toml is read, whatever heal does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub config: PathBuf,
    /// What `config_path` says now (`None`: unset, or config.toml unreadable).
    pub config_path: Option<String>,
    pub expected: String,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct HealReport {
    pub registries: Vec<RegistryReport>,
    pub drift: Option<Drift>,
    /// Nothing answered at all (two or more mirrors measured): the node is
    /// more likely offline than every mirror dead, so nothing is parked.
    pub offline: bool,
    #[serde(skip)]
    pub plan: Plan,
}

impl HealReport {
    pub fn changed(&self) -> Vec<&Path> {
        self.plan.effective().map(|c| c.path.as_path()).collect()
    }
}

/// One `[host."…"]` table of a managed file (with its sub-tables), active or
/// parked, as a range of lines.
#[derive(Clone, Debug)]
struct Block {
    url: String,
    /// Lines of the table itself (for a parked one: without the comment line).
    lines: std::ops::Range<usize>,
    parked: Option<Parked>,
    /// Has its own CA, client certificate, skip_verify or headers.
    own_tls_or_auth: bool,
    override_path: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Parked {
    since: String,
    reason: String,
    answered: u32,
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
struct Layout {
    lines: Vec<String>,
    blocks: Vec<Block>,
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
fn layout(path: &Path, text: &str) -> std::result::Result<Layout, String> {
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
fn render(layout: &Layout, decided: &[(Option<Parked>, bool)]) -> String {
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
fn reason(r: &ProbeResult) -> String {
    let kind = r.failure.map_or("failed", Failure::as_str);
    match r.manifest_status.or(r.v2_status) {
        Some(code) => format!("{kind}, HTTP {code}"),
        None => kind.to_string(),
    }
}

/// Whether a mirror counts as answering for heal: it works, or its
/// registry API answers and only lacks the probe image (a private mirror
/// without `library/busybox`): containerd moves on from a 404 at once, so
/// such a mirror never slows a pull.
fn answers(r: &ProbeResult) -> bool {
    r.status.works()
        || (r.v2_status == Some(200) || r.v2_status == Some(401)) && r.manifest_status == Some(404)
}

/// Every host heal measures: the mirrors of every hosts.toml in the hosts
/// dir (managed or not, active or parked), without the registry itself and
/// without hosts that carry their own CA, client certificate or headers.
pub fn candidates(node: &NodeState, catalog: &Catalog) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (dir, text) in &node.hosts_dir.files {
        let (Some(text), Some(registry)) = (text, RegistryName::from_dir_name(dir)) else {
            continue;
        };
        let path = plan::hosts_file(&node.hosts_dir.path, &registry);
        let urls: Vec<(String, bool)> = if hosts::is_managed(text) {
            match layout(&path, text) {
                Ok(l) => l
                    .blocks
                    .iter()
                    .filter(|b| !b.own_tls_or_auth)
                    .map(|b| (b.url.clone(), b.override_path))
                    .collect(),
                Err(_) => continue,
            }
        } else {
            match hosts::parse(&path, text) {
                Ok(p) => p
                    .hosts
                    .iter()
                    .map(|h| (h.url.clone(), h.override_path))
                    .collect(),
                Err(_) => continue,
            }
        };
        let parsed = hosts::parse(&path, text).ok();
        for (url, override_path) in urls {
            if is_upstream(&registry, parsed.as_ref(), &url) {
                continue;
            }
            let Ok(endpoint) = Endpoint::parse(&url) else {
                continue;
            };
            let override_path = override_path || endpoint.override_path;
            out.push(Candidate {
                registry: registry.clone(),
                endpoint: Endpoint {
                    override_path,
                    ..endpoint
                },
                source: "configured".into(), // i18n: a stable id in JSON
                probe_image: catalog
                    .registry(&registry)
                    .and_then(|r| r.probe_image.clone()),
            });
        }
    }
    out
}

fn is_upstream(registry: &RegistryName, parsed: Option<&hosts::ParsedHosts>, url: &str) -> bool {
    let norm = |u: &str| u.trim_end_matches('/').to_ascii_lowercase();
    registry
        .upstream_url()
        .is_some_and(|u| norm(&u) == norm(url))
        || parsed
            .and_then(|p| p.server.as_deref())
            .is_some_and(|s| norm(s) == norm(url))
}

/// The pass itself, pure: what to park, keep and restore, the report, and
/// the hosts-only plan. `now` is the stamp written next to a newly parked
/// mirror.
pub fn decide(node: &NodeState, results: &[ProbeResult], now: &str) -> HealReport {
    let measured: Vec<&ProbeResult> = results.iter().collect();
    let distinct = {
        let mut urls: Vec<&str> = measured.iter().map(|r| r.url.as_str()).collect();
        urls.sort_unstable();
        urls.dedup();
        urls.len()
    };
    let offline = distinct >= 2 && measured.iter().all(|r| !answers(r));
    let find = |registry: &RegistryName, url: &str| {
        results
            .iter()
            .find(|r| r.registry == registry.as_str() && r.url == url)
    };
    let mut registries = Vec::new();
    let mut changes = Vec::new();
    for (dir, text) in &node.hosts_dir.files {
        let Some(registry) = RegistryName::from_dir_name(dir) else {
            continue;
        };
        let path = plan::hosts_file(&node.hosts_dir.path, &registry);
        let mut report = RegistryReport {
            registry: registry.to_string(),
            path: path.clone(),
            managed: false,
            changed: false,
            hosts: vec![],
            note: None,
        };
        let host = |url: &str, action: Action, r: Option<&ProbeResult>| HostReport {
            url: url.to_string(),
            action,
            status: r.map(|r| r.status),
            failure: r.and_then(|r| r.failure),
            latency_ms: r.and_then(|r| r.latency_ms),
            parked_since: None,
            answered: None,
            detail: r.map(|r| r.detail.clone()).unwrap_or_default(),
        };
        let Some(text) = text else {
            if node.hosts_dir.bytes.contains_key(dir) {
                report.note = Some(crate::t!("heal.note.not_utf8").into());
                registries.push(report);
            }
            continue;
        };
        if !hosts::is_managed(text) {
            report.note = Some(crate::t!("heal.note.not_managed").into());
            if let Ok(p) = hosts::parse(&path, text) {
                for h in &p.hosts {
                    report
                        .hosts
                        .push(host(&h.url, Action::NotManaged, find(&registry, &h.url)));
                }
            }
            registries.push(report);
            continue;
        }
        report.managed = true;
        let parsed = hosts::parse(&path, text).ok();
        let layout = match layout(&path, text) {
            Ok(l) => l,
            Err(why) => {
                report.note = Some(crate::t!("heal.note.layout", why = why));
                registries.push(report);
                continue;
            }
        };
        let mut decided = Vec::new();
        for b in &layout.blocks {
            let r = find(&registry, &b.url);
            let was = b.parked.clone();
            let (action, park) = match (&was, r) {
                _ if is_upstream(&registry, parsed.as_ref(), &b.url) || b.own_tls_or_auth => {
                    (Action::NotMeasured, was.clone())
                }
                (None, Some(r)) if !answers(r) && !offline => (
                    Action::Parked,
                    Some(Parked {
                        since: now.to_string(),
                        reason: reason(r),
                        answered: 0,
                    }),
                ),
                (None, _) => (Action::Kept, None),
                (Some(p), Some(r)) if answers(r) => {
                    let answered = p.answered + 1;
                    if answered >= RESTORE_AFTER {
                        (Action::Restored, None)
                    } else {
                        let p = Parked {
                            answered,
                            ..p.clone()
                        };
                        (Action::StillParked, Some(p))
                    }
                }
                // Failed again (or offline): the count starts over.
                (Some(p), Some(_)) if !offline => (
                    Action::StillParked,
                    Some(Parked {
                        answered: 0,
                        ..p.clone()
                    }),
                ),
                (Some(p), _) => (Action::StillParked, Some(p.clone())),
            };
            let mut h = host(&b.url, action, r);
            h.parked_since = park.as_ref().map(|p| p.since.clone());
            h.answered = park.as_ref().map(|p| p.answered);
            report.hosts.push(h);
            decided.push((park, was.is_some()));
        }
        let after = render(&layout, &decided);
        // What containerd will read must be exactly the hosts kept.
        let expected: Vec<&str> = layout
            .blocks
            .iter()
            .zip(&decided)
            .filter(|(_, (p, _))| p.is_none())
            .map(|(b, _)| b.url.as_str())
            .collect();
        let reads_back = hosts::parse(&path, &after)
            .map(|p| p.hosts.iter().map(|h| h.url.clone()).collect::<Vec<_>>())
            .is_ok_and(|urls| urls == expected);
        if !reads_back {
            report.note = Some(crate::t!("heal.layout.hosts").into());
            registries.push(report);
            continue;
        }
        let change = FileChange {
            path,
            purpose: Purpose::Hosts {
                registry: registry.to_string(),
            },
            before: node.hosts_dir.bytes.get(dir).cloned(),
            after: Some(after.into_bytes()),
            note: None,
            mode: None,
        };
        report.changed = change.kind() != plan::ChangeKind::Unchanged;
        if report.changed {
            changes.push(change);
        }
        registries.push(report);
    }
    HealReport {
        registries,
        drift: drift(node),
        offline,
        plan: Plan {
            changes,
            restart: None,
            notes: vec![],
            hosts_dir: node.hosts_dir.path.clone(),
            config: node.containerd_config.path.clone(),
        },
    }
}

/// config.toml must still point at the hosts dir heal edits.
fn drift(node: &NodeState) -> Option<Drift> {
    let cfg = &node.containerd_config;
    let expected = node.hosts_dir.config_value.to_string_lossy().into_owned();
    let now = cfg.config_path.clone().filter(|p| !p.is_empty());
    if now.as_deref() == Some(expected.as_str()) && cfg.error.is_none() {
        return None;
    }
    let message = match (&cfg.error, &now) {
        (Some(e), _) => crate::t!("heal.drift.unreadable", error = e),
        (None, Some(p)) => crate::t!("heal.drift.elsewhere", path = p, dir = expected),
        (None, None) => crate::t!("heal.drift.unset", dir = expected),
    };
    // The preset a managed file names, so the fix re-applies the same choice.
    let preset = node.hosts_dir.files.values().flatten().find_map(|t| {
        let first = t.lines().next()?;
        let rest = first.strip_prefix(hosts::MANAGED_MARKER)?;
        let id = rest.trim().strip_prefix("(preset ")?.split(')').next()?;
        Some(id.to_string())
    });
    let command = match preset {
        Some(id) => format!("ctrwiz apply --preset {id} --yes"), // i18n: a command
        None => "ctrwiz apply --profile FILE --yes".to_string(), // i18n: a command
    };
    let fix = crate::t!("heal.drift.fix", command = command);
    Some(Drift {
        config: cfg.path.clone(),
        config_path: now,
        expected,
        message,
        fix,
    })
}

/// Measures, decides, and (unless `dry_run`) writes the files that change.
pub fn run(
    node: &NodeState,
    catalog: &Catalog,
    probe: ProbeOptions,
    opts: &ApplyOptions,
    dry_run: bool,
    progress: &mut dyn FnMut(apply::Step),
) -> Result<(HealReport, Option<apply::Report>)> {
    let results = crate::probe::run(candidates(node, catalog), probe);
    let report = decide(node, &results, &crate::apply::backup::utc_stamp());
    if dry_run || report.plan.is_noop() {
        return Ok((report, None));
    }
    let applied = apply::run_hosts_only(&report.plan, opts, progress)?;
    Ok((report, Some(applied)))
}

fn action_label(a: Action) -> &'static str {
    match a {
        Action::Kept => crate::t!("heal.action.kept"),
        Action::Parked => crate::t!("heal.action.parked"),
        Action::StillParked => crate::t!("heal.action.still_parked"),
        Action::Restored => crate::t!("heal.action.restored"),
        Action::NotMeasured => crate::t!("heal.action.not_measured"),
        Action::NotManaged => crate::t!("heal.action.not_managed"),
    }
}

/// The report for people (or as JSON: per registry what was measured and
/// what changed). Exit code: 1 when config.toml drifted away from the hosts
/// dir (no heal helps then), else 0.
pub fn print(
    report: &HealReport,
    applied: Option<&apply::Report>,
    json: bool,
    dry_run: bool,
) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let code = i32::from(report.drift.is_some());
    if json {
        let value = serde_json::json!({
            "dry_run": dry_run,
            "offline": report.offline,
            "drift": report.drift,
            "registries": report.registries,
            "changed": report.changed(),
            "diffs": report.plan.effective().map(FileChange::diff).collect::<Vec<_>>(),
            "backup_dir": applied.and_then(|a| a.backup_dir.as_ref()),
        });
        let text = serde_json::to_string_pretty(&value).expect("reports serialise");
        let _ = writeln!(out, "{text}");
        return code;
    }
    if report.registries.is_empty() {
        let dir = report.plan.hosts_dir.display();
        let _ = writeln!(out, "{}", crate::t!("heal.cli.no_files", dir = dir));
    }
    for r in &report.registries {
        let changed = if r.changed {
            crate::t!("heal.cli.changed")
        } else {
            ""
        };
        let (registry, path) = (&r.registry, r.path.display());
        let line = crate::t!(
            "heal.cli.file",
            registry = registry,
            path = path,
            changed = changed
        );
        let _ = writeln!(out, "{line}");
        if let Some(note) = &r.note {
            let _ = writeln!(out, "  {note}");
        }
        for h in &r.hosts {
            let status = h.failure.map(Failure::as_str).or(h.status.map(|s| match s {
                ProbeStatus::Slow => "slow",
                _ => "ok",
            }));
            let ms = h.latency_ms.map(|m| format!(" {m} ms")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<44} {} {}{ms}  {}",
                h.url,
                crate::i18n::pad(action_label(h.action), 12),
                status.unwrap_or("-"),
                h.detail
            );
            if let (Some(since), Some(answered)) = (&h.parked_since, h.answered) {
                let needed = RESTORE_AFTER;
                let line = crate::t!(
                    "heal.cli.parked_since",
                    since = since,
                    answered = answered,
                    needed = needed
                );
                let _ = writeln!(out, "  {:<44} {line}", "");
            }
        }
    }
    if report.offline {
        let _ = writeln!(out, "{}", crate::t!("heal.cli.offline"));
    }
    let count = report.plan.effective().count();
    if dry_run {
        for c in report.plan.effective() {
            let _ = write!(out, "\n{}", c.diff());
        }
        let _ = writeln!(out, "{}", crate::t!("heal.cli.dry_run", count = count));
    } else if count == 0 {
        let _ = writeln!(out, "{}", crate::t!("heal.cli.nothing"));
    } else {
        let _ = writeln!(out, "{}", crate::t!("heal.cli.healed", count = count));
        if let Some(dir) = applied.and_then(|a| a.backup_dir.as_ref()) {
            let _ = writeln!(out, "{}", crate::t!("heal.cli.backup", dir = dir.display()));
        }
    }
    if let Some(d) = &report.drift {
        let _ = writeln!(out, "{}\n{}", d.message, d.fix);
    }
    code
}

pub mod schedule;

#[cfg(test)]
mod tests;
