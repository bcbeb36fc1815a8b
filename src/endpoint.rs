//! Mirror URLs as a user, a preset or a legacy `endpoint = [...]` gives them,
//! normalised the way k3s does before they reach a hosts.toml: an explicit
//! scheme, no trailing slash, and `override_path` when the URL already
//! carries the registry API path (`…/v2/<project>`).

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// `host[:port]`, IPv6 in brackets.
    pub authority: String,
    /// Empty, or `/something` with no trailing slash.
    pub path: String,
    /// containerd uses the path verbatim instead of appending `/v2`.
    pub override_path: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = format!("{:?}", self.input);
        f.write_str(&crate::t!(
            "errors.endpoint.invalid",
            input = input,
            reason = self.reason
        ))
    }
}

impl std::error::Error for EndpointError {}

impl Endpoint {
    /// Parses a mirror URL. A missing scheme means https (containerd does
    /// the same, but writing it out avoids its `http…` host-name trap).
    pub fn parse(input: &str) -> Result<Self, EndpointError> {
        let err = |reason| EndpointError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err(crate::t!("errors.endpoint.empty")));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err(crate::t!("errors.endpoint.spaces")));
        }
        if s.contains('<') || s.contains('>') {
            return Err(err(crate::t!("errors.endpoint.placeholder")));
        }
        let (scheme, rest) = match s.split_once("://") {
            Some((sch, rest)) => match sch.to_ascii_lowercase().as_str() {
                "https" => (Scheme::Https, rest),
                "http" => (Scheme::Http, rest),
                _ => return Err(err(crate::t!("errors.endpoint.scheme"))),
            },
            None => (Scheme::Https, s),
        };
        if rest.contains(['?', '#']) {
            return Err(err(crate::t!("errors.endpoint.query")));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(err(crate::t!("errors.endpoint.credentials")));
        }
        if authority.is_empty() {
            return Err(err(crate::t!("errors.endpoint.no_host")));
        }
        if !valid_authority(authority) {
            return Err(err(crate::t!("errors.endpoint.host")));
        }
        let path = normalise_path(path);
        if path.split('/').any(|seg| seg == "..") {
            return Err(err(crate::t!("errors.endpoint.dotdot")));
        }
        // `/v2/<project>` means the mirror wants the repository after its own
        // API path (NJU's google-containers, Harbor proxy projects): tell
        // containerd not to append another /v2 (containerd-facts.md §7.5).
        let override_path = path.contains("/v2/");
        Ok(Endpoint {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path,
            override_path,
        })
    }

    /// Mirror URLs tried in order (`--mirror R=A,B`, a profile's list, the
    /// wizard's field). `none` is a choice of its own, never a host.
    pub fn parse_list<S: AsRef<str>>(urls: &[S]) -> Result<Vec<Self>, EndpointError> {
        urls.iter()
            .map(|u| {
                let u = u.as_ref();
                if u.trim().eq_ignore_ascii_case("none") {
                    return Err(EndpointError {
                        input: u.to_string(),
                        reason: crate::t!("errors.endpoint.none_in_list"),
                    });
                }
                Endpoint::parse(u)
            })
            .collect()
    }

    /// Host part without the port, for display and matching.
    pub fn host(&self) -> &str {
        if self.authority.starts_with('[') {
            return self
                .authority
                .split(']')
                .next()
                .map(|h| &h[1..])
                .unwrap_or(&self.authority);
        }
        self.authority
            .rsplit_once(':')
            .map_or(&self.authority, |(h, _)| h)
    }

    pub fn url(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}{}", self.authority, self.path)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

fn normalise_path(path: &str) -> String {
    let mut p = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        p.push('/');
        p.push_str(seg);
    }
    p
}

pub fn valid_authority(a: &str) -> bool {
    if let Some(rest) = a.strip_prefix('[') {
        let Some((ip, tail)) = rest.split_once(']') else {
            return false;
        };
        return ip.parse::<std::net::Ipv6Addr>().is_ok()
            && (tail.is_empty() || valid_port(tail.strip_prefix(':')));
    }
    let (host, port) = match a.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (a, None),
    };
    if port.is_some() && !valid_port(port) {
        return false;
    }
    !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn valid_port(p: Option<&str>) -> bool {
    p.is_some_and(|p| p.parse::<u16>().is_ok_and(|n| n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_scheme_and_slashes() {
        let e = Endpoint::parse("docker.m.daocloud.io/").unwrap();
        assert_eq!(e.url(), "https://docker.m.daocloud.io");
        assert!(!e.override_path);
        let e = Endpoint::parse("HTTP://127.0.0.1:5000").unwrap();
        assert_eq!(e.url(), "http://127.0.0.1:5000");
        assert_eq!(e.host(), "127.0.0.1");
        assert_eq!(Endpoint::parse("https://[::1]:5000").unwrap().host(), "::1");
    }

    #[test]
    fn project_after_v2_sets_override_path() {
        let e = Endpoint::parse("https://gcr.nju.edu.cn/v2/google-containers/").unwrap();
        assert_eq!(e.url(), "https://gcr.nju.edu.cn/v2/google-containers");
        assert!(e.override_path);
        // A plain prefix gets /v2 appended by containerd: no override.
        let e = Endpoint::parse("https://mirror.example/dockerhub-proxy").unwrap();
        assert!(!e.override_path);
    }

    #[test]
    fn rejects_bad_urls_with_a_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("https://", "no host"),
            ("ftp://mirror.example", "only http"),
            ("https://mir ror.example", "spaces"),
            ("https://user:pw@mirror.example", "credentials"),
            ("https://mirror.example/?x=1", "query"),
            ("https://<id>.mirror.aliyuncs.com", "placeholder"),
            ("https://a..b", "host"),
            ("https://host:99999", "host"),
            ("https://host/../x", ".."),
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(e.reason.contains(why), "{bad}: {}", e.reason);
        }
    }
}
