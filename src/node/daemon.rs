//! Which containerd this node really runs. The daemon that answers on the
//! socket is the truth (on the live node; a `--root` tree has none); when none answers, the binary the service starts
//! (systemd `ExecStart`, OpenRC `command`); else the first `containerd` on
//! `$PATH`, then the standard directories (`tools::locate`). Every
//! version-dependent decision reads the one version found here
//! (`NodeState::containerd_version`).

use super::tools::{self, Tool, ToolName};
use crate::root::Root;
use crate::version::Version;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionSource {
    /// The daemon answered on the socket (containerd's version service).
    Socket,
    /// The binary the service unit starts.
    Service,
    /// The first `containerd` found on `$PATH` or in the standard dirs.
    Path,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Containerd {
    pub version: Option<Version>,
    pub source: Option<VersionSource>,
    /// What the daemon (or binary) printed.
    pub raw: Option<String>,
    /// The binary behind the daemon as far as the node tells (the unit's,
    /// else the one found on PATH): its `config default` seeds a missing
    /// config.toml and names the built-in defaults.
    pub binary: Option<PathBuf>,
    /// That binary's own version, when it is not the daemon's: the daemon
    /// runs from elsewhere, and the binary's defaults are not its defaults.
    pub binary_version: Option<Version>,
}

impl Containerd {
    /// Whether `binary` is the daemon's own (same version, or no daemon).
    /// A binary that did not answer `--version` (hung, broken) is not
    /// asked for its defaults either.
    pub fn binary_matches(&self) -> bool {
        self.binary.is_some()
            && self.binary_version.is_some()
            && self.binary_version == self.version
    }
}

/// The containerd of this node from the probes already done (`found`) and
/// the socket at `address` (a node path inside `root`).
pub fn identify(root: &Root, address: &Path, found: &[Tool], timeout: Duration) -> Containerd {
    let located = found
        .iter()
        .find(|t| t.name == ToolName::Containerd && t.path.is_some());
    let unit = unit_binary(root).filter(|p| is_executable(p));
    let binary_tool = match (&unit, located) {
        (Some(u), Some(t)) if t.path.as_deref() == Some(u.as_path()) => Some(t.clone()),
        (Some(u), _) => Some(tools::probe_path(ToolName::Containerd, u.clone(), timeout)),
        (None, t) => t.cloned(),
    };
    let binary = binary_tool.as_ref().and_then(|t| t.path.clone());
    let binary_version = binary_tool.as_ref().and_then(|t| t.version);

    // Only the live node's socket names a daemon: a --root tree is a node
    // being prepared, whose version is its binaries'.
    let socket = root.join(address);
    if root.is_host() && super::service::socket_answers(&socket) {
        if let Ok(raw) = crate::cri::server_version(&socket, timeout.min(Duration::from_secs(2))) {
            if let Some(version) = Version::parse(&raw) {
                // The daemon's own binary: the unit's, else the one on PATH
                // when that is the daemon's version (a daemon started by
                // hand, a second install).
                let (binary, binary_version) = match located {
                    Some(t) if binary_version != Some(version) && t.version == Some(version) => {
                        (t.path.clone(), t.version)
                    }
                    _ => (binary, binary_version),
                };
                return Containerd {
                    version: Some(version),
                    source: Some(VersionSource::Socket),
                    raw: Some(raw),
                    binary,
                    binary_version,
                };
            }
        }
    }
    let source = if unit.is_some() {
        VersionSource::Service
    } else {
        VersionSource::Path
    };
    Containerd {
        version: binary_version,
        source: binary.as_ref().map(|_| source),
        raw: binary_tool.and_then(|t| t.raw),
        binary,
        binary_version,
    }
}

/// Unit files and drop-ins in systemd's search order; the last
/// `ExecStart=` wins (an empty one resets the list).
const SYSTEMD_UNITS: [&str; 4] = [
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
    "/run/systemd/system",
    "/etc/systemd/system",
];

/// The containerd binary the node's service starts, resolved in `root`.
pub fn unit_binary(root: &Root) -> Option<PathBuf> {
    let mut exec: Option<String> = None;
    let read = |p: PathBuf| {
        super::read::optional(root, &p, super::read::SMALL_LIMIT)
            .ok()
            .flatten()
    };
    // The unit itself: the last directory that has one wins.
    let mut unit_text = None;
    for dir in SYSTEMD_UNITS {
        if let Some(b) = read(Path::new(dir).join("containerd.service")) {
            unit_text = Some(b);
        }
    }
    let mut texts: Vec<Vec<u8>> = unit_text.into_iter().collect();
    for dir in SYSTEMD_UNITS {
        let d = root.join(Path::new(dir).join("containerd.service.d"));
        let mut names: Vec<PathBuf> = std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().ends_with(".conf"))
            .map(|n| Path::new(dir).join("containerd.service.d").join(n))
            .collect();
        names.sort();
        texts.extend(names.into_iter().filter_map(read));
    }
    for text in &texts {
        for line in String::from_utf8_lossy(text).lines() {
            if let Some(v) = line.trim().strip_prefix("ExecStart=") {
                exec = Some(v.trim().to_string());
            }
        }
    }
    let command = match exec {
        Some(e) if !e.is_empty() => e,
        _ => openrc_command(root)?,
    };
    // `-`, `@`, `+`, `!` prefixes change how systemd runs the command.
    let program = command
        .split_whitespace()
        .next()?
        .trim_start_matches(['-', '@', '+', '!', ':']);
    let program = Path::new(program);
    program.is_absolute().then(|| root.join(program))
}

