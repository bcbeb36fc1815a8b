//! containerd's proxy: the URL and NO_PROXY as asked for (a flag, a
//! profile, the wizard), checked for the systemd unit they go into, and the
//! drop-in that gives containerd (and only containerd) that environment.

use crate::error::Result;

/// The seed's NO_PROXY list: loopback, the private ranges, cluster names.
pub const DEFAULT_NO_PROXY: &[&str] = &[
    "localhost",
    "127.0.0.1",
    "::1",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    ".svc",
    ".cluster.local",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proxy {
    Set {
        url: String,
        no_proxy: NoProxy,
    },
    /// `--proxy none`: remove the drop-in.
    Remove,
}

/// What NO_PROXY holds. The default is made on the node it is planned for
/// ([`Proxy::no_proxy_on`]), so one profile gives every node of a fleet
/// its own addresses and cluster ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoProxy {
    /// `--no-proxy`, the profile's `no_proxy`, a list typed after the
    /// wizard's URL: exactly these entries.
    Exactly(Vec<String>),
    /// The seed's list, the node's own addresses, the service and pod
    /// ranges the node reveals (`cluster::cidrs`), and `cluster`: ranges
    /// given for a cluster the node does not reveal yet (`--cluster-cidr`,
    /// the profile's `cluster_cidrs`, the wizard's question).
    Default { cluster: Vec<String> },
}

/// Which half of a proxy setting a value was given for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyPart {
    Url,
    NoProxy,
    Cluster,
}

impl Proxy {
    /// A proxy URL (or `none`, any case), a NO_PROXY list (default: see
    /// [`NoProxy::Default`]) and cluster ranges to add to the default.
    /// Every value is checked for the systemd unit it goes into; the error
    /// says which part is bad and why, and the caller names where the
    /// value came from.
    pub fn parse(
        url: &str,
        no_proxy: Option<&[String]>,
        cluster: &[String],
    ) -> std::result::Result<Proxy, (ProxyPart, String)> {
        let cluster: Vec<String> = cluster
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if url.trim().eq_ignore_ascii_case("none") {
            if no_proxy.is_some_and(|l| !l.is_empty()) {
                return Err((
                    ProxyPart::NoProxy,
                    crate::t!("common.proxy.no_proxy_with_none").into(),
                ));
            }
            if !cluster.is_empty() {
                return Err((
                    ProxyPart::Cluster,
                    crate::t!("common.proxy.no_proxy_with_none").into(),
                ));
            }
            return Ok(Proxy::Remove);
        }
        let url = proxy_url(url).map_err(|e| (ProxyPart::Url, e))?;
        for c in &cluster {
            if !crate::cluster::is_cidr(c) {
                let why = crate::t!("common.proxy.cluster_cidr", entry = format!("{c:?}"));
                return Err((ProxyPart::Cluster, why));
            }
        }
        let no_proxy = match no_proxy {
            Some(_) if !cluster.is_empty() => {
                let why = crate::t!("common.proxy.cluster_with_list");
                return Err((ProxyPart::Cluster, why.into()));
            }
            Some(list) => {
                let mut out = Vec::new();
                for entry in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    no_proxy_entry(entry).map_err(|e| (ProxyPart::NoProxy, e))?;
                    out.push(entry.to_string());
                }
                NoProxy::Exactly(out)
            }
            None => NoProxy::Default { cluster },
        };
        Ok(Proxy::Set { url, no_proxy })
    }

    /// `--proxy URL|none` with `--no-proxy LIST` and `--cluster-cidr LIST`
    /// (comma-separated).
    pub fn from_flags(url: &str, no_proxy: Option<&str>, cluster: Option<&str>) -> Result<Proxy> {
        let split =
            |l: &str| -> Vec<String> { l.split(',').map(|s| s.trim().to_string()).collect() };
        let list: Option<Vec<String>> = no_proxy.map(split);
        let cluster = cluster.map(split).unwrap_or_default();
        Proxy::parse(url, list.as_deref(), &cluster).map_err(|(part, why)| {
            crate::error::Origin::Flag(match part {
                ProxyPart::Url => "--proxy",
                ProxyPart::NoProxy => "--no-proxy",
                ProxyPart::Cluster => "--cluster-cidr",
            })
            .error(why)
        })
    }

    /// The NO_PROXY list this proxy gets on `node` (empty for `Remove`).
    pub fn no_proxy_on(&self, node: &crate::node::NodeState) -> Vec<String> {
        match self {
            Proxy::Remove => vec![],
            Proxy::Set {
                no_proxy: NoProxy::Exactly(list),
                ..
            } => list.clone(),
            Proxy::Set {
                no_proxy: NoProxy::Default { cluster },
                ..
            } => {
                let mut v: Vec<String> = DEFAULT_NO_PROXY.iter().map(|s| s.to_string()).collect();
                let found = node.addresses.iter().chain(&node.cluster_cidrs);
                for a in found.chain(cluster) {
                    // What the node reports is checked like typed input.
                    if !v.contains(a) && no_proxy_entry(a).is_ok() {
                        v.push(a.clone());
                    }
                }
                v
            }
        }
    }

    /// The drop-in's text with this NO_PROXY list (the plan's is
    /// [`Proxy::no_proxy_on`] the node; `None`: no drop-in). Values were
    /// validated by [`Proxy::parse`]; `%` is still doubled, since systemd
    /// expands specifiers like `%h` inside `Environment=` (systemd.unit(5),
    /// "Specifiers").
    pub fn render(&self, no_proxy: &[String]) -> Option<String> {
        let Proxy::Set { url, .. } = self else {
            return None;
        };
        let url = systemd_escape(url);
        Some(format!(
            // i18n: file content
            "# Managed by ctrwiz: a proxy for containerd only (image pulls), not for the whole node.\n\
             # Changing it needs `systemctl daemon-reload` and a containerd restart; ctrwiz does both.\n\
             [Service]\n\
             Environment=\"HTTP_PROXY={url}\"\n\
             Environment=\"HTTPS_PROXY={url}\"\n\
             Environment=\"NO_PROXY={}\"\n",
            systemd_escape(&no_proxy.join(","))
        ))
    }
}

