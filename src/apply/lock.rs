//! One writer at a time: an flock on `<state dir>/apply.lock`, released by
//! the kernel however the holder ends (SIGKILL included).

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::Path;

pub struct Lock {
    _file: fs::File,
}

pub fn acquire(state_dir: &Path) -> Result<Lock> {
    fs::create_dir_all(state_dir).map_err(|e| Error::io(state_dir, e))?;
    let path = state_dir.join("apply.lock");
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    // SAFETY: flock on a valid, open descriptor.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let holder = fs::read_to_string(&path)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        return Err(Error::LockHeld {
            path,
            holder: holder
                .map(|pid| crate::t!("errors.lock_by_pid", pid = pid))
                .unwrap_or_default(),
        });
    }
    let _ = file
        .set_len(0)
        .and_then(|_| write!(file, "{}", std::process::id()));
    Ok(Lock { _file: file })
}

/// The node's own lock, whatever the state dir: an flock on the directory
/// that holds config.toml (a directory can be flocked; nothing is
/// created in it), so two applies with different `--state-dir`s still
/// never write one node at once.
pub fn acquire_node(config_dir: &Path) -> Result<Lock> {
    fs::create_dir_all(config_dir).map_err(|e| Error::io(config_dir, e))?;
    let file = fs::File::open(config_dir).map_err(|e| Error::io(config_dir, e))?;
    // SAFETY: flock on a valid, open descriptor.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(Error::LockHeld {
            path: config_dir.to_path_buf(),
            holder: String::new(),
        });
    }
    Ok(Lock { _file: file })
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_state_dirs_still_share_the_nodes_lock() {
        let d = tempfile::tempdir().unwrap();
        let first = super::acquire_node(d.path()).unwrap();
        let err = super::acquire_node(d.path())
            .err()
            .expect("held")
            .to_string();
        assert!(err.contains("another ctrwiz apply is running"), "{err}");
        drop(first);
    }

    #[test]
    fn a_second_writer_is_refused_until_the_first_is_done() {
        let d = tempfile::tempdir().unwrap();
        let first = super::acquire(d.path()).unwrap();
        let err = super::acquire(d.path()).err().expect("held").to_string();
        assert!(err.contains("another ctrwiz apply is running"), "{err}");
        drop(first);
        // A process another test forks in this instant holds a copy of the
        // descriptor (and so the lock) until its exec closes it: allow that
        // instant, no more.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while super::acquire(d.path()).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "still held after drop"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
