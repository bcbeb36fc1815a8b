//! The command line as clap reads it, and its conversion into the
//! engine's inputs: the global flags become [`Settings`], the selection
//! flags a [`Selection`]. No decision is made here.

use crate::error::{Error, Origin, Result};
use crate::node;
use crate::root::Root;
use crate::selection::Selection;
use crate::session::Settings;
use crate::t;
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
// Help texts come from the catalogs (`cli.help.*`, see `command()`), so
// that `--help`, the man page and the completions speak the user's language.
#[command(name = "ctrwiz", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct Global {
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "en|zh",
        hide_possible_values = true
    )]
    pub lang: Option<crate::i18n::Lang>,
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[arg(long, global = true, value_name = "FILE", default_value = crate::containerd::config::DEFAULT_PATH)]
    pub config: PathBuf,
    #[arg(long, global = true, value_name = "DIR")]
    pub hosts_dir: Option<PathBuf>,
    #[arg(long, global = true, value_name = "CMD")]
    pub restart_cmd: Option<String>,
    #[arg(long, global = true, value_name = "SOCKET", default_value = node::DEFAULT_ADDRESS)]
    pub address: PathBuf,
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[arg(long, global = true, conflicts_with = "root")]
    pub demo: bool,
    #[arg(long, global = true, conflicts_with = "root")]
    pub rootless: bool,
    #[arg(long, global = true)]
    pub no_probe: bool,
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub health_timeout: u64,
    #[arg(long, global = true, value_enum, default_value_t = crate::apply::health::Level::Pod)]
    pub health: crate::apply::health::Level,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Detect {
        #[arg(long)]
        json: bool,
    },
    Presets {
        #[arg(long)]
        json: bool,
    },
    Plan {
        #[command(flatten)]
        selection: SelectionArgs,
        #[arg(long)]
        json: bool,
    },
    Apply {
        #[command(flatten)]
        selection: SelectionArgs,
        #[arg(long, short)]
        yes: bool,
        #[arg(long)]
        restart_docker: bool,
        #[arg(long)]
        json: bool,
    },
    Probe {
        registries: Vec<String>,
        #[command(flatten)]
        selection: ProbeSelection,
        #[arg(long, value_name = "MS", default_value_t = 3000)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    Doctor {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        pod: bool,
        #[arg(long, conflicts_with = "json")]
        fix: bool,
        #[arg(long, requires = "fix")]
        yes: bool,
    },
    Verify {
        image: Option<String>,
        #[arg(long, value_name = "SECONDS", default_value_t = 120)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    Export {
        #[command(flatten)]
        selection: SelectionArgs,
        #[arg(long, value_enum, value_name = "k3s|kubespray")]
        format: crate::export::Format,
    },
    Completions {
        shell: clap_complete::Shell,
    },
    Man,
    Heal(HealArgs),
    Rollback {
        #[arg(long)]
        list: bool,
        id: Option<String>,
        #[arg(long, short)]
        yes: bool,
    },
}

/// What `probe` measures besides the catalog: only the mirror choices
/// (the node-setup and private-registry flags mean nothing to it).
#[derive(Args, Debug, Clone, Default)]
pub struct ProbeSelection {
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    #[arg(long = "mirror", value_name = "REGISTRY=SPEC")]
    pub mirrors: Vec<String>,
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
}

impl ProbeSelection {
    pub fn to_selection_or_empty(&self) -> Result<Selection> {
        SelectionArgs {
            preset: self.preset.clone(),
            mirrors: self.mirrors.clone(),
            profile: self.profile.clone(),
            ..SelectionArgs::default()
        }
        .to_selection_or_empty()
    }
}

#[derive(Args, Debug, Clone, Default)]
pub struct HealArgs {
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub timeout: u64,
    #[arg(long, conflicts_with = "uninstall")]
    pub install: bool,
    #[arg(long, value_name = "DURATION", requires = "install")]
    pub every: Option<String>,
    #[arg(long)]
    pub uninstall: bool,
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct SelectionArgs {
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    #[arg(long = "mirror", value_name = "REGISTRY=SPEC")]
    pub mirrors: Vec<String>,
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    #[arg(long, value_name = "IMAGE", help_heading = "node_setup")]
    pub sandbox_image: Option<String>,
    #[arg(long, value_name = "true|false", help_heading = "node_setup")]
    pub systemd_cgroup: Option<bool>,
    #[arg(long, help_heading = "node_setup")]
    pub enable_cri: bool,
    #[arg(long, help_heading = "node_setup")]
    pub crictl: bool,
    #[arg(long, value_name = "DIR|auto", help_heading = "node_setup")]
    pub cni_bin_dir: Option<String>,
    #[arg(long, help_heading = "node_setup")]
    pub nerdctl: bool,
    #[arg(long)]
    pub ignore_owner: bool,
    #[arg(long, value_name = "URL|none", help_heading = "node_setup")]
    pub proxy: Option<String>,
    #[arg(
        long,
        value_name = "LIST",
        requires = "proxy",
        help_heading = "node_setup"
    )]
    pub no_proxy: Option<String>,
    #[arg(
        long,
        value_name = "CIDR[,CIDR…]",
        requires = "proxy",
        help_heading = "node_setup"
    )]
    pub cluster_cidr: Option<String>,
    #[arg(long, value_name = "URL[,URL…]|none", help_heading = "node_setup")]
    pub docker_mirror: Option<String>,
    #[arg(long, value_name = "DURATION|none")]
    pub dial_timeout: Option<String>,
    #[arg(long, value_name = "HOST[:PORT]", help_heading = "private_registry")]
    pub registry: Option<String>,
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "private_registry"
    )]
    pub ca: Option<PathBuf>,
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "private_registry"
    )]
    pub client_cert: Option<PathBuf>,
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "private_registry"
    )]
    pub client_key: Option<PathBuf>,
    #[arg(long, requires = "registry", help_heading = "private_registry")]
    pub skip_verify: bool,
    #[arg(long, requires = "registry", help_heading = "private_registry")]
    pub plain_http: bool,
    #[arg(
        long,
        value_name = "USER:PASSWORD|-",
        requires = "registry",
        conflicts_with = "auth_file",
        help_heading = "private_registry"
    )]
    pub auth: Option<String>,
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "private_registry"
    )]
    pub auth_file: Option<PathBuf>,
}

