//! Backup sets: a timestamped directory (mode 0700) holding a byte-exact
//! copy of every file an apply touches, plus a manifest saying which files
//! did not exist (those are removed again on restore).
//!
//! Under `--root` the state dir is inside the tree, so a manifest is input
//! from that tree: its names are checked (a saved copy is `N.orig` in the
//! set's own directory, a node path is absolute without `..`), copies are
//! read without following links, and modes lose set-id bits.

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
    /// Mode and owner of the file's directory, to recreate it as it was
    /// when a restore finds it removed.
    #[serde(default)]
    pub dir_ownership: Option<Ownership>,
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
/// `earlier` is the set of an apply that was killed half-way: the files it
/// covers are saved as they were before it, since the half-written state
/// is not one the user ever chose (a plain `rollback` then goes back past
/// the interrupted apply).
pub fn create(
    root: &Root,
    state_dir: &Path,
    plan: &Plan,
    earlier: Option<&BackupSet>,
) -> Result<BackupSet> {
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
    let entries = match save_all(root, &dir, plan, earlier) {
        Ok(e) => e,
        Err(e) => {
            // Half a set is no set: nobody could restore from it.
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    let manifest = Manifest {
        id,
        created: stamp,
        entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifests serialise");
    // The manifest is written last: a set without one is incomplete and
    // is never offered for restore.
    if let Err(e) = write_synced(&dir.join("manifest.json"), &json) {
        let _ = fs::remove_dir_all(&dir);
        return Err(e);
    }
    Ok(BackupSet { dir, manifest })
}

fn save_all(
    root: &Root,
    dir: &Path,
    plan: &Plan,
    earlier: Option<&BackupSet>,
) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (i, change) in plan.effective().enumerate() {
        let real = root.join(&change.path);
        let before = earlier.and_then(|set| {
            let e = set
                .manifest
                .entries
                .iter()
                .find(|e| e.path == change.path)?;
            Some((set.content(e).ok()?, e.ownership, e.dir_ownership))
        });
        let (bytes, ownership, dir_ownership) = match before {
            Some(b) => b,
            None => (
                crate::node::read::optional(root, &change.path, MAX_FILE)
                    .map_err(|e| Error::io(&real, e))?,
                files::ownership(&real),
                real.parent().and_then(files::ownership),
            ),
        };
        let saved_as = match bytes {
            Some(bytes) => {
                let name = format!("{i}.orig");
                write_synced(&dir.join(&name), &bytes)?;
                Some(name)
            }
            None => None,
        };
        entries.push(Entry {
            path: change.path.clone(),
            purpose: change.purpose.clone(),
            saved_as,
            ownership,
            dir_ownership,
        });
    }
    Ok(entries)
}

/// The largest file a backup copies or restores (the readers' own limit).
const MAX_FILE: u64 = crate::node::read::CONFIG_LIMIT;

/// Files a restore put back, and the ones it could not, with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub restored: Vec<PathBuf>,
    pub failed: Vec<(PathBuf, String)>,
}

impl Restored {
    pub fn complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// "every file" or the list of what is still changed, for messages.
    pub fn describe(&self) -> String {
        if self.complete() {
            return crate::t!("apply.backup.all_restored", files = self.restored.len());
        }
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|(p, why)| format!("{}: {why}", p.display()))
            .collect();
        crate::t!(
            "apply.backup.some_not_restored",
            restored = self.restored.len(),
            failed = self.failed.len(),
            list = failed.join(crate::t!("plan.restart.separator"))
        )
    }
}

