//! `ctrwiz probe`: measure mirrors instead of trusting the catalog.
//!
//! Per mirror, at most one request of each kind: `GET /v2/` (200, or 401
//! with a `WWW-Authenticate` challenge, means a registry answers), then a
//! `HEAD` of a small manifest (with an anonymous token when challenged) to
//! catch allowlist mirrors that answer 403. Never a blob.
//!
//! All mirrors are probed at once on worker threads; the collector stops
//! waiting at one global deadline, so a hung DNS lookup or connection can
//! never stretch the whole probe past the timeout.

use crate::catalog::Catalog;
use crate::endpoint::{Endpoint, Scheme};
use crate::registry::RegistryName;
use crate::selection::{Selection, Target};
use serde::Serialize;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

#[derive(Clone, Copy, Debug)]
pub struct ProbeOptions {
    pub timeout: Duration,
    /// Working mirrors slower than this are `slow`.
    pub slow_after: Duration,
    pub max_parallel: usize,
}

impl ProbeOptions {
    pub fn new(timeout: Duration) -> Self {
        ProbeOptions {
            timeout,
            slow_after: timeout / 2,
            max_parallel: 64,
        }
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

/// Starts the probes; results arrive on the channel as they finish, and
/// every candidate gets exactly one result by `timeout` (+ a small grace).
pub fn spawn(candidates: Vec<Candidate>, opts: ProbeOptions) -> mpsc::Receiver<ProbeResult> {
    let (out_tx, out_rx) = mpsc::channel();
    // Worker threads write details in the caller's language.
    crate::i18n::spawn(move || {
        let deadline = Instant::now() + opts.timeout + Duration::from_millis(100);
        let (tx, rx) = mpsc::channel::<(usize, ProbeResult)>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(
            (0..candidates.len()).collect::<Vec<_>>(),
        ));
        let shared = std::sync::Arc::new(candidates.clone());
        for _ in 0..opts.max_parallel.clamp(1, candidates.len().max(1)) {
            let (tx, queue, shared) = (tx.clone(), queue.clone(), shared.clone());
            crate::i18n::spawn(move || {
                // The lock is released at the end of this statement, before
                // the probe (a `while let` would hold it for the whole body).
                let next = || queue.lock().ok().and_then(|mut q| q.pop());
                while let Some(i) = next() {
                    let _ = tx.send((i, probe_one(&shared[i], &opts)));
                }
            });
        }
        drop(tx);
        let mut done = vec![false; candidates.len()];
        while done.iter().any(|d| !d) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((i, r)) => {
                    done[i] = true;
                    let _ = out_tx.send(r);
                }
                Err(_) => break,
            }
        }
        for (i, c) in candidates.iter().enumerate().filter(|(i, _)| !done[*i]) {
            let _ = i;
            let ms = opts.timeout.as_millis();
            let detail = crate::t!("probe.detail.no_answer", ms = ms);
            let mut r = result(c, ProbeStatus::Unreachable, detail);
            r.failure = Some(Failure::NoAnswer);
            let _ = out_tx.send(r);
        }
    });
    out_rx
}

/// Probes everything and returns the results in candidate order.
pub fn run(candidates: Vec<Candidate>, opts: ProbeOptions) -> Vec<ProbeResult> {
    let order: Vec<(String, String)> = candidates
        .iter()
        .map(|c| (c.registry.to_string(), c.endpoint.url()))
        .collect();
    let mut results: Vec<ProbeResult> = spawn(candidates, opts).iter().collect();
    results.sort_by_key(|r| order.iter().position(|o| o.0 == r.registry && o.1 == r.url));
    results
}

/// The fastest working mirror of each registry (the registry itself only
/// when no mirror works), in first-seen registry order.
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

