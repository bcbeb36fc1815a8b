//! What a heal pass found and did, per registry and host, and how that is
//! told: the report types (also the JSON of `heal --json`) and the printer.
//! Apart from the pass so that `decide` stays a function from node and
//! measurements to data, with no output in it.

use super::RESTORE_AFTER;
use crate::apply;
use crate::plan::{FileChange, Plan};
use crate::probe::{Failure, ProbeStatus};
use serde::Serialize;
use std::path::{Path, PathBuf};

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
