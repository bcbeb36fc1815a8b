//! The scriptable CLI: argument parsing and output only; every decision is
//! the engine's (node → selection → plan → apply).

use crate::apply::{self, backup, ApplyOptions, RestartPolicy};
use crate::catalog::Catalog;
use crate::doctor;
use crate::error::{Error, Origin, Result};
use crate::i18n::pad;
use crate::node::{self, Locations, NodeState, ServiceManager, ToolName};
use crate::plan::{self, ChangeKind, Plan};
use crate::root::Root;
use crate::selection::Selection;
use crate::t;
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// `println!` that never fails: a closed stdout (`ctrwiz apply --yes |
/// head`) must not interrupt a change to the node, so SIGPIPE is ignored
/// (see main.rs) and write errors are dropped here instead of panicking.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

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
    // What config_path must say when containerd sees the hosts dir elsewhere
    // (rootless: bind-mounted on /etc/containerd).
    #[arg(skip)]
    pub config_path_value: Option<PathBuf>,
    #[arg(long, global = true)]
    pub no_probe: bool,
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub health_timeout: u64,
    #[arg(long, global = true, value_enum, default_value_t = apply::health::Level::Pod)]
    pub health: apply::health::Level,
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
    fn to_selection_or_empty(&self, root: &Root) -> Result<Selection> {
        SelectionArgs {
            preset: self.preset.clone(),
            mirrors: self.mirrors.clone(),
            profile: self.profile.clone(),
            ..SelectionArgs::default()
        }
        .to_selection_or_empty(root)
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
    pub fn to_selection(&self, root: &Root) -> Result<Selection> {
        let sel = self.to_selection_or_empty(root)?;
        if sel.is_empty() {
            return Err(Error::Usage(t!("cli.nothing_selected").into()));
        }
        Ok(sel)
    }

    /// `root` decides whose addresses go into a default NO_PROXY (none when
    /// preparing another tree).
    pub fn to_selection_or_empty(&self, root: &Root) -> Result<Selection> {
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
        if let Some(url) = &self.proxy {
            let addrs = crate::node::service::addresses(root);
            extras.proxy = Some(crate::extras::Proxy::from_flags(
                url,
                self.no_proxy.as_deref(),
                &addrs,
            )?);
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
    pub fn root(&self) -> Root {
        self.root.clone().map(Root::new).unwrap_or_default()
    }

    pub fn locations(&self) -> Locations {
        Locations {
            root: self.root(),
            config: self.config.clone(),
            hosts_dir: self.hosts_dir.clone(),
            config_path_value: self.config_path_value.clone(),
            address: self.address.clone(),
            probe_timeout: Duration::from_secs(3),
        }
    }

    /// `--state-dir`; else `/var/lib/ctrwiz` (inside `--root`) as root,
    /// else the user's state dir.
    pub fn state_dir(&self) -> PathBuf {
        if let Some(d) = &self.state_dir {
            return d.clone();
        }
        // SAFETY: geteuid has no preconditions.
        if self.root.is_some() || unsafe { libc::geteuid() } == 0 {
            return self.root().join("/var/lib/ctrwiz");
        }
        directories::ProjectDirs::from("", "", "ctrwiz")
            .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".ctrwiz"))
    }

    pub fn restart_policy(&self, service: &crate::node::ServiceState) -> RestartPolicy {
        if let Some(cmd) = &self.restart_cmd {
            return RestartPolicy::Command(cmd.clone());
        }
        if self.root.is_some() {
            return RestartPolicy::Skip(t!("cli.restart.skip_root").into());
        }
        if !service.running {
            return RestartPolicy::Skip(t!("cli.restart.skip_not_running").into());
        }
        if self.rootless {
            // i18n: command
            return RestartPolicy::Command("systemctl --user restart containerd".into());
        }
        match service.manager {
            ServiceManager::Systemd => RestartPolicy::Systemd,
            ServiceManager::Openrc => RestartPolicy::Openrc,
            ServiceManager::None => RestartPolicy::Skip(t!("cli.restart.skip_no_manager").into()),
        }
    }

    pub fn apply_options(&self, node: &NodeState) -> ApplyOptions {
        ApplyOptions {
            ctr: node.tool(ToolName::Ctr).and_then(|t| t.path.clone()),
            ..self.apply_options_for(&node.service)
        }
    }

    pub fn apply_options_for(&self, service: &crate::node::ServiceState) -> ApplyOptions {
        ApplyOptions {
            root: self.root(),
            state_dir: self.state_dir(),
            restart: self.restart_policy(service),
            address: self.address.clone(),
            ctr: None,
            health_timeout: Duration::from_secs(self.health_timeout),
            health: self.health,
            docker_restart: None,
        }
    }
}

