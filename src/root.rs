//! The filesystem prefix behind `--root`. Every node path is read and
//! written through it; paths written *into* files stay node-absolute.

use std::path::{Component, Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root(PathBuf);

impl Default for Root {
    fn default() -> Self {
        Root(PathBuf::from("/"))
    }
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Root(dir.into())
    }

    /// True for the live node (`/`), where commands may be run and
    /// containerd restarted.
    pub fn is_host(&self) -> bool {
        self.0 == Path::new("/")
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// Maps a node-absolute path into the root. `..` components are dropped
    /// so that nothing can climb out of the chosen root.
    pub fn join(&self, node_path: impl AsRef<Path>) -> PathBuf {
        let mut out = self.0.clone();
        for c in node_path.as_ref().components() {
            if let Component::Normal(part) = c {
                out.push(part);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_stays_inside_the_root() {
        let r = Root::new("/tmp/node");
        assert_eq!(
            r.join("/etc/containerd/config.toml"),
            PathBuf::from("/tmp/node/etc/containerd/config.toml")
        );
        assert_eq!(r.join("/etc/../../x"), PathBuf::from("/tmp/node/etc/x"));
        assert_eq!(
            Root::default().join("/etc/containerd"),
            PathBuf::from("/etc/containerd")
        );
        assert!(Root::default().is_host());
        assert!(!r.is_host());
    }
}
