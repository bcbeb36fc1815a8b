//! Restarting containerd and deciding whether it came back healthy: the
//! socket answers AND the CRI plugin loaded (with both `mirrors` and
//! `config_path` containerd runs but CRI is dead; docs/containerd-facts.md §3.3, §8), and —
//! unless `--health cri` — a real pod sandbox starts: CRI loaded says
//! nothing about `runtime_type`, runc, SystemdCgroup or the sandbox image
//! (issue 14: `container.Runtime.Name must be set` on every pod).

use super::ApplyOptions;
use crate::process;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How much "healthy" means after a restart (`--health`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// The socket answers and the CRI plugin loaded.
    Cri,
    /// Also: a pod sandbox with the configured sandbox image starts.
    #[default]
    Pod,
}

/// The label every health-check sandbox carries, so a sandbox left by a
/// killed ctrwiz is found and removed on the next run.
pub const LABEL: (&str, &str) = ("io.ctrwiz.health", "1");
/// The sandboxes' name prefix, for an operator reading `crictl pods`.
pub const NAME_PREFIX: &str = "ctrwiz-health-";

/// The check `level` asks for, after a restart onto `config` (node path,
/// for the sandbox image it names).
pub fn check_level(opts: &ApplyOptions, config: &Path) -> Result<String, String> {
    let cri = check(opts)?;
    if opts.health == Level::Cri {
        return Ok(cri);
    }
    let image = sandbox_image(&opts.root, config);
    let socket = opts.root.join(&opts.address);
    let pod = pod_check(&socket, image.as_deref(), opts.health_timeout)?;
    Ok(format!("{cri}; {pod}"))
}

/// The sandbox image `config` names (`None`: containerd's default).
pub fn sandbox_image(root: &crate::root::Root, config: &Path) -> Option<String> {
    let text =
        crate::node::read::optional(root, config, crate::node::read::CONFIG_LIMIT).ok()??;
    let text = String::from_utf8(text).ok()?;
    crate::containerd::config::ContainerdConfig::parse(config, &text)
        .ok()?
        .sandbox_image()
}

/// Runs a short-lived pod sandbox with host networking over CRI, waits
/// until it is ready, then stops and removes it. Sandboxes an earlier,
/// killed run left are removed first; none is left behind, also when the
/// sandbox does not start.
pub fn pod_check(socket: &Path, image: Option<&str>, timeout: Duration) -> Result<String, String> {
    let call = Duration::from_secs(30);
    let stale = remove_health_sandboxes(socket, call)?;
    let id = unique_id();
    let spec = crate::cri::SandboxSpec {
        name: format!("{NAME_PREFIX}{id}"),
        uid: id,
        namespace: "ctrwiz".into(), // i18n: a Kubernetes-style namespace name
        labels: vec![(LABEL.0.into(), LABEL.1.into())],
    };
    let image_name = image
        .map(str::to_string)
        .unwrap_or_else(|| crate::t!("pods.health.default_image").to_string());
    let started = crate::cri::run_sandbox(socket, &spec, timeout.max(call))
        .map_err(|e| {
            crate::t!("pods.health.did_not_start", image = image_name, error = e).to_string()
        })
        .and_then(|sandbox| wait_ready(socket, &sandbox, timeout));
    // Whatever happened, nothing stays: containerd removes a sandbox whose
    // start failed, but one that started and did not become ready stays.
    let cleaned = remove_health_sandboxes(socket, call);
    started?;
    cleaned?;
    Ok(if stale > 0 {
        crate::t!(
            "pods.health.started_stale",
            image = image_name,
            stale = stale
        )
    } else {
        crate::t!("pods.health.started", image = image_name)
    })
}

fn wait_ready(socket: &Path, sandbox: &str, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        match crate::cri::sandbox_ready(socket, sandbox, Duration::from_secs(10)) {
            Ok(true) => return Ok(()),
            Ok(false) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200))
            }
            Ok(false) => {
                return Err(crate::t!(
                    "pods.health.not_ready",
                    id = sandbox,
                    seconds = timeout.as_secs()
                ))
            }
            Err(e) => return Err(crate::t!("pods.health.status_failed", error = e)),
        }
    }
}