fn docker_restart_command(node: &NodeState) -> String {
    match node.service.manager {
        // i18n: commands
        ServiceManager::Openrc => "rc-service docker restart".into(),
        _ => "systemctl restart docker".into(), // i18n: command
    }
}

/// Rootless containerd keeps its files in the user's config dir and
/// bind-mounts it on /etc/containerd inside its namespace (containerd-facts
/// §5), so config_path still says /etc/containerd/certs.d. Chosen by
/// `--rootless`, or by itself for a normal user who has such a setup.
fn rootless_defaults(g: &mut Global) {
    // SAFETY: geteuid has no preconditions.
    let normal_user = unsafe { libc::geteuid() } != 0;
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    let (Some(config_home), Some(runtime)) = (config_home, runtime) else {
        return;
    };
    let user_config = config_home.join("containerd/config.toml");
    let user_socket = runtime.join("containerd/containerd.sock");
    let auto = normal_user && g.root.is_none() && (user_socket.exists() || user_config.exists());
    if !(g.rootless || auto) {
        return;
    }
    g.rootless = true;
    if g.config == std::path::Path::new(crate::containerd::config::DEFAULT_PATH) {
        g.config = user_config;
    }
    if g.address == std::path::Path::new(node::DEFAULT_ADDRESS) {
        g.address = user_socket;
    }
    if g.hosts_dir.is_none() {
        g.hosts_dir = Some(config_home.join("containerd/certs.d"));
        g.config_path_value = Some(PathBuf::from(node::DEFAULT_HOSTS_DIR));
    }
}

/// The clap definition with its help texts in this thread's language:
/// `cli.help.<command>.<argument>` (`root` for the top level), falling back
/// to `cli.help.selection.*` and `cli.help.common.*` for shared arguments.
pub fn command() -> clap::Command {
    localize(<Cli as clap::CommandFactory>::command(), "root")
}

fn help_text(path: &str, id: &str) -> Option<&'static str> {
    let lang = crate::i18n::lang();
    [
        format!("cli.help.{path}.{id}"),
        format!("cli.help.selection.{id}"),
        format!("cli.help.common.{id}"),
    ]
    .into_iter()
    .find(|k| crate::i18n::has_key(lang, k))
    .map(|k| crate::i18n::tr(&k))
}

fn localize(mut cmd: clap::Command, path: &str) -> clap::Command {
    use clap::{Arg, ArgAction};
    if let Some(about) = help_text(path, "about") {
        cmd = cmd.about(about);
    }
    if let Some(long) = help_text(path, "long_about") {
        cmd = cmd.long_about(long);
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let help = help_text(path, &id);
        cmd = cmd.mut_arg(&id, |a| {
            let heading = match a.get_help_heading() {
                Some("node_setup") => t!("cli.help.heading.node_setup"),
                Some("private_registry") => t!("cli.help.heading.private_registry"),
                Some(other) => other.to_string().leak(),
                None if a.is_positional() => t!("cli.help.heading.arguments"),
                // Every subcommand's own options first, the shared ones apart.
                None if a.is_global_set() => t!("guide.cli.global_heading"),
                None => t!("cli.help.heading.options"),
            };
            let a = a.help_heading(heading);
            let Some(help) = help else { return a };
            // clap writes "[default: …]" and "[possible values: …]" in
            // English: in another language they come from the catalog.
            if crate::i18n::lang() == crate::i18n::Lang::En {
                return a.help(help);
            }
            let mut help = help.to_string();
            let takes_values = a.get_action().takes_values();
            let defaults: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if takes_values && !defaults.is_empty() && !a.is_hide_default_value_set() {
                help += &t!("cli.help.default_value", value = defaults.join(", "));
            }
            let possible: Vec<String> = a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if takes_values && !possible.is_empty() && !a.is_hide_possible_values_set() {
                help += &t!("cli.help.possible_values", values = possible.join(", "));
            }
            match takes_values {
                true => a
                    .help(help)
                    .hide_default_value(true)
                    .hide_possible_values(true),
                false => a.help(help),
            }
        });
    }
    // clap's own --help/--version and headings, in the same language.
    cmd = cmd
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .subcommand_help_heading(t!("cli.help.heading.commands"))
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(t!("cli.help.common.help"))
                .help_heading(t!("cli.help.heading.options")),
        );
    if path == "root" {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(t!("cli.help.common.version"))
                .help_heading(t!("cli.help.heading.options")),
        );
    }
    if crate::i18n::lang() != crate::i18n::Lang::En {
        cmd = cmd.help_template(t!("cli.help.template"));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for sub in subs {
        cmd = cmd.mut_subcommand(&sub, |c| localize(c, &sub));
    }
    cmd
}

