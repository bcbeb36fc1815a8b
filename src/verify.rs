//! `ctrwiz verify`: pull a small image and say which host served it — the
//! guides' "pull with --debug and look for the mirror" step, automated.
//!
//! `ctr --debug images pull --hosts-dir …` goes through the same hosts.toml
//! resolution as the CRI plugin and logs `msg=resolved … host="…"` and one
//! `fetch response received … host="…"` line per fetched object. On 2.x
//! ctr pulls through the daemon's transfer service and logs none of that,
//! so there it pulls with `--local` and resolves itself, from the same
//! files (checked on 2.1.9: the registry log and ctr's lines agree).

use crate::containerd::hosts;
use crate::node::{NodeState, ToolName};
use crate::registry::RegistryName;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

pub const DEFAULT_IMAGE: &str = "docker.io/library/busybox:latest";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub image: String,
    pub registry: String,
    pub pulled: bool,
    /// The host that resolved the tag.
    pub resolved_by: Option<String>,
    /// Hosts that answered 200 for manifests and blobs.
    pub fetched_from: Vec<String>,
    /// The hosts.toml's mirrors for this registry (authorities).
    pub mirrors: Vec<String>,
    pub served_by_mirror: bool,
    /// Hosts that answered with an error, with the status (`host: 404 Not
    /// Found`), so a failed pull says what the mirror said.
    pub refused_by: Vec<String>,
    /// The CRI pull (kubelet's path): `Ok(image ref)` or the error;
    /// `None` when the CRI plugin is not loaded.
    pub cri: Option<Result<String, String>>,
    pub message: String,
}

impl PullReport {
    /// A pull that worked, through a mirror when one is configured.
    pub fn ok(&self) -> bool {
        self.pulled
            && (self.served_by_mirror || self.mirrors.is_empty())
            && !matches!(self.cri, Some(Err(_)))
    }
}

/// `busybox` → (`docker.io`, `docker.io/library/busybox:latest`).
pub fn normalise(image: &str) -> (String, String) {
    let (first, rest) = image.split_once('/').unwrap_or(("", image));
    let (registry, path) = if !first.is_empty()
        && (first.contains('.') || first.contains(':') || first == "localhost")
    {
        (first.to_string(), rest.to_string())
    } else if first.is_empty() {
        ("docker.io".to_string(), format!("library/{rest}"))
    } else {
        ("docker.io".to_string(), image.to_string())
    };
    let last = path.rsplit('/').next().unwrap_or("");
    let path = if last.contains(':') || last.contains('@') {
        path
    } else {
        format!("{path}:latest")
    };
    (registry.clone(), format!("{registry}/{path}"))
}

/// The resolving host and the hosts that served content, from ctr's log.
pub fn parse_ctr_debug(log: &str) -> (Option<String>, Vec<String>) {
    let host = |line: &str| {
        line.split("host=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
    };
    let resolved = log
        .lines()
        .filter(|l| l.contains("msg=resolved"))
        .find_map(host);
    let mut fetched: Vec<String> = Vec::new();
    for l in log
        .lines()
        // i18n: ctr's log message
        .filter(|l| l.contains("fetch response received") && l.contains("response.status=\"200"))
    {
        if let Some(h) = host(l).filter(|h| !fetched.contains(h)) {
            fetched.push(h);
        }
    }
    (resolved, fetched)
}

/// Hosts that answered with an error status, from ctr's log: containerd's
/// resolver logs every response as "fetch response received" with
/// `response.status` (remotes/docker/resolver.go).
pub fn parse_ctr_refusals(log: &str) -> Vec<String> {
    let field = |line: &str, name: &str| {
        line.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
    };
    let mut out: Vec<String> = Vec::new();
    let received = "fetch response received"; // i18n: ctr's log message
    for l in log.lines().filter(|l| l.contains(received)) {
        let (Some(host), Some(status)) = (field(l, "host"), field(l, "response.status")) else {
            continue;
        };
        // 2xx, and the 401 that asks for a token first, are not refusals.
        if status.starts_with('2') || status.starts_with("401") {
            continue;
        }
        let entry = format!("{host}: {status}");
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// Pulls `image` through CRI when its plugin is up (what kubelet does),
/// then with `ctr --debug --hosts-dir` to see which host answers.
pub fn run(
    node: &NodeState,
    socket: &Path,
    cri_loaded: bool,
    image: &str,
    timeout: Duration,
) -> PullReport {
    let (registry, full) = normalise(image);
    let mirrors = configured_mirrors(node, &registry);
    let mut report = PullReport {
        image: full.clone(),
        registry: registry.clone(),
        pulled: false,
        resolved_by: None,
        fetched_from: vec![],
        mirrors,
        served_by_mirror: false,
        refused_by: vec![],
        cri: None,
        message: String::new(),
    };
    if cri_loaded {
        report.cri = Some(crate::cri::pull_image(socket, &full, timeout));
    }
    let Some(ctr) = node.tool(ToolName::Ctr).and_then(|t| t.path.clone()) else {
        report.message = crate::t!("verify.pull.no_ctr").into();
        return report;
    };
    // A client decision: ctr 2.x pulls through the transfer service, ctr
    // 1.x always resolves itself (and has no --local), whatever the daemon.
    let ctr_version = node.tool(ToolName::Ctr).and_then(|t| t.version);
    let ctr = crate::ctr::Ctr::new(ctr, socket);
    let done = ctr.pull(
        &node.hosts_dir.path,
        &full,
        ctr_version.or(node.containerd_version()),
        timeout,
    );
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            report.message = crate::t!("verify.pull.ctr_failed", error = e);
            return report;
        }
    };
    let (resolved, fetched) = parse_ctr_debug(&done.stderr);
    report.pulled = done.success();
    report.served_by_mirror = resolved
        .as_ref()
        .is_some_and(|h| report.mirrors.contains(h));
    report.resolved_by = resolved;
    report.fetched_from = fetched;
    report.refused_by = parse_ctr_refusals(&done.stderr);
    let cri_note = match &report.cri {
        Some(Ok(r)) => crate::t!("verify.pull.cri_ok", image = r),
        Some(Err(e)) => crate::t!("verify.pull.cri_failed", error = e),
        None => crate::t!("verify.pull.cri_not_loaded").into(),
    };
    let host = report.resolved_by.as_deref().unwrap_or("?");
    report.message = if !report.pulled {
        let why = done
            .stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("ctr:"))
            .unwrap_or("")
            .to_string();
        if done.timed_out {
            crate::t!("verify.pull.timed_out", seconds = timeout.as_secs())
        } else {
            crate::t!("verify.pull.failed", reason = why)
        }
    } else if report.served_by_mirror {
        crate::t!("verify.pull.by_mirror", image = full, host = host)
    } else if report.mirrors.is_empty() {
        let (i, h, r) = (&full, host, &registry);
        crate::t!("verify.pull.no_mirror", image = i, host = h, registry = r)
    } else {
        let mirrors = report.mirrors.join(", ");
        crate::i18n::format(
            crate::t!("verify.pull.fell_back"),
            &[
                ("image", &full),
                ("host", &host),
                ("mirrors", &mirrors),
                ("registry", &registry),
            ],
        )
    };
    if !report.refused_by.is_empty() && !report.served_by_mirror {
        let answers = report.refused_by.join(", ");
        report
            .message
            .push_str(&crate::t!("verify.answers.refused", answers = answers));
    }
    report.message.push_str(&cri_note);
    report
}

