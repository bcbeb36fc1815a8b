//! One probe over the network: TCP connect, `GET /v2/`, the manifest
//! `HEAD` with an anonymous token when challenged; how each failure is
//! classified; the proxy the environment gives a mirror.

use super::model::{
    manifest_url, result, v2_root, Candidate, Failure, ProbeOptions, ProbeResult, ProbeStatus,
};
use crate::endpoint::{Endpoint, Scheme};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

pub(super) fn probe_one(c: &Candidate, opts: &ProbeOptions) -> ProbeResult {
    let start = Instant::now();
    let deadline = start + opts.timeout;
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    let mut r = result(c, ProbeStatus::Unreachable, String::new());
    let proxy = match &opts.containerd_proxy {
        Some(env) => env.proxy_for(&c.endpoint).map(str::to_string),
        None => proxy_for(&c.endpoint),
    };
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
pub(super) fn proxy_from(ep: &Endpoint, env: impl Fn(&str) -> Option<String>) -> Option<String> {
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
