//! `certs.d/<registry>/hosts.toml`: the model ctrwiz writes, its rendering,
//! and a reader for files already on the node.
//!
//! Rendering follows docs/containerd-facts.md's rules: an explicit scheme
//! on every URL, at least one `[host."…"]` table (1.6.x and 1.7 < 1.7.32
//! ignore a file without one), `server = "https://registry-1.docker.io"`
//! for docker.io, `["pull", "resolve"]` on mirrors, `override_path` for
//! `/v2/<project>` mirrors, no duplicates, and `dial_timeout` on mirrors
//! only when the plan asks for it (the node's containerd reads it).

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::registry::RegistryName;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml_edit::{DocumentMut, Item};

/// First-line marker of the files ctrwiz owns.
// i18n: file content, the same in every language
pub const MANAGED_MARKER: &str = "# Managed by ctrwiz";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    Pull,
    Resolve,
    Push,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Pull => "pull",
            Capability::Resolve => "resolve",
            Capability::Push => "push",
        }
    }
}

/// Mirrors serve tags and blobs but are never pushed to.
pub const MIRROR_CAPS: &[Capability] = &[Capability::Pull, Capability::Resolve];
/// The registry itself (or a private registry) may also take pushes.
pub const UPSTREAM_CAPS: &[Capability] = &[Capability::Pull, Capability::Resolve, Capability::Push];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostSpec {
    pub endpoint: Endpoint,
    pub capabilities: Vec<Capability>,
    pub skip_verify: bool,
    pub ca: Vec<String>,
    /// `(cert, key)` pairs; `key` empty when both live in one PEM.
    pub client: Vec<(String, String)>,
    pub headers: BTreeMap<String, String>,
}

impl HostSpec {
    pub fn mirror(endpoint: Endpoint) -> Self {
        HostSpec {
            endpoint,
            capabilities: MIRROR_CAPS.to_vec(),
            skip_verify: false,
            ca: vec![],
            client: vec![],
            headers: BTreeMap::new(),
        }
    }

    pub fn upstream(endpoint: Endpoint) -> Self {
        HostSpec {
            capabilities: UPSTREAM_CAPS.to_vec(),
            ..HostSpec::mirror(endpoint)
        }
    }
}

/// What one registry's hosts.toml says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostsSpec {
    pub registry: RegistryName,
    /// The last-resort host; `None` leaves it to containerd (the registry
    /// itself). Written explicitly so the file says what happens.
    pub server: Option<String>,
    pub hosts: Vec<HostSpec>,
    /// Where this came from, for the header comment ("preset daocloud").
    pub origin: String,
    /// `dial_timeout` for every mirror host (not the registry itself).
    pub dial_timeout: Option<String>,
}

impl HostsSpec {
    /// Mirrors tried in order, then the registry itself.
    pub fn with_mirrors(
        registry: RegistryName,
        mirrors: Vec<Endpoint>,
        origin: impl Into<String>,
    ) -> Self {
        let server = registry.upstream_url();
        let hosts = mirrors.into_iter().map(HostSpec::mirror).collect();
        HostsSpec {
            registry,
            server,
            hosts,
            origin: origin.into(),
            dial_timeout: None,
        }
    }