/// Where the subcommand is: the first argument that is neither a flag nor
/// the value of a global flag that takes one.
fn first_positional(args: &[String]) -> Option<usize> {
    const WITH_VALUE: &[&str] = &[
        "--lang",
        "--root",
        "--config",
        "--hosts-dir",
        "--restart-cmd",
        "--address",
        "--state-dir",
        "--health-timeout",
    ];
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if WITH_VALUE.contains(&a) {
            i += 2;
        } else if a.starts_with('-') {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

/// clap's parse errors are English; in another language the message, the
/// suggestion and the usage line come from the catalog (exit code 2 as
/// clap's). Help and version output go through clap unchanged.
fn parse_error(e: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if crate::i18n::lang() == crate::i18n::Lang::En || !e.use_stderr() {
        e.exit()
    }
    let ctx = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        Some(ContextValue::StyledStrs(v)) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let arg = ctx(ContextKind::InvalidArg);
    let message = match e.kind() {
        ErrorKind::UnknownArgument => t!("cli.parse.unknown_argument", arg = arg),
        ErrorKind::InvalidSubcommand => t!(
            "cli.parse.unknown_command",
            command = ctx(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => t!(
            "cli.parse.invalid_value",
            value = ctx(ContextKind::InvalidValue),
            arg = arg
        ),
        ErrorKind::MissingRequiredArgument => t!("cli.parse.missing", arg = arg),
        ErrorKind::ArgumentConflict => t!(
            "cli.parse.conflict",
            arg = arg,
            other = ctx(ContextKind::PriorArg)
        ),
        _ => e.kind().to_string(),
    };
    eprintln!("{}", t!("cli.parse.error", message = message));
    let similar = [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .map(ctx)
    .find(|s| !s.is_empty());
    if let Some(s) = similar {
        eprintln!("  {}", t!("cli.parse.similar", suggestion = s));
    } else if let Some(v) = Some(ctx(ContextKind::ValidValue)).filter(|v| !v.is_empty()) {
        eprintln!("  {}", t!("cli.parse.valid", values = v));
    }
    let usage = ctx(ContextKind::Usage);
    if let Some(usage) = usage.trim().strip_prefix("Usage:") {
        eprintln!("\n{}", t!("cli.parse.usage", usage = usage.trim()));
    }
    eprintln!("\n{}", t!("cli.parse.more"));
    std::process::exit(2)
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let mut args: Vec<String> = std::env::args().collect();
    crate::i18n::set(crate::i18n::Lang::from_args_or_env(&args));
    // `ctrwiz help [COMMAND]` is `ctrwiz [COMMAND] --help` (clap's own help
    // subcommand could not speak Chinese).
    if let Some(i) = first_positional(&args).filter(|&i| args[i] == "help") {
        args.remove(i);
        args.push("--help".into());
    }
    // The help texts are only read for --help, --version or a usage error:
    // a normal run skips loading them.
    let matches = match <Cli as clap::CommandFactory>::command()
        .disable_help_subcommand(true)
        .try_get_matches_from(&args)
    {
        Ok(m) => m,
        Err(_) => command()
            .try_get_matches_from(&args)
            .unwrap_or_else(|e| parse_error(e)),
    };
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ctrwiz: {e}");
            e.exit_code()
        }
    }
}

pub fn run(mut cli: Cli) -> Result<i32> {
    // --demo: the same commands on a sample node that lives as long as this run.
    let _demo_dir = if cli.global.demo {
        let tmp = std::env::temp_dir();
        let dir = crate::demo::make(&tmp).map_err(|e| Error::io(&tmp, e))?;
        eprintln!(
            "ctrwiz: {}",
            t!("cli.demo_node", dir = dir.path().display())
        );
        cli.global.root = Some(dir.path().to_path_buf());
        Some(dir)
    } else {
        None
    };
    rootless_defaults(&mut cli.global);
    let g = &cli.global;
    match &cli.command {
        None => {
            if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
                eprintln!("ctrwiz: {}", t!("cli.needs_terminal"));
                return Ok(2);
            }
            // Cheap facts only: the first frame must not wait for the probes.
            let service = crate::node::service::detect(&g.root(), &g.address);
            let ctr = crate::node::tools::locate(&g.root(), ToolName::Ctr);
            // SAFETY: geteuid has no preconditions.
            let can_write = g.root.is_some() || g.rootless || unsafe { libc::geteuid() } == 0;
            let apply = if can_write {
                Ok(ApplyOptions {
                    ctr,
                    ..g.apply_options_for(&service)
                })
            } else {
                Err(t!("cli.wizard_needs_root").to_string())
            };
            let profile_path = Catalog::user_file()
                .and_then(|p| p.parent().map(|d| d.join("profile.toml")))
                .unwrap_or_else(|| PathBuf::from("ctrwiz-profile.toml"));
            let ctx = crate::wizard::WizardContext {
                locations: g.locations(),
                catalog: Catalog::load(Catalog::user_file().as_deref())?,
                apply,
                profile_path,
                probe: !g.no_probe,
                demo: g.demo,
            };
            crate::wizard::run(ctx)
                .map_err(|e| Error::Other(t!("cli.wizard_failed", error = e)))?;
            Ok(0)
        }
        Some(Command::Detect { json }) => {
            let node = node::detect(&g.locations());
            if *json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&node).expect("node state serialises")
                );
            } else {
                print_node(&node);
            }
            Ok(0)
        }
        Some(Command::Presets { json }) => {
            let catalog = Catalog::load(Catalog::user_file().as_deref())?;
            print_presets(&catalog, *json);
            Ok(0)
        }
        Some(Command::Plan { selection, json }) => {
            let (_, plan) = make_plan(g, selection)?;
            if *json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&plan.to_json()).expect("plans serialise")
                );
            } else {
                print_plan(&plan, true);
            }
            Ok(0)
        }
        Some(Command::Apply {
            selection,
            yes,
            restart_docker,
            json: true,
        }) => apply_json(g, selection, *yes, *restart_docker),
        Some(Command::Apply {
            selection,
            yes,
            restart_docker,
            json: false,
        }) => {
            // The node may change while the user reads the plan (another
            // apply finishing): apply refuses a stale plan, and the plan is
            // made again and shown again.
            let mut tries = 0;
            loop {
                let (node, plan) = make_plan(g, selection)?;
                let plan = apply::with_pending_restart(plan, &g.state_dir());
                print_plan(&plan, !yes);
                // A no-op still finishes a restart an interrupted apply left pending.
                if !plan.is_noop() {
                    confirm(
                        *yes,
                        &t!("cli.apply.confirm", count = plan.effective().count()),
                    )?;
                }
                let opts = ApplyOptions {
                    docker_restart: restart_docker.then(|| docker_restart_command(&node)),
                    ..g.apply_options(&node)
                };
                match execute(&plan, &opts) {
                    Err(e @ Error::NodeChanged { .. }) if tries < 2 => {
                        tries += 1;
                        eprintln!("ctrwiz: {e}");
                        eprintln!("ctrwiz: {}", t!("cli.apply.replanned"));
                    }
                    other => {
                        // Timer files written (heal_every): start the timer.
                        if other.is_ok() && crate::heal::schedule::in_plan(&plan) {
                            crate::heal::schedule::activate(&node, g.root.is_some(), true);
                        }
                        return other;
                    }
                }
            }
        }
        Some(Command::Probe {
            registries,
            selection,
            timeout,
            json,
        }) => {
            let catalog = Catalog::load(Catalog::user_file().as_deref())?;
            let regs = registries
                .iter()
                .map(|r| crate::registry::RegistryName::parse(r))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let sel = selection.to_selection_or_empty(&g.root())?;
            let cands = crate::probe::candidates(&catalog, &regs, Some(&sel))?;
            if g.no_probe {
                crate::probe::print_unmeasured(&cands);
                return Ok(0);
            }
            let opts = crate::probe::ProbeOptions::new(Duration::from_millis(*timeout));
            let results = crate::probe::run(cands, opts);
            if *json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&results).expect("results serialise")
                );
            } else {
                print_probe(&results);
            }
            Ok(crate::probe::exit_code(&results))
        }
        Some(Command::Doctor { json, pod }) => {
            let node = node::detect(&g.locations());
            let mut live = live_facts(g, &node);
            if *pod {
                live.pod = Some(doctor::pod_check(&g.apply_options(&node), &node));
            }
            if !g.no_probe {
                let catalog = Catalog::load(Catalog::user_file().as_deref())?;
                let cands = doctor::configured_mirrors(&node, &catalog);
                live.probes = Some(crate::probe::run(
                    cands,
                    crate::probe::ProbeOptions::new(Duration::from_secs(3)),
                ));
            }
            let checks = doctor::run(&node, &live);
            if *json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&checks).expect("checks serialise")
                );
            } else {
                print_checks(&checks);
            }
            Ok(if doctor::worst(&checks) == doctor::Status::Fail {
                1
            } else {
                0
            })
        }
        Some(Command::Verify {
            image,
            timeout,
            json,
        }) => {
            if g.root.is_some() {
                return Err(Error::Usage(t!("cli.verify.no_root").into()));
            }
            let node = node::detect(&g.locations());
            if !node.service.running {
                return Err(Error::Other(t!(
                    "cli.verify.not_running",
                    address = g.address.display()
                )));
            }
            let image = image.as_deref().unwrap_or(crate::verify::DEFAULT_IMAGE);
            let cri_loaded = live_facts(g, &node)
                .cri_failures
                .is_some_and(|f| f.is_empty());
            let report = crate::verify::run(
                &node,
                &g.address,
                cri_loaded,
                image,
                Duration::from_secs(*timeout),
            );
            if *json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialise")
                );
            } else {
                say!("{}", report.message);
            }
            Ok(if report.ok() { 0 } else { 1 })
        }
        Some(Command::Export { selection, format }) => {
            let sel = selection.to_selection(&g.root())?;
            let catalog = Catalog::load(Catalog::user_file().as_deref())?;
            say_inline!("{}", crate::export::export(*format, &catalog, &sel)?);
            Ok(0)
        }
        Some(Command::Completions { shell }) => {
            let mut cmd = command();
            clap_complete::generate(*shell, &mut cmd, "ctrwiz", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Man) => {
            let cmd = command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| Error::io("stdout", e))?;
            Ok(0)
        }
        Some(Command::Heal(a)) if a.install || a.uninstall => {
            let node = node::detect(&g.locations());
            let inv = heal_invocation(g)?;
            let every = a.every.as_deref();
            let plan = crate::heal::schedule::plan(&node, &inv, every, a.install)?;
            print_plan(&plan, !a.yes);
            if plan.is_noop() {
                say!("{}", t!("heal.cli.nothing"));
                return Ok(0);
            }
            confirm(
                a.yes,
                &t!("cli.apply.confirm", count = plan.effective().count()),
            )?;
            let code = execute(&plan, &g.apply_options(&node))?;
            crate::heal::schedule::activate(&node, g.root.is_some(), a.install);
            Ok(code)
        }
        Some(Command::Heal(a)) => {
            let node = node::detect(&g.locations());
            let catalog = Catalog::load(Catalog::user_file().as_deref())?;
            let probe = crate::probe::ProbeOptions::new(Duration::from_millis(a.timeout));
            let opts = g.apply_options(&node);
            let mut step = |s: apply::Step| {
                if !a.json {
                    say!("  {s}")
                }
            };
            let (report, applied) =
                crate::heal::run(&node, &catalog, probe, &opts, a.dry_run, &mut step)?;
            Ok(crate::heal::print(
                &report,
                applied.as_ref(),
                a.json,
                a.dry_run,
            ))
        }
        Some(Command::Rollback { list, id, yes }) => {
            let state = g.state_dir();
            if *list {
                let sets = backup::list(&state);
                if sets.is_empty() {
                    say!(
                        "{}",
                        t!(
                            "cli.rollback.none",
                            dir = backup::backups_dir(&state).display()
                        )
                    );
                }
                for s in sets {
                    let files: Vec<String> = s
                        .manifest
                        .entries
                        .iter()
                        .map(|e| e.path.display().to_string())
                        .collect();
                    say!("{}  {}", s.manifest.id, files.join(", "));
                }
                return Ok(0);
            }
            let set = backup::find(&state, id.as_deref())?;
            let node = node::detect(&g.locations());
            let plan =
                set.restore_plan(&g.root(), node.hosts_dir.path.clone(), g.config.clone())?;
            say!(
                "{}",
                t!(
                    "cli.rollback.to",
                    id = set.manifest.id,
                    dir = set.dir.display()
                )
            );
            print_plan(&plan, !yes);
            if plan.is_noop() {
                say!("{}", t!("cli.rollback.nothing"));
                return Ok(0);
            }
            confirm(*yes, t!("cli.rollback.confirm"))?;
            execute(&plan, &g.apply_options(&node))
        }
    }
}

