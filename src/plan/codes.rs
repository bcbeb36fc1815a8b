//! What a plan says besides its files, as data: notes, per-file notes and
//! the reasons containerd restarts. Each is an enum with a stable `code`
//! (its snake_case variant name) and parameters; the sentence is rendered
//! only when shown, in the language of the thread that shows it. So a plan
//! made under `--lang zh` holds the same values as one made under `en`,
//! and `--json` carries `{code, message, …parameters}` that a script or the
//! Ansible module matches by `code`. Changing a code or a field is a break
//! of the JSON contract (README, "JSON output"), and `tests` below fail.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// A warning or fact the user should read before applying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Note {
    /// A legacy `registry.mirrors` entry for a registry the selection sets.
    LegacyReplaced {
        registry: String,
    },
    /// A legacy entry dropped because the registry already has a hosts.toml.
    LegacyDropped {
        registry: String,
        endpoints: Vec<String>,
    },
    SkipVerify {
        registry: String,
    },
    /// A hosts.toml holds a password: written 0600.
    Password {
        path: PathBuf,
    },
    DockerLiveRestore,
    DockerStops,
    CriDisabled,
    Imports {
        imports: Vec<String>,
    },
    NotInstalled,
    DefaultTooOld,
    /// An old `host:port` directory is shadowed by the `host_port_` one.
    Shadowed {
        old: String,
        new: String,
    },
    TlsOnHttp {
        url: String,
    },
    /// A colon list in `config_path` that this containerd ignores (2.x
    /// transfer pulls) became one dir; `dropped` are no longer read.
    ListCollapsed {
        dir: String,
        dropped: Vec<String>,
    },
    /// An import sets `config_path` and wins over config.toml: it is
    /// edited too.
    ConfigPathFromImport {
        file: PathBuf,
        value: String,
    },
    /// k3s/RKE2 own containerd's files: their `file` is written instead.
    Owned {
        owner: String,
        evidence: Vec<PathBuf>,
        file: PathBuf,
    },
    /// The owner's file has no place for the node-setup options chosen.
    OwnerSkipsExtras {
        owner: String,
    },
    /// `--ignore-owner`: containerd's files are written although the owner
    /// will overwrite them.
    OwnerIgnored {
        owner: String,
        evidence: Vec<PathBuf>,
    },
    /// Another drop-in, read after ctrwiz's, sets these proxy variables:
    /// containerd gets its values.
    ProxyOverridden {
        path: PathBuf,
        vars: Vec<String>,
    },
    /// `--proxy none` removes ctrwiz's drop-in; another still sets a proxy.
    ProxyStillSet {
        path: PathBuf,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::t;
        let text = match self {
            Note::LegacyReplaced { registry } => {
                t!("plan.note.legacy_replaced", registry = registry)
            }
            Note::LegacyDropped {
                registry,
                endpoints,
            } => t!(
                "plan.note.legacy_dropped",
                registry = registry,
                endpoints = endpoints.join(", ")
            ),
            Note::SkipVerify { registry } => t!("plan.note.skip_verify", registry = registry),
            Note::Password { path } => t!("plan.note.password", path = path.display()),
            Note::DockerLiveRestore => t!("plan.note.docker_live_restore").into(),
            Note::DockerStops => t!("plan.note.docker_stops").into(),
            Note::CriDisabled => t!("plan.note.cri_disabled").into(),
            Note::Imports { imports } => t!("plan.note.imports", imports = imports.join(", ")),
            Note::NotInstalled => t!("plan.note.not_installed").into(),
            Note::DefaultTooOld => t!("plan.note.default_too_old").into(),
            Note::Shadowed { old, new } => t!("plan.note.shadowed", old = old, new = new),
            Note::TlsOnHttp { url } => t!("plan.note.tls_on_http", url = url),
            Note::ListCollapsed { dir, dropped } => t!(
                "plan.note.list_collapsed",
                dir = dir,
                dropped = dropped.join(", ")
            ),
            Note::ConfigPathFromImport { file, value } => t!(
                "plan.note.config_path_from_import",
                file = file.display(),
                value = value
            ),
            Note::Owned {
                owner,
                evidence,
                file,
            } => t!(
                "owner.note.owned",
                owner = owner,
                evidence = paths(evidence),
                file = file.display()
            ),
            Note::OwnerSkipsExtras { owner } => t!("owner.note.skips_extras", owner = owner),
            Note::OwnerIgnored { owner, evidence } => t!(
                "owner.note.ignored",
                owner = owner,
                evidence = paths(evidence)
            ),
            Note::ProxyOverridden { path, vars } => t!(
                "plan.note.proxy_overridden",
                path = path.display(),
                vars = vars.join(", ")
            ),
            Note::ProxyStillSet { path } => {
                t!("plan.note.proxy_still_set", path = path.display())
            }
        };
        f.write_str(&text)
    }
}

