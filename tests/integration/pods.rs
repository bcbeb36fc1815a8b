//! Healthy means a pod starts (issue 14): real pod sandboxes over CRI on
//! the real daemons of the version matrix, with a sandbox image built from
//! Debian's busybox-static and pulled through ctrwiz's hosts.toml.

use crate::live::{Live, HUB_PAUSE, PAUSE_REPO};
use crate::on_every_containerd;
use std::process::Output;

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
}

fn mirror_flag(h: &Live) -> String {
    format!("docker.io={}", h.mirror_url())
}

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
