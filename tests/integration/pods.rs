//! Healthy means a pod starts (issue 14): real pod sandboxes over CRI on
//! the real daemons of the version matrix, with a sandbox image built from
//! Debian's busybox-static and pulled through ctrwiz's hosts.toml.

use crate::live::{assert_exit, mirror_flag, text};
use crate::live::{Live, HUB_PAUSE, PAUSE_REPO};
use crate::on_every_containerd;
use std::fs;
use std::process::Output;

/// Registry requests for the pause image's manifest.
fn pause_manifest_requests(h: &Live) -> usize {
    h.registry_log()
        .lines()
        .filter(|l| l.contains(&format!("/v2/{PAUSE_REPO}/manifests/")))
        .count()
}

/// apply with the pod health check, the harness's mirror and the
/// harness's pause image, plus `extra`.
fn apply_pod(h: &Live, extra: &[&str]) -> Output {
    let mirror = mirror_flag(h);
    let mut args = vec![
        "apply",
        "--mirror",
        &mirror,
        "--sandbox-image",
        HUB_PAUSE,
        "--health",
        "pod",
        "--yes",
    ];
    args.extend_from_slice(extra);
    h.ctrwiz(&args)
}

on_every_containerd! {
    #[test]
    fn apply_proves_a_pod_sandbox_starts_and_leaves_none(h) {
        let out = apply_pod(&h, &["--systemd-cgroup", "false"]);
        assert_exit(&out, 0);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("a test pod sandbox ({HUB_PAUSE}) started and was removed")),
            "{}",
            text(&out)
        );
        assert!(
            pause_manifest_requests(&h) > 0,
            "the pause image came through the mirror: {}",
            h.registry_log()
        );
        assert_eq!(h.sandbox_containers(), Vec::<String>::new(), "no sandbox left");
    }
}

/// The pristine config with `edit` applied to its CRI `runtimes` table.
fn with_runtimes(h: &Live, edit: impl FnOnce(&mut toml_edit::Table)) -> String {
    with_cri_containerd(h, |c| edit(c["runtimes"].as_table_mut().expect("runtimes")))
}

/// The pristine config with `edit` applied to its CRI `containerd` table.
fn with_cri_containerd(h: &Live, edit: impl FnOnce(&mut toml_edit::Table)) -> String {
    let mut doc: toml_edit::DocumentMut = h.pristine_config.parse().unwrap();
    let cri = if h.daemon.is_2x() {
        "io.containerd.cri.v1.runtime"
    } else {
        "io.containerd.grpc.v1.cri"
    };
    let containerd = doc["plugins"][cri]["containerd"]
        .as_table_mut()
        .expect("the containerd table");
    edit(containerd);
    doc.to_string()
}

/// The runc table of containerd's effective config (`config dump`).
fn effective_runc(h: &Live) -> toml::Value {
    let dump: toml::Value = toml::from_str(&crate::live::config_dump(h)).unwrap();
    let cri = if h.daemon.is_2x() {
        "io.containerd.cri.v1.runtime"
    } else {
        "io.containerd.grpc.v1.cri"
    };
    dump["plugins"][cri]["containerd"]["runtimes"]["runc"].clone()
}