    /// No mirror: the registry itself, stated explicitly so a `_default`
    /// directory does not catch it.
    pub fn upstream(registry: RegistryName, origin: impl Into<String>) -> Self {
        let up = registry
            .upstream_url()
            .and_then(|u| Endpoint::parse(&u).ok());
        HostsSpec {
            server: up.as_ref().map(Endpoint::url),
            hosts: up.into_iter().map(HostSpec::upstream).collect(),
            registry,
            origin: origin.into(),
            dial_timeout: None,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            // i18n: file content
            "{MANAGED_MARKER} ({}) for {}. `ctrwiz apply` rewrites this file; `ctrwiz rollback` restores the one before.\n",
            self.origin, self.registry
        ));
        if let Some(server) = &self.server {
            out.push_str(&format!("server = {}\n", quote(server)));
        }
        let mut seen = Vec::new();
        let mut hosts: Vec<&HostSpec> = self
            .hosts
            .iter()
            .filter(|h| {
                !seen.contains(&h.endpoint.url()) && {
                    seen.push(h.endpoint.url());
                    true
                }
            })
            .collect();
        let fallback;
        if hosts.is_empty() {
            // containerd < 1.7.32 ignores a file without a [host] table.
            let up = self
                .server
                .clone()
                .or_else(|| self.registry.upstream_url())
                .and_then(|u| Endpoint::parse(&u).ok());
            if let Some(up) = up {
                fallback = HostSpec::upstream(up);
                hosts.push(&fallback);
            }
        }
        for h in hosts {
            out.push_str(&format!("\n[host.{}]\n", quote(&h.endpoint.url())));
            let caps: Vec<String> = h.capabilities.iter().map(|c| quote(c.as_str())).collect();
            out.push_str(&format!("  capabilities = [{}]\n", caps.join(", ")));
            if h.endpoint.override_path {
                out.push_str("  override_path = true\n");
            }
            let is_server = self.server.as_deref() == Some(h.endpoint.url().as_str());
            if let (Some(t), false) = (&self.dial_timeout, is_server) {
                out.push_str(&format!("  dial_timeout = {}\n", quote(t)));
            }
            if h.skip_verify {
                out.push_str("  skip_verify = true\n");
            }
            match h.ca.len() {
                0 => {}
                1 => out.push_str(&format!("  ca = {}\n", quote(&h.ca[0]))),
                _ => out.push_str(&format!(
                    "  ca = [{}]\n",
                    h.ca.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ")
                )),
            }
            if !h.client.is_empty() {
                let pairs: Vec<String> = h
                    .client
                    .iter()
                    .map(|(c, k)| format!("[{}, {}]", quote(c), quote(k)))
                    .collect();
                out.push_str(&format!("  client = [{}]\n", pairs.join(", ")));
            }
            if !h.headers.is_empty() {
                out.push_str(&format!("  [host.{}.header]\n", quote(&h.endpoint.url())));
                for (k, v) in &h.headers {
                    out.push_str(&format!("    {} = [{}]\n", quote(k), quote(v)));
                }
            }
        }
        out
    }
}

/// The dial timeout written on mirrors where containerd reads the key
/// (`Gate::DialTimeout`, 2.0.7+), unless the user chose another.
///
/// Why 3 s: a TCP handshake that has not finished in 3 s has lost its SYN
/// and its first retransmission (Linux resends after 1 s, then 3 s), and Go's
/// dial timeout also covers the name lookup, which on a cold cache across a
/// border can take a second; a mirror that slow is better skipped. The
/// default is the transport's 30 s (docs/containerd-facts.md §1.2) — per request of
/// a pull, so a blackholed first mirror costs minutes; with 3 s it costs
/// about four dials, 12 s (the issue measured 9.3 s with 2 s on 2.1.9).
pub const DEFAULT_DIAL_TIMEOUT: &str = "3s";

