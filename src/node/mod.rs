//! Reading a node: tools and versions, containerd's config.toml, the hosts
//! dir, the service manager. Never writes anything.

pub mod daemon;
pub mod files;
#[cfg(test)]
pub mod fixture;
pub mod owner;
pub mod read;
pub mod service;
pub mod tools;

pub use files::{ConfigState, HostsDirState};
pub use service::{ServiceManager, ServiceState};
pub use tools::{Tool, ToolName};

use crate::root::Root;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_HOSTS_DIR: &str = "/etc/containerd/certs.d";
pub const DEFAULT_ADDRESS: &str = "/run/containerd/containerd.sock";

/// Where to look; node paths, resolved through `root`.
#[derive(Clone, Debug)]
pub struct Locations {
    pub root: Root,
    pub config: PathBuf,
    /// `--hosts-dir`; otherwise config.toml's `config_path` or the default.
    pub hosts_dir: Option<PathBuf>,
    /// What `config_path` must say, when containerd sees the hosts dir at
    /// another path (rootless: bind-mounted on /etc/containerd).
    pub config_path_value: Option<PathBuf>,
    pub address: PathBuf,
    /// nerdctl's config file (rootless: under the user's config dir).
    pub nerdctl_toml: PathBuf,
    pub probe_timeout: Duration,
}

