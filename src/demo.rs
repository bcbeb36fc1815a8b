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
    for (node_path, banner, fd) in TOOLS {
        let p = root.join(node_path);
        fs::create_dir_all(p.parent().expect("node paths have parents"))?;
        fs::write(&p, format!("#!/bin/sh\nprintf '{banner}\\n' >&{fd}\n"))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use crate::node::{self, Locations, ToolName};

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
