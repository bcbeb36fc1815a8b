//! One run of ctrwiz against one node: where its files are (rootless
//! included), the catalog (loaded once), the state dir, how containerd is
//! restarted, whether this process may apply, and what only the running
//! daemon can tell. Built from plain [`Settings`], so the CLI converts its
//! arguments into settings and the wizard receives the session: neither
//! assembles these by hand.

use crate::apply::{ApplyOptions, RestartPolicy};
use crate::catalog::Catalog;
use crate::ctr::Ctr;
use crate::doctor::LiveFacts;
use crate::error::Result;
use crate::node::{self, Locations, NodeState, ServiceState, ToolName};
use crate::plan::{self, Plan};
use crate::root::Root;
use crate::selection::Selection;
use std::cell::OnceCell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a session is made from: the global flags, as plain values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `--root`: prepare another tree (`None`: this host).
    pub root: Option<PathBuf>,
    pub config: PathBuf,
    pub hosts_dir: Option<PathBuf>,
    /// What config_path must say when containerd sees the hosts dir
    /// elsewhere (rootless: bind-mounted on /etc/containerd).
    pub config_path_value: Option<PathBuf>,
    pub restart_cmd: Option<String>,
    pub address: PathBuf,
    /// nerdctl's config file (rootless: the user's own).
    pub nerdctl_toml: PathBuf,
    pub state_dir: Option<PathBuf>,
    pub rootless: bool,
    /// `--demo`: the node is a made-up one under a temporary directory.
    pub demo: bool,
    /// `--no-probe`: measure no mirror.
    pub no_probe: bool,
    pub health_timeout: Duration,
    /// `--health`: after a restart a pod sandbox must start (`Pod`), or
    /// only the CRI plugin load (`Cri`).
    pub health: crate::apply::health::Level,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            root: None,
            config: PathBuf::from(crate::containerd::config::DEFAULT_PATH),
            hosts_dir: None,
            config_path_value: None,
            restart_cmd: None,
            address: PathBuf::from(node::DEFAULT_ADDRESS),
            nerdctl_toml: PathBuf::from(crate::paths::NERDCTL_TOML),
            state_dir: None,
            rootless: false,
            demo: false,
            no_probe: false,
            health_timeout: Duration::from_secs(60),
            health: crate::apply::health::Level::Pod,
        }
    }
}

impl Settings {
    /// Rootless containerd keeps its files in the user's config dir and
    /// bind-mounts it on /etc/containerd inside its namespace
    /// (rootlesskit's `--copy-up=/etc`; containerd's docs/rootless.md), so
    /// config_path still says /etc/containerd/certs.d. Chosen by
    /// `--rootless`, or by itself for a normal user (`euid` ≠ 0) on the
    /// host who has such a setup (`exists`). Paths the user gave win.
    pub fn rootless(
        mut self,
        euid: u32,
        env: impl Fn(&str) -> Option<OsString>,
        exists: impl Fn(&Path) -> bool,
    ) -> Settings {
        let config_home = env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")));
        let runtime = env("XDG_RUNTIME_DIR").map(PathBuf::from);
        let (Some(config_home), Some(runtime)) = (config_home, runtime) else {
            return self;
        };
        let user_config = config_home.join("containerd/config.toml");
        let user_socket = runtime.join("containerd/containerd.sock");
        let auto =
            euid != 0 && self.root.is_none() && (exists(&user_socket) || exists(&user_config));
        if !(self.rootless || auto) {
            return self;
        }
        self.rootless = true;
        if self.config == Path::new(crate::containerd::config::DEFAULT_PATH) {
            self.config = user_config;
        }
        if self.address == Path::new(node::DEFAULT_ADDRESS) {
            self.address = user_socket;
        }
        // A rootless nerdctl reads its own file under the same config dir
        // (nerdctl pkg/defaults/defaults_linux.go `NerdctlTOML`).
        if self.nerdctl_toml == Path::new(crate::paths::NERDCTL_TOML) {
            self.nerdctl_toml = config_home.join("nerdctl/nerdctl.toml");
        }
        if self.hosts_dir.is_none() {
            self.hosts_dir = Some(config_home.join("containerd/certs.d"));
            self.config_path_value = Some(PathBuf::from(node::DEFAULT_HOSTS_DIR));
        }
        self
    }
}

pub struct Session {
    settings: Settings,
    euid: u32,
    catalog: OnceCell<Catalog>,
}

impl Session {
    /// A session of this process: its effective user, its environment
    /// (rootless defaults).
    pub fn new(settings: Settings) -> Session {
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        let settings = settings.rootless(euid, |k| std::env::var_os(k), |p| p.exists());
        Session::with_user(settings, euid)
    }

