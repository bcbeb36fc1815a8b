//! Which proxy containerd uses for a registry URL, given the environment
//! its systemd drop-in sets. containerd's resolver is Go's `net/http`, so
//! the rules are golang.org/x/net/http/httpproxy's (`FromEnvironment`,
//! `proxyForURL`, `useProxy`, `config.init`): `HTTPS_PROXY` for https URLs
//! and `HTTP_PROXY` for http ones, no fallback from one to the other and no
//! `ALL_PROXY`; the upper-case name first, then the lower-case one; never a
//! proxy for `localhost` or a loopback IP; a `NO_PROXY` entry is `*`, an IP
//! or CIDR (matching IP hosts), or a domain (`foo.com`, `.foo.com` and
//! `*.foo.com` all match `foo.com`'s subdomains; `foo.com` matches itself
//! too), any of them with `:port` to match only that port. ctrwiz's own
//! `probe` from the user's shell follows curl's habits (`probe::proxy_for`);
//! where a probe judges what containerd reaches (doctor, heal), it takes
//! this environment and these rules (`ProbeOptions::as_containerd`).

use crate::endpoint::{Endpoint, Scheme};
use std::net::IpAddr;

/// The proxy variables one unit's environment sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: String,
}

impl ProxyEnv {
    /// The variables drop-ins' `Environment=` lines set, the texts read in
    /// the order given (systemd.exec(5): space-separated assignments, each
    /// optionally double-quoted; a later assignment of a name wins, also
    /// across files; `%%` is a `%`).
    pub fn from_drop_ins<T: AsRef<str>>(texts: impl IntoIterator<Item = T>) -> ProxyEnv {
        let mut vars: Vec<(String, String)> = Vec::new();
        for text in texts {
            for (k, v) in assignments(text.as_ref()) {
                vars.retain(|(name, _)| *name != k);
                vars.push((k, v));
            }
        }
        let get = |names: [&str; 2]| {
            names.iter().find_map(|n| {
                vars.iter()
                    .find(|(k, v)| k == n && !v.is_empty())
                    .map(|(_, v)| v.clone())
            })
        };
        ProxyEnv {
            http: get(["HTTP_PROXY", "http_proxy"]),
            https: get(["HTTPS_PROXY", "https_proxy"]),
            no_proxy: get(["NO_PROXY", "no_proxy"]).unwrap_or_default(),
        }
    }

    /// The proxy as people are shown it: the https one (the http one when
    /// only that is set), its password redacted.
    pub fn shown_url(&self) -> String {
        let url = self
            .https
            .as_deref()
            .or(self.http.as_deref())
            .unwrap_or_default();
        crate::plan::redact_url_passwords(url)
    }

    /// The proxy containerd sends a request for `ep` through (`None`:
    /// straight to the host).
    pub fn proxy_for(&self, ep: &Endpoint) -> Option<&str> {
        let proxy = match ep.scheme {
            Scheme::Https => self.https.as_deref(),
            Scheme::Http => self.http.as_deref(),
        }?;
        let host = ep.host().to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
            return None;
        }
        let port = ep
            .authority
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .unwrap_or(match ep.scheme {
                Scheme::Https => 443,
                Scheme::Http => 80,
            });
        let bypass = self
            .no_proxy
            .split(',')
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .any(|e| matches(&e, &host, ip, port));
        (!bypass).then_some(proxy)
    }
}

/// One NO_PROXY entry against a host (and its IP, when it is one) and port.
fn matches(entry: &str, host: &str, ip: Option<IpAddr>, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    if let Some((net, bits)) = entry.split_once('/') {
        let (Ok(net), Ok(bits), Some(ip)) = (net.parse::<IpAddr>(), bits.parse::<u8>(), ip) else {
            return false;
        };
        return in_network(ip, net, bits);
    }
    // `host:port`, `[v6]:port`, or a bare host / IP (a bare v6 has colons).
    let (name, want_port) = match entry.parse::<IpAddr>() {
        Ok(_) => (entry, None),
        Err(_) => match entry.rsplit_once(':') {
            Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse::<u16>().ok()),
            _ => (entry, None),
        },
    };
    if want_port.is_some_and(|p| p != port) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(entry_ip) = name.parse::<IpAddr>() {
        return ip == Some(entry_ip);
    }
    let (suffix, or_itself) = match name.strip_prefix("*.") {
        Some(rest) => (rest, false),
        None => match name.strip_prefix('.') {
            Some(rest) => (rest, false),
            None => (name, true),
        },
    };
    (or_itself && host == suffix) || host.ends_with(&format!(".{suffix}"))
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// A host on the node's own network: a private, shared or link-local IP,
/// or a name that does not resolve on the internet (one label, or an
/// internal suffix). A proxy for the internet usually cannot reach it.
pub fn is_on_the_network(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => {
                v4.is_private()
                    || v4.is_link_local()
                    || in_network(ip, IpAddr::from([100, 64, 0, 0]), 10)
            }
            IpAddr::V6(_) => {
                in_network(ip, "fc00::".parse().expect("an address"), 7)
                    || in_network(ip, "fe80::".parse().expect("an address"), 10)
            }
        };
    }
    !host.contains('.')
        || [
            ".local",
            ".internal",
            ".lan",
            ".corp",
            ".home",
            ".svc",
            ".intranet",
        ]
        .iter()
        .any(|s| host.ends_with(s))
}

