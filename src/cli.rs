//! The scriptable CLI: argument parsing and output only; every decision is
//! the engine's (node → selection → plan → apply).

use crate::apply::{self, backup, ApplyOptions, RestartPolicy};
use crate::catalog::Catalog;
use crate::doctor;
use crate::error::{Error, Result};
use crate::node::{self, Locations, NodeState, ServiceManager, ToolName};
use crate::plan::{self, ChangeKind, Plan};
use crate::root::Root;
use crate::selection::Selection;
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "ctrwiz",
    version,
    about = "Configure containerd registry mirrors (certs.d/hosts.toml and config.toml) safely",
    long_about = "Configure containerd registry mirrors safely.\n\nWithout a subcommand, on a terminal, ctrwiz opens the wizard. The subcommands do the same for scripts: `plan` shows what would change, `apply` writes it (with a backup) and restarts containerd only when config.toml changed."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct Global {
    /// Read and write every node path under DIR (image preparation, chroots, tests)
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// containerd's config file
    #[arg(long, global = true, value_name = "FILE", default_value = crate::containerd::config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// The hosts directory to write (default: config.toml's config_path, else /etc/containerd/certs.d)
    #[arg(long, global = true, value_name = "DIR")]
    pub hosts_dir: Option<PathBuf>,
    /// Command that restarts containerd (run with sh -c); default: systemctl or rc-service
    #[arg(long, global = true, value_name = "CMD")]
    pub restart_cmd: Option<String>,
    /// containerd's socket
    #[arg(long, global = true, value_name = "SOCKET", default_value = node::DEFAULT_ADDRESS)]
    pub address: PathBuf,
    /// Where backups, the lock and apply logs go (default: /var/lib/ctrwiz as root)
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Work on a built-in sample node in a temporary directory (safe to try anything)
    #[arg(long, global = true, conflicts_with = "root")]
    pub demo: bool,
    /// Rootless containerd: ~/.config/containerd, the $XDG_RUNTIME_DIR socket,
    /// `systemctl --user` (chosen by itself for a normal user who has one)
    #[arg(long, global = true, conflicts_with = "root")]
    pub rootless: bool,
    /// What config_path must say when containerd sees the hosts dir elsewhere
    /// (rootless: bind-mounted on /etc/containerd).
    #[arg(skip)]
    pub config_path_value: Option<PathBuf>,
    /// Do not measure mirrors (wizard, doctor): no network traffic
    #[arg(long, global = true)]
    pub no_probe: bool,
    /// Seconds to wait for containerd to answer after a restart
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub health_timeout: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show what is installed and how containerd is configured
    Detect {
        #[arg(long)]
        json: bool,
    },
    /// List the mirror presets and the registries they cover
    Presets {
        #[arg(long)]
        json: bool,
    },
    /// Show the files a selection would write, as diffs; writes nothing
    Plan {
        #[command(flatten)]
        selection: SelectionArgs,
        #[arg(long)]
        json: bool,
    },
    /// Write the planned files (after a backup) and restart containerd if config.toml changed
    Apply {
        #[command(flatten)]
        selection: SelectionArgs,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
        /// Restart Docker when daemon.json changes (stops its containers unless live-restore is on)
        #[arg(long)]
        restart_docker: bool,
    },
    /// Measure mirrors: reachability, latency, allowlists (all at once, bounded by --timeout)
    Probe {
        /// Registries to probe (default: every registry in the catalog)
        registries: Vec<String>,
        #[command(flatten)]
        selection: SelectionArgs,
        /// Per-mirror time limit in milliseconds; the whole probe takes about this long
        #[arg(long, value_name = "MS", default_value_t = 3000)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Explain what is wrong on this node when pulls fail (exit 1 when a check fails)
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Pull a small image and show which host served it (needs the live node)
    Verify {
        /// Image to pull (default docker.io/library/busybox:latest)
        image: Option<String>,
        /// Seconds the pull may take
        #[arg(long, value_name = "SECONDS", default_value_t = 120)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    Man,
    /// Restore a backup set (the newest by default)
    Rollback {
        /// List the backup sets
        #[arg(long)]
        list: bool,
        /// Backup set id (from --list)
        id: Option<String>,
        #[arg(long, short)]
        yes: bool,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct SelectionArgs {
    /// One preset for every registry it covers (see `ctrwiz presets`)
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// REGISTRY=SPEC, SPEC = preset name | URL[,URL…] | none (repeatable)
    #[arg(long = "mirror", value_name = "REGISTRY=SPEC")]
    pub mirrors: Vec<String>,
    /// A saved selection (TOML), as the wizard saves it
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Pause (sandbox) image, written where the file's version keeps it
    #[arg(long, value_name = "IMAGE", help_heading = "Node setup")]
    pub sandbox_image: Option<String>,
    /// SystemdCgroup for runc (must match kubelet's cgroup driver)
    #[arg(long, value_name = "true|false", help_heading = "Node setup")]
    pub systemd_cgroup: Option<bool>,
    /// A proxy for containerd only (systemd drop-in), or `none` to remove it
    #[arg(long, value_name = "URL|none", help_heading = "Node setup")]
    pub proxy: Option<String>,
    /// NO_PROXY for --proxy (default: localhost, private ranges, .svc, .cluster.local and this node's addresses)
    #[arg(
        long,
        value_name = "LIST",
        requires = "proxy",
        help_heading = "Node setup"
    )]
    pub no_proxy: Option<String>,
    /// docker.io mirrors for Docker's /etc/docker/daemon.json (other keys kept), or `none`
    #[arg(long, value_name = "URL[,URL…]|none", help_heading = "Node setup")]
    pub docker_mirror: Option<String>,
    /// A private registry (Harbor …) reached directly, with the TLS/auth flags below
    #[arg(long, value_name = "HOST[:PORT]", help_heading = "Private registry")]
    pub registry: Option<String>,
    /// CA certificate for --registry (copied next to its hosts.toml)
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "Private registry"
    )]
    pub ca: Option<PathBuf>,
    /// Client certificate for --registry
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "Private registry"
    )]
    pub client_cert: Option<PathBuf>,
    /// Client key for --registry (written 0600)
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry",
        help_heading = "Private registry"
    )]
    pub client_key: Option<PathBuf>,
    /// Do not verify --registry's certificate
    #[arg(long, requires = "registry", help_heading = "Private registry")]
    pub skip_verify: bool,
    /// --registry speaks plain http://
    #[arg(long, requires = "registry", help_heading = "Private registry")]
    pub plain_http: bool,
    /// Basic auth for --registry; stored as a header in a 0600 hosts.toml
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        requires = "registry",
        help_heading = "Private registry"
    )]
    pub auth: Option<String>,
}

