//! The clients' own config as planned files: `/etc/crictl.yaml` pointing
//! crictl at the node's containerd socket (`--crictl`, profile
//! `crictl = true`). Without it crictl tries a list of default endpoints
//! (containerd's /run/containerd/containerd.sock first since cri-tools
//! v1.30, dockershim's before) and warns on every call that the defaults
//! are deprecated (kubernetes-sigs/cri-tools cmd/crictl/main_unix.go,
//! `defaultRuntimeEndpoints`; cmd/crictl/crictl_config.go).
//!
//! How crictl reads the file (cri-tools pkg/common/file.go,
//! `getConfigOptions`): each top-level key must be one it knows, and the
//! value's text is parsed (`timeout` with `strconv.Atoi`, in seconds; the
//! booleans with `strconv.ParseBool`). One unknown key or bad value and
//! `ReadConfig` fails; crictl then ignores the *whole* file without an
//! error (main.go returns it only for an explicit `--config`) and falls
//! back to the default endpoints. So a file whose endpoints are right but
//! which crictl rejects does not point crictl anywhere.

use crate::error::{Error, Result};
use crate::paths::CRICTL_YAML;
use crate::plan::{FileChange, Purpose};
use std::path::{Path, PathBuf};

const ENDPOINT_KEYS: [&str; 2] = ["runtime-endpoint", "image-endpoint"];
/// crictl's connection timeout in seconds (an integer: `strconv.Atoi`, then
/// `time.Duration(t) * time.Second`; 0 or less means its 2 s default),
/// written only when the file has none.
const TIMEOUT: &str = "timeout: 10";
/// The keys crictl accepts (pkg/common/file.go); `max-retries` only since
/// cri-tools after v1.36.0, kept here so a newer crictl's file is not
/// called broken.
const INT_KEYS: [&str; 2] = ["timeout", "max-retries"];
const BOOL_KEYS: [&str; 3] = ["debug", "pull-image-on-create", "disable-pull-on-run"];

/// `unix://<socket>`, as crictl takes an endpoint. crictl (k8s.io/cri-client
/// `util.parseEndpoint`) parses it as a URL and dials `u.Path`, the
/// percent-decoded path: `%`, `?`, `#` and control bytes are escaped so the
/// path it dials is the socket's.
pub fn endpoint(socket: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::from("unix://");
    let escape = |out: &mut String, b: u8| out.push_str(&format!("%{b:02X}"));
    match socket.to_str() {
        Some(s) => {
            for c in s.chars() {
                if matches!(c, '%' | '?' | '#') || c.is_ascii_control() {
                    escape(&mut out, c as u8);
                } else {
                    out.push(c);
                }
            }
        }
        None => {
            for &b in socket.as_os_str().as_bytes() {
                if (b.is_ascii_graphic() || b == b' ') && !b"%?#".contains(&b) {
                    out.push(b as char);
                } else {
                    escape(&mut out, b);
                }
            }
        }
    }
    out
}