fn paths(p: &[PathBuf]) -> String {
    p.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why one file is worth a look.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ChangeNote {
    NotUtf8,
    /// The existing file does not parse; `error` is in the message only
    /// (it is a sentence).
    Unparsable {
        #[serde(skip)]
        error: String,
    },
    /// The existing file was not written by ctrwiz.
    Foreign,
    /// A 1.x `imports` file that holds the CRI table.
    Imported,
}

impl fmt::Display for ChangeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::t;
        let text = match self {
            ChangeNote::NotUtf8 => t!("plan.change.not_utf8").into(),
            ChangeNote::Unparsable { error } => t!("plan.change.unparsable", error = error),
            ChangeNote::Foreign => t!("plan.change.foreign").into(),
            ChangeNote::Imported => t!("plan.change.imported").into(),
        };
        f.write_str(&text)
    }
}

/// One reason containerd restarts: a config.toml edit, a drop-in change,
/// a restart an interrupted apply still owes, a restored backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    ConfigCreated {
        path: PathBuf,
    },
    VersionAdded,
    ConfigPathSet {
        dir: String,
    },
    ConfigPathChanged {
        old: String,
        dir: String,
    },
    LegacyMirrorsRemoved {
        registries: Vec<String>,
    },
    LegacyTlsRemoved {
        hosts: Vec<String>,
    },
    /// `old`: `None` when containerd's default was in effect.
    PauseImage {
        image: String,
        old: Option<String>,
    },
    /// `runtime_type`: set when the runc table had none (without it no
    /// pod starts).
    SystemdCgroup {
        value: bool,
        runtime_type: Option<String>,
    },
    ImportEdited {
        path: PathBuf,
    },
    ProxySet {
        url: String,
    },
    ProxyRemoved,
    PendingRestart {
        id: String,
    },
    BackupRestored {
        id: String,
    },
    /// k3s/RKE2's registries.yaml changed: `unit` restarts, not containerd.
    OwnerRegistries {
        path: PathBuf,
        unit: String,
    },
    /// `disabled_plugins` no longer names the CRI plugin (`--enable-cri`).
    CriEnabled,
    /// A version-less file held both `plugins.<short>` and the
    /// fully-qualified table: merged into one. `conflicts`: keys both set,
    /// where the short table's value (what 1.x read) was kept.
    V1TablesMerged {
        short: String,
        full: String,
        conflicts: Vec<String>,
    },
    /// The CRI plugin's CNI plugin dir set (`--cni-bin-dir`): `key` is
    /// `bin_dir` or 2.1+'s `bin_dirs`; `old` the dirs the file named
    /// (empty: the daemon's built-in default applied).
    CniBinDir {
        dir: String,
        key: String,
        old: Vec<String>,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::t;
        let text = match self {
            Reason::ConfigCreated { path } => t!("plan.edit.created", path = path.display()),
            Reason::VersionAdded => t!("plan.config.version_added").into(),
            Reason::ConfigPathSet { dir } => t!("plan.config.config_path_set", dir = dir),
            Reason::ConfigPathChanged { old, dir } => {
                t!("plan.config.config_path_changed", old = old, dir = dir)
            }
            Reason::LegacyMirrorsRemoved { registries } => t!(
                "plan.config.legacy_mirrors_removed",
                registries = registries.join(", ")
            ),
            Reason::LegacyTlsRemoved { hosts } => {
                t!("plan.config.legacy_tls_removed", hosts = hosts.join(", "))
            }
            Reason::PauseImage { image, old } => t!(
                "plan.config.pause_image",
                image = image,
                old = old.as_deref().unwrap_or(t!("plan.config.default_value"))
            ),
            Reason::SystemdCgroup {
                value,
                runtime_type: None,
            } => t!("plan.config.systemd_cgroup", value = value),
            Reason::SystemdCgroup {
                value,
                runtime_type: Some(rt),
            } => t!(
                "plan.config.systemd_cgroup_typed",
                value = value,
                runtime_type = rt
            ),
            Reason::ImportEdited { path } => t!("plan.edit.imported", path = path.display()),
            Reason::ProxySet { url } => t!("plan.edit.proxy_set", url = url),
            Reason::ProxyRemoved => t!("plan.edit.proxy_removed").into(),
            Reason::PendingRestart { id } => t!("apply.pending_reason", id = id),
            Reason::BackupRestored { id } => t!("apply.backup.restored", id = id),
            Reason::OwnerRegistries { path, unit } => t!(
                "owner.reason.registries",
                path = path.display(),
                unit = unit
            ),
            Reason::CriEnabled => t!("owner.reason.cri_enabled").into(),
            Reason::V1TablesMerged {
                short,
                full,
                conflicts,
            } if conflicts.is_empty() => {
                t!("owner.reason.v1_merged", short = short, full = full)
            }
            Reason::V1TablesMerged {
                short,
                full,
                conflicts,
            } => t!(
                "owner.reason.v1_merged_conflicts",
                short = short,
                full = full,
                conflicts = conflicts.join(", ")
            ),
            Reason::CniBinDir { dir, key, old } if old.is_empty() => {
                t!("cni.reason.set_default", dir = dir, key = key)
            }
            Reason::CniBinDir { dir, key, old } => {
                t!("cni.reason.set", dir = dir, key = key, old = old.join(", "))
            }
        };
        f.write_str(&text)
    }
}

