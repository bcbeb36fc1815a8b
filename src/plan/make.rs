//! `make` in named phases: the base config.toml, the imports 1.x needs
//! edited too, legacy mirrors migrated (legacy.rs), private registries, the hosts
//! files, Docker, the proxy drop-in, the closing notes. Each phase is a
//! function of the node and the selection (no I/O) and is tested on its own
//! in tests.rs.

use super::{hosts_file, ChangeKind, ChangeNote, FileChange, Note, Plan, Purpose, Reason, Restart};
use crate::catalog::Catalog;
use crate::containerd::config::ContainerdConfig;
use crate::containerd::gates::Gate;
use crate::containerd::hosts;
use crate::error::{Error, Result};
use crate::extras::PrivateRegistry;
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::{Selection, Target};
use std::path::{Path, PathBuf};

pub(super) use super::legacy::{apply_legacy_tls, migrate_legacy};

pub fn make(node: &NodeState, catalog: &Catalog, selection: &Selection) -> Result<Plan> {
    // k3s/RKE2/kubespray/Talos/Bottlerocket rewrite containerd's files.
    if let Some(owned) = crate::owner::plan(node, catalog, selection) {
        return owned;
    }
    let cfg_state = &node.containerd_config;
    let hosts_dir = node.hosts_dir.path.clone();
    let hosts_dir_str = node
        .hosts_dir
        .config_value
        .to_str()
        .ok_or_else(|| Error::Usage(crate::t!("plan.hosts_dir_utf8").into()))?
        .to_string();
    let mut notes = Vec::new();

    let Base {
        mut cfg,
        before,
        mut edits,
    } = base_config(node)?;
    // On 1.x an imported plugin table replaces config.toml's whole table
    // (docs/containerd-facts.md §3.3): imports holding the CRI table get the same edits, or
    // config_path would silently vanish. On 2.x an import that sets
    // `config_path` or legacy mirrors wins key by key (a Talos-style
    // drop-in): it gets the edits too, at its own version's tables.
    let one_x = !Gate::ImportsMergeDeep.on(node.containerd_version());
    let imports = cri_imports(node, one_x)?;
    if let (Some(file), Some(value)) = (
        &cfg_state.config_path_file,
        &cfg_state.effective_config_path,
    ) {
        notes.push(Note::ConfigPathFromImport {
            file: file.clone(),
            value: value.clone(),
        });
    }
    let config_path = config_path_value(cfg_state, &hosts_dir_str, &mut notes);

    let mut targets = selection.resolve(catalog)?;
    let chosen: Vec<RegistryName> = targets.iter().map(|t| t.registry().clone()).collect();
    let mut legacy = cfg.legacy_mirrors();
    let mut legacy_tls = cfg.legacy_tls();
    for i in &imports {
        legacy.extend(i.config.legacy_mirrors());
        legacy_tls.extend(i.config.legacy_tls());
    }
    let (migrated, legacy_notes) = migrate_legacy(node, legacy, &chosen)?;
    targets.extend(migrated);
    notes.extend(legacy_notes);
    apply_legacy_tls(&mut targets, legacy_tls, &mut notes)?;
    let private = &selection.extras.private;
    let (private_targets, private_notes) = private_targets(private, &targets)?;
    targets.extend(private_targets);
    notes.extend(private_notes);

    edits.extend(edit_config(&mut cfg, selection, &config_path));
    edits.extend(cni_bin_dir_edit(node, selection, &mut cfg)?);
    let (import_changes, import_edits) = import_changes(imports, selection, &config_path);
    edits.extend(import_edits);
    let config_change = FileChange {
        path: cfg_state.path.clone(),
        purpose: Purpose::Config,
        before: before.map(String::into_bytes),
        after: Some(cfg.render().into_bytes()),
        note: None,
        mode: None,
    };
    let config_changed = std::iter::once(&config_change)
        .chain(&import_changes)
        .any(|c| c.kind() != ChangeKind::Unchanged);
    let mut restart = config_changed.then_some(Restart {
        reasons: edits,
        daemon_reload: false,
        service: None,
    });

    let dial_timeout = selection.dial_timeout_for(node.containerd_version());
    for t in &mut targets {
        if let Target::Write(spec) = t {
            spec.dial_timeout.clone_from(&dial_timeout);
        }
    }
    let mut changes = vec![config_change];
    changes.extend(import_changes);
    changes.extend(hosts_changes(
        node, &hosts_dir, &targets, private, &mut notes,
    ));
    changes.extend(nerdctl_change(node, selection)?);
    if let Some((change, note)) = docker_change(node, selection)? {
        changes.push(change);
        notes.extend(note);
    }
    changes.extend(proxy_change(node, selection, &mut restart)?);
    notes.extend(proxy_notes(node, selection));
    changes.extend(crate::clients::crictl_change(node, selection)?);
    notes.extend(crate::owner::ignored_note(node));
    notes.extend(closing_notes(node, &cfg, one_x, &targets));
    refuse_unreadable(node, &changes)?;

    Ok(Plan {
        changes,
        restart,
        notes,
        hosts_dir,
        config: cfg_state.path.clone(),
    })
}