impl SelectionArgs {
    pub fn to_selection(&self, root: &Root) -> Result<Selection> {
        let sel = self.to_selection_or_empty(root)?;
        if sel.is_empty() {
            return Err(Error::Usage(
                "nothing selected: pass --preset NAME, --mirror REGISTRY=SPEC or --profile FILE (`ctrwiz presets` lists the presets)".into(),
            ));
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
        let extras = &mut sel.extras;
        if let Some(spec) = &self.docker_mirror {
            extras.docker_mirrors = Some(match spec.trim() {
                "none" => vec![],
                list => list
                    .split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect(),
            });
        }
        if self.sandbox_image.is_some() {
            extras.sandbox_image = self.sandbox_image.clone();
        }
        if self.systemd_cgroup.is_some() {
            extras.systemd_cgroup = self.systemd_cgroup;
        }
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
            if let Some(auth) = &self.auth {
                let (u, p) = auth
                    .split_once(':')
                    .ok_or_else(|| Error::Usage("--auth takes USER:PASSWORD".into()))?;
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
            return RestartPolicy::Skip("--root is given without --restart-cmd; the new config takes effect when containerd starts".into());
        }
        if !service.running {
            return RestartPolicy::Skip(
                "containerd is not running; the new config takes effect when it starts".into(),
            );
        }
        if self.rootless {
            return RestartPolicy::Command("systemctl --user restart containerd".into());
        }
        match service.manager {
            ServiceManager::Systemd => RestartPolicy::Systemd,
            ServiceManager::Openrc => RestartPolicy::Openrc,
            ServiceManager::None => RestartPolicy::Skip(
                "no service manager (systemd or OpenRC) found; restart containerd yourself for config.toml to take effect".into(),
            ),
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
            docker_restart: None,
        }
    }
}

fn docker_restart_command(node: &NodeState) -> String {
    match node.service.manager {
        ServiceManager::Openrc => "rc-service docker restart".into(),
        _ => "systemctl restart docker".into(),
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

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
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
        let dir = tempfile::Builder::new()
            .prefix("ctrwiz-demo-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        crate::demo::create(dir.path()).map_err(|e| Error::io(dir.path(), e))?;
        eprintln!(
            "ctrwiz: demo node in {} (removed on exit)",
            dir.path().display()
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
                eprintln!("ctrwiz: the wizard needs a terminal. For scripts use `ctrwiz plan --preset NAME` to preview and `ctrwiz apply --preset NAME --yes` to apply (`ctrwiz --help` for more).");
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
                Err("ctrwiz needs root to write /etc/containerd: run it with sudo, or use --root DIR to write into another tree.".to_string())
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
            };
            crate::wizard::run(ctx).map_err(|e| Error::Other(format!("the wizard failed: {e}")))?;
            Ok(0)
        }
        Some(Command::Detect { json }) => {
            let node = node::detect(&g.locations());
            if *json {
                println!(
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
                println!(
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
        }) => {
            let (node, plan) = make_plan(g, selection)?;
            print_plan(&plan, !yes);
            if plan.is_noop() {
                // Still finishes a restart an interrupted apply left pending.
                return execute(
                    &plan,
                    &ApplyOptions {
                        docker_restart: restart_docker.then(|| docker_restart_command(&node)),
                        ..g.apply_options(&node)
                    },
                );
            }
            confirm(
                *yes,
                &format!("Apply these {} change(s)?", plan.effective().count()),
            )?;
            execute(
                &plan,
                &ApplyOptions {
                    docker_restart: restart_docker.then(|| docker_restart_command(&node)),
                    ..g.apply_options(&node)
                },
            )
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
            let opts = crate::probe::ProbeOptions::new(Duration::from_millis(*timeout));
            let results = crate::probe::run(cands, opts);
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&results).expect("results serialise")
                );
            } else {
                print_probe(&results);
            }
            Ok(0)
        }
        Some(Command::Doctor { json }) => {
            let node = node::detect(&g.locations());
            let mut live = live_facts(g, &node);
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
                println!(
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
                return Err(Error::Usage(
                    "verify pulls through the running containerd; it cannot work on --root".into(),
                ));
            }
            let node = node::detect(&g.locations());
            if !node.service.running {
                return Err(Error::Other(format!(
                    "containerd does not answer on {}: start it first (`ctrwiz doctor` explains)",
                    g.address.display()
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
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialise")
                );
            } else {
                println!("{}", report.message);
            }
            Ok(if report.ok() { 0 } else { 1 })
        }
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "ctrwiz", &mut std::io::stdout());
            Ok(0)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| Error::io("stdout", e))?;
            Ok(0)
        }
        Some(Command::Rollback { list, id, yes }) => {
            let state = g.state_dir();
            if *list {
                let sets = backup::list(&state);
                if sets.is_empty() {
                    println!(
                        "No backup sets in {}.",
                        backup::backups_dir(&state).display()
                    );
                }
                for s in sets {
                    let files: Vec<String> = s
                        .manifest
                        .entries
                        .iter()
                        .map(|e| e.path.display().to_string())
                        .collect();
                    println!("{}  {}", s.manifest.id, files.join(", "));
                }
                return Ok(0);
            }
            let set = backup::find(&state, id.as_deref())?;
            let node = node::detect(&g.locations());
            let plan =
                set.restore_plan(&g.root(), node.hosts_dir.path.clone(), g.config.clone())?;
            println!(
                "Rolling back to backup set {} ({}).",
                set.manifest.id,
                set.dir.display()
            );
            print_plan(&plan, !yes);
            if plan.is_noop() {
                println!("Nothing to do: the files already match that backup set.");
                return Ok(0);
            }
            confirm(*yes, "Restore these files?")?;
            execute(&plan, &g.apply_options(&node))
        }
    }
}

