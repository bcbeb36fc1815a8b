//! Backup sets: a timestamped directory (mode 0700) holding a copy of every
//! file an apply touches, plus a manifest saying which files did not exist
//! (those are removed again on restore).

use super::files::{self, Ownership};
use crate::error::{Error, Result};
use crate::plan::{FileChange, Plan, Purpose};
use crate::root::Root;
use serde::{Deserialize, Serialize};
use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Node path of the file.
    pub path: PathBuf,
    pub purpose: Purpose,
    /// `None`: the file did not exist before the apply.
    pub saved_as: Option<String>,
    pub ownership: Option<Ownership>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub id: String,
    pub created: String,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSet {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

pub fn backups_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("backups")
}

fn mkdir_private(p: &Path) -> std::io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)?;
    fs::set_permissions(p, fs::Permissions::from_mode(0o700))
}

/// Copies every file the plan will change, before anything is written.
pub fn create(root: &Root, state_dir: &Path, plan: &Plan) -> Result<BackupSet> {
    let base = backups_dir(state_dir);
    mkdir_private(&base).map_err(|e| Error::io(&base, e))?;
    let stamp = utc_stamp();
    let (id, dir) = (0..1000)
        .map(|n| {
            if n == 0 {
                stamp.clone()
            } else {
                format!("{stamp}-{n}")
            }
        })
        .map(|id| (id.clone(), base.join(&id)))
        .find(|(_, d)| !d.exists())
        .ok_or_else(|| Error::Other(crate::t!("apply.backup.too_many").into()))?;
    mkdir_private(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut entries = Vec::new();
    for (i, change) in plan.effective().enumerate() {
        let real = files::resolve(root, &root.join(&change.path));
        let saved_as = match fs::read(&real) {
            Ok(bytes) => {
                let name = format!("{i}.orig");
                write_synced(&dir.join(&name), &bytes)?;
                Some(name)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&real, e)),
        };
        entries.push(Entry {
            path: change.path.clone(),
            purpose: change.purpose.clone(),
            saved_as,
            ownership: files::ownership(&real),
        });
    }
    let manifest = Manifest {
        id,
        created: stamp,
        entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifests serialise");
    // The manifest is written last: a set without one is incomplete and
    // is never offered for restore.
    write_synced(&dir.join("manifest.json"), &json)?;
    Ok(BackupSet { dir, manifest })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode_private()
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

trait PrivateMode {
    fn mode_private(&mut self) -> &mut Self;
}
impl PrivateMode for fs::OpenOptions {
    fn mode_private(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }
}

/// Complete backup sets, newest first.
pub fn list(state_dir: &Path) -> Vec<BackupSet> {
    let Ok(rd) = fs::read_dir(backups_dir(state_dir)) else {
        return vec![];
    };
    let mut sets: Vec<BackupSet> = rd
        .flatten()
        .filter_map(|e| {
            let text = fs::read_to_string(e.path().join("manifest.json")).ok()?;
            Some(BackupSet {
                dir: e.path(),
                manifest: serde_json::from_str(&text).ok()?,
            })
        })
        .collect();
    sets.sort_by(|a, b| b.manifest.id.cmp(&a.manifest.id));
    sets
}

pub fn find(state_dir: &Path, id: Option<&str>) -> Result<BackupSet> {
    let sets = list(state_dir);
    match id {
        None => sets.into_iter().next().ok_or_else(|| {
            Error::Other(crate::t!(
                "apply.backup.none",
                dir = backups_dir(state_dir).display()
            ))
        }),
        Some(id) => sets
            .into_iter()
            .find(|s| s.manifest.id == id)
            .ok_or_else(|| {
                Error::Usage(crate::t!(
                    "apply.backup.unknown",
                    id = format!("{id:?}"),
                    dir = backups_dir(state_dir).display()
                ))
            }),
    }
}

impl BackupSet {
    /// The saved content of an entry (`None`: the file did not exist).
    pub fn content(&self, entry: &Entry) -> Result<Option<String>> {
        match &entry.saved_as {
            None => Ok(None),
            Some(name) => {
                let p = self.dir.join(name);
                fs::read_to_string(&p)
                    .map(Some)
                    .map_err(|e| Error::io(&p, e))
            }
        }
    }

    /// Puts every file back as it was; files that did not exist are removed.
    pub fn restore(&self, root: &Root) -> Result<Vec<PathBuf>> {
        let mut restored = Vec::new();
        for entry in &self.manifest.entries {
            let real = root.join(&entry.path);
            match self.content(entry)? {
                Some(text) => {
                    files::write_atomic(root, &real, text.as_bytes(), entry.ownership, 0o644)
                }
                None => files::remove(root, &real),
            }
            .map_err(|e| Error::io(&real, e))?;
            restored.push(entry.path.clone());
        }
        Ok(restored)
    }

    /// A plan that takes the node back to this set (used by `rollback`,
    /// so a rollback is itself backed up, restarted and health-checked).
    pub fn restore_plan(&self, root: &Root, hosts_dir: PathBuf, config: PathBuf) -> Result<Plan> {
        let mut changes = Vec::new();
        for entry in &self.manifest.entries {
            let real = files::resolve(root, &root.join(&entry.path));
            let current = match fs::read_to_string(&real) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::io(&real, e)),
            };
            changes.push(FileChange {
                path: entry.path.clone(),
                purpose: entry.purpose.clone(),
                before: current,
                after: self.content(entry)?,
                note: None,
                mode: None,
            });
        }
        let config_changes = changes.iter().any(|c| {
            matches!(c.purpose, Purpose::Config | Purpose::ProxyDropIn) && c.before != c.after
        });
        let restart = config_changes.then(|| crate::plan::Restart {
            daemon_reload: changes
                .iter()
                .any(|c| c.purpose == Purpose::ProxyDropIn && c.before != c.after),
            reasons: vec![crate::t!("apply.backup.restored", id = self.manifest.id)],
        });
        Ok(Plan {
            changes,
            restart,
            notes: vec![],
            hosts_dir,
            config,
        })
    }
}

/// `20261122T154501Z`, from the system clock, without a date crate.
pub fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamp_looks_like_a_utc_time() {
        let s = super::utc_stamp();
        assert_eq!(s.len(), 16, "{s}");
        assert!(
            s.starts_with("20") && s.ends_with('Z') && s.as_bytes()[8] == b'T',
            "{s}"
        );
    }
}
