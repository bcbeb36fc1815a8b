//! Node state + selection → the exact files to write and whether containerd
//! must restart. Pure: reads nothing, writes nothing.

use crate::catalog::Catalog;
use crate::containerd::config::{ContainerdConfig, LegacyTls};
use crate::containerd::gates::Gate;
use crate::containerd::hosts::{self, HostSpec, HostsSpec};
use crate::endpoint::{Endpoint, Scheme};
use crate::error::{Error, Result};
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::{Selection, Target};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod codes;
pub use codes::{coded, joined, ChangeNote, Note, Reason};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Purpose {
    Config,
    Hosts {
        registry: String,
    },
    /// A CA or client certificate/key next to a registry's hosts.toml.
    RegistryFile {
        registry: String,
    },
    /// containerd's systemd drop-in for a proxy.
    ProxyDropIn,
    /// Docker's daemon.json (its own image store).
    DockerDaemon,
    /// The systemd service + timer (or cron.d file) that runs `ctrwiz heal`.
    HealSchedule,
    /// k3s/RKE2's `registries.yaml`; `unit` regenerates containerd's
    /// config from it when it restarts.
    OwnerRegistries {
        unit: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Modify,
    Delete,
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// Node path (resolved through `--root` when applied).
    pub path: PathBuf,
    pub purpose: Purpose,
    /// `None`: the file does not exist (before) / is removed (after).
    /// Bytes, not text: a file that is not UTF-8 (a GBK comment, a DER
    /// certificate) is still a file, backed up and compared exactly.
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
    /// Why this file is worth a look (e.g. it did not parse).
    pub note: Option<ChangeNote>,
    /// Forced permissions (0600 for secrets); `None` keeps the file's own,
    /// or 0644 for a new file.
    pub mode: Option<u32>,
}

impl FileChange {
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, Some(_)) => ChangeKind::Create,
            (Some(_), None) => ChangeKind::Delete,
            (Some(a), Some(b)) if a != b => ChangeKind::Modify,
            _ => ChangeKind::Unchanged,
        }
    }

    /// The new content as text (every file ctrwiz writes is UTF-8).
    pub fn after_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.after.as_deref().map(String::from_utf8_lossy)
    }

    pub fn before_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.before.as_deref().map(String::from_utf8_lossy)
    }

    /// Whether the content is a secret (a client key): shown by size only.
    fn secret(&self) -> bool {
        matches!(self.purpose, Purpose::RegistryFile { .. })
            && self
                .path
                .file_name()
                .is_some_and(|n| n == crate::extras::CLIENT_KEY_FILE)
    }

    /// What a person may see of one side: secrets redacted, bytes that are
    /// not UTF-8 summarised.
    fn shown(&self, side: Option<&[u8]>) -> String {
        let Some(bytes) = side else {
            return String::new();
        };
        if self.secret() {
            return crate::t!("plan.secret_content", bytes = bytes.len()) + "\n";
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => redact(text),
            Err(_) => crate::t!("plan.binary_content", bytes = bytes.len()) + "\n",
        }
    }

    /// A unified diff (empty when unchanged), secrets redacted. Bounded in
    /// time: a huge file gets a coarser diff, never a hang.
    pub fn diff(&self) -> String {
        if self.kind() == ChangeKind::Unchanged {
            return String::new();
        }
        let display = self.path.display().to_string();
        let old_name = if self.before.is_some() {
            format!("a{display}")
        } else {
            "/dev/null".into()
        };
        let new_name = if self.after.is_some() {
            format!("b{display}")
        } else {
            "/dev/null".into()
        };
        let (old, new) = (
            self.shown(self.before.as_deref()),
            self.shown(self.after.as_deref()),
        );
        similar::TextDiff::configure()
            .timeout(std::time::Duration::from_millis(500))
            .diff_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string()
    }
}

