//! Atomic file writes that keep what the admin set: the replaced file's
//! mode and owner, and symlinks (written through to their target: callers
//! pass the real path from `Root::join`, which resolved every link inside
//! the root).

use std::ffi::CString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode and owner of a file, to restore exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ownership {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

pub fn ownership(path: &Path) -> Option<Ownership> {
    fs::metadata(path).ok().map(|m| Ownership {
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
    })
}

/// The file's current owner (or this process's ids for a new file) with
/// the given mode: secrets get 0600 from the first byte written.
pub fn with_mode(real: &Path, mode: u32) -> Ownership {
    match ownership(real) {
        Some(o) => Ownership { mode, ..o },
        // SAFETY: geteuid/getegid have no preconditions.
        None => Ownership {
            mode,
            uid: unsafe { libc::geteuid() },
            gid: unsafe { libc::getegid() },
        },
    }
}

/// temp file in the same directory → fsync → rename → fsync the directory.
/// A reader (or a crash) sees the old bytes or the new ones, never a mix.
pub fn write_atomic(
    real: &Path,
    content: &[u8],
    keep: Option<Ownership>,
    default_mode: u32,
) -> io::Result<()> {
    let target = real;
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::other(crate::t!("apply.no_parent")))?;
    fs::create_dir_all(dir)?;
    let keep = keep.or_else(|| ownership(target));
    let mut tmp = tempfile::Builder::new()
        .prefix(".ctrwiz-")
        .tempfile_in(dir)?;
    tmp.write_all(content)?;
    let mode = keep.map_or(default_mode, |o| o.mode);
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    if let Some(o) = keep {
        chown(tmp.path(), o.uid, o.gid)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    fs::File::open(dir)?.sync_all()
}

/// Creates a missing directory with the mode and owner it had (a restore
/// puts back a registry directory an apply removed).
pub fn ensure_dir(dir: &Path, o: Ownership) -> io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(o.mode))?;
    chown(dir, o.uid, o.gid)
}

/// Removes a file, and its registry directory when that is left empty
/// (an empty certs.d/<registry> still shadows `_default`).
pub fn remove(real: &Path) -> io::Result<()> {
    let target = real;
    match fs::remove_file(target) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(dir) = target.parent() {
        let _ = fs::remove_dir(dir); // only succeeds when empty
        if let Some(parent) = dir.parent() {
            let _ = fs::File::open(parent).and_then(|d| d.sync_all());
        }
    }
    Ok(())
}

fn chown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: a valid NUL-terminated path; chown has no other preconditions.
    if unsafe { libc::chown(c.as_ptr(), uid, gid) } == 0 {
        Ok(())
    } else {
        let e = io::Error::last_os_error();
        // Not root and already the owner's ids: nothing to change.
        if e.raw_os_error() == Some(libc::EPERM)
            && ownership(path).is_some_and(|o| o.uid == uid && o.gid == gid)
        {
            return Ok(());
        }
        Err(e)
    }
}

/// Whether this process may create or replace `real` (checked before
/// anything is written, so a permission problem changes nothing).
pub fn writable(real: &Path) -> io::Result<()> {
    let target = real;
    let mut probe = target.parent().map(Path::to_path_buf);
    while let Some(p) = probe.clone() {
        if p.exists() {
            break;
        }
        probe = p.parent().map(Path::to_path_buf);
    }
    let dir = probe.unwrap_or_else(|| PathBuf::from("/"));
    access_w(&dir)?;
    if target.exists() {
        access_w(target)?;
    }
    Ok(())
}

fn access_w(p: &Path) -> io::Result<()> {
    let c = CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_mode_and_writes_through_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let root = crate::root::Root::new(d.path());
        let target = root.dir().join("srv/config.toml");
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        let link = root.dir().join("etc/containerd/config.toml");
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink("/srv/config.toml", &link).unwrap();

        write_atomic(
            &root.join("/etc/containerd/config.toml"),
            b"new",
            None,
            0o644,
        )
        .unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "still a link"
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(ownership(&target).unwrap().mode, 0o640);
        let leftovers: Vec<_> = fs::read_dir(target.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".ctrwiz-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn new_files_get_the_default_mode_and_removal_cleans_the_dir() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("certs.d/docker.io/hosts.toml");
        write_atomic(&f, b"x", None, 0o600).unwrap();
        assert_eq!(ownership(&f).unwrap().mode, 0o600);
        remove(&f).unwrap();
        assert!(!f.parent().unwrap().exists());
        remove(&f).unwrap(); // already gone is fine
    }
}
