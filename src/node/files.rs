//! Reading config.toml and the hosts dir (never writing).

use super::Locations;
use crate::containerd::config::ContainerdConfig;
use crate::containerd::gates::Gate;
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
    /// The `config_path` containerd uses after merging `imports` the way
    /// the node's version merges them (2.x key by key, the last import
    /// that sets it wins; 1.x: an import's CRI table replaces the file's
    /// whole table), and the import it comes from (`None`: this file).
    pub effective_config_path: Option<String>,
    pub config_path_file: Option<PathBuf>,
    /// `config_path` is a colon list that containerd walks for CRI pulls
    /// (1.x; 2.x only when a setting forces local pulls).
    pub list_honoured: bool,
    pub legacy_mirrors: BTreeMap<String, Vec<String>>,
    pub cri_disabled: bool,
    /// Why the file could not be read or parsed (file:line:column: …).
    pub error: Option<String>,
    #[serde(skip)]
    pub text: Option<String>,
    /// `containerd config default` of the daemon's own binary: the
    /// starting point for a missing file and the built-in defaults (CNI
    /// dirs differ between builds: 1.6.20 /opt/cni/bin, Debian's 1.7.24
    /// /usr/lib/cni, 2.1.9 both).
    #[serde(skip)]
    pub default_text: Option<String>,
    /// Files named by `imports` (globs resolved), in order: node path, text.
    #[serde(skip)]
    pub imported: Vec<(PathBuf, String)>,
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
    /// Directory name → hosts.toml text (`None`: directory without one,
    /// or a file that could not be read as text: see `bytes`, `unreadable`).
    #[serde(skip)]
    pub files: BTreeMap<String, Option<String>>,
    /// Directory name → the exact bytes of its hosts.toml, UTF-8 or not:
    /// what a backup keeps and what an apply compares against.
    #[serde(skip)]
    pub bytes: BTreeMap<String, Vec<u8>>,
    /// Directory name → why its hosts.toml could not be read at all (a
    /// FIFO, too large, an I/O error); planning refuses to replace it.
    #[serde(skip)]
    pub unreadable: BTreeMap<String, String>,
}

pub fn read_config(
    loc: &Locations,
    containerd: Option<&Path>,
    version: Option<crate::version::Version>,
) -> ConfigState {
    let mut st = ConfigState {
        path: loc.config.clone(),
        ..Default::default()
    };
    let read = super::read::optional(&loc.root, &loc.config, super::read::CONFIG_LIMIT)
        .map_err(|e| format!("{}: {e}", loc.config.display()))
        .and_then(|b| {
            b.map(|b| super::read::utf8(&loc.config, b).map_err(|e| e.to_string()))
                .transpose()
        });
    match read {
        Ok(Some(text)) => {
            st.exists = true;
            match ContainerdConfig::parse(&loc.config, &text) {
                Ok(cfg) => {
                    st.schema_version = Some(cfg.schema_version());
                    st.config_path = cfg.config_path();
                    st.legacy_mirrors = cfg.legacy_mirrors();
                    st.cri_disabled = cfg.cri_disabled();
                    st.imported = read_imports(&loc.root, &loc.config, &cfg.imports());
                    let (value, file) = effective_config_path(&cfg, &st.imported, version);
                    st.effective_config_path = value;
                    st.config_path_file = file;
                    st.list_honoured = !Gate::TransferPulls.on(version) || cfg.forces_local_pull();
                    // The binary's defaults matter only where the file is
                    // silent: CNI dirs (a ~35 ms `config default` saved on
                    // most nodes, whose file names them).
                    if cfg.cni_bin_dirs().is_empty() {
                        st.default_text = containerd.and_then(default_config);
                    }
                }
                Err(e) => st.error = Some(e.to_string()),
            }
            st.text = Some(text);
        }
        // A missing file is seeded from the daemon's own defaults.
        Ok(None) => st.default_text = containerd.and_then(default_config),
        Err(e) => {
            st.exists = true;
            st.error = Some(e);
        }
    }
    st
}

/// `config_path` after imports, by the version's merge rule, and the
/// import that sets it. Checked on 2.1.9: a drop-in's `config_path` wins
/// over config.toml's; on 1.6.20/1.7.24 an imported CRI table replaces
/// the file's, `config_path` included.
pub fn effective_config_path(
    main: &ContainerdConfig,
    imported: &[(PathBuf, String)],
    version: Option<crate::version::Version>,
) -> (Option<String>, Option<PathBuf>) {
    let deep = Gate::ImportsMergeDeep.on(version);
    let mut value = main.config_path();
    let mut file = None;
    for (path, text) in imported {
        let Ok(i) = ContainerdConfig::parse(path, text) else {
            continue;
        };
        if deep {
            if let Some(v) = i.config_path() {
                value = Some(v);
                file = Some(path.clone());
            }
        } else if i.has_cri_table() {
            value = i.config_path();
            file = Some(path.clone());
        }
    }
    (value, file)
}

/// What `containerd config default` prints, the seeds' starting point.
fn default_config(containerd: &Path) -> Option<String> {
    default_cell(containerd)
        .get_or_init(|| run_config_default(containerd))
        .clone()
}

fn run_config_default(containerd: &Path) -> Option<String> {
    let done = crate::process::run(
        std::process::Command::new(containerd).args(["config", "default"]),
        Duration::from_secs(5),
    )
    .ok()?;
    (done.success() && !done.stdout.trim().is_empty()).then_some(done.stdout)
}

type DefaultCell = std::sync::Arc<std::sync::OnceLock<Option<String>>>;
/// A binary as it is now: path, size, mtime.
type BinaryKey = (PathBuf, u64, Option<std::time::SystemTime>);

