//! `ctrwiz doctor`: why pulls fail on this node. Each check has a status,
//! a plain explanation and, where one exists, a fix (a command, and for the
//! ones ctrwiz can repair, a selection that goes through plan/apply).
//! Pure over the node state; live facts (`ctr plugins ls`) come in as input.

use crate::containerd::config::{ContainerdConfig, CRI_IMAGES_V3, CRI_V2};
use crate::containerd::gates::Gate;
use crate::containerd::hosts;
use crate::node::{NodeState, ToolName};
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};
use crate::version::Version;
use serde::Serialize;
use std::path::Path;

mod clients;
mod proxy;
mod runtime;
pub use runtime::HostFacts;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: String,
    pub status: Status,
    pub message: String,
    pub fix: Option<String>,
    /// A repair ctrwiz can plan and apply itself.
    #[serde(skip)]
    pub repair: Option<Selection>,
}

impl Check {
    fn new(id: impl Into<String>, status: Status, message: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            status,
            message: message.into(),
            fix: None,
            repair: None,
        }
    }
    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
    fn repair(mut self, sel: Selection) -> Check {
        self.repair = Some(sel);
        self
    }
}

/// Facts only a running node can give.
#[derive(Clone, Debug, Default)]
pub struct LiveFacts {
    /// CRI rows of `ctr plugins ls` that are not `ok` (`None`: not asked).
    pub cri_failures: Option<Vec<String>>,
    /// Probes of the mirrors the hosts.toml files name (`None`: not run).
    pub probes: Option<Vec<crate::probe::ProbeResult>>,
    /// `doctor --pod`: whether a test pod sandbox started (`None`: not run).
    pub pod: Option<Result<String, String>>,
    /// kubelet's cgroup driver, whether systemd is init (`None`: not read).
    pub host: Option<HostFacts>,
}

/// `doctor --pod`: the health check apply runs after a restart, on demand.
pub fn pod_check(opts: &crate::apply::ApplyOptions, node: &NodeState) -> Result<String, String> {
    let image = crate::apply::health::sandbox_image(&opts.root, &node.containerd_config.path);
    let socket = opts.root.join(&opts.address);
    crate::apply::health::pod_check(&socket, image.as_deref(), opts.health_timeout)
}

/// containerd 1.6.x and 1.7.0–1.7.31 ignore a hosts.toml without `[host]`
/// (containerd#10027, fixed in 1.7.32).
fn needs_host_table(v: Option<Version>) -> bool {
    v.is_none_or(|v| !Gate::ServerWithoutHost.holds(v))
}

pub fn run(node: &NodeState, live: &LiveFacts) -> Vec<Check> {
    let mut out = Vec::new();
    let version = node.containerd_version();
    containerd_checks(node, version, live, &mut out);
    let cfg = node
        .containerd_config
        .text
        .as_deref()
        .and_then(|t| ContainerdConfig::parse(&node.containerd_config.path, t).ok());
    config_path_checks(node, cfg.as_ref(), version, live, &mut out);
    hosts_checks(node, version, &mut out);
    client_checks(node, &mut out);
    clients::checks(node, &mut out);
    proxy::checks(node, &mut out);
    mirror_checks(live, &mut out);
    runtime::checks(cfg.as_ref(), live, &mut out);
    out
}

