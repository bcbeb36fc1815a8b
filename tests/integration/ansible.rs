//! The Ansible collection (`ansible_collections/ctrwiz/containerd`) over a
//! fleet on this machine: two `--root` node trees and the real containerd
//! of the live harness, all with the local connection. ansible-core comes
//! from PyPI into `.venv-ansible` (scripts/test installs it); without it
//! the test is skipped with a reason, unless CTRWIZ_REQUIRE_ANSIBLE=1.

use crate::live::{live, HUB_IMAGE};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn ansible_bin() -> Option<PathBuf> {
    let dir = std::env::var_os("CTRWIZ_ANSIBLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-ansible/bin"));
    if dir.join("ansible-playbook").exists() {
        return Some(dir);
    }
    let why = format!(
        "no ansible-playbook in {} (scripts/test installs it)",
        dir.display()
    );
    if std::env::var_os("CTRWIZ_REQUIRE_ANSIBLE").is_some() {
        panic!("{why}");
    }
    eprintln!("skipping the Ansible fleet test: {why}");
    None
}

/// Every file under the given dirs with its bytes (the lock names its
/// holder and is left out).
fn fingerprint(dirs: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(p: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        if p.is_dir() {
            for e in fs::read_dir(p).unwrap().flatten() {
                walk(&e.path(), out);
            }
        } else if p.exists() && !p.ends_with("apply.lock") {
            out.push((p.to_path_buf(), fs::read(p).unwrap()));
        }
    }
    let mut out = vec![];
    for d in dirs {
        walk(d, &mut out);
    }
    out.sort();
    out
}