/// config.toml as the plan starts from it.
pub(super) struct Base {
    pub cfg: ContainerdConfig,
    /// The file's text now (`None`: it does not exist).
    pub before: Option<String>,
    pub edits: Vec<Reason>,
}

/// config.toml: the user's file, else `containerd config default`, else a
/// minimal file of the version the installed containerd reads; refused
/// when unreadable or of a version the daemon cannot start with.
pub(super) fn base_config(node: &NodeState) -> Result<Base> {
    let cfg_state = &node.containerd_config;
    if let Some(err) = &cfg_state.error {
        if cfg_state.text.is_none() {
            return Err(Error::Other(err.clone()));
        }
    }
    let before = cfg_state.text.clone();
    let base = match (&before, &cfg_state.default_text) {
        (Some(t), _) => t.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => {
            let v3 = Gate::ConfigV3.on(node.containerd_version());
            ContainerdConfig::minimal(if v3 { 3 } else { 2 })
        }
    };
    let mut cfg = ContainerdConfig::parse(&cfg_state.path, &base)?;
    refuse_unreadable_version(node, &cfg_state.path, &base, &cfg)?;
    let mut edits = Vec::new();
    if before.is_none() {
        edits.push(Reason::ConfigCreated {
            path: cfg_state.path.clone(),
        });
    }
    edits.extend(cfg.merge_v1_tables().into_iter().map(|e| e.0));
    edits.extend(cfg.ensure_versioned().map(|e| e.0));
    Ok(Base { cfg, before, edits })
}

/// An imported file that holds the CRI table.
pub(super) struct Import {
    pub path: PathBuf,
    pub text: String,
    pub config: ContainerdConfig,
}

/// The imports that must get config.toml's edits: on 1.x (`one_x`) those
/// holding the CRI table; on 2.x those that set `config_path` or legacy
/// mirrors (they win key by key).
pub(super) fn cri_imports(node: &NodeState, one_x: bool) -> Result<Vec<Import>> {
    let mut out = Vec::new();
    for (path, text) in &node.containerd_config.imported {
        let config = ContainerdConfig::parse(path, text)?;
        let wins = if one_x {
            config.has_cri_table()
        } else {
            config.config_path().is_some() || !config.legacy_mirrors().is_empty()
        };
        if wins {
            out.push(Import {
                path: path.clone(),
                text: text.clone(),
                config,
            });
        }
    }
    Ok(out)
}

/// Private registries as hosts.toml targets; one that is also mirrored is
/// refused (two hosts.toml for one registry).
pub(super) fn private_targets(
    private: &[PrivateRegistry],
    targets: &[Target],
) -> Result<(Vec<Target>, Vec<Note>)> {
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    for p in private {
        p.validate()?;
        if targets.iter().any(|t| t.registry() == &p.host) {
            return Err(Error::Usage(crate::t!(
                "plan.mirrored_and_private",
                registry = p.host
            )));
        }
        if p.skip_verify {
            notes.push(Note::SkipVerify {
                registry: p.host.to_string(),
            });
        }
        out.push(Target::Write(p.hosts_spec()));
    }
    Ok((out, notes))
}

/// The registry edits every file holding the CRI table gets: extras, no
/// legacy mirrors/TLS, one config_path.
pub(super) fn edit_config(
    cfg: &mut ContainerdConfig,
    selection: &Selection,
    hosts_dir: &str,
) -> Vec<Reason> {
    let mut edits = Vec::new();
    if let Some(image) = &selection.extras.sandbox_image {
        edits.extend(cfg.set_sandbox_image(image).map(|e| e.0));
    }
    if let Some(on) = selection.extras.systemd_cgroup {
        edits.extend(cfg.set_systemd_cgroup(on).map(|e| e.0));
    }
    if selection.extras.enable_cri {
        edits.extend(cfg.enable_cri().map(|e| e.0));
    }
    edits.extend(cfg.remove_legacy_mirrors().map(|e| e.0));
    edits.extend(cfg.remove_legacy_tls().map(|e| e.0));
    edits.extend(cfg.set_config_path(hosts_dir).map(|e| e.0));
    edits
}

