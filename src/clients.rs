//! The clients' own config as planned files: `/etc/crictl.yaml` pointing
//! crictl at the node's containerd socket (`--crictl`, profile
//! `crictl = true`). Without it crictl tries a list of known endpoints
//! (dockershim first) and warns on every call
//! (kubernetes.io/docs/tasks/debug/debug-cluster/crictl/).

use crate::error::{Error, Result};
use crate::plan::{FileChange, Purpose};
use std::path::{Path, PathBuf};

pub const CRICTL_YAML: &str = "/etc/crictl.yaml";
const ENDPOINT_KEYS: [&str; 2] = ["runtime-endpoint", "image-endpoint"];
/// crictl's connection timeout in seconds, written only when the file has none.
const TIMEOUT: &str = "timeout: 10";

/// `unix://<socket>`, as crictl takes an endpoint.
pub fn endpoint(socket: &Path) -> String {
    format!("unix://{}", socket.display())
}

/// Whether `text` points crictl's runtime and image endpoints at `socket`.
/// `None`: the text is not a YAML mapping.
pub fn points_at(text: &str, socket: &Path) -> Option<bool> {
    let map = mapping(text)?;
    let want = endpoint(socket);
    Some(ENDPOINT_KEYS.iter().all(|k| {
        map.get(*k)
            .and_then(serde_yaml::Value::as_str)
            .is_some_and(|v| v.trim() == want)
    }))
}

fn mapping(text: &str) -> Option<serde_yaml::Mapping> {
    if text.trim().is_empty() {
        return Some(serde_yaml::Mapping::new());
    }
    match serde_yaml::from_str::<serde_yaml::Value>(text).ok()? {
        serde_yaml::Value::Mapping(m) => Some(m),
        serde_yaml::Value::Null => Some(serde_yaml::Mapping::new()),
        _ => None,
    }
}

/// The file pointing at `socket`: the user's text with the two endpoint
/// lines replaced (or added) and `timeout` added when missing; every other
/// line (keys, comments) kept as it is. Unchanged when it already points
/// there. `Err`: the file is not a mapping ctrwiz can edit line by line.
pub fn crictl_yaml(before: Option<&str>, socket: &Path) -> std::result::Result<String, String> {
    let before = before.unwrap_or("");
    let bad = || crate::t!("clients.crictl.not_a_mapping").to_string();
    let map = mapping(before).ok_or_else(bad)?;
    if points_at(before, socket) == Some(true) {
        return Ok(before.to_string());
    }
    let want = endpoint(socket);
    let mut lines: Vec<String> = before.lines().map(str::to_string).collect();
    for key in ENDPOINT_KEYS {
        let line = format!("{key}: {want}");
        let at = lines.iter().position(|l| top_level_key(l) == Some(key));
        match at {
            Some(i) => lines[i] = line,
            None => lines.push(line),
        }
    }
    if !map.contains_key("timeout") {
        lines.push(TIMEOUT.to_string());
    }
    let mut after = lines.join("\n");
    after.push('\n');
    // A value spread over more lines (a block scalar) would be left half
    // edited: refuse instead of writing a file crictl misreads.
    if points_at(&after, socket) != Some(true) || mapping(&after).map(|m| m.len()) < Some(map.len())
    {
        return Err(bad());
    }
    Ok(after)
}

/// `key` when `line` is a top-level `key: …` line.
fn top_level_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#', '-']) {
        return None;
    }
    let (key, _) = line.split_once(':')?;
    Some(key.trim().trim_matches(['"', '\'']))
}

/// The plan's `/etc/crictl.yaml`, when asked for.
pub fn crictl_change(
    node: &crate::node::NodeState,
    selection: &crate::selection::Selection,
) -> Result<Option<FileChange>> {
    if !selection.extras.crictl {
        return Ok(None);
    }
    let path = PathBuf::from(CRICTL_YAML);
    let before = node.crictl_yaml.clone();
    let text = before
        .clone()
        .map(|b| crate::node::read::utf8(&path, b))
        .transpose()?;
    let after =
        crictl_yaml(text.as_deref(), &node.service.address).map_err(|message| Error::Invalid {
            path: path.clone(),
            message,
        })?;
    Ok(Some(FileChange {
        path,
        purpose: Purpose::CrictlConfig,
        before,
        after: Some(after.into_bytes()),
        note: None,
        mode: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOCK: &str = "/run/containerd/containerd.sock";

    #[test]
    fn crictl_yaml_is_written_edited_or_left_alone() {
        let s = Path::new(SOCK);
        let fresh = "runtime-endpoint: unix:///run/containerd/containerd.sock\n\
                     image-endpoint: unix:///run/containerd/containerd.sock\n\
                     timeout: 10\n";
        assert_eq!(crictl_yaml(None, s).unwrap(), fresh);
        assert_eq!(crictl_yaml(Some(""), s).unwrap(), fresh);
        // Elsewhere: the endpoints move, the user's keys and comments stay.
        let docker =
            "# mine\nruntime-endpoint: unix:///var/run/dockershim.sock\ndebug: true\ntimeout: 2\n";
        assert_eq!(
            crictl_yaml(Some(docker), s).unwrap(),
            "# mine\nruntime-endpoint: unix:///run/containerd/containerd.sock\ndebug: true\ntimeout: 2\n\
             image-endpoint: unix:///run/containerd/containerd.sock\n"
        );
        // Already there: byte-identical.
        let mine = "image-endpoint: \"unix:///run/containerd/containerd.sock\"\nruntime-endpoint: unix:///run/containerd/containerd.sock\npull-image-on-create: true\n";
        assert_eq!(crictl_yaml(Some(mine), s).unwrap(), mine);
        assert_eq!(points_at(mine, s), Some(true));
        assert_eq!(points_at(docker, s), Some(false));
        // Not a mapping, or a block scalar: refused, never half edited.
        assert!(crictl_yaml(Some("- a\n- b\n"), s).is_err());
        assert!(crictl_yaml(Some("runtime-endpoint: >\n  unix:///x\n"), s).is_err());
    }
}