/// A proxy URL as Go's `http.ProxyFromEnvironment` reads it: `http`,
/// `https`, `socks5` or `socks5h`; a URL without a scheme is taken as
/// `http://` (golang.org/x/net/http/httpproxy `parseProxy` prepends it), so
/// ctrwiz writes that out. Anything that a double-quoted systemd value cannot
/// hold verbatim (quotes, backslashes, spaces, control characters, a line
/// break) is refused rather than escaped: a URL never needs them.
pub fn proxy_url(input: &str) -> std::result::Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(crate::t!("common.proxy.empty").into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | '\''))
    {
        return Err(crate::t!("common.proxy.character", char = format!("{c:?}")));
    }
    let (scheme, rest) = match s.split_once("://") {
        Some((sch, rest)) => (sch.to_ascii_lowercase(), rest),
        None => ("http".to_string(), s),
    };
    if !matches!(scheme.as_str(), "http" | "https" | "socks5" | "socks5h") {
        return Err(crate::t!("common.proxy.scheme", scheme = scheme));
    }
    let rest = rest.trim_end_matches('/');
    if rest.contains(['/', '?', '#']) {
        return Err(crate::t!("common.proxy.path").into());
    }
    // user:password@ is allowed (proxies take credentials this way).
    let authority = rest.rsplit_once('@').map_or(rest, |(_, a)| a);
    if authority.is_empty() || !crate::endpoint::valid_authority(authority) {
        return Err(crate::t!("common.proxy.host").into());
    }
    Ok(format!("{scheme}://{rest}"))
}

/// One NO_PROXY entry as Go's httpproxy matches them: `*`, an IP, a CIDR, a
/// host or a domain suffix (`.svc`, `*.corp`), optionally with `:port`.
pub fn no_proxy_entry(entry: &str) -> std::result::Result<(), String> {
    let ok = !entry.is_empty()
        && entry.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']' | '/' | '*')
        });
    if ok {
        Ok(())
    } else {
        Err(crate::t!(
            "common.proxy.no_proxy_entry",
            entry = format!("{entry:?}")
        ))
    }
}

/// A value inside a double-quoted systemd assignment: `\` and `"` escaped
/// (never present after validation, escaped all the same), `%` doubled.
fn systemd_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '%' => out.push_str("%%"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_drop_in_has_the_seeds_no_proxy_and_node_addresses() {
        let p = Proxy::from_flags("proxy.corp:3128", None, None).unwrap();
        let mut node = crate::node::NodeState::fixture().build();
        node.addresses = vec!["192.0.2.10".into()];
        let text = p.render(&p.no_proxy_on(&node)).unwrap();
        // Go reads a scheme-less proxy as http:// (httpproxy.parseProxy), so
        // that is what the drop-in says (it used to say https://: wrong).
        assert!(
            text.contains("Environment=\"HTTPS_PROXY=http://proxy.corp:3128\""),
            "{text}"
        );
        assert!(text.contains("NO_PROXY=localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,.svc,.cluster.local,192.0.2.10"), "{text}");
        assert_eq!(
            Proxy::from_flags("none", None, None).unwrap(),
            Proxy::Remove
        );
        assert!(Proxy::from_flags("ftp://x", None, None).is_err());
        assert_eq!(
            Proxy::from_flags("NONE", None, None).unwrap(),
            Proxy::Remove
        );
    }

    #[test]
    fn proxy_values_cannot_inject_into_the_unit() {
        let inject = "x\"\nExecStartPre=/bin/sh -c id\n#";
        let e = Proxy::from_flags("http://p:3128", Some(inject), None).unwrap_err();
        assert!(e.to_string().starts_with("--no-proxy: "), "{e}");
        let e = Proxy::from_flags(&format!("http://p:3128/{inject}"), None, None).unwrap_err();
        assert!(e.to_string().starts_with("--proxy: "), "{e}");
        for bad in [
            "http://p\"x:1",
            "http://a b",
            "http://p:3128\\",
            "http://p/x",
            "http://",
        ] {
            assert!(Proxy::from_flags(bad, None, None).is_err(), "{bad}");
        }
        // Percent-encoded credentials survive systemd's specifier expansion.
        let p = Proxy::from_flags("http://u:p%40ss@proxy:3128", Some("a.corp,.svc"), None).unwrap();
        let text = p
            .render(&p.no_proxy_on(&crate::node::NodeState::fixture().build()))
            .unwrap();
        assert!(
            text.contains("HTTP_PROXY=http://u:p%%40ss@proxy:3128\""),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| !l.starts_with('#')).count(),
            4,
            "{text}"
        );
        assert!(text
            .lines()
            .all(|l| l.starts_with('#') || l == "[Service]" || l.starts_with("Environment=\"")));
        assert!(Proxy::from_flags("socks5://p:1080", None, None).is_ok());
        assert!(Proxy::from_flags("none", Some("a"), None).is_err());
    }
}
