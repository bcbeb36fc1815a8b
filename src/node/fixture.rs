//! A `NodeState` built in code for unit tests of the pure core: no
//! filesystem, no processes. `NodeState::fixture().containerd("1.7.24")
//! .config(text).hosts("docker.io", text).build()`.

use super::daemon::{Containerd, VersionSource};
use super::files::{ConfigState, HostsDirState};
use super::service::{ServiceManager, ServiceState};
use super::tools::{Tool, ToolName};
use super::NodeState;
use crate::version::Version;
use std::path::PathBuf;

pub struct Fixture(NodeState);

impl NodeState {
    /// A node with nothing on it: no containerd, no config.toml, an empty
    /// hosts dir at the default place, no service manager.
    pub fn fixture() -> Fixture {
        let hosts = PathBuf::from(super::DEFAULT_HOSTS_DIR);
        Fixture(NodeState {
            tools: vec![],
            containerd: Containerd::default(),
            cni_dir: None,
            containerd_config: ConfigState {
                path: PathBuf::from(crate::containerd::config::DEFAULT_PATH),
                ..ConfigState::default()
            },
            hosts_dir: HostsDirState {
                path: hosts.clone(),
                config_value: hosts,
                ..HostsDirState::default()
            },
            service: ServiceState {
                manager: ServiceManager::None,
                running: false,
                has_systemd_units: false,
                address: PathBuf::from(super::DEFAULT_ADDRESS),
            },
            addresses: vec![],
            cluster_cidrs: vec![],
            missing_files: vec![],
            owner: None,
            heal_schedule: Default::default(),
            docker_daemon_json: None,
            proxy_drop_in: None,
            other_drop_ins: vec![],
            crictl_yaml: None,
            registry_files: Default::default(),
            unreadable: Default::default(),
            nerdctl_path: crate::paths::NERDCTL_TOML.into(),
            nerdctl_toml: None,
        })
    }
}

impl Fixture {
    /// containerd `version` is installed and answers on the socket.
    pub fn containerd(mut self, version: &str) -> Fixture {
        let v = Version::parse(version).expect("a version");
        let bin = PathBuf::from("/usr/bin/containerd");
        self.0.tools.push(Tool {
            name: ToolName::Containerd,
            path: Some(bin.clone()),
            version: Some(v),
            raw: None,
            timed_out: false,
        });
        self.0.containerd = Containerd {
            version: Some(v),
            source: Some(VersionSource::Socket),
            raw: Some(version.into()),
            binary: Some(bin),
            binary_version: Some(v),
        };
        self.0.service.running = true;
        self
    }

    /// config.toml holds `text`.
    pub fn config(mut self, text: &str) -> Fixture {
        let c = &mut self.0.containerd_config;
        c.exists = true;
        c.text = Some(text.into());
        self
    }

    /// `containerd config default` prints `text`.
    pub fn default_config(mut self, text: &str) -> Fixture {
        self.0.containerd_config.default_text = Some(text.into());
        self
    }

    /// config.toml imports `path`, which holds `text`.
    pub fn import(mut self, path: &str, text: &str) -> Fixture {
        let c = &mut self.0.containerd_config;
        c.imported.push((PathBuf::from(path), text.into()));
        self
    }

    /// `<hosts dir>/<dir>/hosts.toml` holds `text`.
    pub fn hosts(mut self, dir: &str, text: &str) -> Fixture {
        let h = &mut self.0.hosts_dir;
        h.exists = true;
        h.registries.push(dir.into());
        h.files.insert(dir.into(), Some(text.into()));
        h.bytes.insert(dir.into(), text.as_bytes().to_vec());
        self
    }

    /// systemd runs the node (drop-ins can be written).
    pub fn systemd(mut self) -> Fixture {
        self.0.service.manager = ServiceManager::Systemd;
        self.0.service.has_systemd_units = true;
        self
    }

    /// Docker's daemon.json holds `text`.
    pub fn docker_json(mut self, text: &str) -> Fixture {
        self.0.docker_daemon_json = Some(text.as_bytes().to_vec());
        self
    }

    pub fn build(self) -> NodeState {
        self.0
    }
}