fn openrc_command(root: &Root) -> Option<String> {
    let text = super::read::optional(
        root,
        Path::new("/etc/init.d/containerd"),
        super::read::SMALL_LIMIT,
    )
    .ok()
    .flatten()?;
    String::from_utf8_lossy(&text).lines().find_map(|l| {
        let v = l.trim().strip_prefix("command=")?;
        Some(v.trim_matches(['"', '\'']).to_string())
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tree() -> (tempfile::TempDir, Root) {
        let t = tempfile::tempdir().unwrap();
        let root = Root::new(t.path());
        (t, root)
    }

    fn write(root: &Root, path: &str, text: &str, exec: bool) {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        if exec {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn the_last_exec_start_of_unit_and_drop_ins_names_the_binary() {
        let (_t, root) = tree();
        write(
            &root,
            "/lib/systemd/system/containerd.service",
            "[Service]\nExecStartPre=-/sbin/modprobe overlay\nExecStart=/usr/bin/containerd\n",
            false,
        );
        assert_eq!(unit_binary(&root), Some(root.join("/usr/bin/containerd")));
        write(
            &root,
            "/etc/systemd/system/containerd.service.d/10-local.conf",
            "[Service]\nExecStart=\nExecStart=-/usr/local/bin/containerd --log-level debug\n",
            false,
        );
        assert_eq!(
            unit_binary(&root),
            Some(root.join("/usr/local/bin/containerd"))
        );
    }

    #[test]
    fn openrc_command_when_there_is_no_unit() {
        let (_t, root) = tree();
        write(
            &root,
            "/etc/init.d/containerd",
            "#!/sbin/openrc-run\ncommand=\"/usr/bin/containerd\"\n",
            true,
        );
        assert_eq!(unit_binary(&root), Some(root.join("/usr/bin/containerd")));
    }

    #[test]
    fn the_unit_binary_wins_over_path_when_no_daemon_answers() {
        let (_t, root) = tree();
        write(
            &root,
            "/opt/ctr2/containerd",
            "#!/bin/sh\necho 'containerd github.com/containerd/containerd/v2 v2.1.9 abc'\n",
            true,
        );
        write(
            &root,
            "/etc/systemd/system/containerd.service",
            "[Service]\nExecStart=/opt/ctr2/containerd\n",
            false,
        );
        let on_path = Tool {
            name: ToolName::Containerd,
            path: Some(root.join("/usr/bin/containerd")),
            version: Version::parse("1.6.20"),
            raw: None,
            timed_out: false,
        };
        let c = identify(
            &root,
            Path::new("/run/containerd/containerd.sock"),
            &[on_path],
            Duration::from_secs(3),
        );
        assert_eq!(c.version, Version::parse("2.1.9"));
        assert_eq!(c.source, Some(VersionSource::Service));
        assert!(c.binary_matches());
    }
}