/// The mirrors actually configured, as measured: a dead or denying mirror
/// makes every pull wait for it before containerd falls back.
fn mirror_checks(live: &LiveFacts, out: &mut Vec<Check>) {
    use crate::probe::ProbeStatus;
    for r in live.probes.iter().flatten() {
        let id = format!(
            "mirror.{}.{}",
            r.registry,
            r.url.split("://").nth(1).unwrap_or(&r.url)
        );
        let lat = r
            .latency_ms
            .map(|ms| crate::t!("doctor.mirror.latency", ms = ms))
            .unwrap_or_default();
        let (url, reg, why) = (&r.url, &r.registry, &r.detail);
        let fix = || crate::t!("doctor.mirror.fix", reg = reg);
        let check = match r.status {
            ProbeStatus::Ok => {
                let msg = crate::t!("doctor.mirror.ok", url = url, reg = reg, latency = lat);
                Check::new(id, Status::Ok, msg)
            }
            ProbeStatus::Slow => {
                let msg = crate::t!("doctor.mirror.slow", url = url, reg = reg, latency = lat);
                Check::new(id, Status::Warn, msg)
            }
            ProbeStatus::Denied => {
                let msg = crate::t!("doctor.mirror.denied", url = url, reg = reg, detail = why);
                Check::new(id, Status::Fail, msg).fix(fix())
            }
            _ => {
                let msg = crate::t!("doctor.mirror.broken", url = url, reg = reg, detail = why);
                Check::new(id, Status::Fail, msg).fix(fix())
            }
        };
        out.push(check);
    }
}

/// Probe candidates for the mirrors that the node's hosts.toml files name.
pub fn configured_mirrors(
    node: &NodeState,
    catalog: &crate::catalog::Catalog,
) -> Vec<crate::probe::Candidate> {
    let mut out = Vec::new();
    for (dir, text) in &node.hosts_dir.files {
        let (Some(text), Some(registry)) = (text, RegistryName::from_dir_name(dir)) else {
            continue;
        };
        let Ok(parsed) = hosts::parse(Path::new("hosts.toml"), text) else {
            continue;
        };
        let upstream = registry.upstream_url();
        for h in parsed
            .hosts
            .iter()
            .filter(|h| Some(&h.url) != upstream.as_ref())
        {
            if let Ok(endpoint) = crate::endpoint::Endpoint::parse(&h.url) {
                let endpoint = crate::endpoint::Endpoint {
                    override_path: h.override_path || endpoint.override_path,
                    ..endpoint
                };
                out.push(crate::probe::Candidate {
                    registry: registry.clone(),
                    endpoint,
                    source: "configured".into(),
                    probe_image: catalog
                        .registry(&registry)
                        .and_then(|r| r.probe_image.clone()),
                });
            }
        }
    }
    out
}

fn containerd_checks(
    node: &NodeState,
    version: Option<Version>,
    live: &LiveFacts,
    out: &mut Vec<Check>,
) {
    match node.tool(ToolName::Containerd) {
        None => out.push(
            Check::new(
                "containerd.installed",
                Status::Fail,
                crate::t!("doctor.containerd.missing"),
            )
            .fix(crate::t!("doctor.containerd.missing_fix")),
        ),
        Some(t) => {
            let version = t
                .version
                .map_or(crate::t!("doctor.containerd.unknown_version").into(), |v| {
                    v.to_string()
                });
            let msg = crate::t!("doctor.containerd.installed", version = version);
            out.push(Check::new("containerd.installed", Status::Ok, msg))
        }
    }
    let addr = node.service.address.display();
    out.push(if node.service.running {
        let msg = crate::t!("doctor.containerd.running", address = addr);
        Check::new("containerd.running", Status::Ok, msg)
    } else {
        let msg = crate::t!("doctor.containerd.not_running", address = addr);
        Check::new("containerd.running", Status::Fail, msg)
            .fix(crate::t!("doctor.containerd.not_running_fix"))
    });
    let c = &node.containerd_config;
    if let Some(err) = &c.error {
        out.push(
            Check::new(
                "config.parses",
                Status::Fail,
                crate::t!("doctor.config.parse_error", error = err),
            )
            .fix(crate::t!("doctor.config.parse_error_fix")),
        );
        return;
    }
    if !c.exists {
        out.push(
            Check::new(
                "config.parses",
                Status::Warn,
                crate::t!("doctor.config.missing", path = c.path.display()),
            )
            .fix(crate::t!("doctor.config.missing_fix")),
        );
        return;
    }
    out.push(Check::new(
        "config.parses",
        Status::Ok,
        crate::t!("doctor.config.parses", path = c.path.display()),
    ));
    let schema = c.schema_version.unwrap_or(1);
    let check = match (schema, version) {
        (3 | 4, Some(v)) if !Gate::ConfigV3.holds(v) => {
            let msg = crate::t!("doctor.config.too_new", schema = schema, version = v);
            Check::new("config.version", Status::Fail, msg)
                .fix(crate::t!("doctor.config.too_new_fix"))
        }
        (4, Some(v)) if !Gate::ConfigV4.holds(v) => {
            let msg = crate::t!("doctor.config.version_4", version = v);
            Check::new("config.version", Status::Fail, msg)
                .fix(crate::t!("doctor.config.version_4_fix"))
        }
        (1, _) => Check::new(
            "config.version",
            Status::Warn,
            crate::t!("doctor.config.version_1"),
        )
        .fix(crate::t!("doctor.config.version_1_fix"))
        .repair(Selection::default()),
        _ => {
            let msg = crate::t!("doctor.config.version_ok", schema = schema);
            Check::new("config.version", Status::Ok, msg)
        }
    };
    out.push(check);
    if c.cri_disabled {
        out.push(
            Check::new(
                "cri.disabled",
                Status::Fail,
                crate::t!("doctor.cri.disabled"),
            )
            .fix(crate::t!("doctor.cri.disabled_fix"))
            .repair(Selection {
                extras: crate::extras::Extras {
                    enable_cri: true,
                    ..Default::default()
                },
                ..Default::default()
            }),
        );
    }
    if let Some(failures) = &live.cri_failures {
        out.push(if failures.is_empty() {
            Check::new("cri.loaded", Status::Ok, crate::t!("doctor.cri.loaded"))
        } else {
            let msg = crate::t!("doctor.cri.not_loaded", failures = failures.join(", "));
            Check::new("cri.loaded", Status::Fail, msg).fix(crate::t!("doctor.cri.not_loaded_fix"))
        });
    }
}

