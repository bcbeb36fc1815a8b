//! Node state + selection → the exact files to write and whether containerd
//! must restart. Pure: reads nothing, writes nothing. The types are here;
//! `make` and its phases in make.rs.

use crate::registry::RegistryName;
use serde::Serialize;
use std::path::{Path, PathBuf};

mod codes;
mod legacy;
mod make;
#[cfg(test)]
mod tests;
pub use codes::{coded, joined, ChangeNote, Note, Reason};
pub use make::make;

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
    /// `/etc/crictl.yaml`: crictl's endpoints at containerd's socket.
    CrictlConfig,
    /// The systemd service + timer (or cron.d file) that runs `ctrwiz heal`.
    HealSchedule,
    /// k3s/RKE2's `registries.yaml`; `unit` regenerates containerd's
    /// config from it when it restarts.
    OwnerRegistries {
        unit: String,
    },
    /// nerdctl's own config (/etc/nerdctl/nerdctl.toml): `hosts_dir`.
    NerdctlConfig,
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
                .is_some_and(|n| n == crate::paths::CLIENT_KEY_FILE)
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

/// The password of every `scheme://user:password@host` in `text` replaced
/// by a marker (a proxy URL in a drop-in, in `detect`, on a wizard row).
pub fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or("");
                out.push_str(&format!("{user}:<redacted>@{host}"));
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Header values in hosts.toml (`Authorization = ["Basic …"]` holds a
/// password in base64) and URL passwords (a proxy's `user:password@`)
/// replaced by a marker wherever a file is shown: the review, `plan
/// --json`, apply.log. The file on disk keeps the real value.
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
            _ => out.push_str(&redact_url_passwords(line)),
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

    /// Every changed file is one containerd reads on each pull (hosts.toml
    /// and the files next to it), not a client's config such as crictl.yaml.
    pub fn only_hosts_files(&self) -> bool {
        self.effective().all(|c| {
            matches!(
                c.purpose,
                Purpose::Hosts { .. } | Purpose::RegistryFile { .. }
            )
        })
    }

    /// One sentence on the restart, for the review and the CLI.
    pub fn restart_sentence(&self) -> String {
        match &self.restart {
            Some(r) => crate::t!("plan.restart.will", reason = r.reason()),
            None if self.is_noop() => crate::t!("plan.restart.nothing").into(),
            None if self.only_hosts_files() => crate::t!("plan.restart.hosts_only").into(),
            None => crate::t!("plan.restart.not_needed").into(),
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

/// Where the hosts.toml of a registry lives.
pub fn hosts_file(hosts_dir: &Path, registry: &RegistryName) -> PathBuf {
    hosts_dir.join(registry.dir_name()).join("hosts.toml")
}