fn result(c: &Candidate, status: ProbeStatus, detail: String) -> ProbeResult {
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

fn probe_one(c: &Candidate, opts: &ProbeOptions) -> ProbeResult {
    let start = Instant::now();
    let deadline = start + opts.timeout;
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    let mut r = result(c, ProbeStatus::Unreachable, String::new());
    let proxy = proxy_for(&c.endpoint);
    let mut builder = ureq::AgentBuilder::new()
        .user_agent(concat!("ctrwiz/", env!("CARGO_PKG_VERSION")))
        .redirects(5);
    match &proxy {
        Some(p) => match ureq::Proxy::new(p) {
            Ok(p) => builder = builder.proxy(p),
            Err(e) => {
                let p = format!("{p:?}");
                r.detail = crate::t!("probe.detail.bad_proxy", proxy = p, error = e);
                return r;
            }
        },
        None => match connect_time(&c.endpoint, left()) {
            Ok(t) => r.connect_ms = Some(t.as_millis() as u64),
            Err((failure, e)) => {
                r.detail = e;
                r.failure = Some(failure);
                return r;
            }
        },
    }
    let agent = builder.build();

    // 1. GET /v2/
    let t = Instant::now();
    let v2 = agent.get(&v2_root(&c.endpoint)).timeout(left()).call();
    r.latency_ms = Some(t.elapsed().as_millis() as u64);
    let (status, challenge) = match v2 {
        Ok(resp) => (resp.status(), None),
        Err(ureq::Error::Status(code, resp)) => {
            (code, resp.header("www-authenticate").map(str::to_string))
        }
        Err(ureq::Error::Transport(e)) => {
            r.latency_ms = None;
            (r.status, r.detail) = classify_transport(&e);
            r.failure = Some(transport_failure(&r, &e));
            return r;
        }
    };
    r.v2_status = Some(status);
    match status {
        200 => {}
        401 if challenge.is_some() => {}
        403 => return finish(r, ProbeStatus::Denied, crate::t!("probe.detail.denied_v2")),
        code => {
            let detail = crate::t!("probe.detail.not_registry", code = code);
            return finish(r, ProbeStatus::HttpError, &detail);
        }
    }

    // 2. HEAD a small manifest, with an anonymous token when challenged.
    let Some(image) = &c.probe_image else {
        let detail = crate::t!("probe.detail.no_probe_image");
        return finish_alive(r, start, opts, detail);
    };
    let (repo, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    let url = manifest_url(&c.endpoint, &c.registry, repo, tag);
    let head = |auth: Option<&str>| {
        let mut req = agent
            .head(&url)
            .timeout(left())
            .set("Accept", MANIFEST_TYPES);
        if let Some(a) = auth {
            req = req.set("Authorization", a);
        }
        match req.call() {
            Ok(resp) => Ok((resp.status(), None)),
            Err(ureq::Error::Status(code, resp)) => {
                Ok((code, resp.header("www-authenticate").map(str::to_string)))
            }
            Err(ureq::Error::Transport(e)) => Err(Box::new(e)),
        }
    };
    let mut answer = head(None);
    if let Ok((401, Some(ch))) = &answer {
        if let Some(token) = anonymous_token(&agent, ch, repo, left()) {
            answer = head(Some(&format!("Bearer {token}")));
        }
    }
    match answer {
        Err(e) => {
            (r.status, r.detail) = classify_transport(&e);
            r.failure = Some(transport_failure(&r, &e));
            r
        }
        Ok((code, _)) => {
            r.manifest_status = Some(code);
            match code {
                200 => {
                    let detail = crate::t!("probe.detail.serves", image = image);
                    finish_alive(r, start, opts, &detail)
                }
                401 | 403 => {
                    let detail = crate::t!("probe.detail.denied", code = code, image = image);
                    finish(r, ProbeStatus::Denied, &detail)
                }
                429 => finish(
                    r,
                    ProbeStatus::HttpError,
                    crate::t!("probe.detail.rate_limited"),
                ),
                code => {
                    let detail = crate::t!("probe.detail.head_status", image = image, code = code);
                    finish(r, ProbeStatus::HttpError, &detail)
                }
            }
        }
    }
}

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

fn finish(mut r: ProbeResult, status: ProbeStatus, detail: &str) -> ProbeResult {
    r.failure = match status {
        ProbeStatus::Ok | ProbeStatus::Slow => None,
        ProbeStatus::Denied => Some(Failure::Denied),
        ProbeStatus::TlsError => Some(Failure::TlsError),
        ProbeStatus::Unreachable => Some(Failure::NoAnswer),
        ProbeStatus::HttpError if r.manifest_status == Some(429) => Some(Failure::RateLimited),
        ProbeStatus::HttpError => Some(Failure::HttpError),
    };
    r.status = status;
    r.detail = detail.to_string();
    r
}

fn finish_alive(r: ProbeResult, start: Instant, opts: &ProbeOptions, detail: &str) -> ProbeResult {
    let status = if start.elapsed() > opts.slow_after {
        ProbeStatus::Slow
    } else {
        ProbeStatus::Ok
    };
    finish(r, status, detail)
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

fn scheme(ep: &Endpoint) -> &'static str {
    match ep.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    }
}

fn connect_time(ep: &Endpoint, timeout: Duration) -> Result<Duration, (Failure, String)> {
    let port = if ep.authority.ends_with(']') || !ep.authority.contains(':') {
        match ep.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    } else {
        ep.authority
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(443)
    };
    let addr = (ep.host(), port)
        .to_socket_addrs()
        .map_err(|e| {
            let why = crate::t!("probe.detail.cannot_resolve", host = ep.host(), error = e);
            (Failure::NoAddress, why)
        })?
        .next()
        .ok_or_else(|| {
            let why = crate::t!("probe.detail.no_address", host = ep.host());
            (Failure::NoAddress, why)
        })?;
    let t = Instant::now();
    TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        let failure = match e.kind() {
            std::io::ErrorKind::ConnectionRefused => Failure::Refused,
            _ => Failure::ConnectTimeout,
        };
        let why = crate::t!("probe.detail.cannot_connect", addr = addr, error = e);
        (failure, why)
    })?;
    Ok(t.elapsed())
}