/// The socket path crictl dials for `value` (`unix://` URL path,
/// percent-decoded; a bare path is taken as `unix://` with a deprecation
/// warning, as cri-client's `parseEndpointWithFallbackProtocol` does).
/// `None`: not a unix endpoint crictl can dial.
pub fn socket_of(value: &str) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    let rest = match value.split_once("://") {
        Some(("unix", rest)) => rest,
        Some(_) => return None,
        None => value,
    };
    // `unix://host/path`: the host part is not part of the path.
    let path = &rest[rest.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let raw = path.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = std::str::from_utf8(raw.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
}

/// Whether `text` points crictl's runtime and image endpoints at `socket`
/// (and crictl reads the file at all: see [`rejected`]). `None`: the text
/// is not a YAML mapping.
pub fn points_at(text: &str, socket: &Path) -> Option<bool> {
    let map = mapping(text)?;
    if rejected_key(&map).is_some() {
        return Some(false);
    }
    Some(ENDPOINT_KEYS.iter().all(|k| {
        map.get(*k)
            .and_then(serde_yaml::Value::as_str)
            .and_then(|v| socket_of(v.trim()))
            .is_some_and(|p| p == socket)
    }))
}

/// Why crictl ignores this file, when it does: `key: why`.
pub fn rejected(text: &str) -> Option<String> {
    rejected_key(&mapping(text)?)
}

fn rejected_key(map: &serde_yaml::Mapping) -> Option<String> {
    use serde_yaml::Value;
    for (k, v) in map {
        let key = match k {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        let bad = |why: String| Some(format!("{key}: {why}"));
        if ENDPOINT_KEYS.contains(&key.as_str()) {
            continue;
        }
        // The value's text as crictl's yaml.Node holds it.
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        if INT_KEYS.contains(&key.as_str()) {
            let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return bad(crate::t!(
                    "clients.crictl.not_an_integer",
                    value = format!("{text:?}")
                )
                .to_string());
            }
        } else if BOOL_KEYS.contains(&key.as_str()) {
            let go_bool = [
                "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
            ];
            if !go_bool.contains(&text.as_str()) {
                return bad(
                    crate::t!("clients.crictl.not_a_bool", value = format!("{text:?}")).to_string(),
                );
            }
        } else {
            return bad(crate::t!("clients.crictl.unknown_key").to_string());
        }
    }
    None
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
    if !socket.is_absolute() {
        return Err(crate::t!("clients.crictl.relative", socket = socket.display()).to_string());
    }
    // ctrwiz cannot tell what a key crictl rejects was meant to be: the
    // user decides, rather than a file crictl keeps ignoring.
    if let Some(why) = rejected_key(&map) {
        return Err(crate::t!("clients.crictl.rejected", why = why).to_string());
    }
    if points_at(before, socket) == Some(true) {
        return Ok(before.to_string());
    }
    let want = yaml_scalar(&endpoint(socket));
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

/// `value` as a YAML scalar: plain when it reads back as itself, else
/// double-quoted.
fn yaml_scalar(value: &str) -> String {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._:-+@~=,%".contains(&b))
        && !value.contains(": ");
    if plain {
        value.to_string()
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
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

    #[test]
    fn a_file_crictl_rejects_points_nowhere_and_is_refused_naming_the_key() {
        let s = Path::new(SOCK);
        let right = "runtime-endpoint: unix:///run/containerd/containerd.sock\n\
                     image-endpoint: unix:///run/containerd/containerd.sock\n";
        // Right endpoints, but a key or value crictl's getConfigOptions
        // rejects: crictl ignores the whole file.
        for (extra, key) in [
            ("timeout: 10s\n", "timeout"),
            ("debug: yes\n", "debug"),
            ("debug:\n", "debug"),
            ("runtime: containerd\n", "runtime"),
        ] {
            let text = format!("{right}{extra}");
            assert_eq!(points_at(&text, s), Some(false), "{text}");
            assert!(
                rejected(&text).unwrap().starts_with(&format!("{key}: ")),
                "{text}"
            );
            let e = crictl_yaml(Some(&text), s).unwrap_err();
            assert!(e.contains(key), "{e}");
        }
        // What crictl accepts (strconv.Atoi, strconv.ParseBool).
        for extra in [
            "timeout: 10\n",
            "debug: True\n",
            "debug: \"t\"\n",
            "pull-image-on-create: 0\n",
            "max-retries: -1\n",
        ] {
            let text = format!("{right}{extra}");
            assert_eq!(rejected(&text), None, "{text}");
            assert_eq!(points_at(&text, s), Some(true), "{text}");
        }
    }

    #[test]
    fn endpoints_are_compared_and_written_as_crictl_dials_them() {
        // cri-client's parseEndpoint: a URL whose percent-decoded path is dialled.
        assert_eq!(
            socket_of("unix:///run/c.sock"),
            Some(PathBuf::from("/run/c.sock"))
        );
        assert_eq!(socket_of("/run/c.sock"), Some(PathBuf::from("/run/c.sock")));
        assert_eq!(
            socket_of("unix:///run/a%23b.sock"),
            Some(PathBuf::from("/run/a#b.sock"))
        );
        assert_eq!(
            socket_of("unix:///run/a#b.sock"),
            Some(PathBuf::from("/run/a"))
        );
        assert_eq!(socket_of("tcp://127.0.0.1:1234"), None);
        // A bare path is crictl's deprecated fallback: it points there, and
        // is left as the user wrote it.
        let bare = "runtime-endpoint: /run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n";
        assert_eq!(points_at(bare, Path::new(SOCK)), Some(true));
        // A socket path with URL syntax in it is escaped (and quoted for
        // YAML), so crictl dials that very path.
        for sock in [
            "/run/k8s/a#b?c%d.sock",
            "/run/my dir/x: y.sock",
            "/run/\"q\".sock",
        ] {
            let s = Path::new(sock);
            let after = crictl_yaml(None, s).unwrap();
            assert_eq!(points_at(&after, s), Some(true), "{after}");
            let map = mapping(&after).unwrap();
            let v = map.get("runtime-endpoint").unwrap().as_str().unwrap();
            assert_eq!(socket_of(v).as_deref(), Some(s), "{after}");
        }
        assert_eq!(
            endpoint(Path::new("/run/a#b.sock")),
            "unix:///run/a%23b.sock"
        );
        // A relative socket means nothing to crictl run from another dir.
        assert!(crictl_yaml(None, Path::new("run/c.sock"))
            .unwrap_err()
            .contains("run/c.sock"));
    }
}
