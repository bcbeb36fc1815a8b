//! Promises about the user's files, each with the test that proves it
//! (README "Reliability"): crash safety under SIGKILL, symlinks, modes,
//! read-only filesystems.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const DEFAULT_CONFIG: &str = include_str!("../fixtures/containerd-1.6.20-default.toml");
const CONFIG: &str = "etc/containerd/config.toml";

use crate::support::ctrwiz_on as ctrwiz;

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// node-relative path → content (`None`: absent).
type Files = BTreeMap<String, Option<String>>;

fn read_targets(root: &Path, targets: &[String]) -> Files {
    targets
        .iter()
        .map(|t| (t.clone(), fs::read_to_string(root.join(t)).ok()))
        .collect()
}

/// A node whose containerd "answers": a unix socket the test listens on.
fn node() -> (tempfile::TempDir, UnixListener) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(CONFIG);
    fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    fs::write(&cfg, DEFAULT_CONFIG).unwrap();
    // An existing, foreign hosts.toml that the apply replaces.
    let quay = dir.path().join("etc/containerd/certs.d/quay.io/hosts.toml");
    fs::create_dir_all(quay.parent().unwrap()).unwrap();
    fs::write(&quay, "server = \"https://quay.io\"\n").unwrap();
    let sock = dir.path().join("run/containerd/containerd.sock");
    fs::create_dir_all(sock.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(&sock).unwrap();
    (dir, listener)
}

/// A tiny deterministic generator (no rand crate needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn sigkill_at_200_moments_never_leaves_a_partial_file() {
    // What the apply writes, from its own plan.
    let (probe_dir, _l) = node();
    let plan = ctrwiz(
        probe_dir.path(),
        &["plan", "--preset", "daocloud", "--json"],
        &[],
    )
    .output()
    .unwrap();
    assert_eq!(code(&plan), Some(0));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let mut new: Files = BTreeMap::new();
    for c in plan["changes"].as_array().unwrap() {
        let path = c["path"]
            .as_str()
            .unwrap()
            .trim_start_matches('/')
            .to_string();
        new.insert(path, c["new"].as_str().map(str::to_string));
    }
    let targets: Vec<String> = new.keys().cloned().collect();
    let old = read_targets(probe_dir.path(), &targets);
    assert_eq!(targets.len(), 12);

    let mut rng = Lcg(0x5eed);
    let (mut partial_runs, mut untouched_runs) = (0, 0);
    for round in 0..200 {
        let (dir, _listener) = node();
        let root = dir.path();
        let restarts = root.join("restarts");
        let restart_cmd = format!("echo restart >> {}", restarts.display());
        let args = [
            "apply",
            "--preset",
            "daocloud",
            "--yes",
            "--restart-cmd",
            &restart_cmd,
            "--health-timeout",
            "2",
            // A listener stands in for containerd: it runs no pod.
            "--health",
            "cri",
        ];
        let mut child = ctrwiz(root, &args, &[("CTRWIZ_TEST_STEP_DELAY_MS", "3")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next(70_000)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let now = read_targets(root, &targets);
        for t in &targets {
            assert!(
                now[t] == old[t] || now[t] == new[t],
                "round {round}: {t} is neither old nor new: {:?}",
                now[t]
            );
        }
        if now == old {
            untouched_runs += 1;
        } else {
            partial_runs += 1;
            // The backup set of that run is complete and holds the old files.
            let sets = root.join("var/lib/ctrwiz/backups");
            let set = fs::read_dir(&sets)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.join("manifest.json").exists());
            let set = set.unwrap_or_else(|| {
                panic!("round {round}: files changed but no complete backup set")
            });
            let manifest: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(set.join("manifest.json")).unwrap())
                    .unwrap();
            for e in manifest["entries"].as_array().unwrap() {
                let path = e["path"].as_str().unwrap().trim_start_matches('/');
                let saved = e["saved_as"]
                    .as_str()
                    .map(|f| fs::read_to_string(set.join(f)).unwrap());
                assert_eq!(saved, old[path], "round {round}: backup of {path}");
            }
        }
        // A rerun completes the apply, and containerd ends up restarted
        // with the new config even if the killed run never got to it.
        let rerun = ctrwiz(root, &args, &[]).output().unwrap();
        assert_eq!(
            code(&rerun),
            Some(0),
            "round {round}: {}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        assert_eq!(read_targets(root, &targets), new, "round {round}");
        let restarted = fs::read_to_string(&restarts).map_or(0, |s| s.lines().count());
        assert!(
            restarted >= 1,
            "round {round}: config.toml changed but containerd was never restarted\n{}\n{}",
            String::from_utf8_lossy(&rerun.stdout),
            String::from_utf8_lossy(&rerun.stderr)
        );
        let leftovers = fs::read_dir(root.join("etc/containerd"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".ctrwiz-"));
        assert!(!leftovers, "round {round}: temp files left behind");
    }
    // The random moments must have hit both sides of the writes.
    assert!(
        partial_runs > 20 && untouched_runs > 5,
        "partial {partial_runs}, untouched {untouched_runs}"
    );
}

#[test]
fn a_symlinked_config_is_written_through_and_stays_a_link() {
    let (dir, _l) = node();
    let root = dir.path();
    let real = root.join("srv/cm/containerd.toml");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::rename(root.join(CONFIG), &real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("/srv/cm/containerd.toml", root.join(CONFIG)).unwrap();
    let out = ctrwiz(
        root,
        &["apply", "--mirror", "docker.io=daocloud", "--yes"],
        &[],
    )
    .output()
    .unwrap();
    assert_eq!(
        code(&out),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::symlink_metadata(root.join(CONFIG))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real)
        .unwrap()
        .contains("config_path = \"/etc/containerd/certs.d\""));
    assert_eq!(
        fs::metadata(&real).unwrap().mode() & 0o777,
        0o640,
        "mode kept"
    );
}

#[test]
fn a_read_only_filesystem_gets_a_clear_error_and_nothing_changes() {
    let (dir, _l) = node();
    let root = dir.path().to_path_buf();
    let etc = root.join("etc/containerd");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&etc)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        if std::env::var_os("CTRWIZ_REQUIRE_E2E").is_some() {
            panic!("cannot mount a tmpfs to test a read-only filesystem");
        }
        eprintln!("skipping the read-only test: mount is not permitted here");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(etc.clone());
    fs::write(etc.join("config.toml"), DEFAULT_CONFIG).unwrap();
    assert!(Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&etc)
        .status()
        .unwrap()
        .success());
    let out = ctrwiz(&root, &["apply", "--preset", "daocloud", "--yes"], &[])
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("read-only filesystem") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(etc.join("config.toml")).unwrap(),
        DEFAULT_CONFIG
    );
    assert!(
        !root.join("var/lib/ctrwiz/backups").exists(),
        "not even a backup set"
    );
}
