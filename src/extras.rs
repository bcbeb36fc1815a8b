//! Node-setup extras from the guides, beyond mirrors: the pause image,
//! SystemdCgroup, a proxy for containerd only, and private registries.
//! Chosen in the selection; planned and applied like everything else.

use crate::containerd::hosts::{HostSpec, HostsSpec, UPSTREAM_CAPS};
use crate::endpoint::{Endpoint, Scheme};
use crate::error::{Error, Result};
use crate::paths::{CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE};
use crate::registry::RegistryName;
use crate::version::Version;

mod proxy;
pub use proxy::{no_proxy_entry, proxy_url, NoProxy, Proxy, ProxyPart, DEFAULT_NO_PROXY};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// docker.io mirrors for Docker's daemon.json (`Some(vec![])` removes them).
    pub docker_mirrors: Option<Vec<String>>,
    pub sandbox_image: Option<String>,
    pub systemd_cgroup: Option<bool>,
    pub proxy: Option<Proxy>,
    /// Where `proxy` was asked for (`--proxy`, the profile's key): named
    /// when the plan must refuse it.
    pub proxy_origin: Option<crate::error::Origin>,
    pub private: Vec<PrivateRegistry>,
    /// `--enable-cri` / profile `enable_cri = true`: take the CRI plugin
    /// out of `disabled_plugins` (Docker's containerd.io ships it there).
    pub enable_cri: bool,
    /// `--crictl` / profile `crictl = true`: point `/etc/crictl.yaml` at
    /// containerd's socket.
    pub crictl: bool,
    /// `--cni-bin-dir DIR|auto` / profile `cni_bin_dir`.
    pub cni_bin_dir: Option<crate::cni::CniBinDir>,
    /// `--nerdctl` / profile `nerdctl = true`: add the hosts dir to
    /// nerdctl's own `hosts_dir` list.
    pub nerdctl: bool,
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        *self == Extras::default()
    }
}

/// A pause (sandbox) image reference as containerd's CRI plugin parses it
/// (the distribution reference grammar): `[host[:port]/]path[:tag][@digest]`,
/// lowercase path components, and a tag or a digest (a pause image without
/// one would silently become `:latest`). Returned unchanged when valid.
pub fn sandbox_image(input: &str) -> std::result::Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(crate::t!("common.image.empty").into());
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(crate::t!("common.image.spaces").into());
    }
    let (name, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(algo, hex)| {
            !algo.is_empty()
                && algo
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return Err(crate::t!("common.image.digest").into());
        }
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return Err(crate::t!("common.image.tag").into());
        }
    } else if digest.is_none() {
        return Err(crate::t!("common.image.no_tag").into());
    }
    let mut parts: Vec<&str> = repo.split('/').collect();
    // A first component with a dot, a colon or `localhost` is a registry host.
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        if !crate::endpoint::valid_authority(parts[0]) {
            return Err(crate::t!("common.image.host").into());
        }
        parts.remove(0);
    }
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            && c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            && c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
    };
    if !parts.iter().all(|c| component_ok(c)) {
        return Err(crate::t!("common.image.path").into());
    }
    Ok(s.to_string())
}

/// A registry of your own (Harbor and the like), reached directly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateRegistry {
    pub host: RegistryName,
    /// Plain `http://` (never with TLS options).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// Skip certificate verification (self-signed, no CA file at hand).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_verify: bool,
    /// Files on the machine running ctrwiz, copied into the registry's
    /// certs.d directory and referenced by a relative path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
    /// Basic auth, written as a header: the file becomes mode 0600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Contents of `ca`, `client_cert`, `client_key`, read at the edge
    /// (the CLI) so that planning stays pure: file name → text.
    #[serde(skip)]
    pub files: BTreeMap<String, String>,
}