    /// A session as user `euid`, from settings taken as they are.
    pub fn with_user(settings: Settings, euid: u32) -> Session {
        Session {
            settings,
            euid,
            catalog: OnceCell::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn root(&self) -> Root {
        self.settings
            .root
            .clone()
            .map(Root::new)
            .unwrap_or_default()
    }

    /// On this host (not a tree under `--root`).
    pub fn is_host(&self) -> bool {
        self.settings.root.is_none()
    }

    pub fn locations(&self) -> Locations {
        let s = &self.settings;
        Locations {
            root: self.root(),
            config: s.config.clone(),
            hosts_dir: s.hosts_dir.clone(),
            config_path_value: s.config_path_value.clone(),
            address: s.address.clone(),
            nerdctl_toml: s.nerdctl_toml.clone(),
            probe_timeout: Duration::from_secs(3),
        }
    }

    /// The built-in catalog with the user's presets file, read on first use
    /// and kept for the rest of the run.
    pub fn catalog(&self) -> Result<&Catalog> {
        if let Some(c) = self.catalog.get() {
            return Ok(c);
        }
        let loaded = Catalog::load(Catalog::user_file().as_deref())?;
        Ok(self.catalog.get_or_init(|| loaded))
    }

    /// `--state-dir`; else `/var/lib/ctrwiz` (inside `--root`) as root,
    /// else the user's state dir.
    pub fn state_dir(&self) -> PathBuf {
        if let Some(d) = &self.settings.state_dir {
            return d.clone();
        }
        if !self.is_host() || self.euid == 0 {
            return self.root().join("/var/lib/ctrwiz");
        }
        directories::ProjectDirs::from("", "", "ctrwiz")
            .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".ctrwiz"))
    }

    pub fn restart_policy(&self, service: &ServiceState) -> RestartPolicy {
        RestartPolicy::choose(
            service,
            self.is_host(),
            self.settings.rootless,
            self.settings.restart_cmd.as_deref(),
        )
    }

    /// How to apply on this node (`ctr` from the detected tools).
    pub fn apply_options(&self, node: &NodeState) -> ApplyOptions {
        ApplyOptions {
            ctr: node.tool(ToolName::Ctr).and_then(|t| t.path.clone()),
            ..self.apply_options_for(&node.service)
        }
    }

    /// How to apply, knowing only the service (the wizard's first frame).
    pub fn apply_options_for(&self, service: &ServiceState) -> ApplyOptions {
        ApplyOptions {
            root: self.root(),
            state_dir: self.state_dir(),
            restart: self.restart_policy(service),
            address: self.settings.address.clone(),
            ctr: None,
            health_timeout: self.settings.health_timeout,
            health: self.settings.health,
            docker_restart: None,
        }
    }