fn config_path_checks(
    node: &NodeState,
    cfg: Option<&ContainerdConfig>,
    version: Option<Version>,
    live: &LiveFacts,
    out: &mut Vec<Check>,
) {
    let Some(cfg) = cfg else { return };
    let repair_all = || Selection::default();
    // What containerd uses: an import may set it and win (2.x merges key
    // by key, 1.x replaces the CRI table).
    let state = &node.containerd_config;
    let config_path = match &state.config_path_file {
        Some(_) => state.effective_config_path.clone(),
        None => cfg.config_path(),
    }
    .filter(|p| !p.is_empty());
    let table = cfg.registry_table_name();
    let other = if cfg.images_plugin_name() == CRI_V2 {
        CRI_IMAGES_V3
    } else {
        CRI_V2
    };
    if let Some(elsewhere) = cfg.config_path_at(other).filter(|p| !p.is_empty()) {
        let (p, o, s) = (format!("{elsewhere:?}"), other, cfg.schema_version());
        let msg = crate::t!("doctor.config_path.table", path = p, plugin = o, schema = s);
        let fix = crate::t!("doctor.config_path.table_fix", table = table);
        out.push(
            Check::new("config_path.table", Status::Fail, msg)
                .fix(fix)
                .repair(repair_all()),
        );
    }
    match &config_path {
        None => {
            let status = if node.hosts_dir.registries.is_empty() {
                Status::Warn
            } else {
                Status::Fail
            };
            let dir = node.hosts_dir.path.display();
            let msg = crate::t!("doctor.config_path.unset", table = table, dir = dir);
            let fix = crate::t!("doctor.config_path.unset_fix");
            out.push(
                Check::new("config_path.set", status, msg)
                    .fix(fix)
                    .repair(repair_all()),
            );
        }
        Some(p)
            if p.contains(':') && Gate::TransferPulls.on(version) && !cfg.forces_local_pull() =>
        {
            let msg = crate::t!("doctor.config_path.list", path = format!("{p:?}"));
            let fix = crate::t!("doctor.config_path.list_fix");
            out.push(
                Check::new("config_path.list", Status::Fail, msg)
                    .fix(fix)
                    .repair(repair_all()),
            );
        }
        Some(p) => out.push(Check::new(
            "config_path.set",
            Status::Ok,
            format!("config_path = {p}"),
        )),
    }
    let legacy = cfg.legacy_mirrors();
    if !legacy.is_empty() {
        let names: Vec<&str> = legacy.keys().map(String::as_str).collect();
        let check = if config_path.is_some() {
            let c = match &live.cri_failures {
                Some(f) if !f.is_empty() => crate::t!("doctor.legacy_mirrors.confirmed"),
                _ => "",
            };
            let n = names.join(", ");
            let msg = crate::t!("doctor.legacy_mirrors.conflict", names = n, confirmed = c);
            Check::new("legacy_mirrors.conflict", Status::Fail, msg)
        } else {
            let msg = crate::t!("doctor.legacy_mirrors.present", names = names.join(", "));
            Check::new("legacy_mirrors.present", Status::Warn, msg)
        };
        out.push(
            check
                .fix(crate::t!("doctor.legacy_mirrors.fix"))
                .repair(repair_all()),
        );
    }
}