/// The imports with config.toml's edits, and one restart reason per
/// import that changed.
fn import_changes(
    imports: Vec<Import>,
    selection: &Selection,
    hosts_dir: &str,
) -> (Vec<FileChange>, Vec<Reason>) {
    let (mut changes, mut reasons) = (Vec::new(), Vec::new());
    for Import {
        path,
        text,
        mut config,
    } in imports
    {
        let mut e: Vec<Reason> = config.merge_v1_tables().into_iter().map(|e| e.0).collect();
        e.extend(config.ensure_versioned().map(|e| e.0));
        e.extend(edit_config(&mut config, selection, hosts_dir));
        if !e.is_empty() {
            reasons.push(Reason::ImportEdited { path: path.clone() });
        }
        changes.push(FileChange {
            before: Some(text.into_bytes()),
            after: Some(config.render().into_bytes()),
            purpose: Purpose::Config,
            note: Some(ChangeNote::Imported),
            mode: None,
            path,
        });
    }
    (changes, reasons)
}

/// One hosts.toml per target, and beside a private registry's its CA and
/// client files (0600 where a password or key is).
pub(super) fn hosts_changes(
    node: &NodeState,
    hosts_dir: &Path,
    targets: &[Target],
    private: &[PrivateRegistry],
    notes: &mut Vec<Note>,
) -> Vec<FileChange> {
    let mut changes = Vec::new();
    for target in targets {
        let mut change = hosts_change(node, hosts_dir, target, notes);
        if let Some(p) = private.iter().find(|p| &p.host == target.registry()) {
            if p.has_auth() {
                // The header holds a password.
                change.mode = Some(0o600);
                notes.push(Note::Password {
                    path: change.path.clone(),
                });
            }
            for (name, text) in &p.files {
                let path = hosts_dir.join(p.host.dir_name()).join(name);
                changes.push(FileChange {
                    before: node.registry_files.get(&path).cloned(),
                    after: Some(text.clone().into_bytes()),
                    purpose: Purpose::RegistryFile {
                        registry: p.host.to_string(),
                    },
                    note: None,
                    mode: Some(if name == crate::paths::CLIENT_KEY_FILE {
                        0o600
                    } else {
                        0o644
                    }),
                    path,
                });
            }
        }
        changes.push(change);
    }
    changes
}

fn hosts_change(
    node: &NodeState,
    hosts_dir: &Path,
    target: &Target,
    notes: &mut Vec<Note>,
) -> FileChange {
    let registry = target.registry();
    let path = hosts_file(hosts_dir, registry);
    let before = node.hosts_dir.bytes.get(&registry.dir_name()).cloned();
    let text = node
        .hosts_dir
        .files
        .get(&registry.dir_name())
        .cloned()
        .flatten();
    let mut note = None;
    match (&before, &text) {
        (Some(_), None) => note = Some(ChangeNote::NotUtf8),
        (_, Some(text)) => {
            if let Err(e) = hosts::parse(&path, text) {
                note = Some(ChangeNote::Unparsable {
                    error: e.to_string(),
                });
            } else if !hosts::is_managed(text) {
                note = Some(ChangeNote::Foreign);
            }
        }
        (None, None) => {}
    }
    // containerd looks up host_port_ before host:port; an old host:port
    // directory is shadowed by ours.
    if registry.as_str().contains(':') && node.hosts_dir.files.contains_key(registry.as_str()) {
        notes.push(Note::Shadowed {
            old: format!("{}/{registry}", hosts_dir.display()),
            new: registry.dir_name(),
        });
    }
    let after = match target {
        Target::Write(spec) => Some(spec.render().into_bytes()),
        Target::Remove(_) => None,
    };
    FileChange {
        path,
        purpose: Purpose::Hosts {
            registry: registry.to_string(),
        },
        before,
        after,
        note,
        mode: None,
    }
}

