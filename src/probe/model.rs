//! What a probe is about and what it found: the candidates, the statuses
//! and failure kinds, the recommendation, the URLs containerd would ask.
//! Pure; the doctor, heal and the wizard read these without the network.

use crate::catalog::Catalog;
use crate::endpoint::{Endpoint, Scheme};
use crate::registry::RegistryName;
use crate::selection::{Selection, Target};
use serde::Serialize;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub registry: RegistryName,
    pub endpoint: Endpoint,
    /// The preset it comes from, `upstream`, or `custom`.
    pub source: String,
    /// `repo:tag` to HEAD, from the catalog.
    pub probe_image: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeStatus {
    Ok,
    Slow,
    Denied,
    Unreachable,
    TlsError,
    HttpError,
}

impl ProbeStatus {
    pub fn works(self) -> bool {
        matches!(self, ProbeStatus::Ok | ProbeStatus::Slow)
    }

    /// The status as people read it: the same word in the CLI's table, the
    /// wizard's lists and anywhere else a status is shown.
    pub fn label(self) -> &'static str {
        match self {
            ProbeStatus::Ok => crate::t!("probe.status.ok"),
            ProbeStatus::Slow => crate::t!("probe.status.slow"),
            ProbeStatus::Denied => crate::t!("probe.status.denied"),
            ProbeStatus::Unreachable => crate::t!("probe.status.unreachable"),
            ProbeStatus::TlsError => crate::t!("probe.status.tls_error"),
            ProbeStatus::HttpError => crate::t!("probe.status.http_error"),
        }
    }
}

/// Why a mirror failed, finer than its status: what `ctrwiz heal` writes
/// next to a parked mirror and reports per registry. Each kind costs a pull
/// differently (a refused connection fails over at once, a blackholed one
/// after the dial timeout, one that never answers stops the pull).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// 401/403: an allowlist, an IP range, or credentials needed.
    Denied,
    /// 429.
    RateLimited,
    /// Nothing listens (RST).
    Refused,
    /// No TCP handshake in time (a firewall dropping SYNs).
    ConnectTimeout,
    /// Connected, then no HTTP answer in time.
    NoAnswer,
    TlsError,
    /// Answers, but not as a registry.
    HttpError,
    /// The name does not resolve.
    NoAddress,
}

impl Failure {
    /// The stable name (JSON, and the comment next to a parked mirror).
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Denied => "denied",
            Failure::RateLimited => "rate_limited",
            Failure::Refused => "refused",
            Failure::ConnectTimeout => "connect_timeout",
            Failure::NoAnswer => "no_answer",
            Failure::TlsError => "tls_error",
            Failure::HttpError => "http_error",
            Failure::NoAddress => "no_address",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub registry: String,
    pub url: String,
    pub source: String,
    pub status: ProbeStatus,
    /// Time of `GET /v2/` (connect and TLS included).
    pub latency_ms: Option<u64>,
    /// TCP connect time, when measured directly (not through a proxy).
    pub connect_ms: Option<u64>,
    pub v2_status: Option<u16>,
    pub manifest_status: Option<u16>,
    /// Why it failed (`None` when it works).
    pub failure: Option<Failure>,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct ProbeOptions {
    pub timeout: Duration,
    /// Working mirrors slower than this are `slow`.
    pub slow_after: Duration,
    pub max_parallel: usize,
    /// The proxy environment containerd's drop-ins give it, for a probe
    /// that judges what containerd reaches (doctor, heal): then mirrors
    /// are reached as containerd reaches them, by Go's rules. `None`: this
    /// process's own environment (`ctrwiz probe` from the user's shell).
    pub containerd_proxy: Option<crate::containerd::proxy_env::ProxyEnv>,
}

impl ProbeOptions {
    pub fn new(timeout: Duration) -> Self {
        ProbeOptions {
            timeout,
            slow_after: timeout / 2,
            max_parallel: 64,
            containerd_proxy: None,
        }
    }