pub fn make_plan(g: &Global, selection: &SelectionArgs) -> Result<(NodeState, Plan)> {
    let sel = selection.to_selection(&g.root())?;
    let catalog = Catalog::load(Catalog::user_file().as_deref())?;
    let node = node::detect(&g.locations());
    let plan = plan::make(&node, &catalog, &sel)?;
    Ok((node, plan))
}

fn execute(plan: &Plan, opts: &ApplyOptions) -> Result<i32> {
    let report = apply::run(plan, opts, &mut |step| println!("  {step}"))?;
    println!("{}", report.message);
    if let Some(dir) = &report.backup_dir {
        println!("Backup: {} (undo with `ctrwiz rollback`)", dir.display());
    }
    Ok(0)
}

fn confirm(yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "no terminal to ask for confirmation: pass --yes to apply without asking".into(),
        ));
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::Other("cancelled: nothing was written".into()))
    }
}

/// What only the running daemon can tell: whether its CRI plugin loaded.
fn live_facts(g: &Global, node: &NodeState) -> doctor::LiveFacts {
    let mut live = doctor::LiveFacts::default();
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

fn print_probe(results: &[crate::probe::ProbeResult]) {
    for r in results {
        let ms = r.latency_ms.map_or("-".to_string(), |m| format!("{m} ms"));
        println!(
            "{:<24} {:<52} {:<12} {:>8}  {}",
            r.registry,
            r.url,
            format!("{:?}", r.status).to_lowercase(),
            ms,
            r.detail
        );
    }
    println!();
    for (reg, best) in crate::probe::recommend(results) {
        match best {
            Some(b) => println!("recommended for {reg}: {} ({})", b.url, b.source),
            None => println!("recommended for {reg}: none works from here"),
        }
    }
}

fn print_checks(checks: &[doctor::Check]) {
    for c in checks {
        let mark = match c.status {
            doctor::Status::Ok => "ok  ",
            doctor::Status::Warn => "WARN",
            doctor::Status::Fail => "FAIL",
        };
        println!("[{mark}] {}: {}", c.id, c.message);
        if let (Some(fix), true) = (&c.fix, c.status != doctor::Status::Ok) {
            println!("       fix: {fix}");
        }
    }
    let (warn, fail) = checks.iter().fold((0, 0), |(w, f), c| match c.status {
        doctor::Status::Warn => (w + 1, f),
        doctor::Status::Fail => (w, f + 1),
        doctor::Status::Ok => (w, f),
    });
    println!("{} checks: {fail} failed, {warn} warnings", checks.len());
}

fn kind_label(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Create => "new",
        ChangeKind::Modify => "changed",
        ChangeKind::Delete => "removed",
        ChangeKind::Unchanged => "unchanged",
    }
}