/// The names of the proxy variables a drop-in's text assigns.
pub fn proxy_vars_set(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, _) in assignments(text) {
        if PROXY_VARS.contains(&k.as_str()) && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `Environment=` assignments of a unit file's text, in order.
fn assignments(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("Environment=") else {
            continue;
        };
        for word in words(rest) {
            if let Some((k, v)) = word.split_once('=') {
                out.push((k.to_string(), v.replace("%%", "%")));
            }
        }
    }
    out
}

/// The words of an `Environment=` value: split on spaces, a double-quoted
/// word kept whole (its quotes removed, `\"` and `\\` unescaped).
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => word.extend(chars.next()),
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap()
    }

    #[test]
    fn the_drop_in_ctrwiz_writes_and_hand_written_ones_are_read_alike() {
        let ours = crate::extras::Proxy::from_flags("http://p%40ss@proxy:3128", None, None)
            .unwrap()
            .render(&["a.corp".into()])
            .unwrap();
        let env = ProxyEnv::from_drop_ins([&ours]);
        // systemd reads `%%` as `%`: the percent-encoding survives.
        assert_eq!(env.https.as_deref(), Some("http://p%40ss@proxy:3128"));
        assert_eq!(env.no_proxy, "a.corp");
        // Several assignments on one line, unquoted and quoted; the last
        // assignment of a name wins; lower-case names count too.
        let hand = "[Service]\nEnvironment=http_proxy=http://old:1 \"NO_PROXY=x,y\"\nEnvironment=\"HTTPS_PROXY=http://new:2\"\nEnvironment=\"HTTPS_PROXY=http://newer:3\"\n";
        let env = ProxyEnv::from_drop_ins([hand]);
        assert_eq!(env.http.as_deref(), Some("http://old:1"));
        assert_eq!(env.https.as_deref(), Some("http://newer:3"));
        assert_eq!(env.no_proxy, "x,y");
    }

    /// Go's httpproxy rules, one row per rule (proxy_test.go's shapes).
    #[test]
    fn proxy_for_follows_go_s_rules() {
        let env = |no_proxy: &str| ProxyEnv {
            http: Some("http://hp:1".into()),
            https: Some("http://sp:2".into()),
            no_proxy: no_proxy.into(),
        };
        #[rustfmt::skip]
        let table: &[(&str, &str, Option<&str>)] = &[
            ("", "https://harbor.corp", Some("http://sp:2")),
            ("", "http://harbor.corp", Some("http://hp:1")),
            ("", "https://localhost:5000", None),
            ("", "http://127.0.0.1:5000", None),
            ("", "http://[::1]:5000", None),
            ("*", "https://harbor.corp", None),
            ("harbor.corp", "https://harbor.corp", None),
            ("corp", "https://harbor.corp", None),
            (".corp", "https://harbor.corp", None),
            (".harbor.corp", "https://harbor.corp", Some("http://sp:2")),
            ("*.corp", "https://harbor.corp", None),
            ("arbor.corp", "https://harbor.corp", Some("http://sp:2")),
            ("harbor.corp:8443", "https://harbor.corp:8443", None),
            ("harbor.corp:8443", "https://harbor.corp", Some("http://sp:2")),
            ("harbor.corp:443", "https://harbor.corp", None),
            ("10.0.0.0/8", "https://10.1.2.3:5000", None),
            ("10.0.0.0/8", "https://harbor.corp", Some("http://sp:2")),
            ("192.168.1.5", "http://192.168.1.5:5000", None),
            ("fd00::/8", "https://[fd00::5]:5000", None),
            ("[fd00::5]:5000", "https://[fd00::5]:5000", None),
        ];
        for (no_proxy, url, want) in table {
            assert_eq!(env(no_proxy).proxy_for(&ep(url)), *want, "{no_proxy} {url}");
        }
        // No fallback from https to HTTP_PROXY.
        let only_http = ProxyEnv {
            http: Some("http://hp:1".into()),
            ..ProxyEnv::default()
        };
        assert_eq!(only_http.proxy_for(&ep("https://harbor.corp")), None);
    }

    #[test]
    fn hosts_on_the_network_are_told_apart_from_the_internet() {
        for h in [
            "10.0.0.5",
            "172.20.1.1",
            "192.168.0.9",
            "100.64.3.3",
            "fd00::1",
            "harbor",
            "harbor.corp",
            "registry.local",
            "r.svc",
        ] {
            assert!(is_on_the_network(h), "{h}");
        }
        for h in [
            "docker.m.daocloud.io",
            "8.8.8.8",
            "2001:db8::1",
            "registry.k8s.io",
        ] {
            assert!(!is_on_the_network(h), "{h}");
        }
    }
}
