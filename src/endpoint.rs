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
        check_authority(authority).map_err(err)?;
        let path = normalise_path(path);
        if path.split('/').any(|seg| seg == "..") {
            return Err(err(crate::t!("errors.endpoint.dotdot")));
        }
        // `/v2/<project>` means the mirror wants the repository after its own
        // API path (NJU's google-containers, Harbor proxy projects): tell
        // containerd not to append another /v2 (docs/containerd-facts.md §7.5).
        let override_path = path.contains("/v2/");
        Ok(Endpoint {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path,
            override_path,
        })
    }

    /// A mirror URL a user gives (`--mirror`, a profile, the wizard's
    /// field): what `parse` reads, and not the mistakes ctrwiz itself
    /// warns about. Files already on the node are read with `parse`.
    pub fn parse_mirror(input: &str) -> Result<Self, EndpointError> {
        let err = |reason| EndpointError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s.eq_ignore_ascii_case("none") {
            return Err(err(crate::t!("errors.endpoint.none_in_list")));
        }
        let e = Endpoint::parse(s)?;
        // A bare word is a typo or a preset name, not a host: a mirror is
        // a URL (`notaurl` would otherwise become https://notaurl).
        let bare = !s.contains("://")
            && !e.authority.contains(['.', ':', '['])
            && e.path.is_empty()
            && e.authority != "localhost";
        if bare {
            return Err(err(crate::t!("errors.endpoint.bare_word")));
        }
        // https://docker.io/v2/ is an HTML redirect, not Docker Hub's
        // registry API (docs/containerd-facts.md §1.3, pitfall 7.7).
        if e.host() == "docker.io" {
            return Err(err(crate::t!("errors.endpoint.docker_io")));
        }
        Ok(e)
    }

    /// Mirror URLs tried in order (`--mirror R=A,B`, a profile's list, the
    /// wizard's field). `none` is a choice of its own, never a host.
    pub fn parse_list<S: AsRef<str>>(urls: &[S]) -> Result<Vec<Self>, EndpointError> {
        urls.iter()
            .map(|u| Endpoint::parse_mirror(u.as_ref()))
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
    check_authority(a).is_ok()
}

/// `host[:port]` (IPv6 in brackets), or why not: the port is named when
/// it is the part that is wrong.
pub fn check_authority(a: &str) -> Result<(), &'static str> {
    let host_err = || crate::t!("errors.endpoint.host");
    if let Some(rest) = a.strip_prefix('[') {
        let Some((ip, tail)) = rest.split_once(']') else {
            return Err(host_err());
        };
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(host_err());
        }
        return match tail {
            "" => Ok(()),
            t => check_port(t.strip_prefix(':').ok_or_else(host_err)?),
        };
    }
    let (host, port) = match a.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (a, None),
    };
    let host_ok = !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !host_ok {
        return Err(host_err());
    }
    port.map_or(Ok(()), check_port)
}

fn check_port(p: &str) -> Result<(), &'static str> {
    if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
        return Err(crate::t!("errors.endpoint.port_digits"));
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(()),
        _ => Err(crate::t!("errors.endpoint.port_range")),
    }
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
            ("https://host:99999", "port out of range"),
            ("https://host:0", "port out of range"),
            ("https://host:80a", "port"),
            ("https://host/../x", ".."),
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(e.reason.contains(why), "{bad}: {}", e.reason);
        }
    }

    /// One rule for every front end: `parse_list` is what `--mirror`, a
    /// profile and the wizard's field all call.
    #[test]
    fn user_mirrors_refuse_what_ctrwiz_itself_calls_wrong() {
        for (bad, why) in [
            ("https://docker.io", "registry-1.docker.io"),
            ("docker.io/", "registry-1.docker.io"),
            ("http://DOCKER.IO:443", "registry-1.docker.io"),
            ("notaurl", "https://"),
            ("none", "none"),
        ] {
            let e = Endpoint::parse_list(&[bad]).unwrap_err();
            assert!(e.reason.contains(why), "{bad}: {}", e.reason);
        }
        for good in [
            "https://registry-1.docker.io",
            "https://notaurl",
            "mirror.example",
            "localhost:5000",
            "10.0.0.5:5000",
            "https://[::1]:5000",
        ] {
            assert!(Endpoint::parse_list(&[good]).is_ok(), "{good}");
        }
        // Files on the node are still read as they are.
        assert!(Endpoint::parse("https://docker.io").is_ok());
    }
}