fn print_plan(plan: &Plan, diffs: bool) {
    println!("Files ({} to change):", plan.effective().count());
    for c in &plan.changes {
        println!("  {:<9} {}", kind_label(c.kind()), c.path.display());
        if let Some(n) = &c.note {
            println!("            {n}");
        }
    }
    println!("{}", plan.restart_sentence());
    for n in &plan.notes {
        println!("note: {n}");
    }
    if diffs {
        for c in plan.effective() {
            println!();
            print!("{}", c.diff());
        }
    }
}

fn print_node(node: &NodeState) {
    println!("Tools:");
    for t in &node.tools {
        let version = t
            .version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into());
        let where_ = t
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "not found".into());
        let extra = if t.timed_out {
            "  (did not answer in time)"
        } else {
            ""
        };
        println!("  {:<12} {:<10} {where_}{extra}", t.name.as_str(), version);
    }
    let c = &node.containerd_config;
    println!(
        "config.toml:  {} ({})",
        c.path.display(),
        match (c.exists, c.schema_version) {
            (false, _) => "missing".to_string(),
            (true, Some(v)) => format!("version {v}"),
            (true, None) => "unreadable".to_string(),
        }
    );
    if let Some(e) = &c.error {
        println!("  error: {e}");
    }
    println!(
        "  config_path: {}",
        c.config_path
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("(not set: certs.d is not used)")
    );
    for (r, eps) in &c.legacy_mirrors {
        println!("  legacy mirror: {r} -> {}", eps.join(", "));
    }
    let h = &node.hosts_dir;
    println!(
        "hosts dir:    {} ({})",
        h.path.display(),
        if h.exists {
            h.registries.join(", ")
        } else {
            "missing".into()
        }
    );
    println!(
        "service:      {:?}, containerd {}",
        node.service.manager,
        if node.service.running {
            "answers on its socket"
        } else {
            "is not answering"
        }
    );
}

fn print_presets(catalog: &Catalog, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&catalog.presets).expect("presets serialise")
        );
        return;
    }
    for p in &catalog.presets {
        let notes: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
        let regs: Vec<&str> = if p.all_registries {
            vec!["every registry"]
        } else {
            p.mirrors.keys().map(String::as_str).collect()
        };
        println!(
            "{:<13} {}{}",
            p.id,
            p.name,
            if notes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", notes.join(", "))
            }
        );
        println!(
            "{:<13} covers {}; last known good {}",
            "",
            regs.join(", "),
            if p.verified.is_empty() {
                "-"
            } else {
                &p.verified
            }
        );
    }
}
