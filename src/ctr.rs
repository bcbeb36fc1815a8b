//! The one client for containerd's `ctr`: the daemon's version, its plugin
//! list (is the CRI plugin up?) and a debug pull through a hosts dir. Every
//! call is bounded (`process::run` kills the process group at the
//! deadline), and the socket is resolved through `--root` once, here.
//! Doctor, verify, the wizard and the CLI go through it; the apply's health
//! check can switch to it as well.

use crate::containerd::gates::Gate;
use crate::node::{NodeState, ToolName};
use crate::process::{self, Finished};
use crate::root::Root;
use crate::version::Version;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long a question to the daemon (version, plugins) may take.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ctr {
    bin: PathBuf,
    /// The socket's real path (already inside `--root`).
    socket: PathBuf,
}

impl Ctr {
    /// `bin` and `socket` as this process sees them (real paths).
    pub fn new(bin: impl Into<PathBuf>, socket: impl Into<PathBuf>) -> Ctr {
        Ctr {
            bin: bin.into(),
            socket: socket.into(),
        }
    }

    /// The node's `ctr` talking to `address` (a node path) under `root`;
    /// `None` when the node has no `ctr`.
    pub fn for_node(node: &NodeState, root: &Root, address: &Path) -> Option<Ctr> {
        let bin = node.tool(ToolName::Ctr)?.path.clone()?;
        Some(Ctr::new(bin, root.join(address)))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--address").arg(&self.socket);
        cmd
    }

    /// `ctr version`: does the daemon answer (2 s to connect)?
    pub fn version(&self) -> std::io::Result<Finished> {
        process::run(
            self.command().args(["--connect-timeout", "2s", "version"]),
            ASK_TIMEOUT,
        )
    }

    /// `ctr plugins ls`.
    pub fn plugins(&self) -> std::io::Result<Finished> {
        process::run(self.command().args(["plugins", "ls"]), ASK_TIMEOUT)
    }

    /// The CRI plugins that did not load (`ctr plugins ls` rows whose status
    /// is not `ok`); `None` when the daemon did not answer the question.
    pub fn cri_failures(&self) -> Option<Vec<String>> {
        let done = self.plugins().ok().filter(Finished::success)?;
        Some(cri_failures(&done.stdout))
    }

    /// Why the CRI plugin failed, as `ctr plugins ls -d id==cri` says
    /// (its `Error` and `Message` lines, joined); empty when it says nothing.
    pub fn cri_detail(&self) -> String {
        process::run(
            self.command().args(["plugins", "ls", "-d", "id==cri"]),
            ASK_TIMEOUT,
        )
        .map(|d| {
            d.stdout
                .lines()
                .filter(|l| l.contains("Error") || l.contains("Message"))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
    }

    /// The arguments of a debug pull of `image` through the hosts.toml files
    /// in `hosts_dir` (a real path). From 2.0 `ctr images pull` goes through
    /// the daemon's transfer service and prints no resolver lines; `--local`
    /// makes it resolve in the client again (`Gate::CtrTransferPull`).
    /// `client` is this ctr's own version: ctr 1.x has no `--local` and
    /// always resolves itself, also against a 2.x daemon.
    pub fn pull_args(hosts_dir: &Path, image: &str, client: Option<Version>) -> Vec<String> {
        let mut args: Vec<String> = ["--debug", "images", "pull"].map(String::from).into();
        if Gate::CtrTransferPull.on(client) {
            args.push("--local".into());
        }
        args.push("--hosts-dir".into());
        args.push(hosts_dir.display().to_string());
        args.push(image.into());
        args
    }

    /// `ctr --debug images pull [--local] --hosts-dir DIR IMAGE`, bounded by
    /// `timeout`; the resolver's lines are on stderr.
    pub fn pull(
        &self,
        hosts_dir: &Path,
        image: &str,
        client: Option<Version>,
        timeout: Duration,
    ) -> std::io::Result<Finished> {
        process::run(
            self.command()
                .args(Ctr::pull_args(hosts_dir, image, client)),
            timeout,
        )
    }
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
    use super::*;

    #[test]
    fn a_pull_names_the_hosts_dir_and_resolves_locally_from_2_0() {
        let dir = Path::new("/etc/containerd/certs.d");
        let img = "docker.io/library/busybox:1.36";
        let args = |v: &str| Ctr::pull_args(dir, img, Version::parse(v));
        let want = |local: bool| {
            let mut a = vec!["--debug", "images", "pull"];
            if local {
                a.push("--local");
            }
            a.extend(["--hosts-dir", "/etc/containerd/certs.d", img]);
            a.into_iter().map(String::from).collect::<Vec<_>>()
        };
        for (version, local) in [
            ("1.6.20", false),
            ("1.7.24", false),
            ("2.0.0", true),
            ("2.1.9", true),
        ] {
            assert_eq!(args(version), want(local), "{version}");
        }
    }

    /// A stand-in `ctr` that prints what it was asked: the socket comes
    /// first on every call, and a daemon that fails is `None`, not "healthy".
    #[test]
    fn every_call_names_the_socket_and_a_failed_answer_is_not_healthy() {
        let d = tempfile::tempdir().unwrap();
        let bin = d.path().join("ctr");
        std::fs::write(
            &bin,
            "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/calls\"\n\
             case \"$3\" in plugins) [ -e \"$(dirname \"$0\")/dead\" ] && exit 1;\n\
             echo 'io.containerd.grpc.v1  cri  linux/amd64  error';; esac\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let ctr = Ctr::new(&bin, "/run/c.sock");
        assert_eq!(
            ctr.cri_failures(),
            Some(vec!["io.containerd.grpc.v1.cri: error".to_string()])
        );
        assert!(ctr.version().unwrap().success());
        std::fs::write(d.path().join("dead"), "").unwrap();
        assert_eq!(ctr.cri_failures(), None);
        let calls = std::fs::read_to_string(d.path().join("calls")).unwrap();
        let calls: Vec<&str> = calls.lines().collect();
        assert_eq!(
            calls,
            [
                "--address /run/c.sock plugins ls",
                "--address /run/c.sock --connect-timeout 2s version",
                "--address /run/c.sock plugins ls",
            ]
        );
    }
}
