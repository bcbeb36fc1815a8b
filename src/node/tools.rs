//! Finding containerd's neighbours and asking each for its version, all in
//! parallel and each under a deadline.

use crate::process;
use crate::root::Root;
use crate::version::{parse_version_line, Version};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolName {
    Containerd,
    Ctr,
    Runc,
    Crun,
    CniPlugins,
    Nerdctl,
    Crictl,
    Buildkitd,
    /// Docker's daemon, which keeps its own image store.
    Dockerd,
}

impl ToolName {
    pub const ALL: [ToolName; 9] = [
        ToolName::Containerd,
        ToolName::Ctr,
        ToolName::Runc,
        ToolName::Crun,
        ToolName::CniPlugins,
        ToolName::Nerdctl,
        ToolName::Crictl,
        ToolName::Buildkitd,
        ToolName::Dockerd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::Containerd => "containerd",
            ToolName::Ctr => "ctr",
            ToolName::Runc => "runc",
            ToolName::Crun => "crun",
            ToolName::CniPlugins => "cni-plugins",
            ToolName::Nerdctl => "nerdctl",
            ToolName::Crictl => "crictl",
            ToolName::Buildkitd => "buildkitd",
            ToolName::Dockerd => "dockerd",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tool {
    pub name: ToolName,
    /// The file that was run (inside `--root` when one is given).
    pub path: Option<PathBuf>,
    /// `null` when absent or unparseable (Debian's CNI says "version unknown").
    pub version: Option<Version>,
    /// The banner line the version came from.
    pub raw: Option<String>,
    /// The program did not answer within the probe timeout.
    pub timed_out: bool,
}

impl Tool {
    fn absent(name: ToolName) -> Tool {
        Tool {
            name,
            path: None,
            version: None,
            raw: None,
            timed_out: false,
        }
    }
}

/// Where distributions put CNI plugins; containerd's default `bin_dir` is
/// the first (docs/containerd-facts.md §4 "Where CNI lives").
pub const CNI_DIRS: [&str; 5] = [
    "/opt/cni/bin",
    "/usr/lib/cni",
    "/usr/libexec/cni",
    "/usr/local/libexec/cni",
    "/usr/local/lib/cni",
];
const CNI_PROBES: [&str; 3] = ["bridge", "loopback", "host-local"];
const BIN_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// Starts one probe thread per tool; each result arrives on the channel as
/// soon as it is known (the wizard fills rows in as they come).
pub fn spawn_probes(root: &Root, timeout: Duration) -> mpsc::Receiver<Tool> {
    let (tx, rx) = mpsc::channel();
    for name in ToolName::ALL {
        let tx = tx.clone();
        let root = root.clone();
        crate::i18n::spawn(move || {
            let _ = tx.send(probe(&root, name, timeout));
        });
    }
    rx
}

pub fn probe(root: &Root, name: ToolName, timeout: Duration) -> Tool {
    match locate(root, name) {
        Some(path) => probe_path(name, path, timeout),
        None => Tool::absent(name),
    }
}

/// Asks the program at `path` (a real path) for its version.
pub fn probe_path(name: ToolName, path: PathBuf, timeout: Duration) -> Tool {
    let mut cmd = Command::new(&path);
    if name == ToolName::CniPlugins {
        // With no CNI_COMMAND a plugin prints its "about" line to stderr.
        cmd.env_remove("CNI_COMMAND");
    } else {
        cmd.arg("--version");
    }
    let mut tool = Tool {
        path: Some(path),
        ..Tool::absent(name)
    };
    match process::run(&mut cmd, timeout) {
        Ok(done) => {
            tool.timed_out = done.timed_out;
            let text = if done.stdout.trim().is_empty() {
                &done.stderr
            } else {
                &done.stdout
            };
            tool.raw = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string);
            tool.version = parse_version_line(text);
        }
        Err(e) => tool.raw = Some(crate::t!("common.could_not_run", error = e)),
    }
    tool
}

/// Where a tool is (inside the root), without running it.
pub fn locate(root: &Root, name: ToolName) -> Option<PathBuf> {
    if name == ToolName::CniPlugins {
        return CNI_DIRS
            .iter()
            .flat_map(|d| {
                CNI_PROBES
                    .iter()
                    .map(move |p| root.join(Path::new(d).join(p)))
            })
            .find(|p| is_executable(p));
    }
    // On the host, $PATH first (what a shell and the user's scripts run),
    // then the standard dirs; in a --root tree only the standard dirs.
    let mut dirs: Vec<PathBuf> = Vec::new();
    if root.is_host() {
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
    }
    dirs.extend(BIN_DIRS.iter().map(|d| root.join(d)));
    let paths = std::env::join_paths(dirs).ok()?;
    which::which_in(name.as_str(), Some(paths), root.dir()).ok()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    pub fn fake_tool(root: &Path, node_path: &str, script: &str) {
        let p = Root::new(root).join(node_path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn finds_tools_inside_the_root_and_parses_banners() {
        let dir = tempfile::tempdir().unwrap();
        fake_tool(
            dir.path(),
            "/usr/bin/containerd",
            "echo 'containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3'",
        );
        fake_tool(dir.path(), "/usr/lib/cni/bridge", "echo 'CNI bridge plugin version unknown' >&2; echo 'CNI protocol versions supported: 0.1.0, 1.0.0' >&2");
        let root = Root::new(dir.path());
        let c = probe(&root, ToolName::Containerd, Duration::from_secs(5));
        assert_eq!(
            c.version.map(|v| v.to_string()).as_deref(),
            Some("1.6.20"),
            "{c:?}"
        );
        let cni = probe(&root, ToolName::CniPlugins, Duration::from_secs(5));
        assert_eq!(cni.path, Some(dir.path().join("usr/lib/cni/bridge")));
        assert_eq!(cni.version, None);
        assert_eq!(
            cni.raw.as_deref(),
            Some("CNI bridge plugin version unknown")
        );
        let absent = probe(&root, ToolName::Nerdctl, Duration::from_secs(5));
        assert_eq!(absent.path, None);
    }

    #[test]
    fn a_hung_tool_is_reported_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        fake_tool(dir.path(), "/usr/bin/crictl", "sleep 30");
        let t = std::time::Instant::now();
        let got = probe(
            &Root::new(dir.path()),
            ToolName::Crictl,
            Duration::from_millis(300),
        );
        assert!(got.timed_out && got.version.is_none());
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
