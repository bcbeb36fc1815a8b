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

pub fn detect(root: &Root, address: &Path) -> ServiceState {
    // systemd's own test for "booted with systemd" (sd_booted).
    let manager = if root.join("/run/systemd/system").is_dir() {
        ServiceManager::Systemd
    } else if root.join("/run/openrc").is_dir() {
        ServiceManager::Openrc
    } else {
        ServiceManager::None
    };
    let has_systemd_units =
        manager == ServiceManager::Systemd || root.join("/etc/systemd/system").is_dir();
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
