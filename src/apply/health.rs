//! Restarting containerd and deciding whether it came back healthy: the
//! socket answers AND the CRI plugin loaded (with both `mirrors` and
//! `config_path` containerd runs but CRI is dead; facts §3.3, §8).

use super::ApplyOptions;
use crate::process;
use std::process::Command;
use std::time::{Duration, Instant};

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

/// Waits (bounded) for the socket, then checks the CRI plugin.
pub fn check(opts: &ApplyOptions) -> Result<String, String> {
    let socket = opts.root.join(&opts.address);
    let deadline = Instant::now() + opts.health_timeout;
    let mut last = String::new();
    loop {
        let answered = match &opts.ctr {
            Some(ctr) => {
                let done = process::run(
                    Command::new(ctr).arg("--address").arg(&socket).args([
                        "--connect-timeout",
                        "2s",
                        "version",
                    ]),
                    Duration::from_secs(10),
                );
                match done {
                    Ok(d) if d.success() => true,
                    Ok(d) => {
                        last = d.output();
                        false
                    }
                    Err(e) => {
                        last = e.to_string();
                        false
                    }
                }
            }
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
    let Some(ctr) = &opts.ctr else {
        return Ok(crate::t!("apply.health.socket_only").into());
    };
    let plugins = process::run(
        Command::new(ctr)
            .arg("--address")
            .arg(&socket)
            .args(["plugins", "ls"]),
        Duration::from_secs(10),
    )
    .map_err(|e| crate::t!("apply.health.ctr_failed", error = e))?;
    let broken = cri_failures(&plugins.stdout);
    if broken.is_empty() {
        return Ok(crate::t!("apply.health.cri_loaded").into());
    }
    let detail = process::run(
        Command::new(ctr)
            .arg("--address")
            .arg(&socket)
            .args(["plugins", "ls", "-d", "id==cri"]),
        Duration::from_secs(10),
    )
    .map(|d| {
        d.stdout
            .lines()
            .filter(|l| l.contains("Error") || l.contains("Message"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    })
    .unwrap_or_default();
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

/// CRI rows of `ctr plugins ls` whose status is not `ok`. A CRI plugin that
/// is absent (disabled_plugins) is not a failure of this apply.
pub fn cri_failures(plugins_ls: &str) -> Vec<String> {
    plugins_ls
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let (ty, id, status) = (cols.first()?, cols.get(1)?, cols.last()?);
            let is_cri = (*ty == "io.containerd.grpc.v1" && *id == "cri")
                || ty.starts_with("io.containerd.cri.v1");
            (is_cri && *status != "ok").then(|| format!("{ty}.{id}: {status}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_cri_status_from_plugins_ls() {
        let ok = "TYPE                                  ID                       PLATFORMS      STATUS\nio.containerd.grpc.v1                 cri                      linux/amd64    ok\n";
        assert!(super::cri_failures(ok).is_empty());
        let dead = "TYPE  ID  PLATFORMS  STATUS\nio.containerd.grpc.v1                 cri                      linux/amd64    error\n";
        assert_eq!(
            super::cri_failures(dead),
            vec!["io.containerd.grpc.v1.cri: error"]
        );
        let v2 = "io.containerd.cri.v1   images   -   error\nio.containerd.cri.v1  runtime  linux/amd64  ok\n";
        assert_eq!(super::cri_failures(v2).len(), 1);
        let skipped = "io.containerd.grpc.v1   cri   linux/amd64   skip\n";
        assert_eq!(
            super::cri_failures(skipped).len(),
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
