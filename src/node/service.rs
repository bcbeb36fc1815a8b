//! The service manager and whether containerd answers on its socket.

use crate::root::Root;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceManager {
    Systemd,
    Openrc,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    pub manager: ServiceManager,
    /// containerd accepted a connection on `address`.
    pub running: bool,
    /// systemd unit directories exist (a drop-in can be written, also when
    /// preparing an image under --root).
    pub has_systemd_units: bool,
    pub address: PathBuf,
}

impl ServiceState {
    /// A systemd drop-in for containerd is read here: systemd runs, or the
    /// tree (an image under `--root`) has a unit dir.
    pub fn reads_drop_ins(&self) -> bool {
        self.manager == ServiceManager::Systemd || self.has_systemd_units
    }
}

pub fn detect(root: &Root, address: &Path) -> ServiceState {
    // systemd's own test for "booted with systemd" (sd_booted).
    let manager = if root.join("/run/systemd/system").is_dir() {
        ServiceManager::Systemd
    } else if root.join("/run/openrc").is_dir() {
        ServiceManager::Openrc
    } else {
        ServiceManager::None
    };
    // Any of systemd's unit dirs (systemd.unit(5)): an image that ships
    // containerd.service under /usr/lib reads a drop-in under /etc too.
    let has_systemd_units = manager == ServiceManager::Systemd
        || [
            "/etc/systemd/system",
            "/usr/lib/systemd/system",
            "/lib/systemd/system",
        ]
        .iter()
        .any(|d| root.join(d).is_dir());
    ServiceState {
        manager,
        running: socket_answers(&root.join(address)),
        has_systemd_units,
        address: address.to_path_buf(),
    }
}

pub fn socket_answers(path: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}

/// The node's non-loopback IP addresses (only for the live node).
pub fn addresses(root: &Root) -> Vec<String> {
    if !root.is_host() {
        return vec![];
    }
    let mut out = Vec::new();
    let mut ifap: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills a list we walk read-only and free once.
    unsafe {
        if libc::getifaddrs(&mut ifap) != 0 {
            return out;
        }
        let mut cur = ifap;
        while !cur.is_null() {
            let addr = (*cur).ifa_addr;
            if !addr.is_null() {
                let ip: Option<std::net::IpAddr> = match i32::from((*addr).sa_family) {
                    libc::AF_INET => {
                        let a = &*(addr as *const libc::sockaddr_in);
                        Some(std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).into())
                    }
                    libc::AF_INET6 => {
                        let a = &*(addr as *const libc::sockaddr_in6);
                        Some(std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).into())
                    }
                    _ => None,
                };
                if let Some(ip) = ip.filter(|ip| !ip.is_loopback() && !is_link_local(ip)) {
                    let s = ip.to_string();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
            cur = (*cur).ifa_next;
        }
        libc::freeifaddrs(ifap);
    }
    out
}

fn is_link_local(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_link_local(),
        std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// containerd's unit drop-in dirs, in systemd's order of precedence: a file
/// in an earlier dir masks one of the same name in a later dir
/// (systemd.unit(5), "drop-in"); the winners are read in file-name order.
const DROP_IN_DIRS: [&str; 4] = [
    "/etc/systemd/system/containerd.service.d",
    "/run/systemd/system/containerd.service.d",
    "/usr/lib/systemd/system/containerd.service.d",
    "/lib/systemd/system/containerd.service.d",
];

/// The drop-ins systemd gives containerd besides ctrwiz's own proxy one
/// (its name masks any other of that name), in the order it reads them.
pub fn other_drop_ins(root: &Root) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let ours = Path::new(crate::paths::PROXY_DROP_IN);
    let ours_name = ours.file_name().unwrap_or_default();
    let mut found: std::collections::BTreeMap<std::ffi::OsString, std::path::PathBuf> =
        Default::default();
    for dir in DROP_IN_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let is_conf = Path::new(&name).extension().is_some_and(|x| x == "conf");
            if is_conf && name != ours_name {
                found
                    .entry(name.clone())
                    .or_insert_with(|| Path::new(dir).join(&name));
            }
        }
    }
    found
        .into_values()
        .filter_map(|p| {
            let bytes = super::read::optional(root, &p, super::read::SMALL_LIMIT).ok()??;
            Some((p, bytes))
        })
        .collect()
}

/// ctrwiz's proxy drop-in and the others as text, in the order systemd
/// reads them (by file name).
pub fn ordered_drop_ins<'a>(
    ours: Option<&'a [u8]>,
    others: &'a [(std::path::PathBuf, Vec<u8>)],
) -> Vec<(&'a Path, String)> {
    let mut all: Vec<(&Path, String)> = others
        .iter()
        .map(|(p, b)| (p.as_path(), String::from_utf8_lossy(b).into_owned()))
        .collect();
    if let Some(b) = ours {
        all.push((
            Path::new(crate::paths::PROXY_DROP_IN),
            String::from_utf8_lossy(b).into_owned(),
        ));
    }
    all.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
    all
}

/// The proxy variables containerd's drop-ins give it (ctrwiz's and the
/// others, merged in systemd's order); `None`: none sets a proxy.
pub fn proxy_env_of(
    ours: Option<&[u8]>,
    others: &[(std::path::PathBuf, Vec<u8>)],
) -> Option<crate::containerd::proxy_env::ProxyEnv> {
    let files = ordered_drop_ins(ours, others);
    let env = crate::containerd::proxy_env::ProxyEnv::from_drop_ins(files.iter().map(|(_, t)| t));
    (env.http.is_some() || env.https.is_some()).then_some(env)
}

/// [`proxy_env_of`] the tree at `root`, read directly (the wizard's probes
/// start before detection ends).
pub fn containerd_proxy_env(root: &Root) -> Option<crate::containerd::proxy_env::ProxyEnv> {
    let ours = super::read::optional(
        root,
        Path::new(crate::paths::PROXY_DROP_IN),
        super::read::SMALL_LIMIT,
    )
    .ok()
    .flatten();
    proxy_env_of(ours.as_deref(), &other_drop_ins(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wizard's probes read containerd's proxy straight from the tree;
    /// detection's node says the same (one merge, systemd's order, a file in
    /// /etc masking one of that name under /usr/lib).
    #[test]
    fn the_proxy_read_straight_from_the_tree_is_detection_s() {
        let d = tempfile::tempdir().unwrap();
        let write = |p: &str, t: &str| {
            let p = d.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        };
        write(
            crate::paths::PROXY_DROP_IN,
            "[Service]\nEnvironment=\"HTTP_PROXY=http://ours:1\" \"HTTPS_PROXY=http://ours:1\"\n",
        );
        write(
            "/usr/lib/systemd/system/containerd.service.d/zz.conf",
            "[Service]\nEnvironment=HTTPS_PROXY=http://masked:2\n",
        );
        write(
            "/etc/systemd/system/containerd.service.d/zz.conf",
            "[Service]\nEnvironment=HTTPS_PROXY=http://late:3\n",
        );
        let root = Root::new(d.path());
        let env = containerd_proxy_env(&root).unwrap();
        assert_eq!(env.http.as_deref(), Some("http://ours:1"));
        assert_eq!(env.https.as_deref(), Some("http://late:3"));
        let node = crate::node::detect(&crate::node::Locations {
            root: Root::new(d.path()),
            ..Default::default()
        });
        assert_eq!(node.proxy_env(), Some(env));
        assert!(containerd_proxy_env(&Root::new(tempfile::tempdir().unwrap().path())).is_none());
    }
}