impl PrivateRegistry {
    pub fn new(host: RegistryName) -> Self {
        PrivateRegistry {
            host,
            plain_http: false,
            skip_verify: false,
            ca: None,
            client_cert: None,
            client_key: None,
            username: None,
            password: None,
            files: BTreeMap::new(),
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.host.is_default_namespace() {
            return Err(Error::Usage(
                crate::t!("common.private.default_namespace").into(),
            ));
        }
        let tls = self.skip_verify
            || self.ca.is_some()
            || self.client_cert.is_some()
            || self.client_key.is_some();
        if self.plain_http && tls {
            return Err(Error::Usage(crate::t!(
                "common.private.plain_http_tls",
                registry = self.host
            )));
        }
        if self.client_cert.is_some() != self.client_key.is_some() {
            return Err(Error::Usage(crate::t!(
                "common.private.cert_and_key",
                registry = self.host
            )));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(Error::Usage(crate::t!(
                "common.private.username_password",
                registry = self.host
            )));
        }
        Ok(())
    }

    /// Reads the CA and client files named on the command line.
    pub fn load_files(&mut self) -> Result<()> {
        for (name, path) in [
            (CA_FILE, &self.ca),
            (CLIENT_CERT_FILE, &self.client_cert),
            (CLIENT_KEY_FILE, &self.client_key),
        ] {
            if let Some(p) = path {
                let bytes = crate::node::read::limited(
                    &crate::root::Root::default(),
                    p,
                    crate::node::read::SMALL_LIMIT,
                )
                .map_err(|e| Error::io(p, e))?;
                // containerd loads these as PEM (crypto/x509, tls.LoadX509KeyPair):
                // anything else fails at pull time, and a stray file (say
                // /etc/shadow) must not be copied into certs.d.
                let want = if name == CLIENT_KEY_FILE {
                    "PRIVATE KEY-----"
                } else {
                    "-----BEGIN CERTIFICATE-----"
                };
                let text = String::from_utf8(bytes)
                    .ok()
                    .filter(|t| t.contains(want) && t.contains("-----BEGIN"))
                    .ok_or_else(|| Error::Invalid {
                        path: p.clone(),
                        message: if name == CLIENT_KEY_FILE {
                            crate::t!("common.private.not_pem_key").into()
                        } else {
                            crate::t!("common.private.not_pem_cert").into()
                        },
                    })?;
                self.files.insert(name.to_string(), text);
            }
        }
        Ok(())
    }

    /// Call [`PrivateRegistry::validate`] first: `_default` has no URL.
    pub fn hosts_spec(&self) -> HostsSpec {
        let scheme = if self.plain_http { "http" } else { "https" };
        let Ok(ep) = Endpoint::parse(&format!("{scheme}://{}", self.host)) else {
            return HostsSpec::upstream(self.host.clone(), "private registry"); // i18n: file content
        };
        debug_assert!(self.plain_http == (ep.scheme == Scheme::Http));
        let mut host = HostSpec {
            capabilities: UPSTREAM_CAPS.to_vec(),
            ..HostSpec::mirror(ep.clone())
        };
        host.skip_verify = self.skip_verify;
        if self.ca.is_some() {
            host.ca.push(CA_FILE.into());
        }
        if self.client_cert.is_some() {
            host.client
                .push((CLIENT_CERT_FILE.into(), CLIENT_KEY_FILE.into()));
        }
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            host.headers.insert(
                "Authorization".into(),
                format!("Basic {}", base64(format!("{u}:{p}").as_bytes())),
            );
        }
        HostsSpec {
            registry: self.host.clone(),
            server: Some(ep.url()),
            hosts: vec![host],
            origin: "private registry".into(), // i18n: file content
            dial_timeout: None,
        }
    }

    pub fn has_auth(&self) -> bool {
        self.username.is_some()
    }
}

/// daemon.json with `registry-mirrors` set (or removed), every other key
/// kept in its order. Docker's own image store does not use containerd's
/// hosts.toml, and only docker.io mirrors belong in this key.
pub fn docker_daemon_json(
    path: &std::path::Path,
    before: Option<&str>,
    mirrors: &[String],
) -> Result<String> {
    let mut doc: serde_json::Map<String, serde_json::Value> =
        match before.map(str::trim).filter(|t| !t.is_empty()) {
            None => serde_json::Map::new(),
            Some(text) => serde_json::from_str(text).map_err(|e| Error::Toml {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message: crate::t!("common.daemon_json_invalid", error = e),
            })?,
        };
    if mirrors.is_empty() {
        doc.shift_remove("registry-mirrors");
    } else {
        let urls = mirrors
            .iter()
            .map(|m| Endpoint::parse(m).map(|e| serde_json::Value::String(e.url())))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        doc.insert("registry-mirrors".into(), serde_json::Value::Array(urls));
    }
    Ok(serde_json::to_string_pretty(&doc).expect("JSON serialises") + "\n")
}