impl Default for Locations {
    fn default() -> Self {
        Locations {
            root: Root::default(),
            config: PathBuf::from(crate::containerd::config::DEFAULT_PATH),
            hosts_dir: None,
            config_path_value: None,
            address: PathBuf::from(DEFAULT_ADDRESS),
            nerdctl_toml: PathBuf::from(crate::paths::NERDCTL_TOML),
            probe_timeout: Duration::from_secs(3),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeState {
    pub tools: Vec<Tool>,
    /// The containerd this node runs: the daemon on the socket first.
    pub containerd: daemon::Containerd,
    /// The directory the CNI plugins were found in.
    pub cni_dir: Option<PathBuf>,
    pub containerd_config: ConfigState,
    pub hosts_dir: HostsDirState,
    pub service: ServiceState,
    /// The node's own IP addresses (for NO_PROXY).
    pub addresses: Vec<String>,
    /// The cluster's service and pod ranges, where kubeadm or kubelet
    /// config reveals them (for NO_PROXY; read from `--root` trees too).
    pub cluster_cidrs: Vec<String>,
    /// `ca`/`client` files hosts.toml files name that do not exist.
    pub missing_files: Vec<files::MissingFile>,
    /// Another tool that owns containerd's files here (k3s, RKE2,
    /// kubespray, Talos, Bottlerocket): ctrwiz's edits would be overwritten.
    pub owner: Option<owner::Owner>,
    /// Docker's daemon.json, when present (bytes: compared and backed up
    /// exactly; parsed as UTF-8 JSON only when it is to change).
    #[serde(skip)]
    pub docker_daemon_json: Option<Vec<u8>>,
    /// containerd's proxy drop-in, when present.
    #[serde(skip)]
    pub proxy_drop_in: Option<Vec<u8>>,
    /// containerd's other unit drop-ins (a proxy set by hand under another
    /// name), in the order systemd reads them.
    #[serde(skip)]
    pub other_drop_ins: Vec<(PathBuf, Vec<u8>)>,
    /// `/etc/crictl.yaml`, when present.
    #[serde(skip)]
    pub crictl_yaml: Option<Vec<u8>>,
    /// CA and client files next to hosts.toml files (node path → bytes).
    #[serde(skip)]
    pub registry_files: std::collections::BTreeMap<PathBuf, Vec<u8>>,
    /// The `ctrwiz heal` timer's files as they are (node path → bytes):
    /// the service and timer, or the cron.d file.
    #[serde(skip)]
    pub heal_schedule: std::collections::BTreeMap<PathBuf, Vec<u8>>,
    /// Files that exist but could not be read (node path → why): a FIFO,
    /// a device, too large. Planning never replaces one of them.
    #[serde(skip)]
    pub unreadable: std::collections::BTreeMap<PathBuf, String>,
    /// nerdctl's config file (`Locations::nerdctl_toml`) and its bytes,
    /// when present.
    #[serde(skip)]
    pub nerdctl_path: PathBuf,
    #[serde(skip)]
    pub nerdctl_toml: Option<Vec<u8>>,
}

impl NodeState {
    /// The proxy variables containerd's drop-ins give it, all of them in
    /// systemd's order (`None`: none sets a proxy).
    pub fn proxy_env(&self) -> Option<crate::containerd::proxy_env::ProxyEnv> {
        service::proxy_env_of(self.proxy_drop_in.as_deref(), &self.other_drop_ins)
    }

    /// The drop-ins systemd reads after ctrwiz's proxy one that set proxy
    /// variables, with them: their values, not ctrwiz's, are containerd's.
    pub fn proxy_overrides(&self) -> Vec<(PathBuf, Vec<String>)> {
        let ours = Path::new(crate::paths::PROXY_DROP_IN).file_name();
        self.other_drop_ins
            .iter()
            .filter(|(p, _)| p.file_name() > ours)
            .filter_map(|(p, b)| {
                let vars =
                    crate::containerd::proxy_env::proxy_vars_set(&String::from_utf8_lossy(b));
                (!vars.is_empty()).then(|| (p.clone(), vars))
            })
            .collect()
    }

    /// Every drop-in of containerd's unit as text, ctrwiz's proxy one among
    /// them, in the order systemd reads them (by file name).
    pub fn drop_ins(&self) -> Vec<(&Path, String)> {
        service::ordered_drop_ins(self.proxy_drop_in.as_deref(), &self.other_drop_ins)
    }

    pub fn tool(&self, name: ToolName) -> Option<&Tool> {
        self.tools
            .iter()
            .find(|t| t.name == name && t.path.is_some())
    }

    /// Where the CRI plugin looks for CNI plugins: what config.toml says,
    /// else what the daemon's binary defaults to (`config default`), else
    /// upstream's default.
    pub fn cni_bin_dirs(&self) -> Vec<String> {
        let parse = |t: &str| {
            crate::containerd::config::ContainerdConfig::parse(Path::new("config.toml"), t).ok()
        };
        let from = |t: &Option<String>| {
            t.as_deref()
                .and_then(parse)
                .map(|c| c.cni_bin_dirs())
                .unwrap_or_default()
        };
        let mut dirs = from(&self.containerd_config.text);
        if dirs.is_empty() {
            dirs = from(&self.containerd_config.default_text);
        }
        if dirs.is_empty() {
            dirs.push("/opt/cni/bin".into());
        }
        dirs
    }

    /// Whether containerd looks for CNI plugins in `dir`: the rule doctor's
    /// check, the plan's `--cni-bin-dir` and the wizard's row share.
    pub fn cni_looks_in(&self, dir: &Path) -> bool {
        self.cni_bin_dirs().iter().any(|d| Path::new(d) == dir)
    }

    /// The one version every version-dependent decision reads: the
    /// daemon's on the socket, else the service's binary, else PATH's.
    pub fn containerd_version(&self) -> Option<crate::version::Version> {
        self.containerd.version
    }
}

/// Everything at once; tools are probed in parallel while files are read.
pub fn detect(loc: &Locations) -> NodeState {
    let rx = tools::spawn_probes(&loc.root, loc.probe_timeout);
    assemble(loc, rx.iter().collect())
}

/// The node from tool probes already done (the wizard shows each probe as
/// it arrives, then assembles the rest).
pub fn assemble(loc: &Locations, mut found: Vec<Tool>) -> NodeState {
    let owner = owner::detect(&loc.root, &loc.config);
    let mut service = service::detect(&loc.root, &loc.address);
    // k3s/RKE2 run their own containerd: whether it runs is asked of their
    // socket (unless --address named another).
    if let (false, Some(_)) = (
        service.running || loc.address != Path::new(DEFAULT_ADDRESS),
        owner.as_ref().filter(|o| o.kind.has_registries_yaml()),
    ) {
        let theirs = service::detect(&loc.root, Path::new(owner::RANCHER_SOCKET));
        if theirs.running {
            service = theirs;
        }
    }
    found.sort_by_key(|t| t.name);
    let containerd = daemon::identify(&loc.root, &loc.address, &found, loc.probe_timeout);
    // Only the daemon's own binary speaks for its defaults.
    let binary = containerd
        .binary_matches()
        .then(|| containerd.binary.clone())
        .flatten();
    let config = files::read_config(loc, binary.as_deref(), containerd.version);
    let hosts_dir = files::read_hosts_dir(loc, &config);
    // Node path (without the --root prefix): compared with containerd's bin_dir.
    let cni_dir = found
        .iter()
        .find(|t| t.name == ToolName::CniPlugins)
        .and_then(|t| t.path.as_ref())
        .and_then(|p| p.parent())
        .map(|p| Path::new("/").join(p.strip_prefix(loc.root.dir()).unwrap_or(p)));
    let mut unreadable = std::collections::BTreeMap::new();
    let missing_files = files::missing_named_files(&loc.root, &hosts_dir);
    let registry_files = files::read_registry_files(&loc.root, &hosts_dir, &mut unreadable);
    for (dir, why) in &hosts_dir.unreadable {
        unreadable.insert(hosts_dir.path.join(dir).join("hosts.toml"), why.clone());
    }
    let mut small = |path: &Path| {
        read::optional(&loc.root, path, read::CONFIG_LIMIT).unwrap_or_else(|e| {
            unreadable.insert(path.to_path_buf(), e.to_string());
            None
        })
    };
    let docker_daemon_json = small(Path::new(crate::paths::DOCKER_DAEMON_JSON));
    let proxy_drop_in = small(Path::new(crate::paths::PROXY_DROP_IN));
    let crictl_yaml = small(Path::new(crate::paths::CRICTL_YAML));
    let nerdctl_toml = small(&loc.nerdctl_toml);
    let heal_schedule = crate::heal::schedule::FILES
        .iter()
        .filter_map(|p| small(Path::new(p)).map(|b| (PathBuf::from(p), b)))
        .collect();
    NodeState {
        tools: found,
        containerd,
        cni_dir,
        containerd_config: config,
        hosts_dir,
        service,
        addresses: service::addresses(&loc.root),
        cluster_cidrs: crate::cluster::cidrs(&loc.root),
        owner,
        missing_files,
        docker_daemon_json,
        proxy_drop_in,
        other_drop_ins: service::other_drop_ins(&loc.root),
        crictl_yaml,
        registry_files,
        heal_schedule,
        unreadable,
        nerdctl_path: loc.nerdctl_toml.clone(),
        nerdctl_toml,
    }
}
