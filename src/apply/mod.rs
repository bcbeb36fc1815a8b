//! Carrying out a plan: lock, back up, write atomically, restart containerd
//! only when config.toml changed, health-check it, and roll back when it
//! does not come back healthy.

pub mod backup;
pub mod files;
pub mod health;
pub mod lock;
pub mod outcome;

use crate::error::{Error, Result};
use crate::node::{ServiceManager, ServiceState};
use crate::plan::{ChangeKind, Plan, Purpose};
use crate::root::Root;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How containerd is restarted, decided once by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// `--restart-cmd`, run with `sh -c`.
    Command(String),
    Systemd,
    Openrc,
    /// No restart; the reason is shown to the user.
    Skip(String),
}

impl RestartPolicy {
    /// The shell command for `restart`: containerd, or the service that
    /// owns it (k3s/RKE2); `--restart-cmd` always wins.
    pub fn command_for(&self, restart: &crate::plan::Restart) -> std::result::Result<String, &str> {
        let Some(service) = &restart.service else {
            return self.command(restart.daemon_reload);
        };
        let unit = &service.unit;
        match self {
            RestartPolicy::Command(c) => Ok(c.clone()),
            RestartPolicy::Systemd => Ok(format!("systemctl restart {unit}")), // i18n: command
            RestartPolicy::Openrc => Ok(format!("rc-service {unit} restart")), // i18n: command
            RestartPolicy::Skip(why) => Err(why),
        }
    }

    /// How to restart containerd on this node, decided from plain facts:
    /// `--restart-cmd` wins; a tree under `--root` (not the host) and a
    /// containerd that is not running are never restarted; rootless
    /// containerd is a user unit; otherwise the service manager's command.
    pub fn choose(
        service: &ServiceState,
        is_host: bool,
        rootless: bool,
        restart_cmd: Option<&str>,
    ) -> RestartPolicy {
        if let Some(cmd) = restart_cmd {
            return RestartPolicy::Command(cmd.to_string());
        }
        if !is_host {
            return RestartPolicy::Skip(crate::t!("cli.restart.skip_root").into());
        }
        if !service.running {
            return RestartPolicy::Skip(crate::t!("cli.restart.skip_not_running").into());
        }
        if rootless {
            // i18n: command
            return RestartPolicy::Command("systemctl --user restart containerd".into());
        }
        match service.manager {
            ServiceManager::Systemd => RestartPolicy::Systemd,
            ServiceManager::Openrc => RestartPolicy::Openrc,
            ServiceManager::None => {
                RestartPolicy::Skip(crate::t!("cli.restart.skip_no_manager").into())
            }
        }
    }

    /// The shell command that restarts containerd, or why there is none.
    fn command(&self, daemon_reload: bool) -> std::result::Result<String, &str> {
        match self {
            RestartPolicy::Command(c) => Ok(c.clone()),
            RestartPolicy::Systemd if daemon_reload => {
                // i18n: commands
                Ok("systemctl daemon-reload && systemctl restart containerd".into())
            }
            // i18n: commands
            RestartPolicy::Systemd => Ok("systemctl restart containerd".into()),
            RestartPolicy::Openrc => Ok("rc-service containerd restart".into()), // i18n: command
            RestartPolicy::Skip(why) => Err(why),
        }
    }
}

/// The command that restarts Docker (`apply --restart-docker`).
pub fn docker_restart_command(manager: ServiceManager) -> String {
    match manager {
        // i18n: commands
        ServiceManager::Openrc => "rc-service docker restart".into(),
        _ => "systemctl restart docker".into(), // i18n: command
    }
}

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub root: Root,
    /// Real path of backups, the lock and logs.
    pub state_dir: PathBuf,
    pub restart: RestartPolicy,
    /// containerd's socket (node path).
    pub address: PathBuf,
    /// `ctr`, for the health check; without it only the socket is tried.
    pub ctr: Option<PathBuf>,
    pub health_timeout: Duration,
    /// What a restart must prove (`--health`).
    pub health: health::Level,
    /// Restart Docker after daemon.json changed (only on an explicit yes:
    /// it stops running containers unless live-restore is on).
    pub docker_restart: Option<String>,
}

