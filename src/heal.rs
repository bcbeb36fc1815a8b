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
//! measuring and the writing. The format of a parked table lives in
//! `parked`, the report and its printer in `report`, the timer that runs
//! heal by itself in `schedule`.

use crate::apply::{self, ApplyOptions};
use crate::catalog::Catalog;
use crate::containerd::hosts;
use crate::endpoint::Endpoint;
use crate::error::Result;
use crate::node::NodeState;
use crate::plan::{self, FileChange, Plan, Purpose};
use crate::probe::{Candidate, ProbeOptions, ProbeResult};
use crate::registry::RegistryName;

/// Consecutive answering passes before a parked mirror is restored: one
/// good answer after an outage is often a blip, two are a trend.
pub const RESTORE_AFTER: u32 = 2;

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
    progress: &mut dyn FnMut(apply::Progress),
) -> Result<(HealReport, Option<apply::Report>)> {
    let results = crate::probe::run(candidates(node, catalog), probe);
    let report = decide(node, &results, &crate::apply::backup::utc_stamp());
    if dry_run || report.plan.is_noop() {
        return Ok((report, None));
    }
    let applied = apply::run_hosts_only(&report.plan, opts, progress)?;
    Ok((report, Some(applied)))
}

mod parked;
mod report;
pub mod schedule;

use parked::{layout, reason, render, Parked};
pub use report::{print, Action, Drift, HealReport, HostReport, RegistryReport};

#[cfg(test)]
mod tests;