    /// Mirrors reached as containerd on `node` reaches them: through the
    /// proxy its drop-ins set, if any.
    pub fn as_containerd(mut self, node: &crate::node::NodeState) -> Self {
        self.containerd_proxy = node.proxy_env();
        self
    }
}

/// The mirrors to probe: those a selection names, else every catalog
/// mirror of `registries` (all catalog registries when empty), plus the
/// registry itself as a baseline. Placeholder URLs (`<id>`) are skipped.
pub fn candidates(
    catalog: &Catalog,
    registries: &[RegistryName],
    selection: Option<&Selection>,
) -> crate::error::Result<Vec<Candidate>> {
    let image = |r: &RegistryName| catalog.registry(r).and_then(|i| i.probe_image.clone());
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |c: Candidate| {
        if !out
            .iter()
            .any(|o| o.registry == c.registry && o.endpoint.url() == c.endpoint.url())
        {
            out.push(c);
        }
    };
    if let Some(sel) = selection.filter(|s| !s.is_empty()) {
        for target in sel.resolve(catalog)? {
            let Target::Write(spec) = target else {
                continue;
            };
            for h in spec.hosts {
                let source = spec.origin.trim_start_matches("preset ").to_string();
                push(Candidate {
                    registry: spec.registry.clone(),
                    endpoint: h.endpoint,
                    source,
                    probe_image: image(&spec.registry),
                });
            }
        }
        return Ok(out);
    }
    let regs: Vec<RegistryName> = if registries.is_empty() {
        catalog.registries.iter().map(|r| r.name.clone()).collect()
    } else {
        registries.to_vec()
    };
    for r in &regs {
        for preset in catalog.presets_for(r).filter(|p| !p.needs_id()) {
            for url in preset.mirrors_for(r).unwrap_or_default() {
                if let Ok(endpoint) = Endpoint::parse(url) {
                    push(Candidate {
                        registry: r.clone(),
                        endpoint,
                        source: preset.id.clone(),
                        probe_image: image(r),
                    });
                }
            }
        }
        if let Some(Ok(endpoint)) = r.upstream_url().map(|u| Endpoint::parse(&u)) {
            push(Candidate {
                registry: r.clone(),
                endpoint,
                source: "upstream".into(),
                probe_image: image(r),
            });
        }
    }
    Ok(out)
}

/// `probe`'s exit status: 1 when no mirror answered (only upstream did,
/// or nothing), 0 when one works or only upstream was asked for.
pub fn exit_code(results: &[ProbeResult]) -> i32 {
    let mirrors: Vec<_> = results.iter().filter(|r| r.source != "upstream").collect();
    let works = if mirrors.is_empty() {
        results.iter().any(|r| r.status.works())
    } else {
        mirrors.iter().any(|r| r.status.works())
    };
    i32::from(!works)
}

/// `probe --no-probe`: the candidates that would be measured, unmeasured.
pub fn print_unmeasured(cands: &[Candidate]) {
    use std::io::Write as _;
    // A closed pipe (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", crate::t!("guide.cli.not_probed"));
    for c in cands {
        let (r, u, s) = (c.registry.as_str(), c.endpoint.url(), &c.source);
        let _ = writeln!(out, "{r:<24} {u:<52} {s}");
    }
}

/// The fastest working mirror of each registry (the registry itself only
/// when no mirror works), in first-seen registry order.
pub fn recommend(results: &[ProbeResult]) -> Vec<(String, Option<&ProbeResult>)> {
    let mut regs: Vec<&str> = Vec::new();
    for r in results {
        if !regs.contains(&r.registry.as_str()) {
            regs.push(&r.registry);
        }
    }
    regs.into_iter()
        .map(|reg| {
            let best = results
                .iter()
                .filter(|r| r.registry == reg && r.status.works())
                .min_by_key(|r| {
                    (
                        r.source == "upstream",
                        r.status,
                        r.latency_ms.unwrap_or(u64::MAX),
                    )
                });
            (reg.to_string(), best)
        })
        .collect()
}

/// A result with only a status and why (no timings yet).
pub(super) fn result(c: &Candidate, status: ProbeStatus, detail: String) -> ProbeResult {
    ProbeResult {
        registry: c.registry.to_string(),
        url: c.endpoint.url(),
        source: c.source.clone(),
        status,
        latency_ms: None,
        connect_ms: None,
        v2_status: None,
        manifest_status: None,
        failure: None,
        detail,
    }
}

/// The registry API root: `/v2/` after a prefix, or the `/v2` already in an
/// override_path URL (`https://gcr.nju.edu.cn/v2/google-containers` → `/v2/`).
pub fn v2_root(ep: &Endpoint) -> String {
    let base = format!("{}://{}", scheme(ep), ep.authority);
    if ep.override_path {
        if let Some(i) = ep.path.find("/v2") {
            return format!("{base}{}/", &ep.path[..i + 3]);
        }
        return format!("{base}{}/", ep.path);
    }
    format!("{base}{}/v2/", ep.path)
}

/// The URL containerd would request for a manifest (docs/containerd-facts.md §1.3).
pub fn manifest_url(ep: &Endpoint, registry: &RegistryName, repo: &str, tag: &str) -> String {
    let api = if ep.override_path {
        ep.url()
    } else {
        format!("{}/v2", ep.url())
    };
    format!("{api}/{repo}/manifests/{tag}?ns={registry}")
}

pub(super) fn scheme(ep: &Endpoint) -> &'static str {
    match ep.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    }
}

/// A result as a test states it: where, what status, how fast; no HTTP
/// codes, failure kind or detail unless the test sets them.
#[cfg(test)]
impl ProbeResult {
    pub(crate) fn measured(
        registry: &str,
        url: &str,
        source: &str,
        status: ProbeStatus,
        latency_ms: Option<u64>,
    ) -> ProbeResult {
        ProbeResult {
            registry: registry.into(),
            url: url.into(),
            source: source.into(),
            status,
            latency_ms,
            connect_ms: None,
            v2_status: None,
            manifest_status: None,
            failure: None,
            detail: String::new(),
        }
    }
}