/// One line of progress. `apply --json` lists them as `{code, message,
/// …}`; fields that hold a sentence are in the message only.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Progress {
    BackedUp {
        dir: PathBuf,
        files: usize,
    },
    Wrote {
        path: PathBuf,
        kind: ChangeKind,
    },
    Restarting {
        command: String,
    },
    RestartSkipped {
        #[serde(skip)]
        why: String,
    },
    Healthy {
        #[serde(skip)]
        detail: String,
    },
    Unhealthy {
        #[serde(skip)]
        why: String,
    },
    RolledBack {
        files: usize,
    },
    NotRestored {
        path: PathBuf,
        #[serde(skip)]
        why: String,
    },
    RestartedAfterRollback {
        healthy: bool,
    },
    DockerRestarted,
    DockerNotRestarted {
        #[serde(skip)]
        why: String,
    },
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::t;
        let text = match self {
            Progress::BackedUp { dir, files } => {
                t!("apply.step.backed_up", files = files, dir = dir.display())
            }
            Progress::Wrote { path, kind } => match kind {
                ChangeKind::Create => t!("apply.step.created", path = path.display()),
                ChangeKind::Delete => t!("apply.step.removed", path = path.display()),
                _ => t!("apply.step.updated", path = path.display()),
            },
            Progress::Restarting { command } => t!("apply.step.restarting", command = command),
            Progress::RestartSkipped { why } => t!("apply.step.restart_skipped", why = why),
            Progress::Healthy { detail } => t!("apply.step.healthy", detail = detail),
            Progress::Unhealthy { why } => t!("apply.step.unhealthy", why = why),
            Progress::RolledBack { files } => t!("apply.step.rolled_back", files = files),
            Progress::NotRestored { path, why } => {
                t!("apply.step.not_restored", path = path.display(), why = why)
            }
            Progress::RestartedAfterRollback { healthy: true } => {
                t!("apply.step.healthy_again").to_string()
            }
            Progress::RestartedAfterRollback { healthy: false } => {
                t!("apply.step.still_unhealthy").to_string()
            }
            Progress::DockerRestarted => t!("apply.step.docker_restarted").to_string(),
            Progress::DockerNotRestarted { why } => {
                t!("apply.step.docker_not_restarted", why = why)
            }
        };
        f.write_str(&text)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub backup_dir: Option<PathBuf>,
    /// Node paths written or removed.
    pub written: Vec<PathBuf>,
    pub restarted: bool,
    /// The closing sentence for the user.
    pub message: String,
}

pub fn run(plan: &Plan, opts: &ApplyOptions, progress: &mut dyn FnMut(Progress)) -> Result<Report> {
    let _lock = lock::acquire(&opts.state_dir)?;
    let config_dir = plan.config.parent().unwrap_or(std::path::Path::new("/"));
    let _node_lock = lock::acquire_node(&opts.root.join(config_dir))?;
    let mut report = run_locked(plan, opts, progress, true)?;
    let docker_changed = plan.effective().any(|c| c.purpose == Purpose::DockerDaemon);
    if docker_changed {
        match &opts.docker_restart {
            Some(cmd) => {
                health::restart(cmd, opts.health_timeout)
                    .map_err(|e| Error::Other(crate::t!("apply.docker_failed", error = e)))?;
                progress(Progress::DockerRestarted);
                report.message.push_str(crate::t!("apply.docker_restarted"));
            }
            None => {
                let why = crate::t!("apply.docker_restart_yourself").to_string();
                progress(Progress::DockerNotRestarted { why: why.clone() });
                report.message.push_str(&crate::t!("apply.then", why = why));
            }
        }
    }
    Ok(report)
}