pub fn make_plan(g: &Global, selection: &SelectionArgs) -> Result<(NodeState, Plan)> {
    let sel = selection.to_selection(&g.root())?;
    let catalog = Catalog::load(Catalog::user_file().as_deref())?;
    let node = node::detect(&g.locations());
    let mut plan = plan::make(&node, &catalog, &sel)?;
    // The profile's heal_every: heal --install's timer files too.
    if sel.heal.is_some() {
        crate::heal::schedule::add_to(&mut plan, &node, &heal_invocation(g)?, sel.heal.as_ref())?;
    }
    Ok((node, plan))
}

/// What the heal timer runs: this binary with this node's locations.
fn heal_invocation(g: &Global) -> Result<crate::heal::schedule::Invocation> {
    let (h, s) = (g.hosts_dir.as_deref(), g.state_dir.as_deref());
    crate::heal::schedule::Invocation::current(&g.root(), &g.config, h, &g.address, s)
}

/// `apply --json`: one JSON object on stdout whatever happens (see
/// `apply::outcome`); the error also goes to stderr, exit code as usual.
fn apply_json(g: &Global, selection: &SelectionArgs, yes: bool, docker: bool) -> Result<i32> {
    let fail = |e: Error| {
        say!("{}", apply::outcome::before_plan(&e));
        eprintln!("ctrwiz: {e}");
        Ok(e.exit_code())
    };
    if !yes {
        return fail(Error::Usage(t!("fleet.apply_json_needs_yes").into()));
    }
    let (node, plan) = match make_plan(g, selection) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let plan = apply::with_pending_restart(plan, &g.state_dir());
    let opts = ApplyOptions {
        docker_restart: docker.then(|| docker_restart_command(&node)),
        ..g.apply_options(&node)
    };
    let mut steps = Vec::new();
    let result = apply::run(&plan, &opts, &mut |s| steps.push(s));
    say!(
        "{}",
        serde_json::to_string_pretty(&apply::outcome::build(&plan, &steps, &result))
            .expect("outcomes serialise")
    );
    match result {
        Ok(_) => Ok(0),
        Err(e) => {
            eprintln!("ctrwiz: {e}");
            Ok(e.exit_code())
        }
    }
}

