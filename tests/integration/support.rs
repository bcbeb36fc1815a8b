//! What the integration tests share: a `--root` temp node with the
//! ctrwiz binary run on it, the stand-ins a node needs (a socket that
//! answers, a restart command that counts, a FIFO), and the assertions on
//! its output.

use std::fs;

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A PEM-shaped CA file: enough for ctrwiz's own check, never parsed by TLS.
pub const PEM_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

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

    /// The node most tests start from: config.toml as containerd 1.6.20's
    /// `config default` writes it.
    pub fn with_default_config() -> Node {
        Node::with_config(&fixture("containerd-1.6.20-default.toml"))
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

    /// Writes `text` at `node_path` and gives its host path, as a flag
    /// takes it (`--profile`, `--ca`, `--auth-file`).
    pub fn file_arg(&self, node_path: &str, text: &str) -> String {
        self.write(node_path, text);
        self.path(node_path).to_str().unwrap().to_string()
    }

    /// Something listening on a unix socket at `node_path`, for a health
    /// check that only dials it; no containerd is behind it. Keep it alive
    /// as long as the socket must answer.
    pub fn listen(&self, node_path: &str) -> UnixListener {
        let sock = self.path(node_path);
        fs::create_dir_all(sock.parent().unwrap()).unwrap();
        UnixListener::bind(&sock).unwrap()
    }

    /// A `--restart-cmd` stand-in that appends `restarted` to a log on
    /// every run, and the log (absent until the first restart).
    pub fn counting_restart(&self) -> (String, PathBuf) {
        let log = self.path("/restarts");
        (format!("echo restarted >> {}", log.display()), log)
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

/// `text` (a run's stdout or stderr) holds `part`; a failure shows all of it.
#[track_caller]
pub fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in:\n{text}");
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

/// A FIFO at `path`, where a file should be.
pub fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// `systemd-analyze verify` of `units`, finding units on `unit_path` (as
/// SYSTEMD_UNIT_PATH). `None` when systemd-analyze is not installed, which
/// fails the test under `CTRWIZ_REQUIRE_E2E=1` (scripts/test installs it).
pub fn systemd_analyze_verify(units: &[PathBuf], unit_path: &str) -> Option<Output> {
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(units)
        .env("SYSTEMD_UNIT_PATH", unit_path)
        .output();
    if out.is_err() {
        assert!(
            std::env::var_os("CTRWIZ_REQUIRE_E2E").is_none(),
            "CTRWIZ_REQUIRE_E2E=1 but systemd-analyze is missing (scripts/test installs it)"
        );
        eprintln!("systemd-analyze not found: skipping its check");
    }
    out.ok()
}

/// ctrwiz on no node at all (`--demo`, `--help`, `probe`): English, and a
/// user config dir that does not exist, so no preset of the developer's
/// leaks in.
pub fn ctrwiz(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctrwiz"));
    cmd.env("LC_ALL", "C.UTF-8")
        .env("CTRWIZ_CONFIG_DIR", "/nonexistent")
        .args(args);
    cmd
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

/// One tool's row of `detect --json` (`v` is its parsed output).
pub fn detected_tool<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

/// A forward proxy for plain-http requests: records each absolute URL it
/// is asked for and forwards the request to `upstream` (one request per
/// connection: it asks for `Connection: close`).
pub struct RecordingProxy {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RecordingProxy {
    pub fn start(upstream: u16) -> RecordingProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = forward(conn, upstream, &log);
                });
            }
        });
        RecordingProxy { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn forward(
    client: std::net::TcpStream,
    upstream: u16,
    log: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    use std::io::{BufRead, Read, Write};
    client.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = std::io::BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // "GET http://harbor.corp:5000/v2/... HTTP/1.1" → origin form.
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(());
    };
    log.lock().unwrap().push(target.to_string());
    let path = target
        .strip_prefix("http://")
        .and_then(|t| t.find('/').map(|i| &t[i..]))
        .unwrap_or("/");
    let mut head = format!("{method} {path} {version}\r\n");
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        let name = h.split(':').next().unwrap_or("").to_ascii_lowercase();
        if name != "connection" && name != "proxy-connection" {
            head.push_str(&h);
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut up = std::net::TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(head.as_bytes())?;
    let mut reply = Vec::new();
    up.read_to_end(&mut reply)?;
    let mut client = client;
    client.write_all(&reply)
}