/// A plan that changes only hosts.toml files, carried out without any
/// restart (`ctrwiz heal`): the same lock, re-check, backup set, atomic
/// writes and log as an apply, so `ctrwiz rollback` undoes it. A restart an
/// earlier apply still owes stays owed (the next apply finishes it).
pub fn run_hosts_only(
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    assert!(
        plan.restart.is_none()
            && plan
                .effective()
                .all(|c| matches!(c.purpose, Purpose::Hosts { .. })),
        "a hosts-only plan"
    );
    let _lock = lock::acquire(&opts.state_dir)?;
    let config_dir = plan.config.parent().unwrap_or(std::path::Path::new("/"));
    let _node_lock = lock::acquire_node(&opts.root.join(config_dir))?;
    run_locked(plan, opts, progress, false)
}

/// `finish_owed`: carry out a restart an earlier apply owes (false for a
/// hosts-only run, which leaves the marker for the next apply).
fn run_locked(
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(Progress),
    finish_owed: bool,
) -> Result<Report> {
    let root = &opts.root;
    backup::remove_incomplete(&opts.state_dir);
    let pending = marker(&opts.state_dir, PENDING);
    // An apply that was killed half-way: its set holds the files as they
    // were before it.
    let interrupted = marker(&opts.state_dir, RUNNING)
        .and_then(|id| backup::find(&opts.state_dir, Some(&id)).ok());
    if plan.is_noop() {
        clear(&opts.state_dir, RUNNING);
        // An earlier apply wrote config.toml and was killed before its
        // restart: the files match, but containerd still runs the old config.
        if let (Some(id), Ok(command), true) = (pending, opts.restart.command(true), finish_owed) {
            return finish_pending(&id, &command, &plan.config, opts, progress);
        }
        return Ok(Report {
            message: crate::t!("apply.nothing").into(),
            ..Default::default()
        });
    }
    // The plan was made before the lock: another apply may have finished
    // while this one waited at its prompt. Writing now would silently undo
    // it, so every target must still be what the plan saw.
    let changed: Vec<PathBuf> = plan
        .effective()
        .filter(|c| {
            crate::node::read::optional(root, &c.path, crate::node::read::CONFIG_LIMIT)
                .map_or(true, |now| now != c.before)
        })
        .map(|c| c.path.clone())
        .collect();
    if !changed.is_empty() {
        return Err(Error::NodeChanged { paths: changed });
    }
    for change in plan.effective() {
        files::writable(&root.join(&change.path)).map_err(|e| Error::io(&change.path, e))?;
    }
    remove_leftovers(plan, root);
    let set = backup::create(root, &opts.state_dir, plan, interrupted.as_ref())?;
    mark(&opts.state_dir, RUNNING, &set.manifest.id)?;
    let log = ApplyLog::start(&set, plan);
    let progress = &mut |step: Progress| {
        log.line(&step.to_string());
        progress(step);
    };
    progress(Progress::BackedUp {
        dir: set.dir.clone(),
        files: set.manifest.entries.len(),
    });
    // A restart is owed when this plan changes config.toml, or when an
    // earlier apply changed it and died before restarting.
    let restart = plan.restart.clone().or_else(|| {
        pending
            .as_ref()
            .filter(|_| finish_owed)
            .map(|id| crate::plan::Restart {
                reasons: vec![crate::plan::Reason::PendingRestart { id: id.clone() }],
                daemon_reload: true,
                service: None,
            })
    });
    if restart.is_some() {
        mark(&opts.state_dir, PENDING, &set.manifest.id)?;
    }

    let mut report = Report {
        backup_dir: Some(set.dir.clone()),
        ..Default::default()
    };
    if let Err(e) = write_all(plan, root, progress, &mut report) {
        // Half-written: put back what was there before saying anything.
        let restored = restore(&set, root, progress);
        clear(&opts.state_dir, RUNNING);
        if restored.complete() {
            // Nothing changed, so no restart is owed for this apply (one
            // owed by an earlier apply still is).
            match &pending {
                Some(id) => mark(&opts.state_dir, PENDING, id)?,
                None => clear(&opts.state_dir, PENDING),
            }
        }
        return Err(Error::WriteFailed {
            why: e.to_string(),
            dir: set.dir.clone(),
            restored: restored.describe(),
        });
    }

    let Some(restart) = restart else {
        clear(&opts.state_dir, RUNNING);
        report.message = if plan.only_hosts_files() {
            crate::t!("apply.hosts_only").into()
        } else {
            crate::t!("apply.no_restart").into()
        };
        return Ok(report);
    };
    // k3s/RKE2: their containerd answers on their socket.
    let owner_opts;
    let opts = match &restart.service {
        Some(s) => {
            owner_opts = ApplyOptions {
                address: s.socket.clone(),
                ..opts.clone()
            };
            &owner_opts
        }
        None => opts,
    };
    let command = match opts.restart.command_for(&restart) {
        Ok(c) => c,
        Err(why) => {
            clear(&opts.state_dir, PENDING);
            clear(&opts.state_dir, RUNNING);
            progress(Progress::RestartSkipped { why: why.into() });
            report.message = crate::t!(
                "apply.config_changed_no_restart",
                reasons =
                    crate::plan::joined(&restart.reasons, crate::t!("plan.restart.separator")),
                why = why
            );
            return Ok(report);
        }
    };
    progress(Progress::Restarting {
        command: command.clone(),
    });
    let outcome = health::restart(&command, opts.health_timeout).and_then(|output| {
        if !output.is_empty() {
            log.line(&crate::t!("apply.restart_output", output = output));
        }
        health::check_level(opts, &plan.config)
    });
    match outcome {
        Ok(detail) => {
            clear(&opts.state_dir, PENDING);
            clear(&opts.state_dir, RUNNING);
            progress(Progress::Healthy { detail });
            report.restarted = true;
            report.message = crate::t!(
                "apply.restarted_healthy",
                reasons =
                    crate::plan::joined(&restart.reasons, crate::t!("plan.restart.separator"))
            );
            Ok(report)
        }
        Err(why) => {
            progress(Progress::Unhealthy { why: why.clone() });
            let restored = restore(&set, root, progress);
            // containerd was restarted onto the new files: restart it onto
            // whatever could be restored, even if not everything could.
            // "Healthy again" means CRI answers on the old config: whether
            // pods ran on it before is not this apply's doing.
            let healthy = health::restart(&command, opts.health_timeout)
                .and_then(|_| health::check(opts))
                .is_ok();
            clear(&opts.state_dir, PENDING);
            clear(&opts.state_dir, RUNNING);
            progress(Progress::RestartedAfterRollback { healthy });
            Err(Error::RolledBack {
                why,
                dir: set.dir.clone(),
                restored: restored.describe(),
                healthy,
            })
        }
    }
}