fn execute(plan: &Plan, opts: &ApplyOptions) -> Result<i32> {
    let report = apply::run(plan, opts, &mut |step| say!("  {step}"))?;
    say!("{}", report.message);
    if let Some(dir) = &report.backup_dir {
        say!("{}", t!("cli.apply.backup", dir = dir.display()));
    }
    Ok(0)
}

fn confirm(yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(t!("cli.confirm.no_terminal").into()));
    }
    say_inline!("{question} {} ", t!("cli.confirm.prompt"));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    // i18n: accepted answers
    if matches!(answer.trim(), "y" | "Y" | "yes" | "是") {
        Ok(())
    } else {
        Err(Error::Other(t!("cli.confirm.cancelled").into()))
    }
}

/// What only the running daemon can tell: whether its CRI plugin loaded.
fn live_facts(g: &Global, node: &NodeState) -> doctor::LiveFacts {
    let mut live = doctor::LiveFacts {
        host: Some(doctor::HostFacts::read(&g.root())),
        ..doctor::LiveFacts::default()
    };
    if let (true, Some(ctr)) = (
        node.service.running,
        node.tool(ToolName::Ctr).and_then(|t| t.path.as_ref()),
    ) {
        let socket = g.root().join(&g.address);
        let out = crate::process::run(
            std::process::Command::new(ctr)
                .arg("--address")
                .arg(&socket)
                .args(["plugins", "ls"]),
            Duration::from_secs(10),
        );
        if let Some(done) = out.ok().filter(|d| d.success()) {
            live.cri_failures = Some(apply::health::cri_failures(&done.stdout));
        }
    }
    live
}