/// Header values in hosts.toml (`Authorization = ["Basic …"]` holds a
/// password in base64) replaced by a marker wherever a file is shown: the
/// review, `plan --json`, apply.log. The file on disk keeps the real value.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_header = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_header =
                t.trim_end().trim_end_matches(']').ends_with(".header") || t.contains(".header]");
        }
        let is_auth = t
            .to_ascii_lowercase()
            .trim_start_matches('"')
            .starts_with("authorization");
        match line.split_once('=') {
            Some((key, _)) if (in_header && !t.starts_with('[')) || is_auth => {
                let eol = if line.ends_with("\r\n") {
                    "\r\n"
                } else if line.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                out.push_str(key);
                out.push_str("= [\"<redacted>\"]");
                out.push_str(eol);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// Why containerd must restart: each config.toml edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Restart {
    pub reasons: Vec<Reason>,
    /// A systemd unit drop-in changed: `systemctl daemon-reload` first.
    pub daemon_reload: bool,
    /// The service restarted instead of containerd (k3s/RKE2 own it).
    pub service: Option<crate::owner::OwnerService>,
}

impl Restart {
    /// `{reason, reasons: [{code, message, …}], daemon_reload}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "reason": self.reason(),
            "reasons": self.reasons.iter().map(coded).collect::<Vec<_>>(),
            "daemon_reload": self.daemon_reload,
            "service": self.service.as_ref().map_or("containerd", |s| s.unit.as_str()),
        })
    }

    pub fn reason(&self) -> String {
        crate::t!(
            "plan.restart.reason",
            reasons = joined(&self.reasons, crate::t!("plan.restart.separator"))
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// config.toml first, then hosts.toml files in selection order.
    pub changes: Vec<FileChange>,
    pub restart: Option<Restart>,
    /// Warnings and facts the user should read before applying.
    pub notes: Vec<Note>,
    pub hosts_dir: PathBuf,
    pub config: PathBuf,
}

impl Plan {
    /// The files that actually change.
    pub fn effective(&self) -> impl Iterator<Item = &FileChange> {
        self.changes
            .iter()
            .filter(|c| c.kind() != ChangeKind::Unchanged)
    }

    pub fn is_noop(&self) -> bool {
        self.effective().next().is_none()
    }

    /// One sentence on the restart, for the review and the CLI.
    pub fn restart_sentence(&self) -> String {
        match &self.restart {
            Some(r) => crate::t!("plan.restart.will", reason = r.reason()),
            None if self.is_noop() => crate::t!("plan.restart.nothing").into(),
            None => crate::t!("plan.restart.hosts_only").into(),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let changes: Vec<_> = self
            .changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "path": c.path,
                    "kind": c.kind(),
                    "purpose": c.purpose,
                    "old": c.before.as_ref().map(|_| c.shown(c.before.as_deref())),
                    "new": c.after.as_ref().map(|_| c.shown(c.after.as_deref())),
                    "diff": c.diff(),
                    "note": c.note.as_ref().map(coded),
                })
            })
            .collect();
        serde_json::json!({
            "config": self.config,
            "hosts_dir": self.hosts_dir,
            "changed": !self.is_noop(),
            "changes": changes,
            "restart": self.restart.as_ref().map(Restart::to_json),
            "notes": self.notes.iter().map(coded).collect::<Vec<_>>(),
        })
    }
}

