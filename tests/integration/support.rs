//! What the integration tests share: a `--root` temp node with the
//! ctrwiz binary run on it, and the assertions on its output.

use std::fs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn fixture(name: &str) -> String {
    fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

/// A node in a temp dir; every run passes `--root` and its own config dir
/// so the user's presets never leak in.
pub struct Node {
    pub dir: tempfile::TempDir,
}

impl Node {
    pub fn new() -> Node {
        Node {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn with_config(text: &str) -> Node {
        let n = Node::new();
        n.write("/etc/containerd/config.toml", text);
        n
    }

    pub fn path(&self, node_path: &str) -> PathBuf {
        self.dir.path().join(node_path.trim_start_matches('/'))
    }

    pub fn write(&self, node_path: &str, text: &str) {
        let p = self.path(node_path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    pub fn read(&self, node_path: &str) -> String {
        fs::read_to_string(self.path(node_path)).unwrap_or_else(|e| panic!("{node_path}: {e}"))
    }

    pub fn exists(&self, node_path: &str) -> bool {
        self.path(node_path).exists()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        ctrwiz_on(self.dir.path(), args, env).output().unwrap()
    }

    pub fn backup_sets(&self) -> usize {
        fs::read_dir(self.path("/var/lib/ctrwiz/backups")).map_or(0, |d| d.count())
    }

    /// Every file under the node, with its bytes (to prove "nothing written").
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for e in fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push((p.clone(), fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = vec![];
        walk(self.dir.path(), &mut out);
        out.sort();
        out
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// ctrwiz on the `--root` tree `root`, not yet run: English unless a test
/// asks otherwise, whatever the developer's locale; the tree's own user
/// config dir. The one way every `--root` test starts ctrwiz.
pub fn ctrwiz_on(root: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctrwiz"));
    cmd.env("LC_ALL", "C.UTF-8")
        .arg("--root")
        .arg(root)
        .args(args)
        .env("CTRWIZ_CONFIG_DIR", root.join("user-config"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}