/// Docker's daemon.json with the selection's mirrors, and what restarting
/// Docker will do to its containers (when the file changes).
pub(super) fn docker_change(
    node: &NodeState,
    selection: &Selection,
) -> Result<Option<(FileChange, Option<Note>)>> {
    let Some(mirrors) = &selection.extras.docker_mirrors else {
        return Ok(None);
    };
    let path = PathBuf::from(crate::paths::DOCKER_DAEMON_JSON);
    let before = node.docker_daemon_json.clone();
    let before_text = before
        .clone()
        .map(|b| crate::node::read::utf8(&path, b))
        .transpose()?;
    let after =
        crate::extras::docker_daemon_json(&path, before_text.as_deref(), mirrors)?.into_bytes();
    let change = FileChange {
        path,
        purpose: Purpose::DockerDaemon,
        before,
        after: Some(after),
        note: None,
        mode: None,
    };
    let note = (change.kind() != ChangeKind::Unchanged).then(|| {
        if crate::extras::docker_live_restore(before_text.as_deref()) {
            Note::DockerLiveRestore
        } else {
            Note::DockerStops
        }
    });
    Ok(Some((change, note)))
}

/// containerd's proxy drop-in: a change needs daemon-reload and a restart
/// (added to `restart`). Where the node (or the `--root` tree) has no
/// systemd unit dir, nothing reads a drop-in and ctrwiz cannot set
/// containerd's environment: a proxy is refused, naming where it was
/// asked for; `none` has nothing to remove.
pub(super) fn proxy_change(
    node: &NodeState,
    selection: &Selection,
    restart: &mut Option<Restart>,
) -> Result<Option<FileChange>> {
    let Some(proxy) = selection.extras.proxy.as_ref() else {
        return Ok(None);
    };
    if !node.service.reads_drop_ins() {
        return match proxy {
            crate::extras::Proxy::Remove => Ok(None),
            crate::extras::Proxy::Set { .. } => {
                let origin = selection.extras.proxy_origin.clone().unwrap_or_else(|| {
                    crate::error::Origin::Field(crate::t!("plan.proxy.field").into())
                });
                Err(origin.error(crate::t!("plan.proxy.no_systemd")))
            }
        };
    }
    let change = FileChange {
        path: PathBuf::from(crate::paths::PROXY_DROP_IN),
        purpose: Purpose::ProxyDropIn,
        before: node.proxy_drop_in.clone(),
        after: proxy
            .render(&proxy.no_proxy_on(node))
            .map(String::into_bytes),
        note: None,
        mode: None,
    };
    if change.kind() != ChangeKind::Unchanged {
        let r = restart.get_or_insert_with(|| Restart {
            reasons: vec![],
            daemon_reload: false,
            service: None,
        });
        r.reasons.push(match proxy {
            // Reasons are shown (review, plan, JSON): no password in them.
            crate::extras::Proxy::Set { url, .. } => Reason::ProxySet {
                url: super::redact_url_passwords(url),
            },
            crate::extras::Proxy::Remove => Reason::ProxyRemoved,
        });
        r.daemon_reload = true;
    }
    Ok(Some(change))
}

/// What other drop-ins of containerd's unit do to the proxy asked for: one
/// read after ctrwiz's overrides it; `none` leaves the proxy another sets.
pub(super) fn proxy_notes(node: &NodeState, selection: &Selection) -> Vec<Note> {
    match &selection.extras.proxy {
        Some(crate::extras::Proxy::Set { .. }) if node.service.reads_drop_ins() => node
            .proxy_overrides()
            .into_iter()
            .map(|(path, vars)| Note::ProxyOverridden { path, vars })
            .collect(),
        Some(crate::extras::Proxy::Remove) => node
            .other_drop_ins
            .iter()
            .filter(|(_, b)| {
                !crate::containerd::proxy_env::proxy_vars_set(&String::from_utf8_lossy(b))
                    .is_empty()
            })
            .map(|(path, _)| Note::ProxyStillSet { path: path.clone() })
            .collect(),
        _ => vec![],
    }
}

/// `--cni-bin-dir`: config.toml's CRI plugin looks for CNI plugins in the
/// dir asked for (2.1+: `bin_dirs`, `Gate::CniBinDirs`); nothing when the
/// daemon looks there already (what doctor's `cni.bin_dir` check reads).
pub(super) fn cni_bin_dir_edit(
    node: &NodeState,
    selection: &Selection,
    cfg: &mut ContainerdConfig,
) -> Result<Option<Reason>> {
    let Some(wanted) = &selection.extras.cni_bin_dir else {
        return Ok(None);
    };
    let dir = wanted.resolve(node)?;
    if node.cni_looks_in(Path::new(&dir)) {
        return Ok(None);
    }
    let list = Gate::CniBinDirs.on(node.containerd_version());
    Ok(cfg.set_cni_bin_dir(&dir, list).map(|e| e.0))
}

