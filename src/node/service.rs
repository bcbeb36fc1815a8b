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
    ServiceState {
        manager,
        running: socket_answers(&root.join(address)),
        address: address.to_path_buf(),
    }
}

pub fn socket_answers(path: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}