impl SelectionArgs {
    pub fn to_selection(&self) -> Result<Selection> {
        let sel = self.to_selection_or_empty()?;
        if sel.is_empty() {
            return Err(Error::NothingSelected);
        }
        Ok(sel)
    }

    /// The flags and profile as a selection; pure (what depends on the node,
    /// such as the default NO_PROXY, is made by the plan).
    pub fn to_selection_or_empty(&self) -> Result<Selection> {
        let mut sel = match &self.profile {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                Selection::from_profile(path, &text)?
            }
            None => Selection::default(),
        };
        if self.preset.is_some() {
            sel.preset = self.preset.clone();
        }
        for m in &self.mirrors {
            sel.add_mirror_flag(m)?;
        }
        if let Some(t) = &self.dial_timeout {
            let t = crate::selection::DialTimeout::parse(t)
                .map_err(|why| Origin::Flag("--dial-timeout").error(why))?;
            sel.dial_timeout = Some(t);
        }
        let extras = &mut sel.extras;
        if let Some(spec) = &self.docker_mirror {
            let urls: Vec<String> = if spec.trim().eq_ignore_ascii_case("none") {
                vec![]
            } else {
                spec.split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect()
            };
            crate::endpoint::Endpoint::parse_list(&urls)
                .map_err(|e| Origin::Flag("--docker-mirror").error(e.to_string()))?;
            extras.docker_mirrors = Some(urls);
        }
        if let Some(image) = &self.sandbox_image {
            let image = crate::extras::sandbox_image(image)
                .map_err(|why| Origin::Flag("--sandbox-image").error(why))?;
            extras.sandbox_image = Some(image);
        }
        if self.systemd_cgroup.is_some() {
            extras.systemd_cgroup = self.systemd_cgroup;
        }
        extras.enable_cri |= self.enable_cri;
        extras.crictl |= self.crictl;
        if let Some(dir) = &self.cni_bin_dir {
            let dir = crate::cni::CniBinDir::parse(dir)
                .map_err(|why| Origin::Flag("--cni-bin-dir").error(why))?;
            extras.cni_bin_dir = Some(dir);
        }
        extras.nerdctl |= self.nerdctl;
        if let Some(url) = &self.proxy {
            // The default NO_PROXY (node addresses, cluster ranges) is made
            // by the plan, from the node it plans for.
            extras.proxy = Some(crate::extras::Proxy::from_flags(
                url,
                self.no_proxy.as_deref(),
                self.cluster_cidr.as_deref(),
            )?);
            extras.proxy_origin = Some(Origin::Flag("--proxy"));
        }
        if let Some(host) = &self.registry {
            let mut r =
                crate::extras::PrivateRegistry::new(crate::registry::RegistryName::parse(host)?);
            r.ca = self.ca.clone();
            r.client_cert = self.client_cert.clone();
            r.client_key = self.client_key.clone();
            r.skip_verify = self.skip_verify;
            r.plain_http = self.plain_http;
            // `--auth -` and `--auth-file` keep the password out of `ps`.
            let auth = match (&self.auth, &self.auth_file) {
                (Some(a), _) if a == "-" => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| Error::io("-", e))?;
                    Some((Origin::Flag("--auth"), line))
                }
                (Some(a), _) => Some((Origin::Flag("--auth"), a.clone())),
                (None, Some(path)) => {
                    let bytes = crate::node::read::limited(&Root::default(), path, 64 * 1024)
                        .map_err(|e| Error::io(path, e))?;
                    let text = String::from_utf8(bytes)
                        .map_err(|_| Origin::Flag("--auth-file").error(t!("cli.auth_not_utf8")))?;
                    Some((Origin::Flag("--auth-file"), text))
                }
                (None, None) => None,
            };
            if let Some((origin, auth)) = auth {
                let auth = auth.trim_end_matches(['\n', '\r']);
                let (u, p) = auth
                    .split_once(':')
                    .filter(|(u, p)| !u.is_empty() && !p.is_empty())
                    .ok_or_else(|| origin.error(t!("cli.auth_format")))?;
                r.username = Some(u.to_string());
                r.password = Some(p.to_string());
            }
            extras.private.retain(|x| x.host != r.host);
            extras.private.push(r);
        }
        for r in &mut extras.private {
            r.validate()?;
            r.load_files()?;
        }
        sel.ignore_owner = self.ignore_owner;
        Ok(sel)
    }
}

impl Global {
    /// The session's settings: the flags as they are (rootless defaults
    /// are the session's to fill in).
    pub fn settings(&self) -> Settings {
        Settings {
            root: self.root.clone(),
            config: self.config.clone(),
            hosts_dir: self.hosts_dir.clone(),
            config_path_value: None,
            restart_cmd: self.restart_cmd.clone(),
            address: self.address.clone(),
            nerdctl_toml: crate::paths::NERDCTL_TOML.into(),
            state_dir: self.state_dir.clone(),
            rootless: self.rootless,
            demo: self.demo,
            no_probe: self.no_probe,
            health_timeout: Duration::from_secs(self.health_timeout),
            health: self.health,
        }
    }
}