fn configured_mirrors(node: &NodeState, registry: &str) -> Vec<String> {
    let Ok(name) = RegistryName::parse(registry) else {
        return vec![];
    };
    let Some(Some(text)) = node.hosts_dir.files.get(&name.dir_name()) else {
        return vec![];
    };
    let Ok(parsed) = hosts::parse(Path::new("hosts.toml"), text) else {
        return vec![];
    };
    let upstream = name
        .upstream_url()
        .and_then(|u| crate::endpoint::Endpoint::parse(&u).ok())
        .map(|e| e.authority)
        .unwrap_or_default();
    // `server` is a mirror too when it is not the registry itself.
    parsed
        .hosts
        .iter()
        .map(|h| h.url.as_str())
        .chain(parsed.server.as_deref())
        .filter_map(|u| crate::endpoint::Endpoint::parse(u).ok())
        .map(|e| e.authority)
        .filter(|a| *a != upstream && a != registry)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_are_normalised_like_containerd() {
        assert_eq!(
            normalise("busybox"),
            (
                "docker.io".into(),
                "docker.io/library/busybox:latest".into()
            )
        );
        assert_eq!(
            normalise("rancher/pause:3.6"),
            ("docker.io".into(), "docker.io/rancher/pause:3.6".into())
        );
        assert_eq!(
            normalise("registry.k8s.io/pause:3.10"),
            (
                "registry.k8s.io".into(),
                "registry.k8s.io/pause:3.10".into()
            )
        );
        assert_eq!(
            normalise("127.0.0.1:5000/x/y"),
            ("127.0.0.1:5000".into(), "127.0.0.1:5000/x/y:latest".into())
        );
    }

    #[test]
    fn a_mirror_that_answers_404_is_named_with_its_status() {
        let log = r#"time="2026-11-22T15:17:18Z" level=debug msg="fetch response received" host="mirror.example" response.status="404 Not Found" url="https://mirror.example/v2/library/busybox/manifests/latest?ns=docker.io"
time="2026-11-22T15:17:18Z" level=debug msg="fetch response received" host="registry-1.docker.io" response.status="401 Unauthorized"
time="2026-11-22T15:17:19Z" level=debug msg="fetch response received" host="registry-1.docker.io" response.status="200 OK"
"#;
        assert_eq!(parse_ctr_refusals(log), ["mirror.example: 404 Not Found"]);
    }

    #[test]
    fn reads_the_serving_host_from_ctr_debug_output() {
        let log = r#"time="2026-11-22T15:17:18Z" level=debug msg=resolving host="127.0.0.1:5999"
time="2026-11-22T15:17:18Z" level=debug msg="fetch response received" host="127.0.0.1:5999" response.status="200 OK" url="http://127.0.0.1:5999/v2/library/hello/manifests/1?ns=docker.io"
time="2026-11-22T15:17:18Z" level=debug msg=resolved desc.digest="sha256:fe" host="127.0.0.1:5999"
time="2026-11-22T15:17:18Z" level=debug msg="fetch response received" digest="sha256:a3" response.status="200 OK" host="127.0.0.1:5999"
"#;
        let (resolved, fetched) = parse_ctr_debug(log);
        assert_eq!(resolved.as_deref(), Some("127.0.0.1:5999"));
        assert_eq!(fetched, vec!["127.0.0.1:5999"]);
        assert_eq!(parse_ctr_debug("nothing"), (None, vec![]));
    }
}