    /// May this process change the node? A tree under `--root` and a
    /// rootless containerd are the user's own; the host's needs root.
    pub fn may_apply(&self) -> std::result::Result<(), &'static str> {
        if !self.is_host() || self.settings.rootless || self.euid == 0 {
            Ok(())
        } else {
            Err(crate::t!("cli.wizard_needs_root"))
        }
    }

    /// The wizard's apply options from cheap facts only (the first frame
    /// must not wait for detection), or why this process cannot apply.
    pub fn quick_apply_options(&self) -> std::result::Result<ApplyOptions, String> {
        self.may_apply().map_err(String::from)?;
        let root = self.root();
        let service = node::service::detect(&root, &self.settings.address);
        Ok(ApplyOptions {
            ctr: node::tools::locate(&root, ToolName::Ctr),
            ..self.apply_options_for(&service)
        })
    }

    /// Where the wizard saves the selection as a profile.
    pub fn profile_path(&self) -> PathBuf {
        Catalog::user_file()
            .and_then(|p| p.parent().map(|d| d.join("profile.toml")))
            .unwrap_or_else(|| PathBuf::from("ctrwiz-profile.toml"))
    }

    /// Measure mirrors (off: `--no-probe`).
    pub fn probe(&self) -> bool {
        !self.settings.no_probe
    }

    pub fn demo(&self) -> bool {
        self.settings.demo
    }

    pub fn detect(&self) -> NodeState {
        node::detect(&self.locations())
    }

    /// The node's `ctr` on this session's socket.
    pub fn ctr(&self, node: &NodeState) -> Option<Ctr> {
        Ctr::for_node(node, &self.root(), &self.settings.address)
    }

    /// What only the running daemon can tell: whether its CRI plugin
    /// loaded. Not asked when nothing answers on the socket.
    pub fn live_facts(&self, node: &NodeState) -> LiveFacts {
        LiveFacts {
            cri_failures: self
                .ctr(node)
                .filter(|_| node.service.running)
                .and_then(|c| c.cri_failures()),
            host: Some(crate::doctor::HostFacts::read(&self.root())),
            ..LiveFacts::default()
        }
    }

    /// The node as it is now and the plan that gets it to `selection`.
    pub fn plan(&self, selection: &Selection) -> Result<(NodeState, Plan)> {
        let catalog = self.catalog()?;
        let node = self.detect();
        let plan = plan::make(&node, catalog, selection)?;
        Ok((node, plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    const USER: &[(&str, &str)] = &[("HOME", "/home/u"), ("XDG_RUNTIME_DIR", "/run/user/1000")];

    #[test]
    fn a_normal_user_with_a_rootless_containerd_gets_its_paths() {
        let socket = Path::new("/run/user/1000/containerd/containerd.sock");
        let s = Settings::default().rootless(1000, env(USER), |p| p == socket);
        assert!(s.rootless);
        assert_eq!(
            s.config,
            Path::new("/home/u/.config/containerd/config.toml")
        );
        assert_eq!(s.address, socket);
        assert_eq!(
            s.hosts_dir.as_deref(),
            Some(Path::new("/home/u/.config/containerd/certs.d"))
        );
        assert_eq!(
            s.config_path_value.as_deref(),
            Some(Path::new(node::DEFAULT_HOSTS_DIR))
        );
        // nerdctl's own file too; with no hosts_dir in it, a rootless
        // nerdctl reads the hosts dir ctrwiz writes, first.
        assert_eq!(
            s.nerdctl_toml,
            Path::new("/home/u/.config/nerdctl/nerdctl.toml")
        );
        let dirs = crate::nerdctl::hosts_dirs(&s.nerdctl_toml, None).unwrap();
        assert!(
            crate::nerdctl::reads(&dirs, s.hosts_dir.as_deref().unwrap()),
            "{dirs:?}"
        );
        assert_eq!(dirs[1], "/home/u/.config/docker/certs.d");
        assert_eq!(
            crate::nerdctl::hosts_dirs(Path::new(crate::paths::NERDCTL_TOML), None).unwrap(),
            crate::nerdctl::DEFAULT_HOSTS_DIRS
        );
    }

    #[test]
    fn rootless_is_chosen_only_where_it_applies_and_given_paths_win() {
        let none = |_: &Path| false;
        let all = |_: &Path| true;
        // Root, a --root tree, or no rootless files: the settings stay.
        assert_eq!(
            Settings::default().rootless(0, env(USER), all),
            Settings::default()
        );
        let tree = Settings {
            root: Some("/tmp/node".into()),
            ..Settings::default()
        };
        assert_eq!(tree.clone().rootless(1000, env(USER), all), tree);
        assert_eq!(
            Settings::default().rootless(1000, env(USER), none),
            Settings::default()
        );
        // No runtime dir: nothing to find.
        assert_eq!(
            Settings::default().rootless(1000, env(&[("HOME", "/home/u")]), all),
            Settings::default()
        );
        // --rootless asks for it; XDG_CONFIG_HOME wins over HOME; --config stays.
        let asked = Settings {
            rootless: true,
            config: "/srv/c.toml".into(),
            ..Settings::default()
        }
        .rootless(
            0,
            env(&[("XDG_CONFIG_HOME", "/cfg"), ("XDG_RUNTIME_DIR", "/run/u")]),
            none,
        );
        assert_eq!(asked.config, Path::new("/srv/c.toml"));
        assert_eq!(
            asked.address,
            Path::new("/run/u/containerd/containerd.sock")
        );
        assert_eq!(
            asked.hosts_dir.as_deref(),
            Some(Path::new("/cfg/containerd/certs.d"))
        );
    }

    #[test]
    fn who_may_apply_and_where_state_lives() {
        let tree = Settings {
            root: Some("/tmp/node".into()),
            ..Settings::default()
        };
        let rootless = Settings {
            rootless: true,
            ..Settings::default()
        };
        assert!(Session::with_user(Settings::default(), 0)
            .may_apply()
            .is_ok());
        assert!(Session::with_user(tree.clone(), 1000).may_apply().is_ok());
        assert!(Session::with_user(rootless, 1000).may_apply().is_ok());
        assert!(Session::with_user(Settings::default(), 1000)
            .may_apply()
            .is_err());
        assert_eq!(
            Session::with_user(tree, 1000).state_dir(),
            Path::new("/tmp/node/var/lib/ctrwiz")
        );
        assert_eq!(
            Session::with_user(Settings::default(), 0).state_dir(),
            Path::new("/var/lib/ctrwiz")
        );
        let given = Settings {
            state_dir: Some("/srv/state".into()),
            ..Settings::default()
        };
        assert_eq!(
            Session::with_user(given, 0).state_dir(),
            Path::new("/srv/state")
        );
    }

    #[test]
    fn the_catalog_is_loaded_once() {
        let s = Session::with_user(Settings::default(), 0);
        let a: *const Catalog = s.catalog().unwrap();
        let b: *const Catalog = s.catalog().unwrap();
        assert_eq!(a, b);
    }
}