/// A `dial_timeout` value as containerd parses it (Go's
/// `time.ParseDuration`: `500ms`, `3s`, `1m30s`), positive and at most the
/// transport's own 30 s. A bad value would make containerd ≥ 2.0.7 reject
/// the whole file, so it is refused here.
pub fn dial_timeout(input: &str) -> std::result::Result<String, String> {
    let s = input.trim();
    let bad = || crate::t!("heal.dial_timeout.invalid", value = format!("{input:?}"));
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(digits);
        let value: f64 = num.parse().map_err(|_| bad())?;
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| tail.starts_with(*u))
            .max_by_key(|u| u.len())
            .ok_or_else(bad)?;
        // "m" and "ms": the longer match wins above.
        total += value
            * match *unit {
                "ns" => 1e-9,
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                _ => 3600.0,
            };
        rest = &tail[unit.len()..];
    }
    if total <= 0.0 {
        return Err(crate::t!("heal.dial_timeout.zero", value = s));
    }
    if total > 30.0 {
        return Err(crate::t!("heal.dial_timeout.too_long", value = s));
    }
    Ok(s.to_string())
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if c.is_control() => q.push_str(&format!("\\u{:04X}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A hosts.toml read from disk, for planning and for the doctor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedHosts {
    pub managed: bool,
    pub server: Option<String>,
    /// Host URLs in file order, as written.
    pub hosts: Vec<ParsedHost>,
    /// Any `[host…]` table, even a bare `[host]`.
    pub has_host_table: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedHost {
    pub url: String,
    pub capabilities: Option<Vec<String>>,
    pub override_path: bool,
    pub skip_verify: bool,
    pub has_ca: bool,
}

pub fn is_managed(text: &str) -> bool {
    text.starts_with(MANAGED_MARKER)
}

/// Parses a hosts.toml. toml_edit rejects duplicate tables, as containerd
/// does (it then silently falls back to upstream, docs/containerd-facts.md §1.5).
pub fn parse(path: &Path, text: &str) -> Result<ParsedHosts> {
    let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::toml(path, text, e.span().map(|s| s.start), e.message())
    })?;
    if let Some((offset, message)) = type_error(text) {
        return Err(Error::toml(path, text, offset, &message));
    }
    let mut parsed = ParsedHosts {
        managed: is_managed(text),
        server: doc.get("server").and_then(Item::as_str).map(str::to_string),
        ..Default::default()
    };
    if let Some(host) = doc.get("host").and_then(Item::as_table_like) {
        parsed.has_host_table = true;
        for (url, item) in host.iter() {
            let Some(t) = item.as_table_like() else {
                continue;
            };
            parsed.hosts.push(ParsedHost {
                url: url.to_string(),
                capabilities: t.get("capabilities").and_then(Item::as_array).map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                }),
                override_path: t
                    .get("override_path")
                    .and_then(Item::as_bool)
                    .unwrap_or(false),
                skip_verify: t
                    .get("skip_verify")
                    .and_then(Item::as_bool)
                    .unwrap_or(false),
                has_ca: t.get("ca").is_some(),
            });
        }
    }
    Ok(parsed)
}

/// What containerd's `hostFileConfig` (core/remotes/docker/config/
/// hosts.go) decodes each key into. A value of another type fails the
/// decode, and containerd then ignores the whole file (2.1.9 here with
/// `server = [ … ]`: the pull went upstream).
#[derive(Clone, Copy)]
enum Shape {
    Str,
    Bool,
    Strings,
    /// `ca`: a path or a list of paths.
    StrOrStrings,
    /// `client`: a path, a list of paths, or a list of [cert, key] pairs.
    Client,
    /// `header`: name → a value or a list of values.
    Header,
}

fn shape_of(key: &str) -> Option<Shape> {
    Some(match key {
        "server" | "dial_timeout" => Shape::Str,
        "skip_verify" | "override_path" => Shape::Bool,
        "capabilities" => Shape::Strings,
        "ca" => Shape::StrOrStrings,
        "client" => Shape::Client,
        "header" => Shape::Header,
        _ => return None,
    })
}

fn fits(item: &Item, shape: Shape) -> bool {
    let strings = |a: &toml_edit::Array| a.iter().all(|v| v.is_str());
    match shape {
        Shape::Str => item.is_str(),
        Shape::Bool => item.is_bool(),
        Shape::Strings => item.as_array().is_some_and(strings),
        Shape::StrOrStrings => item.is_str() || item.as_array().is_some_and(strings),
        Shape::Client => {
            item.is_str()
                || item.as_array().is_some_and(|a| {
                    a.iter()
                        .all(|v| v.is_str() || v.as_array().is_some_and(strings))
                })
        }
        Shape::Header => item.as_table_like().is_some_and(|t| {
            t.iter()
                .all(|(_, v)| v.is_str() || v.as_array().is_some_and(strings))
        }),
    }
}

/// The first key whose value containerd cannot decode: (offset, why).
fn type_error(text: &str) -> Option<(Option<usize>, String)> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let root = doc.as_table();
    let check = |table: &dyn toml_edit::TableLike| {
        table.iter().find_map(|(key, item)| {
            let shape = shape_of(key)?;
            (!fits(item, shape)).then(|| {
                let offset = table
                    .key(key)
                    .and_then(|k| k.span())
                    .or_else(|| item.span())
                    .map(|s| s.start);
                let message = crate::t!(
                    "plan.hosts.wrong_type",
                    key = key,
                    expected = expected(shape)
                );
                (offset, message)
            })
        })
    };
    if let Some(e) = check(root) {
        return Some(e);
    }
    let hosts = root.get("host")?.as_table_like()?;
    let found = hosts
        .iter()
        .filter_map(|(_, t)| t.as_table_like())
        .find_map(check);
    found
}