/// Writes `config` and restarts containerd onto it by hand.
fn start_on(h: &Live, config: &str) {
    fs::write(h.config(), config).unwrap();
    let restart = std::process::Command::new("sh")
        .arg(h.dir.join("restart.sh"))
        .status()
        .unwrap();
    assert!(restart.success());
    let start = std::time::Instant::now();
    while !h.cri_loaded() {
        assert!(start.elapsed().as_secs() < 30, "containerd came back");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A failed pod check: exit 1, rolled back byte for byte, containerd up
/// again, no sandbox left; returns stderr.
#[track_caller]
fn assert_rolled_back(h: &Live, out: &Output, before: &[u8]) -> String {
    assert_exit(out, 1);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("a test pod sandbox") && err.contains("did not start"),
        "{}",
        text(out)
    );
    assert!(err.contains("rolled back"), "{}", text(out));
    assert_eq!(fs::read(h.config()).unwrap(), before, "byte for byte");
    assert!(!h.hosts_dir().join("docker.io/hosts.toml").exists());
    assert!(h.cri_loaded(), "containerd runs again");
    assert_eq!(
        h.sandbox_containers(),
        Vec::<String>::new(),
        "no sandbox left"
    );
    err
}

on_every_containerd! {
    #[test]
    fn no_runc_table_gets_a_complete_one_and_a_sandbox_starts(h) {
        // No `runtimes` at all (containerd's built-in runc serves): ctrwiz
        // creates the runc table, and it must be complete.
        start_on(&h, &with_cri_containerd(&h, |c| {
            c.remove("runtimes");
        }));
        let out = apply_pod(&h, &["--systemd-cgroup", "false"]);
        assert_exit(&out, 0);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("started and was removed"),
            "{}",
            text(&out)
        );
        let runc = effective_runc(&h);
        assert_eq!(runc["runtime_type"].as_str(), Some("io.containerd.runc.v2"), "{runc}");
        assert_eq!(h.sandbox_containers(), Vec::<String>::new());
    }

    #[test]
    fn systemd_cgroup_on_no_runc_table_writes_a_complete_one(h) {
        start_on(&h, &with_cri_containerd(&h, |c| {
            c.remove("runtimes");
        }));
        // The harness's `--health cri` takes it: CRI loads whatever
        // SystemdCgroup says.
        let mirror = mirror_flag(&h);
        let out = h.ctrwiz(&[
            "apply", "--mirror", &mirror, "--sandbox-image", HUB_PAUSE,
            "--systemd-cgroup", "true", "--yes",
        ]);
        assert_exit(&out, 0);
        let runc = effective_runc(&h);
        assert_eq!(runc["runtime_type"].as_str(), Some("io.containerd.runc.v2"), "{runc}");
        assert_eq!(runc["options"]["SystemdCgroup"].as_bool(), Some(true), "{runc}");
        // A pod is what it breaks on this systemd-less host, and the pod
        // check says so.
        let pod = h.ctrwiz(&["doctor", "--pod", "--no-probe"]);
        assert_exit(&pod, 1);
        let said = String::from_utf8_lossy(&pod.stdout).to_lowercase();
        assert!(said.contains("did not start") && said.contains("systemd"), "{}", text(&pod));
        assert!(
            said.contains("systemdcgroup = true, but systemd is not init"),
            "doctor's own check: {}",
            text(&pod)
        );
        assert_eq!(h.sandbox_containers(), Vec::<String>::new());
    }

    #[test]
    fn the_guides_options_only_snippet_is_completed_and_a_sandbox_starts(h) {
        // `[…runtimes.runc.options] SystemdCgroup = true`, no runtime_type:
        // every RunPodSandbox fails with "container.Runtime.Name must be set".
        start_on(&h, &with_runtimes(&h, |r| {
            let mut options = toml_edit::Table::new();
            options["SystemdCgroup"] = toml_edit::value(true);
            let mut runc = toml_edit::Table::new();
            runc["options"] = toml_edit::Item::Table(options);
            r["runc"] = toml_edit::Item::Table(runc);
        }));
        let broken = h.ctrwiz(&["doctor", "--pod", "--no-probe", "--json"]);
        let checks: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
        let pod = checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "runtime.pod")
            .unwrap_or_else(|| panic!("{}", text(&broken)));
        assert_eq!(pod["status"], "fail", "{pod}");
        let untyped = checks.as_array().unwrap().iter().find(|c| c["id"] == "runtime.type");
        assert_eq!(untyped.map(|c| c["status"].clone()), Some("fail".into()), "{}", text(&broken));
        assert!(
            pod["message"].as_str().unwrap().contains("did not start"),
            "{pod}"
        );
        let out = apply_pod(&h, &["--systemd-cgroup", "false"]);
        assert_exit(&out, 0);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("started and was removed"),
            "{}",
            text(&out)
        );
        assert_eq!(h.sandbox_containers(), Vec::<String>::new());
        let ok = h.ctrwiz(&["doctor", "--pod", "--no-probe", "--json"]);
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("started and was removed"),
            "{}",
            text(&ok)
        );
    }

    #[test]
    fn systemd_cgroup_on_a_host_without_systemd_is_rolled_back_with_the_reason(h) {
        // This machine: cgroup v1, PID 1 is not systemd.
        let before = fs::read(h.config()).unwrap();
        let out = apply_pod(&h, &["--systemd-cgroup", "true"]);
        let err = assert_rolled_back(&h, &out, &before);
        assert!(err.to_lowercase().contains("systemd"), "{err}");
    }

    #[test]
    fn a_missing_runtime_binary_fails_the_check_and_rolls_back(h) {
        start_on(&h, &with_runtimes(&h, |r| {
            r["runc"]["options"]["BinaryName"] = toml_edit::value("/nonexistent/runc");
        }));
        let before = fs::read(h.config()).unwrap();
        let out = apply_pod(&h, &["--systemd-cgroup", "false"]);
        let err = assert_rolled_back(&h, &out, &before);
        assert!(err.contains("/nonexistent/runc"), "containerd's own error: {err}");
    }

    #[test]
    fn a_pause_image_no_mirror_has_fails_the_check_with_its_name(h) {
        let before = fs::read(h.config()).unwrap();
        let mirror = mirror_flag(&h);
        let missing = "docker.io/library/ctrwiz-nopause:1";
        let out = h.ctrwiz(&[
            "apply", "--mirror", &mirror, "--sandbox-image", missing,
            "--health", "pod", "--yes",
        ]);
        let err = assert_rolled_back(&h, &out, &before);
        assert!(err.contains(missing), "{err}");
        assert!(
            h.registry_log().contains("/v2/library/ctrwiz-nopause/manifests/"),
            "asked the mirror"
        );
    }

    #[test]
    fn a_sandbox_left_by_a_killed_run_is_removed_next_time(h) {
        // What a ctrwiz killed between RunPodSandbox and RemovePodSandbox
        // leaves: a labelled ctrwiz-health sandbox (containerd pulls the
        // image, so the mirror goes in first).
        assert_exit(&apply_pod(&h, &["--systemd-cgroup", "false"]), 0);
        let stale = ctrwiz::cri::SandboxSpec {
            name: "ctrwiz-health-killed".into(),
            uid: "killed".into(),
            namespace: "ctrwiz".into(),
            labels: vec![("io.ctrwiz.health".into(), "1".into())],
        };
        ctrwiz::cri::run_sandbox(&h.socket(), &stale, std::time::Duration::from_secs(60))
            .unwrap();
        assert_eq!(h.sandbox_containers().len(), 1);
        let out = h.ctrwiz(&["doctor", "--pod", "--no-probe"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 left by an earlier run removed too"),
            "{}",
            text(&out)
        );
        assert_eq!(h.sandbox_containers(), Vec::<String>::new());
    }
}
