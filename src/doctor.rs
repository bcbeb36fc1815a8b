//! `ctrwiz doctor`: why pulls fail on this node. Each check has a status,
//! a plain explanation and, where one exists, a fix (a command, and for the
//! ones ctrwiz can repair, a selection that goes through plan/apply).
//! Pure over the node state; live facts (`ctr plugins ls`) come in as input.

use crate::containerd::config::{ContainerdConfig, CRI_IMAGES_V3, CRI_V2};
use crate::containerd::hosts;
use crate::node::{NodeState, ToolName};
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};
use crate::version::Version;
use serde::Serialize;
use std::path::Path;

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
}

/// containerd 1.6.x and 1.7.0–1.7.31 ignore a hosts.toml without `[host]`
/// (containerd#10027, fixed in 1.7.32).
fn needs_host_table(v: Option<Version>) -> bool {
    v.is_none_or(|v| v.major < 2 && v < Version::new(1, 7, 32))
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
    client_checks(node, cfg.as_ref(), &mut out);
    mirror_checks(live, &mut out);
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
        let ms = r
            .latency_ms
            .map(|m| format!(", {m} ms"))
            .unwrap_or_default();
        let check = match r.status {
            ProbeStatus::Ok => Check::new(
                id,
                Status::Ok,
                format!("{} answers for {}{ms}", r.url, r.registry),
            ),
            ProbeStatus::Slow => Check::new(
                id,
                Status::Warn,
                format!("{} is slow for {}{ms}", r.url, r.registry),
            ),
            ProbeStatus::Denied => Check::new(
                id,
                Status::Fail,
                format!(
                    "{} refuses {} ({}): an allowlist or IP-range mirror",
                    r.url, r.registry, r.detail
                ),
            )
            .fix(format!(
                "choose another mirror for {} (`ctrwiz probe {}` measures them)",
                r.registry, r.registry
            )),
            _ => Check::new(
                id,
                Status::Fail,
                format!("{} does not work for {}: {}", r.url, r.registry, r.detail),
            )
            .fix(format!(
                "choose another mirror for {} (`ctrwiz probe {}` measures them)",
                r.registry, r.registry
            )),
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
        for h in parsed.hosts.iter().filter(|h| h.url != upstream) {
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
            Check::new("containerd.installed", Status::Fail, "containerd is not installed")
                .fix("apt-get install containerd (Debian/Ubuntu), or unpack the release tarball into /usr/local and install containerd.service as the guides describe"),
        ),
        Some(t) => out.push(Check::new(
            "containerd.installed",
            Status::Ok,
            format!("containerd {} is installed", t.version.map_or("(unknown version)".into(), |v| v.to_string())),
        )),
    }
    let addr = node.service.address.display();
    out.push(if node.service.running {
        Check::new("containerd.running", Status::Ok, format!("containerd answers on {addr}"))
    } else {
        Check::new("containerd.running", Status::Fail, format!("containerd does not answer on {addr}"))
            .fix("systemctl start containerd (or rc-service containerd start); `journalctl -u containerd` shows why it stopped")
    });
    let c = &node.containerd_config;
    if let Some(err) = &c.error {
        out.push(
            Check::new(
                "config.parses",
                Status::Fail,
                format!("config.toml does not parse: {err}"),
            )
            .fix("fix the file at that line and column; containerd refuses to start with it"),
        );
        return;
    }
    if !c.exists {
        out.push(
            Check::new(
                "config.parses",
                Status::Warn,
                format!(
                    "{} does not exist: containerd runs on its defaults, which use no hosts dir",
                    c.path.display()
                ),
            )
            .fix("ctrwiz apply --preset NAME creates it"),
        );
        return;
    }
    out.push(Check::new(
        "config.parses",
        Status::Ok,
        format!("{} parses", c.path.display()),
    ));
    let schema = c.schema_version.unwrap_or(1);
    let check = match (schema, version) {
        (3 | 4, Some(v)) if v.major < 2 => Check::new("config.version", Status::Fail, format!("config.toml says version = {schema}, which containerd {v} does not read (1.6.32+/1.7.17+ refuse to start; older ones ignore the CRI tables)"))
            .fix("use a version = 2 file on containerd 1.x: `containerd config default > config.toml`, then ctrwiz apply"),
        (4, Some(v)) if v < Version::new(2, 3, 0) => Check::new("config.version", Status::Fail, format!("config.toml says version = 4, which needs containerd 2.3; this is {v}, which exits at start"))
            .fix("use version = 3 (`containerd config default`)"),
        (1, _) => Check::new("config.version", Status::Warn, "config.toml has no `version`: it is read as version 1, where fully-qualified plugin tables (what the guides write) are ignored")
            .fix("ctrwiz apply adds version = 2 and renames the short plugin names")
            .repair(Selection::default()),
        _ => Check::new("config.version", Status::Ok, format!("config.toml version {schema}")),
    };
    out.push(check);
    if c.cri_disabled {
        out.push(Check::new("cri.disabled", Status::Fail, "config.toml disables the CRI plugin (disabled_plugins = [\"cri\"], as Docker's containerd.io package ships it): kubelet and crictl cannot use containerd")
            .fix("remove \"cri\" from disabled_plugins and restart containerd"));
    }
    if let Some(failures) = &live.cri_failures {
        out.push(if failures.is_empty() {
            Check::new("cri.loaded", Status::Ok, "the CRI plugin is loaded (ctr plugins ls)")
        } else {
            Check::new("cri.loaded", Status::Fail, format!("the CRI plugin did not load: {}", failures.join(", ")))
                .fix("`ctr plugins ls -d id==cri` shows the reason; legacy registry.mirrors next to config_path is the usual one")
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
    let config_path = cfg.config_path().filter(|p| !p.is_empty());
    let table = cfg.registry_table_name();
    let other = if cfg.images_plugin_name() == CRI_V2 {
        CRI_IMAGES_V3
    } else {
        CRI_V2
    };
    if let Some(elsewhere) = cfg.config_path_at(other).filter(|p| !p.is_empty()) {
        out.push(Check::new("config_path.table", Status::Fail, format!("config_path = {elsewhere:?} is under plugins.\"{other}\", which a version {} file does not read", cfg.schema_version()))
            .fix(format!("set it under {table} instead (ctrwiz apply does)")).repair(repair_all()));
    }
    match &config_path {
        None => {
            let status = if node.hosts_dir.registries.is_empty() {
                Status::Warn
            } else {
                Status::Fail
            };
            out.push(Check::new("config_path.set", status, format!("config_path is not set under {table}: containerd's CRI ignores {} and every hosts.toml in it", node.hosts_dir.path.display()))
                .fix("ctrwiz apply sets it (and restarts containerd once)").repair(repair_all()));
        }
        Some(p) if p.contains(':') && version.is_none_or(|v| v >= Version::new(2, 1, 0)) => {
            out.push(Check::new("config_path.list", Status::Fail, format!("config_path = {p:?} is a list: since 2.1, CRI pulls through the transfer service treat it as one directory that does not exist, and hosts.toml is silently ignored"))
                .fix("use one directory, config_path = \"/etc/containerd/certs.d\" (ctrwiz apply does)").repair(repair_all()));
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
            let confirmed = match &live.cri_failures {
                Some(f) if !f.is_empty() => {
                    " — confirmed: `ctr plugins ls` shows the CRI plugin in error"
                }
                _ => "",
            };
            Check::new("legacy_mirrors.conflict", Status::Fail, format!("config.toml has both legacy registry.mirrors ({}) and config_path: the CRI plugin refuses to load (\"`mirrors` cannot be set when `config_path` is provided\"), so kubelet cannot pull at all{confirmed}", names.join(", ")))
        } else {
            Check::new("legacy_mirrors.present", Status::Warn, format!("config.toml uses deprecated registry.mirrors ({}); hosts.toml is the supported way and needs no restart to change", names.join(", ")))
        };
        out.push(
            check
                .fix(
                    "ctrwiz apply moves them to hosts.toml files and removes them from config.toml",
                )
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
            out.push(Check::new(id("dir_name"), Status::Fail, format!("{}/{dir_name} is never used: containerd looks up Docker Hub images under docker.io", dir.display()))
                .fix(format!("move it to {}/docker.io (or let ctrwiz write docker.io)", dir.display())));
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
                let mut c = Check::new(
                    id("parses"),
                    Status::Fail,
                    format!("does not parse, so containerd silently uses upstream: {e}"),
                )
                .fix(format!(
                    "fix it, or choose mirrors for {dir_name} again with ctrwiz"
                ));
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
            "ctrwiz apply --mirror {dir_name}={}",
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
            push(Check::new(id("host_table"), Status::Fail, format!("has no [host] table: containerd {} rejects such a file (\"invalid `host` tree\") and pulls from upstream", version.map_or("1.6/1.7 before 1.7.32".into(), |v| v.to_string()))));
        }
        if parsed
            .server
            .as_deref()
            .is_some_and(|s| s.trim_end_matches('/') == "https://docker.io")
        {
            push(Check::new(id("server"), Status::Fail, "server = \"https://docker.io\" is not Docker Hub's API (containerd does not rewrite it; it answers with an HTML redirect): use https://registry-1.docker.io"));
        }
        for h in &parsed.hosts {
            if !is_url(&h.url) {
                push(Check::new(id("scheme"), Status::Warn, format!("host {:?} has no scheme: containerd assumes https://, and a name starting with \"http\" breaks", h.url)));
            }
            if h.url.starts_with("http://") && (h.skip_verify || h.has_ca) {
                push(Check::new(id("http_tls"), Status::Warn, format!("{} is plain http:// but has TLS options: containerd then tries HTTPS first", h.url)));
            }
            let caps = h.capabilities.clone().unwrap_or_default();
            if let Some(bad) = caps.iter().find(|c| {
                !matches!(
                    c.to_ascii_lowercase().as_str(),
                    "pull" | "resolve" | "push" | "referrers"
                )
            }) {
                push(Check::new(id("capability"), Status::Fail, format!("{} has unknown capability {bad:?}: containerd rejects the whole file and pulls from upstream", h.url)));
            }
            if caps.iter().any(|c| c.eq_ignore_ascii_case("push"))
                && is_public_mirror(&h.url, registry.as_ref())
            {
                push(Check::new(id("push"), Status::Warn, format!("{} is a public mirror with the push capability: a push would go to the mirror", h.url)));
            }
        }
        if problems == 0 {
            out.push(Check::new(
                id("valid"),
                Status::Ok,
                format!(
                    "{} host(s), server {}",
                    parsed.hosts.len(),
                    parsed.server.as_deref().unwrap_or("(the registry itself)")
                ),
            ));
        }
    }
}

fn client_checks(node: &NodeState, cfg: Option<&ContainerdConfig>, out: &mut Vec<Check>) {
    if node.tool(ToolName::Ctr).is_some() {
        out.push(Check::new("clients.ctr", Status::Ok, format!("ctr does not read config_path: pass --hosts-dir, e.g. `ctr images pull --hosts-dir {} docker.io/library/busybox:latest`", node.hosts_dir.path.display())));
    }
    if let Some(n) = node.tool(ToolName::Nerdctl).and_then(|t| t.version) {
        if n == Version::new(2, 0, 0) || n == Version::new(2, 0, 1) {
            out.push(Check::new("clients.nerdctl", Status::Fail, format!("nerdctl {n} ignores certs.d/docker.io/hosts.toml (nerdctl#3697): docker.io pulls go straight to Docker Hub"))
                .fix("upgrade nerdctl to 2.0.2 or newer"));
        }
    }
    if node.tool(ToolName::Runc).is_none() && node.tool(ToolName::Crun).is_none() {
        out.push(Check::new("runtime.runc", Status::Fail, "runc is not installed: containerd can pull images but cannot start containers").fix("apt-get install runc, or install runc.amd64 from the runc releases as /usr/local/sbin/runc"));
    }
    let bin_dirs = cfg
        .map(ContainerdConfig::cni_bin_dirs)
        .unwrap_or_else(|| vec!["/opt/cni/bin".into()]);
    match &node.cni_dir {
        None => out.push(Check::new("cni.installed", Status::Warn, "no CNI plugins found: pods cannot get a network").fix("apt-get install containernetworking-plugins, or unpack cni-plugins into /opt/cni/bin")),
        Some(d) if !bin_dirs.iter().any(|b| Path::new(b) == d) => out.push(
            Check::new("cni.bin_dir", Status::Warn, format!("CNI plugins are in {} but containerd looks in {} (Debian installs them in /usr/lib/cni)", d.display(), bin_dirs.join(", ")))
                .fix(format!("set bin_dir = \"{}\" in the CRI cni table, or link them: mkdir -p /opt/cni/bin && ln -s {}/* /opt/cni/bin/", d.display(), d.display())),
        ),
        Some(d) => out.push(Check::new("cni.bin_dir", Status::Ok, format!("CNI plugins in {}", d.display()))),
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
    let is_registry = registry.is_some_and(|r| {
        let up = r.upstream_url();
        ep.url() == up || r.as_str() == ep.authority
    });
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
mod tests {
    use super::*;
    use crate::node::{self, Locations};
    use crate::root::Root;
    use std::os::unix::fs::PermissionsExt;

    /// A node in a temp dir: (node path, content) files and (path, banner) tools.
    fn node(files: &[(&str, &str)], tools: &[(&str, &str)]) -> (tempfile::TempDir, NodeState) {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        for (p, text) in files {
            let real = root.join(p);
            std::fs::create_dir_all(real.parent().unwrap()).unwrap();
            std::fs::write(real, text).unwrap();
        }
        for (p, banner) in tools {
            let real = root.join(p);
            std::fs::create_dir_all(real.parent().unwrap()).unwrap();
            std::fs::write(&real, format!("#!/bin/sh\necho '{banner}'\n")).unwrap();
            std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let state = node::detect(&Locations {
            root,
            ..Locations::default()
        });
        (dir, state)
    }

    const C16: (&str, &str) = (
        "/usr/bin/containerd",
        "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3",
    );
    const C21: (&str, &str) = (
        "/usr/bin/containerd",
        "containerd github.com/containerd/containerd/v2 v2.1.1 cb10766",
    );
    const CFG: &str = "/etc/containerd/config.toml";
    const V2_WITH_PATH: &str = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n";

    fn status(checks: &[Check], id: &str) -> Option<Status> {
        checks.iter().find(|c| c.id == id).map(|c| c.status)
    }

    fn run_on(files: &[(&str, &str)], tools: &[(&str, &str)]) -> Vec<Check> {
        let (_d, n) = node(files, tools);
        run(&n, &LiveFacts::default())
    }

    #[test]
    fn hosts_toml_without_host_table_fails_on_1_6_not_on_2_x() {
        let files = [
            (CFG, V2_WITH_PATH),
            (
                "/etc/containerd/certs.d/docker.io/hosts.toml",
                "server = \"https://registry-1.docker.io\"\n",
            ),
        ];
        assert_eq!(
            status(&run_on(&files, &[C16]), "hosts.docker.io.host_table"),
            Some(Status::Fail)
        );
        assert_eq!(
            status(&run_on(&files, &[C21]), "hosts.docker.io.host_table"),
            None
        );
        assert_eq!(
            status(&run_on(&files, &[C21]), "hosts.docker.io.valid"),
            Some(Status::Ok)
        );
    }

    #[test]
    fn the_guides_mistakes_in_hosts_toml() {
        let bad = "server = \"https://docker.io\"\n[host.\"docker.unsee.tech\"]\n  capabilities = [\"pull\", \"mirror\"]\n[host.\"http://10.0.0.5:5000\"]\n  skip_verify = true\n[host.\"https://quay.m.daocloud.io\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n";
        let files = [
            (CFG, V2_WITH_PATH),
            ("/etc/containerd/certs.d/docker.io/hosts.toml", bad),
        ];
        let checks = run_on(&files, &[C16]);
        for (id, want) in [
            ("hosts.docker.io.server", Status::Fail),
            ("hosts.docker.io.scheme", Status::Warn),
            ("hosts.docker.io.capability", Status::Fail),
            ("hosts.docker.io.http_tls", Status::Warn),
            ("hosts.docker.io.push", Status::Warn),
        ] {
            assert_eq!(status(&checks, id), Some(want), "{id}");
        }
        let server = checks
            .iter()
            .find(|c| c.id == "hosts.docker.io.server")
            .unwrap();
        assert!(
            server
                .fix
                .as_deref()
                .unwrap()
                .contains("ctrwiz apply --mirror docker.io="),
            "{server:?}"
        );
        assert!(server.repair.is_some(), "fixable through plan/apply");
        // A file ctrwiz writes passes every check.
        let good = crate::containerd::hosts::HostsSpec::with_mirrors(
            RegistryName::parse("docker.io").unwrap(),
            vec![crate::endpoint::Endpoint::parse("https://docker.m.daocloud.io").unwrap()],
            "test",
        )
        .render();
        let checks = run_on(
            &[
                (CFG, V2_WITH_PATH),
                ("/etc/containerd/certs.d/docker.io/hosts.toml", &good),
            ],
            &[C16],
        );
        assert_eq!(status(&checks, "hosts.docker.io.valid"), Some(Status::Ok));
        assert!(checks
            .iter()
            .filter(|c| c.id.starts_with("hosts."))
            .all(|c| c.status == Status::Ok));
    }

    #[test]
    fn broken_hosts_file_and_wrong_directory_names() {
        let files = [
            (CFG, V2_WITH_PATH),
            (
                "/etc/containerd/certs.d/ghcr.io/hosts.toml",
                "[host.\"a\"]\n[host.\"a\"]\n",
            ),
            (
                "/etc/containerd/certs.d/index.docker.io/hosts.toml",
                "[host.\"https://m.example\"]\n",
            ),
        ];
        let checks = run_on(&files, &[C21]);
        assert_eq!(status(&checks, "hosts.ghcr.io.parses"), Some(Status::Fail));
        assert_eq!(
            status(&checks, "hosts.index.docker.io.dir_name"),
            Some(Status::Fail)
        );
    }

    #[test]
    fn config_path_checks() {
        let unset = run_on(
            &[
                (CFG, "version = 2\n"),
                ("/etc/containerd/certs.d/docker.io/hosts.toml", "[host]\n"),
            ],
            &[C16],
        );
        assert_eq!(status(&unset, "config_path.set"), Some(Status::Fail));
        assert_eq!(
            status(&run_on(&[(CFG, V2_WITH_PATH)], &[C16]), "config_path.set"),
            Some(Status::Ok)
        );

        let list = "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n";
        assert_eq!(
            status(&run_on(&[(CFG, list)], &[C21]), "config_path.list"),
            Some(Status::Fail)
        );
        assert_eq!(
            status(&run_on(&[(CFG, list)], &[C21]), "config_path.set"),
            None
        );

        let wrong = "version = 3\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n";
        assert_eq!(
            status(&run_on(&[(CFG, wrong)], &[C21]), "config_path.table"),
            Some(Status::Fail)
        );
        assert_eq!(
            status(&run_on(&[(CFG, V2_WITH_PATH)], &[C16]), "config_path.table"),
            None
        );
    }

    #[test]
    fn legacy_mirrors_next_to_config_path_kill_cri() {
        let both = format!("{V2_WITH_PATH}[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m.example\"]\n");
        let (_d, n) = node(&[(CFG, &both)], &[C16]);
        let live = LiveFacts {
            cri_failures: Some(vec!["io.containerd.grpc.v1.cri: error".into()]),
            ..Default::default()
        };
        let checks = run(&n, &live);
        let c = checks
            .iter()
            .find(|c| c.id == "legacy_mirrors.conflict")
            .unwrap();
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("confirmed"), "{c:?}");
        assert_eq!(status(&checks, "cri.loaded"), Some(Status::Fail));
        let only_legacy = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m.example\"]\n";
        let checks = run_on(&[(CFG, only_legacy)], &[C16]);
        assert_eq!(
            status(&checks, "legacy_mirrors.present"),
            Some(Status::Warn)
        );
        assert_eq!(status(&checks, "legacy_mirrors.conflict"), None);
    }

    #[test]
    fn config_version_against_the_binary() {
        let v3 = "version = 3\n";
        assert_eq!(
            status(&run_on(&[(CFG, v3)], &[C16]), "config.version"),
            Some(Status::Fail)
        );
        assert_eq!(
            status(&run_on(&[(CFG, v3)], &[C21]), "config.version"),
            Some(Status::Ok)
        );
        assert_eq!(
            status(&run_on(&[(CFG, "version = 4\n")], &[C21]), "config.version"),
            Some(Status::Fail)
        );
        assert_eq!(
            status(
                &run_on(&[(CFG, "oom_score = 0\n")], &[C16]),
                "config.version"
            ),
            Some(Status::Warn)
        );
        let broken = run_on(&[(CFG, "version = 2\n[plugins\n")], &[C16]);
        let c = broken.iter().find(|c| c.id == "config.parses").unwrap();
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("config.toml:2:"), "{c:?}");
        assert_eq!(
            status(
                &run_on(
                    &[(CFG, "disabled_plugins = [\"cri\"]\nversion = 2\n")],
                    &[C16]
                ),
                "cri.disabled"
            ),
            Some(Status::Fail)
        );
    }

    #[test]
    fn clients_runtime_and_cni() {
        let nerd = |v: &str| {
            run_on(
                &[(CFG, V2_WITH_PATH)],
                &[
                    C16,
                    ("/usr/local/bin/nerdctl", &format!("nerdctl version {v}")),
                ],
            )
        };
        assert_eq!(
            status(&nerd("2.0.1"), "clients.nerdctl"),
            Some(Status::Fail)
        );
        assert_eq!(status(&nerd("2.0.2"), "clients.nerdctl"), None);
        let bare = run_on(&[(CFG, V2_WITH_PATH)], &[C16]);
        assert_eq!(status(&bare, "runtime.runc"), Some(Status::Fail));
        assert_eq!(status(&bare, "cni.installed"), Some(Status::Warn));
        let debian = run_on(
            &[(CFG, V2_WITH_PATH)],
            &[
                C16,
                ("/usr/sbin/runc", "runc version 1.1.5+ds1"),
                ("/usr/lib/cni/bridge", "CNI bridge plugin version unknown"),
            ],
        );
        assert_eq!(status(&debian, "runtime.runc"), None);
        let cni = debian.iter().find(|c| c.id == "cni.bin_dir").unwrap();
        assert_eq!(cni.status, Status::Warn);
        assert!(
            cni.message.contains("/usr/lib/cni") && cni.message.contains("/opt/cni/bin"),
            "{cni:?}"
        );
        let fixed = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/usr/lib/cni\"\n";
        let ok = run_on(
            &[(CFG, fixed)],
            &[
                C16,
                ("/usr/lib/cni/bridge", "CNI bridge plugin version unknown"),
            ],
        );
        assert_eq!(status(&ok, "cni.bin_dir"), Some(Status::Ok));
    }

    #[test]
    fn the_demo_node_has_problems_and_apply_fixes_the_config_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = crate::demo::create(dir.path()).unwrap();
        let loc = Locations {
            root: root.clone(),
            ..Locations::default()
        };
        let before = run(&node::detect(&loc), &LiveFacts::default());
        assert_eq!(worst(&before), Status::Fail);
        assert_eq!(
            status(&before, "hosts.docker.io.server"),
            Some(Status::Fail)
        );
        assert_eq!(status(&before, "clients.nerdctl"), Some(Status::Fail));
        // Repair through the normal path: plan + apply the selection.
        let sel = before.iter().filter_map(|c| c.repair.clone()).fold(
            Selection::default(),
            |mut acc, s| {
                acc.mirrors.extend(s.mirrors);
                acc
            },
        );
        let catalog = crate::catalog::Catalog::builtin();
        let plan = crate::plan::make(&node::detect(&loc), &catalog, &sel).unwrap();
        let opts = crate::apply::ApplyOptions {
            root,
            state_dir: dir.path().join("state"),
            restart: crate::apply::RestartPolicy::Skip("test".into()),
            address: "/run/containerd/containerd.sock".into(),
            ctr: None,
            health_timeout: std::time::Duration::from_secs(1),
            docker_restart: None,
        };
        crate::apply::run(&plan, &opts, &mut |_| {}).unwrap();
        let after = run(&node::detect(&loc), &LiveFacts::default());
        for id in [
            "hosts.docker.io.server",
            "hosts.docker.io.scheme",
            "hosts.quay.io.push",
            "config_path.set",
            "legacy_mirrors.present",
        ] {
            assert!(
                matches!(status(&after, id), None | Some(Status::Ok)),
                "{id} still: {:?}",
                after.iter().find(|c| c.id == id)
            );
        }
        assert_eq!(status(&after, "config_path.set"), Some(Status::Ok));
    }
}