fn hosts_checks(node: &NodeState, version: Option<Version>, out: &mut Vec<Check>) {
    let dir = &node.hosts_dir.path;
    for (dir_name, text) in &node.hosts_dir.files {
        let id = |what: &str| format!("hosts.{dir_name}.{what}");
        if matches!(
            dir_name.as_str(),
            "index.docker.io" | "registry-1.docker.io"
        ) {
            let d = dir.display();
            let msg = crate::t!("doctor.hosts.dir_name", dir = d, name = dir_name);
            let fix = crate::t!("doctor.hosts.dir_name_fix", dir = d);
            out.push(Check::new(id("dir_name"), Status::Fail, msg).fix(fix));
        }
        let Some(text) = text else { continue };
        let registry = RegistryName::from_dir_name(dir_name);
        let path = dir.join(dir_name).join("hosts.toml");
        let rewrite = |reg: &Option<RegistryName>, urls: Vec<String>| {
            reg.as_ref().map(|r| {
                let mut s = Selection::default();
                s.mirrors.insert(
                    r.clone(),
                    if urls.is_empty() {
                        Choice::Preset("upstream".into())
                    } else {
                        Choice::Urls(urls)
                    },
                );
                s
            })
        };
        let parsed = match hosts::parse(&path, text) {
            Ok(p) => p,
            Err(e) => {
                let msg = crate::t!("doctor.hosts.parse_error", error = e);
                let fix = crate::t!("doctor.hosts.parse_error_fix", registry = dir_name);
                let mut c = Check::new(id("parses"), Status::Fail, msg).fix(fix);
                c.repair = rewrite(&registry, vec![]);
                out.push(c);
                continue;
            }
        };
        // Scheme-less hosts are kept with the https:// containerd assumes.
        let urls: Vec<String> = parsed
            .hosts
            .iter()
            .map(|h| {
                if is_url(&h.url) {
                    h.url.clone()
                } else {
                    format!("https://{}", h.url)
                }
            })
            .collect();
        let fix_cmd = format!(
            "ctrwiz apply --mirror {dir_name}={}", // i18n: command
            if urls.is_empty() {
                "upstream".to_string()
            } else {
                urls.join(",")
            }
        );
        let mut problems = 0;
        let mut push = |c: Check| {
            problems += 1;
            let mut c = c.fix(fix_cmd.clone());
            c.repair = rewrite(&registry, urls.clone());
            out.push(c);
        };
        if !parsed.has_host_table && needs_host_table(version) {
            let version = version.map_or(crate::t!("doctor.hosts.old_versions").into(), |v| {
                v.to_string()
            });
            let msg = crate::t!("doctor.hosts.host_table", version = version);
            push(Check::new(id("host_table"), Status::Fail, msg));
        }
        if parsed
            .server
            .as_deref()
            .is_some_and(|s| s.trim_end_matches('/') == "https://docker.io")
        {
            push(Check::new(
                id("server"),
                Status::Fail,
                crate::t!("doctor.hosts.server"),
            ));
        }
        for h in &parsed.hosts {
            if !is_url(&h.url) {
                let msg = crate::t!("doctor.hosts.scheme", host = format!("{:?}", h.url));
                push(Check::new(id("scheme"), Status::Warn, msg));
            }
            // The README's first pitfall, as a mirror: docker.io's /v2/ is
            // an HTML redirect, not a registry (docs/containerd-facts.md §1.3).
            if crate::endpoint::Endpoint::parse(&h.url).is_ok_and(|e| e.host() == "docker.io") {
                let msg = crate::t!("doctor.hosts.docker_io_host", url = h.url);
                push(Check::new(id("docker_io_host"), Status::Fail, msg));
            }
            if h.url.starts_with("http://") && (h.skip_verify || h.has_ca) {
                // 1.7+ sends a TLS ClientHello first; 1.6.20 speaks plain
                // HTTP first (both seen here on loopback listeners).
                let msg = if Gate::HttpTriesTlsFirst.on(version) {
                    crate::t!("doctor.hosts.http_tls", url = h.url)
                } else {
                    crate::t!("doctor.hosts.http_tls_ignored", url = h.url)
                };
                push(Check::new(id("http_tls"), Status::Warn, msg));
            }
            let caps = h.capabilities.clone().unwrap_or_default();
            let referrers = Gate::ReferrersCapability.on(version);
            let known = |c: &str| match c.to_ascii_lowercase().as_str() {
                "pull" | "resolve" | "push" => true,
                "referrers" => referrers,
                _ => false,
            };
            if let Some(bad) = caps.iter().find(|c| !known(c)) {
                let msg = match version {
                    Some(v) if bad.eq_ignore_ascii_case("referrers") => {
                        crate::t!("doctor.hosts.referrers", url = h.url, version = v)
                    }
                    _ => {
                        let bad = format!("{bad:?}");
                        crate::t!("doctor.hosts.capability", url = h.url, capability = bad)
                    }
                };
                push(Check::new(id("capability"), Status::Fail, msg));
            }
            if caps.iter().any(|c| c.eq_ignore_ascii_case("push"))
                && is_public_mirror(&h.url, registry.as_ref())
            {
                let msg = crate::t!("doctor.hosts.push", url = h.url);
                push(Check::new(id("push"), Status::Warn, msg));
            }
        }
        // containerd fails the whole pull on a CA or client file it cannot
        // read, with no fallback to the next host (seen on 1.6.20, 1.7.24
        // and 2.1.9: tests/integration/live_tests.rs).
        for m in node
            .missing_files
            .iter()
            .filter(|m| &m.registry == dir_name)
        {
            problems += 1;
            let msg = crate::t!(
                "owner.doctor.file_missing",
                path = path.display(),
                key = m.key,
                file = m.path.display()
            );
            let fix = crate::t!(
                "owner.doctor.file_missing_fix",
                file = m.path.display(),
                path = path.display()
            );
            out.push(Check::new(id("file_missing"), Status::Fail, msg).fix(fix));
        }
        if problems == 0 {
            let count = parsed.hosts.len();
            let server = parsed
                .server
                .as_deref()
                .unwrap_or(crate::t!("doctor.hosts.registry_itself"));
            let msg = crate::t!("doctor.hosts.valid", count = count, server = server);
            out.push(Check::new(id("valid"), Status::Ok, msg));
        }
    }
}

