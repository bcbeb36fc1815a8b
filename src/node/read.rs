//! Reading a node's files: regular files only, bounded in size, as bytes.
//! A FIFO, a device or a link to `/dev/zero` in a tree is refused at once
//! instead of blocking or filling memory.

use crate::root::Root;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// config.toml, an import, daemon.json, a drop-in.
pub const CONFIG_LIMIT: u64 = 4 << 20;
/// A hosts.toml, a CA, a client certificate or key.
pub const SMALL_LIMIT: u64 = 1 << 20;

/// The bytes of `node_path` inside `root`, at most `limit` of them.
pub fn limited(root: &Root, node_path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    regular(&root.join(node_path), limit)
}

/// The bytes of the regular file at the real path `real` (a resolved node
/// path, or a file of ctrwiz's own backup sets), at most `limit` of them.
/// The one opener every read of a file that may be hostile goes through.
pub fn regular(real: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW:
    // the caller resolved every link, so a link here appeared since.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(real)?;
    let meta = file.metadata()?;
    let ft = meta.file_type();
    if !ft.is_file() {
        let what = if ft.is_fifo() {
            crate::t!("errors.read.fifo")
        } else if ft.is_char_device() || ft.is_block_device() {
            crate::t!("errors.read.device")
        } else if ft.is_dir() {
            crate::t!("errors.read.directory")
        } else {
            crate::t!("errors.read.special")
        };
        return Err(io::Error::other(crate::t!(
            "errors.read.not_regular",
            what = what
        )));
    }
    if meta.len() > limit {
        return Err(io::Error::other(crate::t!(
            "errors.read.too_large",
            size = meta.len(),
            limit = limit
        )));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(io::Error::other(crate::t!(
            "errors.read.too_large",
            size = out.len(),
            limit = limit
        )));
    }
    Ok(out)
}

/// Like [`limited`], with a missing file as `None`.
pub fn optional(root: &Root, node_path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    match limited(root, node_path, limit) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Text that must be UTF-8 (TOML is): the error names the line and column
/// of the first byte that is not, so a GBK comment is found at once.
pub fn utf8(node_path: &Path, bytes: Vec<u8>) -> crate::error::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let (line, column) = crate::error::line_col(valid, valid.len());
        crate::error::Error::Toml {
            path: node_path.to_path_buf(),
            line,
            column,
            message: crate::t!("errors.read.not_utf8").into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_devices_and_large_files_are_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        let root = Root::new(d.path());
        let fifo = root.dir().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = limited(&root, Path::new("/fifo"), 10).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        std::os::unix::fs::symlink("/dev/zero", root.dir().join("zero")).unwrap();
        // Inside the root /dev/zero does not exist: absent, not 1 GB/s.
        assert!(optional(&root, Path::new("/zero"), 10).unwrap().is_none());
        let host = Root::default();
        let e = limited(&host, Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        fs::write(root.dir().join("big"), vec![b'x'; 11]).unwrap();
        assert!(limited(&root, Path::new("/big"), 10).is_err());
        assert_eq!(limited(&root, Path::new("/big"), 11).unwrap().len(), 11);
    }

    #[test]
    fn non_utf8_text_names_line_and_column() {
        let e = utf8(
            Path::new("/c.toml"),
            b"a = 1\n# \xd6\xd0\xce\xc4\n".to_vec(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("/c.toml:2:3:"), "{e}");
    }
}