/// One `config default` per binary (path, size and mtime) per process: it
/// takes ~35 ms, and the wizard detects more than once.
fn default_cell(containerd: &Path) -> DefaultCell {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CELLS: OnceLock<Mutex<HashMap<BinaryKey, DefaultCell>>> = OnceLock::new();
    let meta = std::fs::metadata(containerd).ok();
    let key = (
        containerd.to_path_buf(),
        meta.as_ref().map_or(0, |m| m.len()),
        meta.and_then(|m| m.modified().ok()),
    );
    let mut cells = CELLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    cells.entry(key).or_default().clone()
}

/// The hosts dir in use: `--hosts-dir`, else the effective `config_path`
/// (of a colon list containerd walks, the first entry that exists, as
/// containerd skips missing ones; else the first), else the default.
pub fn hosts_dir_path(loc: &Locations, config: &ConfigState) -> PathBuf {
    if let Some(d) = &loc.hosts_dir {
        return d.clone();
    }
    let value = config
        .effective_config_path
        .as_deref()
        .or(config.config_path.as_deref());
    let entries: Vec<&str> = value
        .unwrap_or_default()
        .split(':')
        .filter(|s| !s.trim().is_empty())
        .collect();
    let existing = config
        .list_honoured
        .then(|| entries.iter().find(|e| loc.root.join(e).is_dir()))
        .flatten();
    existing
        .or(entries.first())
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
        let dir = entry.file_name().to_string_lossy().into_owned();
        let node_dir = path.join(&dir);
        if !root.join(&node_dir).is_dir() {
            continue;
        }
        let file = node_dir.join("hosts.toml");
        let text = match super::read::optional(root, &file, super::read::SMALL_LIMIT) {
            Ok(Some(bytes)) => {
                let text = String::from_utf8(bytes.clone()).ok();
                st.bytes.insert(dir.clone(), bytes);
                text
            }
            Ok(None) => None,
            Err(e) => {
                st.unreadable.insert(dir.clone(), e.to_string());
                None
            }
        };
        st.files.insert(dir, text);
    }
    st.registries = st.files.keys().cloned().collect();
    st
}

/// The CA and client files ctrwiz may write next to a hosts.toml, as bytes
/// (a DER certificate is a file too); unreadable ones go to `unreadable`.
pub fn read_registry_files(
    root: &Root,
    hosts: &HostsDirState,
    unreadable: &mut BTreeMap<PathBuf, String>,
) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for dir in hosts.files.keys() {
        for name in [
            crate::paths::CA_FILE,
            crate::paths::CLIENT_CERT_FILE,
            crate::paths::CLIENT_KEY_FILE,
        ] {
            let node_path = hosts.path.join(dir).join(name);
            match super::read::optional(root, &node_path, super::read::SMALL_LIMIT) {
                Ok(Some(bytes)) => {
                    out.insert(node_path, bytes);
                }
                Ok(None) => {}
                Err(e) => {
                    unreadable.insert(node_path, e.to_string());
                }
            }
        }
    }
    out
}

/// A file a hosts.toml names that is not there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingFile {
    /// The hosts.toml's directory name (the registry).
    pub registry: String,
    /// `ca` or `client`.
    pub key: String,
    /// As written in the file.
    pub written: String,
    /// Node path containerd reads: a relative path is resolved against the
    /// hosts.toml's own directory (docs/containerd-facts.md §1, `makeAbsPath`).
    pub path: PathBuf,
}

/// The `ca`/`client` files the hosts.toml files name and do not exist.
pub fn missing_named_files(root: &Root, hosts: &HostsDirState) -> Vec<MissingFile> {
    let mut out = Vec::new();
    for (dir, text) in &hosts.files {
        let Some(text) = text else { continue };
        for (key, written) in crate::containerd::hosts::named_files(text) {
            let path = if Path::new(&written).is_absolute() {
                PathBuf::from(&written)
            } else {
                hosts.path.join(dir).join(&written)
            };
            if !root.join(&path).exists() {
                out.push(MissingFile {
                    registry: dir.clone(),
                    key,
                    written,
                    path,
                });
            }
        }
    }
    out
}

/// Resolves `imports` the way containerd does: relative to the config's
/// directory, `*` globbing in the file name.
fn read_imports(root: &Root, config: &Path, imports: &[String]) -> Vec<(PathBuf, String)> {
    let base = config.parent().unwrap_or(Path::new("/"));
    let mut out = Vec::new();
    for pattern in imports {
        let p = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern)
        };
        let (Some(dir), Some(name)) = (p.parent(), p.file_name().and_then(|n| n.to_str())) else {
            continue;
        };
        let mut matches: Vec<PathBuf> = if name.contains('*') {
            std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|f| wildcard(name, f))
                .map(|f| dir.join(f))
                .collect()
        } else {
            vec![p.clone()]
        };
        matches.sort();
        for m in matches {
            let text = super::read::optional(root, &m, super::read::CONFIG_LIMIT)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok());
            if let Some(text) = text {
                out.push((m, text));
            }
        }
    }
    out
}

/// `*` matches any run of characters.
fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head) && {
                let rest = &name[head.len()..];
                (0..=rest.len())
                    .filter(|i| rest.is_char_boundary(*i))
                    .any(|i| wildcard(tail, &rest[i..]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_match_like_globs() {
        assert!(super::wildcard("*.toml", "10-pause.toml"));
        assert!(super::wildcard("a*b*c", "aXXbYc"));
        assert!(!super::wildcard("*.toml", "x.conf"));
        assert!(super::wildcard("exact.toml", "exact.toml"));
    }
}