/// A node path from a manifest: absolute, plain components only.
fn trusted_node_path(p: &Path) -> bool {
    use std::path::Component;
    p.is_absolute()
        && p.components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

/// A saved copy's name: `N.orig`, nothing that could leave the set's dir.
fn trusted_copy_name(name: &str) -> bool {
    name.strip_suffix(".orig")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn trusted(set: &BackupSet) -> bool {
    set.manifest
        .entries
        .iter()
        .all(|e| trusted_node_path(&e.path) && e.saved_as.as_deref().is_none_or(trusted_copy_name))
        && set
            .dir
            .file_name()
            .is_some_and(|n| n == set.manifest.id.as_str())
}

/// `STAMP` or `STAMP-N`, ordered by time and then by N as a number.
fn order_key(id: &str) -> (String, u32) {
    match id.split_once('-') {
        Some((stamp, n)) => (stamp.to_string(), n.parse().unwrap_or(u32::MAX)),
        None => (id.to_string(), 0),
    }
}

/// Removes set directories without a manifest: an apply died while it
/// was copying (we hold the lock, so nobody is writing one now).
pub fn remove_incomplete(state_dir: &Path) {
    let Ok(rd) = fs::read_dir(backups_dir(state_dir)) else {
        return;
    };
    for e in rd.flatten() {
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !e.path().join("manifest.json").exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
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
        // A linked set directory could lead anywhere: not a set.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let text = read_copy(&e.path().join("manifest.json")).ok()?;
            Some(BackupSet {
                dir: e.path(),
                manifest: serde_json::from_slice(&text).ok()?,
            })
        })
        .filter(trusted)
        .collect();
    sets.sort_by_key(|s| std::cmp::Reverse(order_key(&s.manifest.id)));
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

/// A file of a backup set: regular, not a link, bounded.
fn read_copy(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::node::read::regular(path, MAX_FILE)
}

impl BackupSet {
    /// The saved bytes of an entry (`None`: the file did not exist).
    pub fn content(&self, entry: &Entry) -> Result<Option<Vec<u8>>> {
        match &entry.saved_as {
            None => Ok(None),
            Some(name) if !trusted_copy_name(name) => Err(Error::Invalid {
                path: self.dir.join("manifest.json"),
                message: crate::t!("apply.backup.untrusted", name = format!("{name:?}")),
            }),
            Some(name) => {
                let p = self.dir.join(name);
                read_copy(&p).map(Some).map_err(|e| Error::io(&p, e))
            }
        }
    }

    /// Puts every file back as it was; files that did not exist are removed.
    /// Removals go first (they free space on a full disk), and one file that
    /// cannot be restored does not stop the others: the result says exactly
    /// which files are back and which are not.
    pub fn restore(&self, root: &Root) -> Restored {
        let mut out = Restored::default();
        let mut entries: Vec<&Entry> = self.manifest.entries.iter().collect();
        entries.sort_by_key(|e| e.saved_as.is_some());
        for entry in entries {
            let result = self.restore_one(root, entry);
            match result {
                Ok(()) => out.restored.push(entry.path.clone()),
                Err(e) => out.failed.push((entry.path.clone(), e.to_string())),
            }
        }
        out
    }

    /// A node path from this set's manifest, refused unless absolute and
    /// without `..` (the manifest may come from an untrusted tree).
    fn check_node_path(&self, path: &Path) -> Result<()> {
        if trusted_node_path(path) {
            return Ok(());
        }
        Err(Error::Invalid {
            path: self.dir.join("manifest.json"),
            message: crate::t!("apply.backup.untrusted", name = path.display().to_string()),
        })
    }

    fn restore_one(&self, root: &Root, entry: &Entry) -> Result<()> {
        self.check_node_path(&entry.path)?;
        let real = root.join(&entry.path);
        // Set-id bits never come from a manifest.
        let safe = |o: Ownership| Ownership {
            mode: o.mode & 0o777,
            ..o
        };
        match self.content(entry)? {
            Some(bytes) => {
                if let (Some(dir), Some(o)) = (real.parent(), entry.dir_ownership) {
                    files::ensure_dir(dir, safe(o)).map_err(|e| Error::io(dir, e))?;
                }
                files::write_atomic(&real, &bytes, entry.ownership.map(safe), 0o644)
            }
            None => files::remove(&real).map(|()| {
                // The apply created the directory too (a write that failed
                // half-way may have left it empty): it goes as well.
                if let (None, Some(dir)) = (entry.dir_ownership, real.parent()) {
                    let _ = fs::remove_dir(dir);
                }
            }),
        }
        .map_err(|e| Error::io(&entry.path, e))
    }

    /// A plan that takes the node back to this set (used by `rollback`,
    /// so a rollback is itself backed up, restarted and health-checked).
    pub fn restore_plan(&self, root: &Root, hosts_dir: PathBuf, config: PathBuf) -> Result<Plan> {
        let mut changes = Vec::new();
        for entry in &self.manifest.entries {
            self.check_node_path(&entry.path)?;
            let current = crate::node::read::optional(root, &entry.path, MAX_FILE)
                .map_err(|e| Error::io(&entry.path, e))?;
            changes.push(FileChange {
                path: entry.path.clone(),
                purpose: entry.purpose.clone(),
                before: current,
                after: self.content(entry)?,
                note: None,
                mode: entry.ownership.map(|o| o.mode & 0o777),
            });
        }
        let config_changes = changes.iter().any(|c| {
            matches!(
                c.purpose,
                Purpose::Config | Purpose::ProxyDropIn | Purpose::OwnerRegistries { .. }
            ) && c.before != c.after
        });
        // k3s/RKE2's registries.yaml restored: they restart, not containerd.
        let service = changes.iter().find_map(|c| match &c.purpose {
            Purpose::OwnerRegistries { unit } if c.before != c.after => {
                Some(crate::owner::service(unit))
            }
            _ => None,
        });
        let restart = config_changes.then(|| crate::plan::Restart {
            daemon_reload: changes
                .iter()
                .any(|c| c.purpose == Purpose::ProxyDropIn && c.before != c.after),
            reasons: vec![crate::plan::Reason::BackupRestored {
                id: self.manifest.id.clone(),
            }],
            service,
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
    fn sets_order_by_time_then_number() {
        let mut ids = vec![
            "20261201T000000Z-2",
            "20261201T000000Z-10",
            "20261201T000000Z",
            "20261130T235959Z-3",
        ];
        ids.sort_by_key(|i| std::cmp::Reverse(super::order_key(i)));
        assert_eq!(
            ids,
            [
                "20261201T000000Z-10",
                "20261201T000000Z-2",
                "20261201T000000Z",
                "20261130T235959Z-3"
            ]
        );
    }

    #[test]
    fn manifest_names_that_leave_the_set_are_refused() {
        assert!(super::trusted_copy_name("3.orig"));
        for bad in [
            "../../etc/shadow",
            "/etc/shadow",
            ".orig",
            "1.orig/../x",
            "a.orig",
        ] {
            assert!(!super::trusted_copy_name(bad), "{bad}");
        }
        assert!(super::trusted_node_path(std::path::Path::new(
            "/etc/containerd/config.toml"
        )));
        assert!(!super::trusted_node_path(std::path::Path::new(
            "/etc/../../x"
        )));
        assert!(!super::trusted_node_path(std::path::Path::new("etc/x")));
    }

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