/// Docker stops running containers on restart unless live-restore is on.
pub fn docker_live_restore(daemon_json: Option<&str>) -> bool {
    daemon_json
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| v.get("live-restore").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

/// The pause image tag each containerd line defaults to (docs/containerd-facts.md §3.1).
pub fn pause_tag(containerd: Option<Version>) -> &'static str {
    match containerd {
        Some(v) if v < Version::new(1, 7, 0) => "3.6",
        Some(v) if v < Version::new(2, 0, 0) => "3.8",
        Some(v) if v < Version::new(2, 2, 0) => "3.10",
        Some(v) if v < Version::new(2, 3, 0) => "3.10.1",
        Some(_) => "3.10.2",
        None => "3.10",
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("user:pw", "dXNlcjpwdw=="),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn sandbox_images_follow_the_reference_grammar() {
        for ok in [
            "registry.k8s.io/pause:3.10",
            "pause:3.6",
            "localhost:5000/pause:1",
            "[::1]:5000/pause:1",
            "m.daocloud.io/registry.k8s.io/pause:3.9",
            "registry.k8s.io/pause@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(sandbox_image(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "x y",
            "bad image no tag",
            "",
            "Registry.k8s.io/Pause:3.10",
            "pause",
            "pause:",
            "pause:-x",
            "a//b:1",
            "pause@sha256:zz",
            "p\"x:1",
        ] {
            assert!(sandbox_image(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_registry_hosts_toml() {
        let mut r = PrivateRegistry {
            ca: Some("/tmp/ca.pem".into()),
            username: Some("robot".into()),
            password: Some("s3cret".into()),
            ..PrivateRegistry::new(RegistryName::parse("harbor.corp:8443").unwrap())
        };
        r.validate().unwrap();
        let text = r.hosts_spec().render();
        assert!(
            text.contains("server = \"https://harbor.corp:8443\""),
            "{text}"
        );
        assert!(
            text.contains("capabilities = [\"pull\", \"resolve\", \"push\"]"),
            "{text}"
        );
        assert!(text.contains("ca = \"ca.crt\""), "{text}");
        assert!(
            text.contains("\"Authorization\" = [\"Basic cm9ib3Q6czNjcmV0\"]"),
            "{text}"
        );
        r.plain_http = true;
        assert!(r.validate().is_err(), "http with TLS options");
        r.ca = None;
        r.validate().unwrap();
        assert!(r
            .hosts_spec()
            .render()
            .contains("[host.\"http://harbor.corp:8443\"]"));
    }

    #[test]
    fn daemon_json_keeps_other_keys_in_order() {
        let before = "{\n  \"log-driver\": \"json-file\",\n  \"registry-mirrors\": [\"https://old.example\"],\n  \"live-restore\": true\n}\n";
        let p = std::path::Path::new("/etc/docker/daemon.json");
        let out = docker_daemon_json(p, Some(before), &["docker.m.daocloud.io".into()]).unwrap();
        assert_eq!(out, "{\n  \"log-driver\": \"json-file\",\n  \"registry-mirrors\": [\n    \"https://docker.m.daocloud.io\"\n  ],\n  \"live-restore\": true\n}\n");
        assert!(docker_live_restore(Some(before)));
        let removed = docker_daemon_json(p, Some(before), &[]).unwrap();
        assert!(!removed.contains("registry-mirrors") && removed.contains("live-restore"));
        let err = docker_daemon_json(p, Some("{\n  \"a\": ,\n}"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/etc/docker/daemon.json:2:"), "{err}");
        assert_eq!(
            docker_daemon_json(p, None, &["https://m.example".into()]).unwrap(),
            "{\n  \"registry-mirrors\": [\n    \"https://m.example\"\n  ]\n}\n"
        );
    }

    #[test]
    fn pause_tags_follow_containerd() {
        assert_eq!(pause_tag(Version::parse("1.6.20")), "3.6");
        assert_eq!(pause_tag(Version::parse("1.7.20")), "3.8");
        assert_eq!(pause_tag(Version::parse("2.1.1")), "3.10");
        assert_eq!(pause_tag(Version::parse("2.2.1")), "3.10.1");
        assert_eq!(pause_tag(Version::parse("2.3.0")), "3.10.2");
    }
}