/// Stops and removes every sandbox with ctrwiz's health label; returns how
/// many there were, or what stayed.
pub fn remove_health_sandboxes(socket: &Path, call: Duration) -> Result<usize, String> {
    let list = |what| {
        crate::cri::list_sandboxes(socket, LABEL, call)
            .map_err(|e| crate::t!("pods.health.list_failed", error = e, what = what).to_string())
    };
    let ours = |s: &crate::cri::Sandbox| s.name.starts_with(NAME_PREFIX);
    let found: Vec<_> = list("before")?.into_iter().filter(ours).collect();
    let mut errors = Vec::new();
    for s in &found {
        if let Err(e) = crate::cri::stop_sandbox(socket, &s.id, call)
            .and_then(|()| crate::cri::remove_sandbox(socket, &s.id, call))
        {
            errors.push(format!("{} ({}): {e}", s.name, s.id));
        }
    }
    let left: Vec<String> = list("after")?
        .into_iter()
        .filter(ours)
        .map(|s| format!("{} ({})", s.name, s.id))
        .collect();
    if left.is_empty() {
        Ok(found.len())
    } else {
        Err(crate::t!(
            "pods.health.left_behind",
            sandboxes = left.join(", "),
            errors = errors.join("; ")
        ))
    }
}

/// Unique enough on one node: the pid and the clock.
fn unique_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
}

/// Runs the restart command; `Ok` carries its output for the apply log.
/// Bounded by `timeout` (`--health-timeout`, at least 30 s: a systemd
/// restart waits for containerd's own stop); the whole process group is
/// killed at the deadline, grandchildren included.
pub fn restart(command: &str, timeout: Duration) -> Result<String, String> {
    let timeout = timeout.max(Duration::from_secs(30));
    let done = process::run(Command::new("sh").args(["-c", command]), timeout)
        .map_err(|e| crate::t!("apply.health.could_not_run", command = command, error = e))?;
    if done.success() {
        Ok(done.output())
    } else if done.timed_out {
        Err(crate::t!(
            "apply.health.restart_timeout",
            command = command,
            seconds = timeout.as_secs()
        ))
    } else {
        Err(crate::t!(
            "apply.health.restart_failed",
            command = command,
            code = done
                .code
                .map_or(crate::t!("apply.health.signal").into(), |c| c.to_string()),
            output = done.output()
        ))
    }
}

/// Waits (bounded) for the socket, then checks the CRI plugin, through the
/// one `ctr` client (`crate::ctr`).
pub fn check(opts: &ApplyOptions) -> Result<String, String> {
    let socket = opts.root.join(&opts.address);
    let ctr = opts
        .ctr
        .as_ref()
        .map(|bin| crate::ctr::Ctr::new(bin, &socket));
    let deadline = Instant::now() + opts.health_timeout;
    let mut last = String::new();
    loop {
        let answered = match &ctr {
            Some(ctr) => match ctr.version() {
                Ok(d) if d.success() => true,
                Ok(d) => {
                    last = d.output();
                    false
                }
                Err(e) => {
                    last = e.to_string();
                    false
                }
            },
            None => crate::node::service::socket_answers(&socket),
        };
        if answered {
            break;
        }
        if Instant::now() >= deadline {
            let last = last
                .lines()
                .last()
                .unwrap_or(crate::t!("apply.health.no_answer"));
            return Err(crate::t!(
                "apply.health.timeout",
                socket = socket.display(),
                seconds = opts.health_timeout.as_secs(),
                last = last
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let Some(ctr) = &ctr else {
        return Ok(crate::t!("apply.health.socket_only").into());
    };
    let plugins = ctr
        .plugins()
        .map_err(|e| crate::t!("apply.health.ctr_failed", error = e))?;
    let broken = crate::ctr::cri_failures(&plugins.stdout);
    if broken.is_empty() {
        return Ok(crate::t!("apply.health.cri_loaded").into());
    }
    let detail = ctr.cri_detail();
    Err(crate::t!(
        "apply.health.cri_failed",
        plugins = broken.join(", "),
        detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        }
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_cri_status_from_plugins_ls() {
        let ok = "TYPE                                  ID                       PLATFORMS      STATUS\nio.containerd.grpc.v1                 cri                      linux/amd64    ok\n";
        assert!(crate::ctr::cri_failures(ok).is_empty());
        let dead = "TYPE  ID  PLATFORMS  STATUS\nio.containerd.grpc.v1                 cri                      linux/amd64    error\n";
        assert_eq!(
            crate::ctr::cri_failures(dead),
            vec!["io.containerd.grpc.v1.cri: error"]
        );
        let v2 = "io.containerd.cri.v1   images   -   error\nio.containerd.cri.v1  runtime  linux/amd64  ok\n";
        assert_eq!(crate::ctr::cri_failures(v2).len(), 1);
        let skipped = "io.containerd.grpc.v1   cri   linux/amd64   skip\n";
        assert_eq!(
            crate::ctr::cri_failures(skipped).len(),
            1,
            "skip after an apply means CRI is off"
        );
    }

    #[test]
    fn a_failing_restart_command_says_why() {
        let e = super::restart(
            "echo broken >&2; exit 3",
            std::time::Duration::from_secs(30),
        )
        .unwrap_err();
        assert!(e.contains("exit 3") && e.contains("broken"), "{e}");
        assert!(super::restart("true", std::time::Duration::from_secs(30)).is_ok());
    }
}
