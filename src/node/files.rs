//! Reading config.toml and the hosts dir (never writing).

use super::Locations;
use crate::containerd::config::ContainerdConfig;
use crate::root::Root;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, Default, Serialize)]
pub struct ConfigState {
    /// Node path (inside `--root` when one is given).
    pub path: PathBuf,
    pub exists: bool,
    /// 1 when the file has no `version` key; `null` when absent or broken.
    pub schema_version: Option<u32>,
    pub config_path: Option<String>,
    pub legacy_mirrors: BTreeMap<String, Vec<String>>,
    pub cri_disabled: bool,
    /// Why the file could not be read or parsed (file:line:column: …).
    pub error: Option<String>,
    #[serde(skip)]
    pub text: Option<String>,
    /// `containerd config default`, read only when the file is missing.
    #[serde(skip)]
    pub default_text: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HostsDirState {
    /// Node path of the directory ctrwiz reads and writes.
    pub path: PathBuf,
    /// What config.toml's `config_path` must say (differs from `path` only
    /// for rootless containerd).
    pub config_value: PathBuf,
    pub exists: bool,
    /// Registry names that have a directory, sorted.
    pub registries: Vec<String>,
    /// Directory name → hosts.toml text (`None`: directory without one).
    #[serde(skip)]
    pub files: BTreeMap<String, Option<String>>,
}

pub fn read_config(loc: &Locations, containerd: Option<&Path>) -> ConfigState {
    let mut st = ConfigState {
        path: loc.config.clone(),
        ..Default::default()
    };
    let real = loc.root.join(&loc.config);
    match std::fs::read_to_string(&real) {
        Ok(text) => {
            st.exists = true;
            match ContainerdConfig::parse(&loc.config, &text) {
                Ok(cfg) => {
                    st.schema_version = Some(cfg.schema_version());
                    st.config_path = cfg.config_path();
                    st.legacy_mirrors = cfg.legacy_mirrors();
                    st.cri_disabled = cfg.cri_disabled();
                }
                Err(e) => st.error = Some(e.to_string()),
            }
            st.text = Some(text);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            st.default_text = containerd.and_then(default_config);
        }
        Err(e) => st.error = Some(format!("{}: {e}", loc.config.display())),
    }
    st
}

/// What `containerd config default` prints, the seeds' starting point.
fn default_config(containerd: &Path) -> Option<String> {
    let done = crate::process::run(
        std::process::Command::new(containerd).args(["config", "default"]),
        Duration::from_secs(10),
    )
    .ok()?;
    (done.success() && !done.stdout.trim().is_empty()).then_some(done.stdout)
}

/// The hosts dir in use: `--hosts-dir`, else a single `config_path`
/// (the first entry of a colon list), else the default.
pub fn hosts_dir_path(loc: &Locations, config: &ConfigState) -> PathBuf {
    if let Some(d) = &loc.hosts_dir {
        return d.clone();
    }
    config
        .config_path
        .as_deref()
        .and_then(|p| p.split(':').find(|s| !s.trim().is_empty()))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(super::DEFAULT_HOSTS_DIR))
}

pub fn read_hosts_dir(loc: &Locations, config: &ConfigState) -> HostsDirState {
    let path = hosts_dir_path(loc, config);
    let mut st = read_hosts_dir_at(&loc.root, &path);
    if let Some(v) = &loc.config_path_value {
        st.config_value = v.clone();
    }
    st
}

pub fn read_hosts_dir_at(root: &Root, path: &Path) -> HostsDirState {
    let mut st = HostsDirState {
        path: path.to_path_buf(),
        config_value: path.to_path_buf(),
        ..Default::default()
    };
    let Ok(entries) = std::fs::read_dir(root.join(path)) else {
        return st;
    };
    st.exists = true;
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let dir = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path().join("hosts.toml")).ok();
        st.files.insert(dir, text);
    }
    st.registries = st.files.keys().cloned().collect();
    st
}

/// The CA and client files ctrwiz may write next to a hosts.toml.
pub fn read_registry_files(root: &Root, hosts: &HostsDirState) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for dir in hosts.files.keys() {
        for name in [
            crate::extras::CA_FILE,
            crate::extras::CLIENT_CERT_FILE,
            crate::extras::CLIENT_KEY_FILE,
        ] {
            let node_path = hosts.path.join(dir).join(name);
            if let Ok(text) = std::fs::read_to_string(root.join(&node_path)) {
                out.insert(node_path, text);
            }
        }
    }
    out
}