fn probe_status_label(s: crate::probe::ProbeStatus) -> &'static str {
    use crate::probe::ProbeStatus;
    match s {
        ProbeStatus::Ok => t!("cli.probe.status.ok"),
        ProbeStatus::Slow => t!("cli.probe.status.slow"),
        ProbeStatus::Denied => t!("cli.probe.status.denied"),
        ProbeStatus::Unreachable => t!("cli.probe.status.unreachable"),
        ProbeStatus::TlsError => t!("cli.probe.status.tls_error"),
        ProbeStatus::HttpError => t!("cli.probe.status.http_error"),
    }
}

fn print_probe(results: &[crate::probe::ProbeResult]) {
    for r in results {
        let ms = r.latency_ms.map_or("-".to_string(), |m| format!("{m} ms"));
        say!(
            "{:<24} {:<52} {} {:>8}  {}",
            r.registry,
            r.url,
            pad(probe_status_label(r.status), 12),
            ms,
            r.detail
        );
    }
    say!();
    for (reg, best) in crate::probe::recommend(results) {
        match best {
            Some(b) => say!(
                "{}",
                t!(
                    "cli.probe.recommended",
                    registry = reg,
                    url = b.url,
                    source = b.source
                )
            ),
            None => say!("{}", t!("cli.probe.recommended_none", registry = reg)),
        }
    }
}