/// The registry edits every file holding the CRI table gets: extras, no
/// legacy mirrors/TLS, one config_path.
fn edit_config(cfg: &mut ContainerdConfig, selection: &Selection, hosts_dir: &str) -> Vec<Reason> {
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

/// Where the hosts.toml of a registry lives.
pub fn hosts_file(hosts_dir: &Path, registry: &RegistryName) -> PathBuf {
    hosts_dir.join(registry.dir_name()).join("hosts.toml")
}

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

    // config.toml: the user's file, else `containerd config default`, else
    // a minimal file of the version the installed containerd reads.
    if let Some(err) = &cfg_state.error {
        if cfg_state.text.is_none() {
            return Err(Error::Other(err.clone()));
        }
    }
    let before_cfg = cfg_state.text.clone();
    let base = match (&before_cfg, &cfg_state.default_text) {
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
    if before_cfg.is_none() {
        edits.push(Reason::ConfigCreated {
            path: cfg_state.path.clone(),
        });
    }
    edits.extend(cfg.merge_v1_tables().into_iter().map(|e| e.0));
    edits.extend(cfg.ensure_versioned().map(|e| e.0));

    // On 1.x an imported plugin table replaces config.toml's whole table
    // (facts §3.3): imports holding the CRI table get the same edits, or
    // config_path would silently vanish. 2.x merges tables deeply.
    // On 2.x an import that sets `config_path` or legacy mirrors wins key
    // by key (a Talos-style drop-in): it gets the edits too, at its own
    // version's tables, or everything written here would be ignored.
    let one_x = !Gate::ImportsMergeDeep.on(node.containerd_version());
    let mut imports: Vec<(PathBuf, String, ContainerdConfig)> = Vec::new();
    for (path, text) in &cfg_state.imported {
        let imported = ContainerdConfig::parse(path, text)?;
        let wins = if one_x {
            imported.has_cri_table()
        } else {
            imported.config_path().is_some() || !imported.legacy_mirrors().is_empty()
        };
        if wins {
            imports.push((path.clone(), text.clone(), imported));
        }
    }
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
    let mut legacy = cfg.legacy_mirrors();
    let mut legacy_tls = cfg.legacy_tls();
    for (_, _, imported) in &imports {
        legacy.extend(imported.legacy_mirrors());
        legacy_tls.extend(imported.legacy_tls());
    }

    let mut targets = selection.resolve(catalog)?;
    let chosen: Vec<RegistryName> = targets.iter().map(|t| t.registry().clone()).collect();

    // Legacy mirrors become hosts.toml files, so nothing the user had is lost.
    for (name, endpoints) in legacy {
        if endpoints.is_empty() {
            // `endpoint = []`: nothing to migrate; the table goes with the rest.
            continue;
        }
        let registry = if name == "*" {
            RegistryName::parse(crate::registry::DEFAULT_NAMESPACE).expect("valid")
        } else {
            RegistryName::parse(&name).map_err(|e| Error::Invalid {
                path: cfg_state.path.clone(),
                message: e.to_string(),
            })?
        };
        if chosen.contains(&registry) {
            notes.push(Note::LegacyReplaced {
                registry: registry.to_string(),
            });
            continue;
        }
        if node
            .hosts_dir
            .files
            .get(&registry.dir_name())
            .is_some_and(Option::is_some)
        {
            notes.push(Note::LegacyDropped {
                registry: registry.to_string(),
                endpoints,
            });
            continue;
        }
        let eps = endpoints
            .iter()
            .map(|e| legacy_endpoint(e))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Invalid {
                path: cfg_state.path.clone(),
                message: crate::t!("plan.legacy_mirror_invalid", registry = registry, error = e),
            })?;
        targets.push(Target::Write(HostsSpec::with_mirrors(
            registry,
            eps,
            "migrated from config.toml registry.mirrors", // i18n: file content
        )));
    }
    apply_legacy_tls(&mut targets, legacy_tls, &mut notes)?;
    let private = &selection.extras.private;
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
        targets.push(Target::Write(p.hosts_spec()));
    }
    edits.extend(edit_config(&mut cfg, selection, &config_path));
    let after_cfg = cfg.render();
    let mut import_changes = Vec::new();
    for (path, text, mut imported) in imports {
        let mut e: Vec<Reason> = imported
            .merge_v1_tables()
            .into_iter()
            .map(|e| e.0)
            .collect();
        e.extend(imported.ensure_versioned().map(|e| e.0));
        e.extend(edit_config(&mut imported, selection, &config_path));
        if !e.is_empty() {
            edits.push(Reason::ImportEdited { path: path.clone() });
        }
        import_changes.push(FileChange {
            before: Some(text.into_bytes()),
            after: Some(imported.render().into_bytes()),
            purpose: Purpose::Config,
            note: Some(ChangeNote::Imported),
            mode: None,
            path,
        });
    }

    let config_change = FileChange {
        path: cfg_state.path.clone(),
        purpose: Purpose::Config,
        before: before_cfg.map(String::into_bytes),
        after: Some(after_cfg.into_bytes()),
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
    for target in &targets {
        let mut change = hosts_change(node, &hosts_dir, target, &mut notes);
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
                    mode: Some(if name == crate::extras::CLIENT_KEY_FILE {
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
    if let Some(mirrors) = &selection.extras.docker_mirrors {
        let path = PathBuf::from(crate::extras::DOCKER_DAEMON_JSON);
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
        if change.kind() != ChangeKind::Unchanged {
            notes.push(
                if crate::extras::docker_live_restore(before_text.as_deref()) {
                    Note::DockerLiveRestore
                } else {
                    Note::DockerStops
                },
            );
        }
        changes.push(change);
    }
    if let Some(proxy) = &selection.extras.proxy {
        if node.service.has_systemd_units {
            let change = FileChange {
                path: PathBuf::from(crate::extras::PROXY_DROP_IN),
                purpose: Purpose::ProxyDropIn,
                before: node.proxy_drop_in.clone(),
                after: proxy.render().map(String::into_bytes),
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
                    crate::extras::Proxy::Set { url, .. } => Reason::ProxySet { url: url.clone() },
                    crate::extras::Proxy::Remove => Reason::ProxyRemoved,
                });
                r.daemon_reload = true;
            }
            changes.push(change);
        } else {
            notes.push(Note::NoSystemdProxy);
        }
    }

    notes.extend(crate::owner::ignored_note(node));
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

    // A FIFO, a device or an oversized file where a target is: never
    // replaced, never read further (it could block or fill memory).
    for c in &changes {
        if let Some(why) = node.unreadable.get(&c.path) {
            return Err(Error::Invalid {
                path: c.path.clone(),
                message: why.clone(),
            });
        }
    }

    Ok(Plan {
        changes,
        restart,
        notes,
        hosts_dir,
        config: cfg_state.path.clone(),
    })
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

/// The legacy CRI `endpoint` used a non-empty path verbatim, without /v2
/// (facts §7.5): keep that with override_path.
fn legacy_endpoint(url: &str) -> std::result::Result<Endpoint, crate::endpoint::EndpointError> {
    let mut ep = Endpoint::parse(url)?;
    if !ep.path.is_empty() && !ep.path.ends_with("/v2") {
        ep.override_path = true;
    }
    Ok(ep)
}

/// `configs."host".tls` moves onto the hosts.toml entries for that host.
fn apply_legacy_tls(
    targets: &mut Vec<Target>,
    tls: BTreeMap<String, LegacyTls>,
    notes: &mut Vec<Note>,
) -> Result<()> {
    for (host, t) in tls {
        let mut placed = false;
        for target in targets.iter_mut() {
            let Target::Write(spec) = target else {
                continue;
            };
            for h in spec
                .hosts
                .iter_mut()
                .filter(|h| h.endpoint.authority == host)
            {
                placed |= add_tls(h, &t, notes);
            }
        }
        if !placed {
            let registry = RegistryName::parse(&host)
                .map_err(|e| Error::Other(crate::t!("plan.legacy_configs_invalid", error = e)))?;
            let mut spec =
                // i18n: file content
                HostsSpec::upstream(registry, "migrated from config.toml registry.configs");
            if let Some(h) = spec.hosts.first_mut() {
                add_tls(h, &t, notes);
            }
            targets.retain(|x| x.registry().as_str() != host);
            targets.push(Target::Write(spec));
        }
    }
    Ok(())
}

fn add_tls(h: &mut HostSpec, t: &LegacyTls, notes: &mut Vec<Note>) -> bool {
    if h.endpoint.scheme == Scheme::Http {
        // TLS options on http:// make containerd try HTTPS first (facts §1.4).
        notes.push(Note::TlsOnHttp {
            url: h.endpoint.url(),
        });
        return true;
    }
    h.skip_verify |= t.insecure_skip_verify;
    h.ca.extend(t.ca_file.as_deref().map(legacy_path));
    if let Some(cert) = &t.cert_file {
        h.client.push((
            legacy_path(cert),
            t.key_file.as_deref().map(legacy_path).unwrap_or_default(),
        ));
    }
    true
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

/// A legacy `configs.*.tls` path as containerd read it: the 1.x CRI
/// plugin passes it straight to `os.ReadFile` / `tls.LoadX509KeyPair`
/// (`pkg/cri/server/image_pull.go`, `getTLSConfig`), so a relative path
/// was relative to containerd's working directory, `/` under its systemd
/// unit (which sets no WorkingDirectory). In hosts.toml a relative path
/// would be read from the hosts.toml's own directory instead (facts §1,
/// `makeAbsPath`), so it is written absolute.
fn legacy_path(p: &str) -> String {
    if Path::new(p).is_absolute() {
        p.to_string()
    } else {
        Path::new("/").join(p).display().to_string()
    }
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
