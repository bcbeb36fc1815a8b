//! nerdctl's own hosts dirs. nerdctl does not read containerd's
//! `config_path`: it resolves registries from the `hosts_dir` list of its
//! own config, default `["/etc/containerd/certs.d", "/etc/docker/certs.d"]`
//! (containerd/nerdctl pkg/defaults/defaults_linux.go `HostsDirs`). The
//! file is /etc/nerdctl/nerdctl.toml for root (`NerdctlTOML`; rootless:
//! `$XDG_CONFIG_HOME/nerdctl/nerdctl.toml`), or `$NERDCTL_TOML` when set
//! (cmd/nerdctl/main.go `newApp`); it is decoded with
//! `DisallowUnknownFields`, so only `hosts_dir` is added and the other keys
//! are kept as they are.
//!
//! The dir must come *first*, not just be in the list. On containerd < 2.0
//! nerdctl resolves hosts itself, taking the first dir that has
//! `<host>/hosts.toml` through containerd's own `remotes/docker/config`
//! `HostDirFromRoot` (pkg/imgutil/dockerconfigresolver/hostsstore.go
//! `hostDirsFromRoot`); on containerd >= 2.0, nerdctl 2.3+ pulls through
//! containerd's transfer service and passes only `HostsDir[0]`
//! (pkg/imgutil/transfer.go `createOCIRegistry`: `registry.WithHostDir`),
//! which the daemon resolves with the same `HostDirFromRoot`. `ctr
//! --hosts-dir DIR` goes through the same code (cmd/ctr/commands/resolver.go
//! on 1.x, the transfer service on 2.x), which is how the live tests prove
//! the file. `--nerdctl` (profile `nerdctl = true`) puts the dir first.

use crate::error::{Error, Result};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Value};

/// What root's nerdctl reads when its file sets no `hosts_dir`.
pub const DEFAULT_HOSTS_DIRS: &[&str] = &["/etc/containerd/certs.d", "/etc/docker/certs.d"];

/// The `hosts_dir` nerdctl reads when the file at `path` sets none. Root's
/// file is /etc/nerdctl/nerdctl.toml; a rootless nerdctl's is
/// `$XDG_CONFIG_HOME/nerdctl/nerdctl.toml`, with `containerd/certs.d` and
/// `docker/certs.d` under the same `$XDG_CONFIG_HOME` as its defaults
/// (pkg/defaults/defaults_linux.go `NerdctlTOML`, `HostsDirs`).
pub fn default_hosts_dirs(path: &Path) -> Vec<String> {
    let config_home = path
        .parent()
        .filter(|_| path != Path::new(crate::paths::NERDCTL_TOML))
        .and_then(Path::parent);
    match config_home {
        Some(xch) => ["containerd/certs.d", "docker/certs.d"]
            .iter()
            .map(|d| xch.join(d).display().to_string())
            .collect(),
        None => DEFAULT_HOSTS_DIRS.iter().map(|d| d.to_string()).collect(),
    }
}

fn parse(path: &Path, text: &str) -> Result<DocumentMut> {
    text.parse::<DocumentMut>()
        .map_err(|e| Error::toml(path, text, e.span().map(|s| s.start), e.message()))
}

/// The hosts dirs nerdctl reads with this file (`None`: no file).
pub fn hosts_dirs(path: &Path, text: Option<&str>) -> Result<Vec<String>> {
    let Some(text) = text else {
        return Ok(default_hosts_dirs(path));
    };
    // ImDocument keeps spans: a bad value is reported at its position.
    let doc = toml_edit::ImDocument::parse(text)
        .map_err(|e| Error::toml(path, text, e.span().map(|s| s.start), e.message()))?;
    match doc.get("hosts_dir") {
        None => Ok(default_hosts_dirs(path)),
        Some(item) => strings(path, text, item),
    }
}

fn strings(path: &Path, text: &str, item: &Item) -> Result<Vec<String>> {
    let bad = || {
        let offset = item.span().map(|s| s.start);
        Error::toml(path, text, offset, crate::t!("nerdctl.error.not_a_list"))
    };
    let array = item.as_array().ok_or_else(bad)?;
    array
        .iter()
        .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
        .collect()
}

/// Whether nerdctl pulls through `dir` with these hosts dirs: it is the
/// first one (see the module comment).
pub fn reads(dirs: &[String], dir: &Path) -> bool {
    dirs.first().is_some_and(|d| Path::new(d) == dir)
}