/// The plan as it will really run: a restart an interrupted apply still
/// owes is part of it, so the preview does not say "no restart needed".
pub fn with_pending_restart(mut plan: Plan, state_dir: &std::path::Path) -> Plan {
    if plan.restart.is_none() {
        if let Some(id) = marker(state_dir, PENDING) {
            plan.restart = Some(crate::plan::Restart {
                reasons: vec![crate::plan::Reason::PendingRestart { id }],
                daemon_reload: true,
                service: None,
            });
        }
    }
    plan
}

/// Restores a set, one progress line for what came back and one for each
/// file that did not.
fn restore(
    set: &backup::BackupSet,
    root: &Root,
    progress: &mut dyn FnMut(Progress),
) -> backup::Restored {
    let restored = set.restore(root);
    progress(Progress::RolledBack {
        files: restored.restored.len(),
    });
    for (path, why) in &restored.failed {
        progress(Progress::NotRestored {
            path: path.clone(),
            why: why.clone(),
        });
    }
    restored
}

fn finish_pending(
    id: &str,
    command: &str,
    config: &std::path::Path,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    progress(Progress::Restarting {
        command: command.to_string(),
    });
    match health::restart(command, opts.health_timeout)
        .and_then(|_| health::check_level(opts, config))
    {
        Ok(detail) => {
            progress(Progress::Healthy { detail });
            clear(&opts.state_dir, PENDING);
            Ok(Report {
                restarted: true,
                message: crate::t!("apply.finished_pending", id = id),
                ..Default::default()
            })
        }
        Err(why) => {
            progress(Progress::Unhealthy { why: why.clone() });
            Err(Error::Other(crate::t!(
                "apply.pending_unhealthy",
                id = id,
                why = why
            )))
        }
    }
}