fn client_checks(node: &NodeState, out: &mut Vec<Check>) {
    if node.tool(ToolName::Ctr).is_some() {
        let msg = crate::t!("doctor.clients.ctr", dir = node.hosts_dir.path.display());
        out.push(Check::new("clients.ctr", Status::Ok, msg));
    }
    if let Some(n) = node.tool(ToolName::Nerdctl).and_then(|t| t.version) {
        if n == Version::new(2, 0, 0) || n == Version::new(2, 0, 1) {
            let msg = crate::t!("doctor.clients.nerdctl", version = n);
            let fix = crate::t!("doctor.clients.nerdctl_fix");
            out.push(Check::new("clients.nerdctl", Status::Fail, msg).fix(fix));
        }
    }
    nerdctl_check(node, out);
    if node.tool(ToolName::Runc).is_none() && node.tool(ToolName::Crun).is_none() {
        let msg = crate::t!("doctor.runtime.runc");
        let fix = crate::t!("doctor.runtime.runc_fix");
        out.push(Check::new("runtime.runc", Status::Fail, msg).fix(fix));
    }
    match &node.cni_dir {
        None => {
            let msg = crate::t!("doctor.cni.missing");
            let fix = crate::t!("doctor.cni.missing_fix");
            out.push(Check::new("cni.installed", Status::Warn, msg).fix(fix))
        }
        Some(d) if !node.cni_looks_in(d) => {
            let expected = node.cni_bin_dirs().join(", ");
            let found = d.display();
            let msg = crate::t!("doctor.cni.bin_dir", found = found, expected = expected);
            let fix = crate::t!("doctor.cni.bin_dir_fix", dir = d.display());
            let mut repair = Selection::default();
            repair.extras.cni_bin_dir = Some(crate::cni::CniBinDir::Dir(d.display().to_string()));
            out.push(
                Check::new("cni.bin_dir", Status::Warn, msg)
                    .fix(fix)
                    .repair(repair),
            )
        }
        Some(d) => {
            let msg = crate::t!("doctor.cni.ok", dir = d.display());
            out.push(Check::new("cni.bin_dir", Status::Ok, msg))
        }
    }
}

