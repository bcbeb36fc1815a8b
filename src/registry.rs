//! Registry names (`docker.io`, `myregistry.local:5000`, `_default`) and the
//! certs.d directory each one maps to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated `host[:port]`, so that a registry name can never become a
/// path that leaves the hosts dir (`../../etc` is rejected).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistryName(String);

/// containerd's fallback directory for registries without their own (≥ 1.6.17).
pub const DEFAULT_NAMESPACE: &str = "_default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryNameError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for RegistryNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = format!("{:?}", self.input);
        f.write_str(&crate::t!(
            "errors.registry.invalid",
            input = input,
            reason = self.reason
        ))
    }
}

impl std::error::Error for RegistryNameError {}

impl RegistryName {
    /// Docker Hub's name, as containerd's hosts dir spells it.
    pub fn docker_hub() -> RegistryName {
        RegistryName("docker.io".into())
    }

    /// `_default`: the directory for every registry without its own.
    pub fn default_namespace() -> RegistryName {
        RegistryName(DEFAULT_NAMESPACE.into())
    }

    pub fn parse(input: &str) -> Result<Self, RegistryNameError> {
        let err = |reason| RegistryNameError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s == DEFAULT_NAMESPACE {
            return Ok(RegistryName(s.to_string()));
        }
        if s.is_empty() {
            return Err(err(crate::t!("errors.registry.empty")));
        }
        if s.contains("://") {
            return Err(err(crate::t!("errors.registry.scheme")));
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        if let Some(p) = port {
            if p.is_empty()
                || !p.chars().all(|c| c.is_ascii_digit())
                || p.parse::<u16>().map_or(true, |n| n == 0)
            {
                return Err(err(crate::t!("errors.registry.port")));
            }
        }
        if host.is_empty() || host.len() > 253 {
            return Err(err(crate::t!("errors.registry.host_length")));
        }
        for label in host.split('.') {
            if label.is_empty() {
                return Err(err(crate::t!("errors.registry.empty_label")));
            }
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(err(crate::t!("errors.registry.characters")));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(err(crate::t!("errors.registry.hyphen")));
            }
        }
        Ok(RegistryName(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_default_namespace(&self) -> bool {
        self.0 == DEFAULT_NAMESPACE
    }

    /// The directory name under certs.d. containerd looks up `host_port_`
    /// first, then `host:port` (docs/containerd-facts.md §1.6); `host_port_`
    /// also works on Windows and in tools that dislike ':' in paths.
    pub fn dir_name(&self) -> String {
        match self.0.rsplit_once(':') {
            Some((h, p)) => format!("{h}_{p}_"),
            None => self.0.clone(),
        }
    }

    /// The inverse of [`dir_name`](Self::dir_name) for directories found on
    /// disk (`host_5000_` and `host:5000` both name `host:5000`).
    pub fn from_dir_name(dir: &str) -> Option<Self> {
        if let Some(stripped) = dir.strip_suffix('_') {
            if let Some((h, p)) = stripped.rsplit_once('_') {
                if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) {
                    return Self::parse(&format!("{h}:{p}")).ok();
                }
            }
        }
        Self::parse(dir).ok()
    }

    /// The host containerd talks to when no mirror answers. `_default` has
    /// none: it is the fallback *for* every registry without its own
    /// directory, and each of those falls back to itself, which a `server`
    /// line would take away (a `server = "https://_default"` makes every
    /// such pull try a host named `_default`).
    pub fn upstream_url(&self) -> Option<String> {
        match self.0.as_str() {
            DEFAULT_NAMESPACE => None,
            // containerd only rewrites an *empty* server to registry-1; a
            // literal https://docker.io is an HTML redirect (docs/containerd-facts.md §1.3, §7.7).
            "docker.io" => Some("https://registry-1.docker.io".to_string()),
            other => Some(format!("https://{other}")),
        }
    }
}

impl fmt::Display for RegistryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegistryName {
    type Error = RegistryNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegistryName> for String {
    fn from(r: RegistryName) -> String {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hosts_and_ports() {
        for ok in [
            "docker.io",
            "registry.k8s.io",
            "Harbor.Example.com:8443",
            "localhost:5000",
            "127.0.0.1:5000",
            "_default",
        ] {
            assert!(RegistryName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(RegistryName::parse("Quay.IO").unwrap().as_str(), "quay.io");
    }

    #[test]
    fn rejects_paths_and_junk() {
        for bad in [
            "",
            "../../etc",
            "docker.io/library",
            "a..b",
            "https://docker.io",
            "host:0",
            "host:99999",
            "host:",
            "-x.io",
            "a b",
            ".",
        ] {
            assert!(RegistryName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dir_names_round_trip() {
        let r = RegistryName::parse("myregistry.io:5000").unwrap();
        assert_eq!(r.dir_name(), "myregistry.io_5000_");
        assert_eq!(
            RegistryName::from_dir_name("myregistry.io_5000_"),
            Some(r.clone())
        );
        assert_eq!(RegistryName::from_dir_name("myregistry.io:5000"), Some(r));
        assert_eq!(
            RegistryName::from_dir_name("docker.io").unwrap().dir_name(),
            "docker.io"
        );
    }

    #[test]
    fn docker_hub_upstream_is_registry_1() {
        assert_eq!(
            RegistryName::parse("docker.io")
                .unwrap()
                .upstream_url()
                .unwrap(),
            "https://registry-1.docker.io"
        );
        assert_eq!(
            RegistryName::parse("quay.io")
                .unwrap()
                .upstream_url()
                .unwrap(),
            "https://quay.io"
        );
    }
}