fn expected(shape: Shape) -> &'static str {
    match shape {
        Shape::Str => crate::t!("plan.hosts.type_string"),
        Shape::Bool => crate::t!("plan.hosts.type_bool"),
        Shape::Strings => crate::t!("plan.hosts.type_strings"),
        Shape::StrOrStrings => crate::t!("plan.hosts.type_path_or_paths"),
        Shape::Client => crate::t!("plan.hosts.type_client"),
        Shape::Header => crate::t!("plan.hosts.type_header"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_containerd_cannot_decode_are_refused_at_their_key() {
        for (text, at) in [
            ("server = [\"https://m\"]\n", "1:1"),
            ("[host.\"https://m\"]\n  capabilities = \"pull\"\n", "2:3"),
            ("[host.\"https://m\"]\n  skip_verify = \"true\"\n", "2:3"),
            ("[host.\"https://m\"]\n  header = { X = 1 }\n", "2:3"),
        ] {
            let e = parse(Path::new("h.toml"), text).unwrap_err().to_string();
            assert!(e.contains(&format!("h.toml:{at}")), "{text}: {e}");
        }
        let fine = "server = \"https://r\"\n[host.\"https://m\"]\n  ca = [\"a.pem\", \"b.pem\"]\n  client = [[\"c.pem\", \"k.pem\"]]\n  header = { X = [\"1\", \"2\"] }\n  skip_verify = true\n";
        assert!(parse(Path::new("h.toml"), fine).is_ok());
    }

    fn reg(s: &str) -> RegistryName {
        RegistryName::parse(s).unwrap()
    }
    fn ep(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap()
    }

    #[test]
    fn docker_hub_with_a_mirror() {
        let spec = HostsSpec::with_mirrors(
            reg("docker.io"),
            vec![
                ep("docker.m.daocloud.io"),
                ep("https://docker.m.daocloud.io/"),
            ],
            "preset daocloud",
        );
        let text = spec.render();
        assert_eq!(
            text,
            "# Managed by ctrwiz (preset daocloud) for docker.io. `ctrwiz apply` rewrites this file; `ctrwiz rollback` restores the one before.\n\
             server = \"https://registry-1.docker.io\"\n\
             \n\
             [host.\"https://docker.m.daocloud.io\"]\n\
             \x20 capabilities = [\"pull\", \"resolve\"]\n"
        );
        let p = parse(Path::new("h"), &text).unwrap();
        assert!(p.managed && p.has_host_table);
        assert_eq!(p.hosts.len(), 1, "duplicates are dropped");
        assert_eq!(p.server.as_deref(), Some("https://registry-1.docker.io"));
    }

    #[test]
    fn path_style_mirror_gets_override_path() {
        let spec = HostsSpec::with_mirrors(
            reg("k8s.gcr.io"),
            vec![ep("https://gcr.nju.edu.cn/v2/google-containers")],
            "preset nju",
        );
        let text = spec.render();
        assert!(text.contains("[host.\"https://gcr.nju.edu.cn/v2/google-containers\"]\n  capabilities = [\"pull\", \"resolve\"]\n  override_path = true\n"), "{text}");
        assert!(parse(Path::new("h"), &text).unwrap().hosts[0].override_path);
    }

    #[test]
    fn upstream_still_has_a_host_table() {
        let text = HostsSpec::upstream(reg("quay.io"), "preset upstream").render();
        assert!(text.contains("server = \"https://quay.io\"\n"));
        assert!(
            text.contains(
                "[host.\"https://quay.io\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n"
            ),
            "{text}"
        );
        let empty = HostsSpec {
            hosts: vec![],
            ..HostsSpec::with_mirrors(reg("ghcr.io"), vec![], "x")
        }
        .render();
        assert!(empty.contains("[host.\"https://ghcr.io\"]"), "{empty}");
    }

    #[test]
    fn never_writes_dial_timeout_or_push_on_mirrors() {
        let text = HostsSpec::with_mirrors(
            reg("docker.io"),
            vec![ep("https://a.example"), ep("http://127.0.0.1:5000")],
            "x",
        )
        .render();
        assert!(!text.contains("dial_timeout"));
        assert!(!text.contains("\"push\""));
        assert!(text.contains("[host.\"http://127.0.0.1:5000\"]"));
    }

    #[test]
    fn dial_timeout_on_mirrors_only_and_values_as_go_parses_them() {
        let mut spec = HostsSpec::with_mirrors(
            reg("docker.io"),
            vec![ep("https://a.example"), ep("https://registry-1.docker.io")],
            "x",
        );
        spec.dial_timeout = Some("3s".into());
        let text = spec.render();
        assert!(
            text.contains("[host.\"https://a.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n  dial_timeout = \"3s\"\n"),
            "{text}"
        );
        assert_eq!(
            text.matches("dial_timeout").count(),
            1,
            "not on the registry itself"
        );
        for ok in ["3s", "500ms", "0.5s", "1.5s", "1s500ms", "30s"] {
            assert_eq!(dial_timeout(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "", "3", "s", "3 s", "-1s", "3sec", "0s", "31s", "1m", "1h", "3s\"\n",
        ] {
            assert!(dial_timeout(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reads_foreign_files_and_reports_errors() {
        let p = parse(Path::new("h"), "server = \"https://docker.io\"\n").unwrap();
        assert!(!p.has_host_table && !p.managed);
        let e = parse(Path::new("/x/hosts.toml"), "[host.\"a\"]\n[host.\"a\"]\n").unwrap_err();
        assert!(e.to_string().starts_with("/x/hosts.toml:2:"), "{e}");
    }
}

/// The files a hosts.toml names (`ca`, `client`; top level and per host),
/// as `(key, path as written)`. `client` is a path, a list of paths, or a
/// list of `[cert, key]` pairs. Unparsable files name none.
pub fn named_files(text: &str) -> Vec<(String, String)> {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return vec![];
    };
    fn collect(key: &str, item: Option<&Item>, out: &mut Vec<(String, String)>) {
        let Some(item) = item else { return };
        if let Some(s) = item.as_str() {
            out.push((key.to_string(), s.to_string()));
        } else if let Some(a) = item.as_array() {
            for v in a.iter() {
                if let Some(s) = v.as_str() {
                    out.push((key.to_string(), s.to_string()));
                } else if let Some(pair) = v.as_array() {
                    out.extend(
                        pair.iter()
                            .filter_map(|p| p.as_str())
                            .filter(|p| !p.is_empty())
                            .map(|p| (key.to_string(), p.to_string())),
                    );
                }
            }
        }
    }
    let mut out = Vec::new();
    for key in ["ca", "client"] {
        collect(key, doc.get(key), &mut out);
    }
    if let Some(hosts) = doc.get("host").and_then(Item::as_table_like) {
        for (_, host) in hosts.iter() {
            let Some(t) = host.as_table_like() else {
                continue;
            };
            for key in ["ca", "client"] {
                collect(key, t.get(key), &mut out);
            }
        }
    }
    out.retain(|(_, p)| !p.is_empty());
    out
}

#[cfg(test)]
mod named_files_tests {
    #[test]
    fn every_shape_of_ca_and_client_is_found() {
        let text = "server = \"https://r\"\nca = \"top.crt\"\n[host.\"https://m\"]\n  ca = [\"/abs/a.crt\", \"b.crt\"]\n  client = [[\"c.cert\", \"c.key\"], [\"both.pem\", \"\"]]\n[host.\"https://n\"]\n  client = \"one.pem\"\n";
        let got: Vec<String> = super::named_files(text)
            .into_iter()
            .map(|(k, p)| format!("{k}={p}"))
            .collect();
        assert_eq!(
            got,
            [
                "ca=top.crt",
                "ca=/abs/a.crt",
                "ca=b.crt",
                "client=c.cert",
                "client=c.key",
                "client=both.pem",
                "client=one.pem"
            ]
        );
    }
}