fn classify_transport(e: &ureq::Transport) -> (ProbeStatus, String) {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    // ureq wraps rustls' errors in its connection errors; their text is
    // the only stable signal across versions.
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        (ProbeStatus::TlsError, text)
    } else {
        (ProbeStatus::Unreachable, text)
    }
}

/// A transport error after the TCP connect (or through a proxy, where the
/// connect is not measured).
fn transport_failure(r: &ProbeResult, e: &ureq::Transport) -> Failure {
    if r.status == ProbeStatus::TlsError {
        return Failure::TlsError;
    }
    match e.kind() {
        ureq::ErrorKind::Dns => Failure::NoAddress,
        ureq::ErrorKind::ConnectionFailed if r.connect_ms.is_none() => {
            let refused = std::error::Error::source(e)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
            if refused {
                Failure::Refused
            } else {
                Failure::ConnectTimeout
            }
        }
        _ => Failure::NoAnswer,
    }
}

/// Docker's token flow for an anonymous pull token (`Bearer realm=…`).
fn anonymous_token(
    agent: &ureq::Agent,
    challenge: &str,
    repo: &str,
    timeout: Duration,
) -> Option<String> {
    let rest = challenge
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| challenge.trim().strip_prefix("bearer "))?;
    let param = |name: &str| {
        rest.split(',').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.trim_matches('"').to_string())
        })
    };
    let realm = param("realm")?;
    let mut req = agent.get(&realm).timeout(timeout).query(
        "scope",
        &param("scope").unwrap_or(format!("repository:{repo}:pull")),
    );
    if let Some(service) = param("service") {
        req = req.query("service", &service);
    }
    let text = req.call().ok()?.into_string().ok()?;
    let body: serde_json::Value = serde_json::from_str(&text).ok()?;
    body.get("token")
        .or_else(|| body.get("access_token"))?
        .as_str()
        .map(str::to_string)
}

/// HTTPS_PROXY / HTTP_PROXY / ALL_PROXY for the mirror, unless NO_PROXY
/// matches it (exact host, `.suffix`/`suffix` domain, or `*`).
pub fn proxy_for(ep: &Endpoint) -> Option<String> {
    proxy_from(ep, |name| std::env::var(name).ok())
}

/// `proxy_for` with the environment given as a lookup (testable).
fn proxy_from(ep: &Endpoint, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
    };
    let proxy = match ep.scheme {
        Scheme::Https => var(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]),
        Scheme::Http => var(&["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]),
    }?;
    let no_proxy = var(&["no_proxy", "NO_PROXY"]).unwrap_or_default();
    let host = ep.host().to_ascii_lowercase();
    let ip = host.parse::<std::net::IpAddr>().ok();
    let bypass = no_proxy
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            // CIDR entries (10.0.0.0/8, fd00::/8) match IP hosts.
            if let (Some((net, bits)), Some(ip)) = (entry.split_once('/'), ip) {
                return in_cidr(ip, net, bits);
            }
            let name = match entry.parse::<std::net::IpAddr>() {
                Ok(_) => entry.as_str(),
                // host:port entries match the host.
                Err(_) => entry.rsplit_once(':').map_or(entry.as_str(), |(h, _)| h),
            };
            let name = name.trim_start_matches('.');
            host == name || host.ends_with(&format!(".{name}"))
        });
    (!bypass).then_some(proxy)
}

fn in_cidr(ip: std::net::IpAddr, net: &str, bits: &str) -> bool {
    use std::net::IpAddr;
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
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

#[cfg(test)]
mod tests;