/// `--nerdctl`: nerdctl's own `hosts_dir` gets the hosts dir (nerdctl
/// ignores `config_path`). No restart: nerdctl reads it on each run.
pub(super) fn nerdctl_change(
    node: &NodeState,
    selection: &Selection,
) -> Result<Option<FileChange>> {
    if !selection.extras.nerdctl {
        return Ok(None);
    }
    let path = node.nerdctl_path.clone();
    let before = node.nerdctl_toml.clone();
    let text = before
        .clone()
        .map(|b| crate::node::read::utf8(&path, b))
        .transpose()?;
    let dir = node.hosts_dir.path.display().to_string();
    let after = crate::nerdctl::with_hosts_dir(&path, text.as_deref(), &dir)?
        .map(String::into_bytes)
        .or_else(|| before.clone());
    Ok(Some(FileChange {
        path,
        purpose: Purpose::NerdctlConfig,
        before,
        after,
        note: None,
        mode: None,
    }))
}

/// What the user should know about the node itself: CRI disabled, imports
/// on 1.x, no containerd installed, `_default` too old for this daemon.
pub(super) fn closing_notes(
    node: &NodeState,
    cfg: &ContainerdConfig,
    one_x: bool,
    targets: &[Target],
) -> Vec<Note> {
    let mut notes = Vec::new();
    if cfg.cri_disabled() {
        notes.push(Note::CriDisabled);
    }
    if !cfg.imports().is_empty() && one_x {
        notes.push(Note::Imports {
            imports: cfg.imports(),
        });
    }
    if node.tool(crate::node::ToolName::Containerd).is_none() {
        notes.push(Note::NotInstalled);
    }
    let old_default = node
        .containerd_version()
        .is_some_and(|v| !Gate::DefaultHostsDir.holds(v));
    if old_default && targets.iter().any(|t| t.registry().is_default_namespace()) {
        notes.push(Note::DefaultTooOld);
    }
    notes
}

/// A FIFO, a device or an oversized file where a target is: never
/// replaced, never read further (it could block or fill memory).
fn refuse_unreadable(node: &NodeState, changes: &[FileChange]) -> Result<()> {
    for c in changes {
        if let Some(why) = node.unreadable.get(&c.path) {
            return Err(Error::Invalid {
                path: c.path.clone(),
                message: why.clone(),
            });
        }
    }
    Ok(())
}

/// What `config_path` must say: the hosts dir. A colon list containerd
/// walks (1.x, or 2.x pulling locally) keeps its other entries after the
/// hosts dir, so CA files under /etc/docker/certs.d stay read; one it
/// ignores (2.1+ transfer pulls) becomes the one dir, and the plan names
/// the entries dropped.
fn config_path_value(
    cfg: &crate::node::ConfigState,
    hosts_dir: &str,
    notes: &mut Vec<Note>,
) -> String {
    let value = cfg
        .effective_config_path
        .as_deref()
        .or(cfg.config_path.as_deref())
        .unwrap_or_default();
    if !value.contains(':') {
        return hosts_dir.to_string();
    }
    let others: Vec<String> = value
        .split(':')
        .map(str::trim)
        .filter(|e| !e.is_empty() && *e != hosts_dir)
        .map(str::to_string)
        .collect();
    if cfg.list_honoured {
        return std::iter::once(hosts_dir.to_string())
            .chain(others)
            .collect::<Vec<_>>()
            .join(":");
    }
    if !others.is_empty() {
        notes.push(Note::ListCollapsed {
            dir: hosts_dir.to_string(),
            dropped: others,
        });
    }
    hosts_dir.to_string()
}

/// A config version the node's containerd cannot start with (`version =
/// 3` on 1.x, `version = 4` before 2.3) is refused before anything is
/// written: an apply would fail the restart and roll back.
fn refuse_unreadable_version(
    node: &NodeState,
    path: &Path,
    text: &str,
    cfg: &ContainerdConfig,
) -> Result<()> {
    let (Some(v), schema) = (node.containerd_version(), cfg.schema_version()) else {
        return Ok(());
    };
    let (gate, reads) = match schema {
        3 => (Gate::ConfigV3, "2.0"),
        4 => (Gate::ConfigV4, "2.3"),
        _ => return Ok(()),
    };
    if gate.holds(v) {
        return Ok(());
    }
    let offset = text.match_indices("version").map(|(i, _)| i).find(|&i| {
        text[..i]
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty())
    });
    let msg = crate::t!(
        "plan.error.version_unsupported",
        schema = schema,
        reads = reads,
        version = v
    );
    Err(Error::toml(path, text, offset, &msg))
}