/// `host → (ok, changed, failed)` from the PLAY RECAP.
fn recap(out: &Output) -> std::collections::BTreeMap<String, (u32, u32, u32)> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut hosts = std::collections::BTreeMap::new();
    let Some(tail) = text.split("PLAY RECAP").nth(1) else {
        return hosts;
    };
    for line in tail.lines().filter(|l| l.contains(" : ")) {
        let (host, counts) = line.split_once(" : ").unwrap();
        let n = |key: &str| -> u32 {
            counts
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(u32::MAX)
        };
        hosts.insert(
            host.trim().to_string(),
            (n("ok"), n("changed"), n("failed")),
        );
    }
    hosts
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `ansible-playbook -i inventory.yml site.yml` in `d`, with the collection
/// from this repository and every temp dir under `d`.
fn run_playbook(bin: &Path, d: &Path, extra: &[&str]) -> Output {
    Command::new(bin.join("ansible-playbook"))
        .current_dir(d)
        .args(["-i", "inventory.yml", "site.yml"])
        .args(extra)
        .env("ANSIBLE_COLLECTIONS_PATH", env!("CARGO_MANIFEST_DIR"))
        .env("ANSIBLE_LOCAL_TEMP", d.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TMP", d.join("ansible-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("LC_ALL", "C.UTF-8")
        .env("CTRWIZ_CONFIG_DIR", d.join("user-config"))
        .output()
        .unwrap()
}

const SITE: &str =
    "- hosts: all\n  gather_facts: false\n  roles:\n    - role: ctrwiz.containerd.node\n";

#[test]
fn a_playbook_configures_three_nodes_idempotently_checks_without_writing_and_fails_one_alone() {
    let Some(bin) = ansible_bin() else { return };
    let live = live();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctrwiz = PathBuf::from(env!("CARGO_BIN_EXE_ctrwiz"));
    let trees = [d.join("tree-a"), d.join("tree-b")];
    let pristine = crate::support::fixture("containerd-1.6.20-default.toml");
    for t in &trees {
        fs::create_dir_all(t.join("etc/containerd")).unwrap();
        fs::write(t.join("etc/containerd/config.toml"), &pristine).unwrap();
    }
    let python = bin.join("python3");
    let mut inventory = format!(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: {py}\n    ctrwiz_binary_src: {src}\n    ctrwiz_binary_sha256: {sum}\n  hosts:\n",
        py = python.display(),
        src = ctrwiz.display(),
        sum = sha256_hex(&ctrwiz),
    );
    for (name, t) in ["tree-a", "tree-b"].iter().zip(&trees) {
        inventory += &format!(
            "    {name}:\n      ctrwiz_root: {root}\n      ctrwiz_binary_dest: {d}/bin-{name}/ctrwiz\n      ctrwiz_mirrors: {{docker.io: [\"https://mirror.corp.example\"]}}\n      ctrwiz_sandbox_image: registry.k8s.io/pause:3.10\n",
            root = t.display(),
            d = d.display(),
        );
        if *name == "tree-a" {
            // The client and CNI options too, on one node.
            inventory += "      ctrwiz_crictl: true\n      ctrwiz_cni_bin_dir: /usr/lib/cni\n";
        }
    }
    let mut watched: Vec<PathBuf> = trees.to_vec();
    if let Some(h) = &live {
        inventory += &format!(
            "    live:\n      ctrwiz_binary_dest: {d}/bin-live/ctrwiz\n      ctrwiz_config: {cfg}\n      ctrwiz_hosts_dir: {hosts}\n      ctrwiz_address: {sock}\n      ctrwiz_state_dir: {state}\n      ctrwiz_restart_cmd: sh {restart}\n      ctrwiz_health_timeout: 30\n      ctrwiz_sandbox_image: {pause}\n      ctrwiz_mirrors: {{docker.io: [\"{mirror}\"]}}\n",
            d = d.display(),
            cfg = h.config().display(),
            hosts = h.hosts_dir().display(),
            sock = h.socket().display(),
            state = h.dir.join("state-ctrwiz").display(),
            restart = h.dir.join("restart.sh").display(),
            mirror = h.mirror_url(),
            // The pod check starts a real sandbox: with the pause image
            // the harness's registry holds, through the mirror.
            pause = crate::live::HUB_PAUSE,
        );
        watched.extend([h.config(), h.hosts_dir()]);
    } else {
        eprintln!("the live containerd is not available: the fleet is the two trees");
    }
    fs::write(d.join("inventory.yml"), inventory).unwrap();
    fs::write(d.join("site.yml"), SITE).unwrap();
    let playbook = |extra: &[&str]| run_playbook(&bin, d, extra);
    let hosts: Vec<&str> = if live.is_some() {
        vec!["live", "tree-a", "tree-b"]
    } else {
        vec!["tree-a", "tree-b"]
    };

    // First run: the binary and the files on every node.
    let first = playbook(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    let r = recap(&first);
    for h in &hosts {
        assert!(
            r[*h].1 >= 1 && r[*h].2 == 0,
            "{h}: {:?}\n{}",
            r[*h],
            show(&first)
        );
    }
    for t in &trees {
        let hosts_toml =
            fs::read_to_string(t.join("etc/containerd/certs.d/docker.io/hosts.toml")).unwrap();
        assert!(hosts_toml.contains("[host.\"https://mirror.corp.example\"]"));
        let cfg = fs::read_to_string(t.join("etc/containerd/config.toml")).unwrap();
        assert!(cfg.contains("sandbox_image = \"registry.k8s.io/pause:3.10\""));
        assert!(cfg.contains("config_path = \"/etc/containerd/certs.d\""));
    }
    let crictl = fs::read_to_string(trees[0].join("etc/crictl.yaml")).unwrap();
    assert!(
        crictl.contains("runtime-endpoint: unix:///run/containerd/containerd.sock"),
        "{crictl}"
    );
    let cfg = fs::read_to_string(trees[0].join("etc/containerd/config.toml")).unwrap();
    assert!(cfg.contains("bin_dir = \"/usr/lib/cni\""), "{cfg}");
    assert!(!trees[1].join("etc/crictl.yaml").exists());
    if let Some(h) = &live {
        assert_eq!(h.restarts(), 1, "config.toml changed: one restart");
        assert!(h.cri_loaded());
        ctrwiz::cri::pull_image(&h.socket(), HUB_IMAGE, Duration::from_secs(60))
            .expect("a CRI pull through the mirror");
        assert!(
            h.registry_log().contains("ns=docker.io"),
            "served by the mirror"
        );
    }

    // Second run: nothing changes anywhere, and nothing restarts.
    let before = fingerprint(&watched);
    let second = playbook(&[]);
    assert_eq!(second.status.code(), Some(0), "{}", show(&second));
    let r = recap(&second);
    for h in &hosts {
        assert_eq!(
            r[*h].1,
            0,
            "{h} changed on the second run\n{}",
            show(&second)
        );
    }
    assert_eq!(fingerprint(&watched), before);
    if let Some(h) = &live {
        assert_eq!(h.restarts(), 1, "no restart on the second run");
    }

    // --check --diff with another mirror: the diffs are shown, nothing is written.
    let other = r#"{"ctrwiz_mirrors": {"docker.io": ["https://other.example"]}}"#;
    let check = playbook(&["--check", "--diff", "-e", other]);
    assert_eq!(check.status.code(), Some(0), "{}", show(&check));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("+[host.\"https://other.example\"]"),
        "{}",
        show(&check)
    );
    assert!(text.contains("-[host.\"https://mirror.corp.example\"]"));
    let r = recap(&check);
    for h in &hosts {
        assert_eq!(r[*h].1, 1, "{h} would change\n{}", show(&check));
    }
    assert_eq!(fingerprint(&watched), before, "check mode wrote something");
    if let Some(h) = &live {
        assert_eq!(h.restarts(), 1, "no restart in check mode");
    }

    // A broken config.toml fails its node alone, with ctrwiz's file:line:col.
    fs::write(
        trees[1].join("etc/containerd/config.toml"),
        "version = 2\n[plugins\n",
    )
    .unwrap();
    let broken = playbook(&[]);
    assert_ne!(broken.status.code(), Some(0), "{}", show(&broken));
    let r = recap(&broken);
    assert_eq!(r["tree-b"].2, 1, "{}", show(&broken));
    for h in hosts.iter().filter(|h| **h != "tree-b") {
        assert_eq!(r[*h], (r[*h].0, 0, 0), "{h}: {}", show(&broken));
    }
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(
        text.contains("/etc/containerd/config.toml:2:"),
        "{}",
        show(&broken)
    );
    assert_eq!(
        fs::read_to_string(trees[1].join("etc/containerd/config.toml")).unwrap(),
        "version = 2\n[plugins\n",
        "the broken file is kept"
    );
}

/// The role's other install path: the binary from an internal URL (here a
/// loopback HTTP server), pinned by its sha256. A node whose pin does not
/// match fails alone: no binary at its destination, its tree untouched.
#[test]
fn the_role_installs_from_an_internal_url_only_with_the_pinned_checksum() {
    let Some(bin) = ansible_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctrwiz = PathBuf::from(env!("CARGO_BIN_EXE_ctrwiz"));
    let served = fs::read(&ctrwiz).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ctrwiz", listener.local_addr().unwrap());
    let gets = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = gets.clone();
    // Serves the binary to every GET until the test ends (bounded: the
    // thread dies with the test process).
    std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        for conn in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(&conn);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || !line.starts_with("GET /ctrwiz ") {
                continue;
            }
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut w = &conn;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                served.len()
            );
            let _ = w
                .write_all(head.as_bytes())
                .and_then(|_| w.write_all(&served));
        }
    });
    let pristine = crate::support::fixture("containerd-1.6.20-default.toml");
    let python = bin.join("python3");
    let mut inventory = format!(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: {py}\n    ctrwiz_binary_url: {url}\n    ctrwiz_mirrors: {{docker.io: [\"https://mirror.corp.example\"]}}\n  hosts:\n",
        py = python.display(),
    );
    let wrong = "0".repeat(64);
    for (name, sum) in [("pinned", sha256_hex(&ctrwiz)), ("wrong", wrong)] {
        let t = d.join(name);
        fs::create_dir_all(t.join("etc/containerd")).unwrap();
        fs::write(t.join("etc/containerd/config.toml"), &pristine).unwrap();
        inventory += &format!(
            "    {name}:\n      ctrwiz_root: {root}\n      ctrwiz_binary_sha256: \"{sum}\"\n      ctrwiz_binary_dest: {d}/bin-{name}/ctrwiz\n",
            root = t.display(),
            d = d.display(),
        );
    }
    fs::write(d.join("inventory.yml"), inventory).unwrap();
    fs::write(d.join("site.yml"), SITE).unwrap();

    let out = run_playbook(&bin, d, &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "one node failed: {}",
        show(&out)
    );
    let r = recap(&out);
    assert!(
        r["pinned"].1 >= 1 && r["pinned"].2 == 0,
        "{:?}\n{}",
        r,
        show(&out)
    );
    assert_eq!(r["wrong"].2, 1, "{:?}\n{}", r, show(&out));
    assert!(show(&out).contains("checksum"), "{}", show(&out));
    // The pinned node: the very binary, run to write its files.
    assert_eq!(
        fs::read(d.join("bin-pinned/ctrwiz")).unwrap(),
        fs::read(&ctrwiz).unwrap()
    );
    let hosts =
        fs::read_to_string(d.join("pinned/etc/containerd/certs.d/docker.io/hosts.toml")).unwrap();
    assert!(
        hosts.contains("[host.\"https://mirror.corp.example\"]"),
        "{hosts}"
    );
    // The other: nothing installed, nothing written.
    assert!(!d.join("bin-wrong/ctrwiz").exists());
    assert_eq!(
        fs::read(d.join("wrong/etc/containerd/config.toml")).unwrap(),
        pristine.as_bytes()
    );
    assert!(!d.join("wrong/etc/containerd/certs.d").exists());
    assert_eq!(
        gets.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "one download per node"
    );
}