fn print_checks(checks: &[doctor::Check]) {
    for c in checks {
        let mark = match c.status {
            doctor::Status::Ok => t!("cli.doctor.ok"),
            doctor::Status::Warn => t!("cli.doctor.warn"),
            doctor::Status::Fail => t!("cli.doctor.fail"),
        };
        say!("[{}] {}: {}", pad(mark, 4), c.id, c.message);
        if let (Some(fix), true) = (&c.fix, c.status != doctor::Status::Ok) {
            say!("       {}", t!("cli.doctor.fix", fix = fix));
        }
    }
    let (warn, fail) = checks.iter().fold((0, 0), |(w, f), c| match c.status {
        doctor::Status::Warn => (w + 1, f),
        doctor::Status::Fail => (w, f + 1),
        doctor::Status::Ok => (w, f),
    });
    let summary = if warn == 1 {
        t!(
            "guide.cli.summary_one_warning",
            count = checks.len(),
            fail = fail
        )
    } else {
        t!(
            "cli.doctor.summary",
            count = checks.len(),
            fail = fail,
            warn = warn
        )
    };
    say!("{summary}");
}

fn kind_label(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Create => t!("cli.plan.kind.new"),
        ChangeKind::Modify => t!("cli.plan.kind.changed"),
        ChangeKind::Delete => t!("cli.plan.kind.removed"),
        ChangeKind::Unchanged => t!("cli.plan.kind.unchanged"),
    }
}

fn print_plan(plan: &Plan, diffs: bool) {
    say!("{}", t!("cli.plan.files", count = plan.effective().count()));
    for c in &plan.changes {
        say!("  {} {}", pad(kind_label(c.kind()), 9), c.path.display());
        if let Some(n) = &c.note {
            say!("            {n}");
        }
    }
    say!("{}", plan.restart_sentence());
    for n in &plan.notes {
        say!("{}", t!("cli.plan.note", note = n));
    }
    if diffs {
        for c in plan.effective() {
            say!();
            say_inline!("{}", c.diff());
        }
    }
}

/// A label of the detect report, padded so the values line up in both languages.
fn field(label: &str) -> String {
    pad(&format!("{label}:"), 14)
}