/// `<state>/restart-pending` names the backup set of an apply that changed
/// config.toml and has not yet seen containerd restart healthy;
/// `<state>/apply-running` the set of an apply that has not finished.
const PENDING: &str = "restart-pending";
const RUNNING: &str = "apply-running";

fn marker(state_dir: &std::path::Path, name: &str) -> Option<String> {
    std::fs::read_to_string(state_dir.join(name))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn mark(state_dir: &std::path::Path, name: &str, id: &str) -> Result<()> {
    let p = state_dir.join(name);
    files::write_atomic(&p, id.as_bytes(), None, 0o600).map_err(|e| Error::io(&p, e))
}

fn clear(state_dir: &std::path::Path, name: &str) {
    let _ = std::fs::remove_file(state_dir.join(name));
}

/// What a killed apply leaves (we hold the lock, so no live writer owns
/// it): temp files next to its targets, and registry directories it
/// emptied but did not remove (an empty certs.d/<registry> still shadows
/// `_default`).
fn remove_leftovers(plan: &Plan, root: &Root) {
    for change in plan.effective() {
        let target = root.join(&change.path);
        let Some(Ok(entries)) = target.parent().map(std::fs::read_dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(".ctrwiz-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    if let Ok(dirs) = std::fs::read_dir(root.join(&plan.hosts_dir)) {
        for d in dirs.flatten() {
            if d.file_type().is_ok_and(|t| t.is_dir()) {
                let _ = std::fs::remove_dir(d.path()); // only when empty
            }
        }
    }
}

fn write_all(
    plan: &Plan,
    root: &Root,
    progress: &mut dyn FnMut(Progress),
    report: &mut Report,
) -> Result<()> {
    // hosts.toml first and config.toml last: a crash in between leaves
    // containerd on its old config, which never points at half a hosts dir.
    let mut ordered: Vec<_> = plan.effective().collect();
    ordered.sort_by_key(|c| c.purpose == Purpose::Config);
    for change in ordered {
        let real = root.join(&change.path);
        let result = match &change.after {
            Some(bytes) => {
                let keep = change.mode.map(|m| files::with_mode(&real, m));
                files::write_atomic(&real, bytes, keep, 0o644)
            }
            None => files::remove(&real),
        };
        result.map_err(|e| Error::io(&change.path, e))?;
        slow_down_for_tests();
        report.written.push(change.path.clone());
        progress(Progress::Wrote {
            path: change.path.clone(),
            kind: change.kind(),
        });
    }
    Ok(())
}

/// `CTRWIZ_TEST_STEP_DELAY_MS` widens the window between writes so the
/// crash-safety test can kill an apply mid-way. Debug builds only (the
/// ones the tests run): a release build carries no test hook.
#[cfg(not(debug_assertions))]
fn slow_down_for_tests() {}

#[cfg(debug_assertions)]
fn slow_down_for_tests() {
    if let Some(ms) = std::env::var("CTRWIZ_TEST_STEP_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// The plan and its diffs next to the backup, for anyone asked to help.
/// `apply.log` next to the backup: the plan, its diffs, every step, the
/// restart output and the health check — one file to attach when asking
/// for help.
struct ApplyLog(PathBuf);

impl ApplyLog {
    fn start(set: &backup::BackupSet, plan: &Plan) -> ApplyLog {
        let mut log = format!(
            "ctrwiz {} apply {}\n{}\n",
            env!("CARGO_PKG_VERSION"),
            set.manifest.id,
            plan.restart_sentence()
        );
        for n in &plan.notes {
            log.push_str(&format!("note: {n}\n"));
        }
        log.push('\n');
        for c in plan.effective() {
            log.push_str(&c.diff());
        }
        log.push_str("\n-- steps --\n");
        let path = set.dir.join("apply.log");
        let _ = std::fs::write(&path, log);
        ApplyLog(path)
    }

    fn line(&self, text: &str) {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&self.0) {
            let _ = writeln!(f, "{} {text}", backup::utc_stamp());
        }
    }
}

#[cfg(test)]
mod tests;
