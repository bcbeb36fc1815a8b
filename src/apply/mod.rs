//! Carrying out a plan: lock, back up, write atomically, restart containerd
//! only when config.toml changed, health-check it, and roll back when it
//! does not come back healthy.

pub mod backup;
pub mod files;
pub mod health;
pub mod lock;

use crate::error::{Error, Result};
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
    fn command(&self, daemon_reload: bool) -> Option<String> {
        match self {
            RestartPolicy::Command(c) => Some(c.clone()),
            RestartPolicy::Systemd if daemon_reload => {
                // i18n: commands
                Some("systemctl daemon-reload && systemctl restart containerd".into())
            }
            // i18n: commands
            RestartPolicy::Systemd => Some("systemctl restart containerd".into()),
            RestartPolicy::Openrc => Some("rc-service containerd restart".into()), // i18n: command
            RestartPolicy::Skip(_) => None,
        }
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
    /// Restart Docker after daemon.json changed (only on an explicit yes:
    /// it stops running containers unless live-restore is on).
    pub docker_restart: Option<String>,
}

/// One line of progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    BackedUp { dir: PathBuf, files: usize },
    Wrote { path: PathBuf, kind: ChangeKind },
    Restarting { command: String },
    RestartSkipped { why: String },
    Healthy { detail: String },
    Unhealthy { why: String },
    RolledBack { files: usize },
    RestartedAfterRollback { healthy: bool },
    DockerRestarted,
    DockerNotRestarted { why: String },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::t;
        let text = match self {
            Step::BackedUp { dir, files } => {
                t!("apply.step.backed_up", files = files, dir = dir.display())
            }
            Step::Wrote { path, kind } => match kind {
                ChangeKind::Create => t!("apply.step.created", path = path.display()),
                ChangeKind::Delete => t!("apply.step.removed", path = path.display()),
                _ => t!("apply.step.updated", path = path.display()),
            },
            Step::Restarting { command } => t!("apply.step.restarting", command = command),
            Step::RestartSkipped { why } => t!("apply.step.restart_skipped", why = why),
            Step::Healthy { detail } => t!("apply.step.healthy", detail = detail),
            Step::Unhealthy { why } => t!("apply.step.unhealthy", why = why),
            Step::RolledBack { files } => t!("apply.step.rolled_back", files = files),
            Step::RestartedAfterRollback { healthy: true } => {
                t!("apply.step.healthy_again").to_string()
            }
            Step::RestartedAfterRollback { healthy: false } => {
                t!("apply.step.still_unhealthy").to_string()
            }
            Step::DockerRestarted => t!("apply.step.docker_restarted").to_string(),
            Step::DockerNotRestarted { why } => t!("apply.step.docker_not_restarted", why = why),
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

pub fn run(plan: &Plan, opts: &ApplyOptions, progress: &mut dyn FnMut(Step)) -> Result<Report> {
    let _lock = lock::acquire(&opts.state_dir)?;
    let mut report = run_locked(plan, opts, progress)?;
    let docker_changed = plan.effective().any(|c| c.purpose == Purpose::DockerDaemon);
    if docker_changed {
        match &opts.docker_restart {
            Some(cmd) => {
                health::restart(cmd)
                    .map_err(|e| Error::Other(crate::t!("apply.docker_failed", error = e)))?;
                progress(Step::DockerRestarted);
                report.message.push_str(crate::t!("apply.docker_restarted"));
            }
            None => {
                let why = crate::t!("apply.docker_restart_yourself").to_string();
                progress(Step::DockerNotRestarted { why: why.clone() });
                report.message.push_str(&crate::t!("apply.then", why = why));
            }
        }
    }
    Ok(report)
}

fn run_locked(plan: &Plan, opts: &ApplyOptions, progress: &mut dyn FnMut(Step)) -> Result<Report> {
    let root = &opts.root;
    let pending = pending_restart(&opts.state_dir);
    if plan.is_noop() {
        // An earlier apply wrote config.toml and was killed before its
        // restart: the files match, but containerd still runs the old config.
        if let (Some(id), Some(command)) = (pending, opts.restart.command(true)) {
            progress(Step::Restarting {
                command: command.clone(),
            });
            return match health::restart(&command).and_then(|_| health::check(opts)) {
                Ok(detail) => {
                    progress(Step::Healthy { detail });
                    clear_pending(&opts.state_dir);
                    Ok(Report {
                        restarted: true,
                        message: crate::t!("apply.finished_pending", id = id),
                        ..Default::default()
                    })
                }
                Err(why) => {
                    progress(Step::Unhealthy { why: why.clone() });
                    Err(Error::Other(crate::t!(
                        "apply.pending_unhealthy",
                        id = id,
                        why = why
                    )))
                }
            };
        }
        return Ok(Report {
            message: crate::t!("apply.nothing").into(),
            ..Default::default()
        });
    }
    for change in plan.effective() {
        files::writable(root, &root.join(&change.path)).map_err(|e| Error::io(&change.path, e))?;
    }
    remove_stale_temp_files(plan, root);
    let set = backup::create(root, &opts.state_dir, plan)?;
    let log = ApplyLog::start(&set, plan);
    let progress = &mut |step: Step| {
        log.line(&step.to_string());
        progress(step);
    };
    progress(Step::BackedUp {
        dir: set.dir.clone(),
        files: set.manifest.entries.len(),
    });
    if plan.restart.is_some() {
        mark_pending(&opts.state_dir, &set.manifest.id)?;
    }

    let mut report = Report {
        backup_dir: Some(set.dir.clone()),
        ..Default::default()
    };
    if let Err(e) = write_all(plan, root, progress, &mut report) {
        // Half-written: put back what was there before saying anything.
        let _ = set.restore(root);
        clear_pending(&opts.state_dir);
        return Err(Error::Other(crate::t!(
            "apply.write_failed",
            error = e,
            dir = set.dir.display()
        )));
    }

    let Some(restart) = &plan.restart else {
        report.message = crate::t!("apply.hosts_only").into();
        return Ok(report);
    };
    let Some(command) = opts.restart.command(restart.daemon_reload) else {
        let RestartPolicy::Skip(why) = &opts.restart else {
            unreachable!()
        };
        clear_pending(&opts.state_dir);
        progress(Step::RestartSkipped { why: why.clone() });
        report.message = crate::t!(
            "apply.config_changed_no_restart",
            reasons = restart.reasons.join("; "),
            why = why
        );
        return Ok(report);
    };
    progress(Step::Restarting {
        command: command.clone(),
    });
    let outcome = health::restart(&command).and_then(|output| {
        if !output.is_empty() {
            log.line(&crate::t!("apply.restart_output", output = output));
        }
        health::check(opts)
    });
    match outcome {
        Ok(detail) => {
            clear_pending(&opts.state_dir);
            progress(Step::Healthy { detail });
            report.restarted = true;
            report.message = crate::t!(
                "apply.restarted_healthy",
                reasons = restart.reasons.join("; ")
            );
            Ok(report)
        }
        Err(why) => {
            progress(Step::Unhealthy { why: why.clone() });
            let restored = set.restore(root)?;
            progress(Step::RolledBack {
                files: restored.len(),
            });
            let healthy = health::restart(&command)
                .and_then(|_| health::check(opts))
                .is_ok();
            clear_pending(&opts.state_dir);
            progress(Step::RestartedAfterRollback { healthy });
            let after = if healthy {
                crate::t!("apply.rollback_healthy")
            } else {
                crate::t!("apply.rollback_unhealthy")
            };
            Err(Error::Other(crate::t!(
                "apply.rolled_back",
                why = why,
                dir = set.dir.display(),
                after = after
            )))
        }
    }
}

/// `<state>/restart-pending` names the backup set of an apply that changed
/// config.toml and has not yet seen containerd restart healthy.
fn pending_restart(state_dir: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(state_dir.join("restart-pending"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn mark_pending(state_dir: &std::path::Path, id: &str) -> Result<()> {
    let p = state_dir.join("restart-pending");
    files::write_atomic(&Root::default(), &p, id.as_bytes(), None, 0o600)
        .map_err(|e| Error::io(&p, e))
}

fn clear_pending(state_dir: &std::path::Path) {
    let _ = std::fs::remove_file(state_dir.join("restart-pending"));
}

/// Temp files a killed apply left next to its targets (we hold the lock,
/// so no live writer owns them).
fn remove_stale_temp_files(plan: &Plan, root: &Root) {
    for change in plan.effective() {
        let target = files::resolve(root, &root.join(&change.path));
        let Some(Ok(entries)) = target.parent().map(std::fs::read_dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(".ctrwiz-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn write_all(
    plan: &Plan,
    root: &Root,
    progress: &mut dyn FnMut(Step),
    report: &mut Report,
) -> Result<()> {
    // hosts.toml first and config.toml last: a crash in between leaves
    // containerd on its old config, which never points at half a hosts dir.
    let mut ordered: Vec<_> = plan.effective().collect();
    ordered.sort_by_key(|c| c.purpose == Purpose::Config);
    for change in ordered {
        let real = root.join(&change.path);
        let result = match &change.after {
            Some(text) => {
                let keep = change.mode.map(|m| files::with_mode(root, &real, m));
                files::write_atomic(root, &real, text.as_bytes(), keep, 0o644)
            }
            None => files::remove(root, &real),
        };
        result.map_err(|e| Error::io(&change.path, e))?;
        slow_down_for_tests();
        report.written.push(change.path.clone());
        progress(Step::Wrote {
            path: change.path.clone(),
            kind: change.kind(),
        });
    }
    Ok(())
}

/// `CTRWIZ_TEST_STEP_DELAY_MS` widens the window between writes so the
/// crash-safety test can kill an apply mid-way.
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
