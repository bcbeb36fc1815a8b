//! The filesystem prefix behind `--root`. Every node path is read and
//! written through it; paths written *into* files stay node-absolute.
//!
//! A tree given with `--root` is not trusted: its symlinks are resolved the
//! way the node itself would see them, inside the tree (an absolute link
//! target starts again at the root, `..` stops at the root), so no link,
//! relative or absolute, leads a read or a write out of it. That is what
//! `openat2(RESOLVE_IN_ROOT)` does in the kernel; the walk here does it in
//! user space, component by component, for paths that do not exist yet too.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Links followed in one resolution before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root(PathBuf);

impl Default for Root {
    fn default() -> Self {
        Root(PathBuf::from("/"))
    }
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        // The prefix itself is the user's choice: resolve it once, so the
        // walk below compares against the real directory.
        Root(std::fs::canonicalize(&dir).unwrap_or(dir))
    }

    /// True for the live node (`/`), where commands may be run and
    /// containerd restarted.
    pub fn is_host(&self) -> bool {
        self.0 == Path::new("/")
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// Maps a node-absolute path to the real path that holds it, resolving
    /// every symlink on the way inside the root (the last component too, so
    /// a configuration-management link is written through to its target).
    /// Components that do not exist yet are appended as they are.
    pub fn join(&self, node_path: impl AsRef<Path>) -> PathBuf {
        let mut todo: Vec<OsString> = Vec::new();
        push_components(&mut todo, node_path.as_ref());
        let mut done: Vec<OsString> = Vec::new();
        let mut links = 0;
        while let Some(part) = todo.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            let mut candidate = self.0.clone();
            candidate.extend(&done);
            candidate.push(&part);
            match std::fs::read_link(&candidate) {
                Ok(target) if links < MAX_LINKS => {
                    links += 1;
                    if target.is_absolute() {
                        done.clear();
                    }
                    push_components(&mut todo, &target);
                }
                // Not a link, absent, or a loop (the open then fails on it).
                _ => done.push(part),
            }
        }
        let mut out = self.0.clone();
        out.extend(&done);
        out
    }
}

/// Pushes a path's components so that `pop` yields them in order; `.` and
/// the root are dropped, `..` is kept for the walk to apply.
fn push_components(stack: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    stack.extend(parts.into_iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn join_stays_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let r = Root::new(d.path());
        let top = r.dir().to_path_buf();
        assert_eq!(
            r.join("/etc/containerd/config.toml"),
            top.join("etc/containerd/config.toml")
        );
        assert_eq!(r.join("/etc/../../x"), top.join("x"));
        assert_eq!(
            Root::default().join("/etc/containerd"),
            Root::default().join("/etc/containerd")
        );
        assert!(Root::default().is_host());
        assert!(!r.is_host());
    }

    #[test]
    fn links_resolve_inside_the_root_never_out_of_it() {
        let d = tempfile::tempdir().unwrap();
        let r = Root::new(d.path());
        let top = r.dir().to_path_buf();
        std::fs::create_dir_all(top.join("etc")).unwrap();
        std::fs::create_dir_all(top.join("srv/conf")).unwrap();
        // An absolute directory link: the tree's /srv/conf, not the host's.
        symlink("/srv/conf", top.join("etc/containerd")).unwrap();
        assert_eq!(
            r.join("/etc/containerd/config.toml"),
            top.join("srv/conf/config.toml")
        );
        // A relative link that climbs: stops at the root.
        symlink("../../../../../../tmp/evil", top.join("srv/conf/certs.d")).unwrap();
        assert_eq!(
            r.join("/etc/containerd/certs.d/docker.io/hosts.toml"),
            top.join("tmp/evil/docker.io/hosts.toml")
        );
        // An absolute file link to a host file: the tree's copy of it.
        symlink("/etc/shadow", top.join("srv/conf/config.toml")).unwrap();
        assert_eq!(
            r.join("/etc/containerd/config.toml"),
            top.join("etc/shadow")
        );
        // A loop does not hang.
        symlink("loop-b", top.join("loop-a")).unwrap();
        symlink("loop-a", top.join("loop-b")).unwrap();
        assert!(r.join("/loop-a/x").starts_with(&top));
    }
}