/// `{code, message, …parameters}`: the value's fields plus its sentence
/// in this thread's language.
pub fn coded<T: Serialize + fmt::Display>(value: &T) -> serde_json::Value {
    let mut v = serde_json::to_value(value).expect("codes serialise");
    if let Some(map) = v.as_object_mut() {
        map.insert("message".into(), value.to_string().into());
    }
    v
}

/// `a; b; c` in this thread's language (the CLI's and apply's sentences).
pub fn joined<T: fmt::Display>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract: these codes and fields, exactly. A change here is a
    /// change of `plan --json` that scripts and the Ansible module read;
    /// update the README's table and the module with it.
    #[test]
    fn codes_and_fields_are_the_documented_ones() {
        let p = PathBuf::from("/p");
        let s = || "x".to_string();
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                coded(&Note::LegacyReplaced { registry: s() }),
                "legacy_replaced registry",
            ),
            (
                coded(&Note::LegacyDropped {
                    registry: s(),
                    endpoints: vec![s()],
                }),
                "legacy_dropped registry endpoints",
            ),
            (
                coded(&Note::SkipVerify { registry: s() }),
                "skip_verify registry",
            ),
            (coded(&Note::Password { path: p.clone() }), "password path"),
            (coded(&Note::DockerLiveRestore), "docker_live_restore"),
            (coded(&Note::DockerStops), "docker_stops"),
            (coded(&Note::CriDisabled), "cri_disabled"),
            (coded(&Note::Imports { imports: vec![] }), "imports imports"),
            (coded(&Note::NotInstalled), "not_installed"),
            (coded(&Note::DefaultTooOld), "default_too_old"),
            (
                coded(&Note::Shadowed { old: s(), new: s() }),
                "shadowed old new",
            ),
            (coded(&Note::TlsOnHttp { url: s() }), "tls_on_http url"),
            (
                coded(&Note::ListCollapsed {
                    dir: s(),
                    dropped: vec![],
                }),
                "list_collapsed dir dropped",
            ),
            (
                coded(&Note::ConfigPathFromImport {
                    file: p.clone(),
                    value: s(),
                }),
                "config_path_from_import file value",
            ),
            (
                coded(&Note::Owned {
                    owner: s(),
                    evidence: vec![],
                    file: p.clone(),
                }),
                "owned owner evidence file",
            ),
            (
                coded(&Note::OwnerSkipsExtras { owner: s() }),
                "owner_skips_extras owner",
            ),
            (
                coded(&Note::OwnerIgnored {
                    owner: s(),
                    evidence: vec![],
                }),
                "owner_ignored owner evidence",
            ),
            (
                coded(&Note::ProxyOverridden {
                    path: p.clone(),
                    vars: vec![],
                }),
                "proxy_overridden path vars",
            ),
            (
                coded(&Note::ProxyStillSet { path: p.clone() }),
                "proxy_still_set path",
            ),
            (coded(&ChangeNote::NotUtf8), "not_utf8"),
            (coded(&ChangeNote::Unparsable { error: s() }), "unparsable"),
            (coded(&ChangeNote::Foreign), "foreign"),
            (coded(&ChangeNote::Imported), "imported"),
            (
                coded(&Reason::ConfigCreated { path: p.clone() }),
                "config_created path",
            ),
            (coded(&Reason::VersionAdded), "version_added"),
            (
                coded(&Reason::ConfigPathSet { dir: s() }),
                "config_path_set dir",
            ),
            (
                coded(&Reason::ConfigPathChanged { old: s(), dir: s() }),
                "config_path_changed old dir",
            ),
            (
                coded(&Reason::LegacyMirrorsRemoved { registries: vec![] }),
                "legacy_mirrors_removed registries",
            ),
            (
                coded(&Reason::LegacyTlsRemoved { hosts: vec![] }),
                "legacy_tls_removed hosts",
            ),
            (
                coded(&Reason::PauseImage {
                    image: s(),
                    old: None,
                }),
                "pause_image image old",
            ),
            (
                coded(&Reason::SystemdCgroup {
                    value: true,
                    runtime_type: None,
                }),
                "systemd_cgroup value runtime_type",
            ),
            (
                coded(&Reason::ImportEdited { path: p.clone() }),
                "import_edited path",
            ),
            (coded(&Reason::ProxySet { url: s() }), "proxy_set url"),
            (coded(&Reason::ProxyRemoved), "proxy_removed"),
            (
                coded(&Reason::PendingRestart { id: s() }),
                "pending_restart id",
            ),
            (
                coded(&Reason::BackupRestored { id: s() }),
                "backup_restored id",
            ),
            (
                coded(&Reason::OwnerRegistries {
                    path: p.clone(),
                    unit: s(),
                }),
                "owner_registries path unit",
            ),
            (coded(&Reason::CriEnabled), "cri_enabled"),
            (
                coded(&Reason::V1TablesMerged {
                    short: s(),
                    full: s(),
                    conflicts: vec![],
                }),
                "v1_tables_merged short full conflicts",
            ),
            (
                coded(&Reason::CniBinDir {
                    dir: s(),
                    key: s(),
                    old: vec![],
                }),
                "cni_bin_dir dir key old",
            ),
        ];
        for (value, expected) in cases {
            let obj = value.as_object().unwrap();
            let mut words = expected.split(' ');
            assert_eq!(obj["code"], words.next().unwrap(), "{value}");
            assert!(
                obj["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{value}"
            );
            let mut fields: Vec<&str> = obj
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "code" && *k != "message")
                .collect();
            fields.sort();
            let mut want: Vec<&str> = words.collect();
            want.sort();
            assert_eq!(fields, want, "{value}");
        }
    }

    #[test]
    fn purposes_are_the_documented_types() {
        use crate::plan::Purpose;
        let r = || "docker.io".to_string();
        let cases = [
            (Purpose::Config, "config"),
            (Purpose::Hosts { registry: r() }, "hosts registry"),
            (
                Purpose::RegistryFile { registry: r() },
                "registry_file registry",
            ),
            (Purpose::ProxyDropIn, "proxy_drop_in"),
            (Purpose::DockerDaemon, "docker_daemon"),
            (Purpose::CrictlConfig, "crictl_config"),
            (Purpose::HealSchedule, "heal_schedule"),
            (
                Purpose::OwnerRegistries { unit: r() },
                "owner_registries unit",
            ),
        ];
        for (purpose, expected) in cases {
            let v = serde_json::to_value(&purpose).unwrap();
            let obj = v.as_object().unwrap();
            let mut words = expected.split(' ');
            assert_eq!(obj["type"], words.next().unwrap(), "{v}");
            let mut fields: Vec<&str> = obj
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "type")
                .collect();
            fields.sort();
            assert_eq!(fields, words.collect::<Vec<_>>(), "{v}");
        }
    }

    #[test]
    fn the_message_follows_the_language_and_the_code_does_not() {
        use crate::i18n::{self, Lang};
        let note = Note::SkipVerify {
            registry: "harbor.corp".into(),
        };
        let en = {
            let _l = i18n::scoped(Lang::En);
            coded(&note)
        };
        let zh = {
            let _l = i18n::scoped(Lang::Zh);
            coded(&note)
        };
        assert_eq!(en["code"], zh["code"]);
        assert_eq!(en["registry"], zh["registry"]);
        assert_ne!(en["message"], zh["message"]);
    }
}