fn print_node(node: &NodeState) {
    use crate::node::daemon::VersionSource;
    let d = &node.containerd;
    match (d.version, d.source) {
        (Some(v), Some(source)) => {
            let from = match source {
                VersionSource::Socket => t!(
                    "cli.detect.from_socket",
                    address = node.service.address.display()
                ),
                VersionSource::Service => t!(
                    "cli.detect.from_service",
                    binary = d
                        .binary
                        .as_deref()
                        .unwrap_or(std::path::Path::new("?"))
                        .display()
                ),
                VersionSource::Path => t!(
                    "cli.detect.from_path",
                    binary = d
                        .binary
                        .as_deref()
                        .unwrap_or(std::path::Path::new("?"))
                        .display()
                ),
            };
            say!("{}{v} ({from})", field(t!("cli.detect.runs")));
        }
        _ => say!(
            "{}{}",
            field(t!("cli.detect.runs")),
            t!("cli.detect.runs_unknown")
        ),
    }
    if let (Some(daemon), Some(binary), Some(path)) = (d.version, d.binary_version, &d.binary) {
        if daemon != binary {
            say!(
                "  {}",
                t!(
                    "cli.detect.binary_differs",
                    binary = path.display(),
                    version = binary,
                    daemon = daemon
                )
            );
        }
    }
    say!("{}", t!("cli.detect.tools"));
    for t in &node.tools {
        let version = t
            .version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into());
        let where_ = t
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| t!("cli.detect.not_found").into());
        let extra = if t.timed_out {
            t!("cli.detect.timed_out")
        } else {
            ""
        };
        say!("  {:<12} {:<10} {where_}{extra}", t.name.as_str(), version);
    }
    let c = &node.containerd_config;
    say!(
        "{}{} ({})",
        field(t!("cli.detect.config")),
        c.path.display(),
        match (c.exists, c.schema_version) {
            (false, _) => t!("cli.detect.missing").to_string(),
            (true, Some(v)) => t!("cli.detect.config_version", version = v),
            (true, None) => t!("cli.detect.unreadable").to_string(),
        }
    );
    if let Some(e) = &c.error {
        say!("  {}", t!("cli.detect.error", error = e));
    }
    say!(
        "  config_path: {}",
        c.config_path
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(t!("cli.detect.config_path_unset"))
    );
    for (r, eps) in &c.legacy_mirrors {
        say!(
            "  {}",
            t!(
                "cli.detect.legacy_mirror",
                registry = r,
                endpoints = eps.join(", ")
            )
        );
    }
    let h = &node.hosts_dir;
    say!(
        "{}{} ({})",
        field(t!("cli.detect.hosts_dir")),
        h.path.display(),
        if h.exists {
            h.registries.join(", ")
        } else {
            t!("cli.detect.missing").into()
        }
    );
    let manager = match node.service.manager {
        ServiceManager::Systemd => "systemd",
        ServiceManager::Openrc => "OpenRC",
        ServiceManager::None => t!("cli.detect.no_manager"),
    };
    say!(
        "{}{manager}, {}",
        field(t!("cli.detect.service")),
        if node.service.running {
            t!("cli.detect.answers")
        } else {
            t!("cli.detect.not_answering")
        }
    );
}

fn print_presets(catalog: &Catalog, json: bool) {
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&catalog.presets).expect("presets serialise")
        );
        return;
    }
    for p in &catalog.presets {
        let notes: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
        let regs: Vec<&str> = if p.all_registries {
            vec![t!("cli.presets.every_registry")]
        } else {
            p.mirrors.keys().map(String::as_str).collect()
        };
        say!(
            "{:<13} {}{}",
            p.id,
            p.display_name(),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", notes.join(", "))
            }
        );
        say!(
            "{:<13} {}",
            "",
            t!(
                "cli.presets.covers",
                registries = regs.join(", "),
                verified = if p.verified.is_empty() {
                    "-"
                } else {
                    &p.verified
                }
            )
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::{scoped, Lang};

    #[test]
    fn the_localized_command_is_valid_and_every_argument_has_help() {
        for lang in Lang::ALL {
            let _lang = scoped(lang);
            let mut cmd = super::command();
            cmd.build();
            cmd.clone().debug_assert();
            let mut missing = Vec::new();
            let mut stack = vec![cmd];
            while let Some(c) = stack.pop() {
                if c.get_about().is_none() {
                    missing.push(c.get_name().to_string());
                }
                for a in c.get_arguments() {
                    if a.get_help().is_none() {
                        missing.push(format!("{} {}", c.get_name(), a.get_id()));
                    }
                }
                stack.extend(c.get_subcommands().cloned());
            }
            assert!(missing.is_empty(), "{lang:?}: no help for {missing:?}");
        }
    }
}