/// nerdctl reads its own `hosts_dir`, not `config_path`: warn when the
/// hosts dir is not in it.
fn nerdctl_check(node: &NodeState, out: &mut Vec<Check>) {
    if node.tool(ToolName::Nerdctl).is_none() {
        return;
    }
    let path = node.nerdctl_path.as_path();
    let text = node
        .nerdctl_toml
        .as_ref()
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let dir = node.hosts_dir.path.display().to_string();
    let mut repair = Selection::default();
    repair.extras.nerdctl = true;
    match crate::nerdctl::hosts_dirs(path, text.as_deref()) {
        Err(e) => {
            let msg = crate::t!("nerdctl.doctor.unreadable", error = e);
            out.push(Check::new("clients.nerdctl_hosts_dir", Status::Warn, msg));
        }
        Ok(dirs) if !crate::nerdctl::reads(&dirs, &node.hosts_dir.path) => {
            let msg = if dirs.iter().any(|d| Path::new(d) == node.hosts_dir.path) {
                crate::t!(
                    "nerdctl.doctor.not_first",
                    dirs = dirs.join(", "),
                    dir = dir
                )
            } else {
                crate::t!(
                    "nerdctl.doctor.hosts_dir",
                    dirs = dirs.join(", "),
                    dir = dir
                )
            };
            let fix = crate::t!(
                "nerdctl.doctor.hosts_dir_fix",
                dir = dir,
                file = path.display()
            );
            out.push(
                Check::new("clients.nerdctl_hosts_dir", Status::Warn, msg)
                    .fix(fix)
                    .repair(repair),
            );
        }
        Ok(_) => {}
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// A mirror on the internet, not the registry itself nor a private host.
fn is_public_mirror(url: &str, registry: Option<&RegistryName>) -> bool {
    let Ok(ep) = crate::endpoint::Endpoint::parse(url) else {
        return false;
    };
    let host = ep.host();
    let is_registry =
        registry.is_some_and(|r| r.upstream_url() == Some(ep.url()) || r.as_str() == ep.authority);
    let private = host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok()
        || host.ends_with(".local")
        || host.ends_with(".internal")
        || host.ends_with(".lan");
    !is_registry && !private
}

/// The worst status; doctor exits 1 on Fail.
pub fn worst(checks: &[Check]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok)
}

#[cfg(test)]
mod tests;
