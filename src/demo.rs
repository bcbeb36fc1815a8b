//! `ctrwiz --demo`: a sample node in a temporary directory, so anyone can
//! try every step of the wizard safely on any machine. It has a 1.7-style
//! config.toml with legacy mirrors, two hosts.toml files with the guides'
//! mistakes, and stand-in tools (shell scripts printing real banners).

use crate::root::Root;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const FILES: &[(&str, &str)] = &[
    (
        "/etc/containerd/config.toml",
        include_str!("../assets/demo/config.toml"),
    ),
    (
        "/etc/containerd/certs.d/docker.io/hosts.toml",
        include_str!("../assets/demo/docker.io-hosts.toml"),
    ),
    (
        "/etc/containerd/certs.d/quay.io/hosts.toml",
        include_str!("../assets/demo/quay.io-hosts.toml"),
    ),
    // A systemd node, as most are: the proxy's drop-in has a unit to join.
    (
        "/usr/lib/systemd/system/containerd.service",
        include_str!("../assets/demo/containerd.service"),
    ),
];

/// (node path, banner, stream): what each stand-in prints for `--version`.
// i18n: what the sample tools print, as the real ones do
const TOOLS: &[(&str, &str, &str)] = &[
    (
        "/usr/bin/containerd",
        "containerd github.com/containerd/containerd v1.7.20 8fc6bcff51318944179630522a095cc9dbf9f353",
        "1",
    ),
    ("/usr/bin/ctr", "ctr github.com/containerd/containerd v1.7.20", "1"),
    // i18n: tool output
    ("/usr/sbin/runc", "runc version 1.1.13\\ncommit: v1.1.13-0-g58aa9203\\nspec: 1.0.2-dev", "1"),
    // i18n: tool output
    ("/usr/local/bin/nerdctl", "nerdctl version 2.0.1", "1"),
    // i18n: tool output
    ("/usr/local/bin/crictl", "crictl version v1.31.1", "1"),
    // i18n: tool output
    ("/usr/lib/cni/bridge", "CNI bridge plugin version unknown\\nCNI protocol versions supported: 0.1.0, 1.0.0", "2"),
];

/// Fills `dir` with the sample node and returns its root.
pub fn create(dir: &Path) -> io::Result<Root> {
    let root = Root::new(dir);
    for (node_path, text) in FILES {
        let p = root.join(node_path);
        fs::create_dir_all(p.parent().expect("node paths have parents"))?;
        fs::write(p, text)?;
    }
    // Booted with systemd (sd_booted's test), as most nodes are.
    fs::create_dir_all(root.join("/run/systemd/system"))?;
    for (node_path, banner, fd) in TOOLS {
        let p = root.join(node_path);
        fs::create_dir_all(p.parent().expect("node paths have parents"))?;
        fs::write(&p, format!("#!/bin/sh\nprintf '{banner}\\n' >&{fd}\n"))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
    }
    Ok(root)
}

/// Beside the sample node: the pid of the run that owns it.
const OWNER: &str = ".ctrwiz-demo-pid";
/// The prefix of every demo dir in the temp dir.
pub const PREFIX: &str = "ctrwiz-demo-";

static CURRENT: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// A demo dir for this run, in `tmp`: first removes the ones runs that
/// died of a signal left behind (their owner pid no longer lives), then
/// makes a new one, filled, owned by this pid. `TempDir` removes it on a
/// normal exit; [`remove_current`] on a caught signal.
pub fn make(tmp: &Path) -> io::Result<tempfile::TempDir> {
    sweep(tmp);
    let dir = tempfile::Builder::new().prefix(PREFIX).tempdir_in(tmp)?;
    create(dir.path())?;
    fs::write(dir.path().join(OWNER), std::process::id().to_string())?;
    if let Ok(mut c) = CURRENT.lock() {
        *c = Some(dir.path().to_path_buf());
    }
    Ok(dir)
}

/// Removes this run's demo dir now (before dying of a signal, when no
/// destructor will run).
pub fn remove_current() {
    if let Some(dir) = CURRENT.lock().ok().and_then(|mut c| c.take()) {
        let _ = fs::remove_dir_all(dir);
    }
}

/// Demo dirs whose owner is gone. Only dirs with the prefix, owned by
/// this user and holding an owner file are touched.
fn sweep(tmp: &Path) {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    for entry in fs::read_dir(tmp).into_iter().flatten().flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let dir = entry.path();
        let Ok(meta) = fs::symlink_metadata(&dir) else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != uid {
            continue;
        }
        let Some(pid) = fs::read_to_string(dir.join(OWNER))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::node::{self, Locations, ToolName};

    #[test]
    fn a_demo_dir_left_by_a_dead_run_is_removed_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let stale = tmp.path().join(format!("{}dead", super::PREFIX));
        std::fs::create_dir_all(stale.join("etc")).unwrap();
        // A pid that cannot be alive (above pid_max).
        std::fs::write(stale.join(super::OWNER), "999999999").unwrap();
        let mine = tmp.path().join(format!("{}mine", super::PREFIX));
        std::fs::create_dir_all(&mine).unwrap();
        std::fs::write(mine.join(super::OWNER), std::process::id().to_string()).unwrap();
        let other = tmp.path().join("not-a-demo");
        std::fs::create_dir_all(&other).unwrap();
        let dir = super::make(tmp.path()).unwrap();
        assert!(!stale.exists(), "the dead run's dir is gone");
        assert!(
            mine.exists() && other.exists(),
            "live runs and other dirs stay"
        );
        assert!(dir.path().join("etc/containerd/config.toml").is_file());
        super::remove_current();
        assert!(!dir.path().exists());
    }

    #[test]
    fn the_demo_node_detects_like_a_real_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = super::create(dir.path()).unwrap();
        let state = node::detect(&Locations {
            root,
            ..Locations::default()
        });
        assert_eq!(state.containerd_version().unwrap().to_string(), "1.7.20");
        assert_eq!(
            state
                .tool(ToolName::Nerdctl)
                .unwrap()
                .version
                .unwrap()
                .to_string(),
            "2.0.1"
        );
        assert_eq!(state.containerd_config.schema_version, Some(2));
        assert!(state
            .containerd_config
            .legacy_mirrors
            .contains_key("k8s.gcr.io"));
        assert_eq!(state.hosts_dir.registries, ["docker.io", "quay.io"]);
        assert_eq!(
            state.cni_dir.as_deref(),
            Some(std::path::Path::new("/usr/lib/cni"))
        );
    }
}