/// The file with `dir` first in `hosts_dir` (moved there when it was
/// further down; the defaults kept after it when the file did not set the
/// list); `None` when `dir` is first already.
pub fn with_hosts_dir(path: &Path, before: Option<&str>, dir: &str) -> Result<Option<String>> {
    let current = hosts_dirs(path, before)?;
    if reads(&current, Path::new(dir)) {
        return Ok(None);
    }
    let mut doc = match before {
        Some(text) => parse(path, text)?,
        None => DocumentMut::new(),
    };
    let mut array = toml_edit::Array::new();
    array.push(dir);
    for d in current.iter().filter(|d| Path::new(d) != Path::new(dir)) {
        array.push(d.as_str());
    }
    match doc.get_mut("hosts_dir").and_then(Item::as_value_mut) {
        Some(v) => {
            let decor = v.decor().clone();
            *v = Value::Array(array);
            *v.decor_mut() = decor;
        }
        None => {
            doc.insert("hosts_dir", Item::Value(Value::Array(array)));
        }
    }
    let mut out = doc.to_string();
    if before.is_none() {
        let header = "# nerdctl's own config, not containerd's; hosts_dir from ctrwiz.\n"; // i18n: file content
        out.insert_str(0, header);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new(crate::paths::NERDCTL_TOML)
    }

    #[test]
    fn the_dir_goes_first_and_everything_else_stays() {
        let before = "# mine\nnamespace = \"k8s.io\"   # kept\nhosts_dir = [\"/etc/docker/certs.d\"]\n\n[experimental]\nx = 1\n";
        let after = with_hosts_dir(p(), Some(before), "/srv/certs.d")
            .unwrap()
            .unwrap();
        let doc: toml::Table = toml::from_str(&after).unwrap();
        assert_eq!(doc["namespace"].as_str(), Some("k8s.io"));
        assert_eq!(doc["experimental"]["x"].as_integer(), Some(1));
        assert_eq!(
            hosts_dirs(p(), Some(&after)).unwrap(),
            ["/srv/certs.d", "/etc/docker/certs.d"]
        );
        assert!(
            after.starts_with("# mine\nnamespace = \"k8s.io\"   # kept\n"),
            "{after}"
        );
        // Idempotent.
        assert_eq!(
            with_hosts_dir(p(), Some(&after), "/srv/certs.d").unwrap(),
            None
        );
    }

    #[test]
    fn without_a_list_the_defaults_are_kept_after_the_dir() {
        for before in [None, Some("namespace = \"default\"\n")] {
            let after = with_hosts_dir(p(), before, "/srv/certs.d")
                .unwrap()
                .unwrap();
            assert_eq!(
                hosts_dirs(p(), Some(&after)).unwrap(),
                [
                    "/srv/certs.d",
                    "/etc/containerd/certs.d",
                    "/etc/docker/certs.d"
                ],
                "{before:?}"
            );
        }
        // The default dir is read already: nothing to do.
        assert_eq!(
            with_hosts_dir(p(), None, "/etc/containerd/certs.d").unwrap(),
            None
        );
    }

    #[test]
    fn a_bad_file_is_refused_at_its_line_and_column() {
        let e = with_hosts_dir(p(), Some("a = 1\nhosts_dir = \"/x\"\n"), "/srv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("nerdctl.toml:2:13"), "{e}");
        let e = with_hosts_dir(p(), Some("a = [\n"), "/srv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("nerdctl.toml:"), "{e}");
    }

    #[test]
    fn a_dir_further_down_the_list_is_moved_first() {
        // nerdctl 2.3+ on containerd 2.x pulls through hosts_dir[0] only.
        let before = "hosts_dir = [\"/etc/containerd/certs.d\", \"/srv/certs.d\"]\n";
        let dirs = hosts_dirs(p(), Some(before)).unwrap();
        assert!(!reads(&dirs, Path::new("/srv/certs.d")));
        let after = with_hosts_dir(p(), Some(before), "/srv/certs.d")
            .unwrap()
            .unwrap();
        assert_eq!(
            hosts_dirs(p(), Some(&after)).unwrap(),
            ["/srv/certs.d", "/etc/containerd/certs.d"]
        );
        // The second default is not read either.
        assert!(with_hosts_dir(p(), None, "/etc/docker/certs.d")
            .unwrap()
            .is_some());
    }
}
