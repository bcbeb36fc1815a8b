//! End to end against the real containerd and registry of `live.rs`.

use crate::live::{live, Live, HUB_IMAGE};
use std::fs;
use std::process::Output;
use std::time::Duration;

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

fn cri_pull(h: &Live) -> Result<String, String> {
    ctrwiz::cri::pull_image(&h.socket(), HUB_IMAGE, Duration::from_secs(60))
}

fn mirror_flag(h: &Live) -> String {
    format!("docker.io={}", h.mirror_url())
}

fn mtime(p: &std::path::Path) -> std::time::SystemTime {
    fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn harness_self_test_without_ctrwiz() {
    let Some(h) = live() else { return };
    assert!(h.cri_loaded(), "CRI loads on the pristine config");
    // Pulling docker.io/library/ctrwiz-e2e without a mirror cannot work
    // here (no network): proof that a later success came from the mirror.
    assert!(cri_pull(&h).is_err());
}

#[test]
fn apply_then_cri_and_ctr_pulls_are_served_by_the_mirror() {
    let Some(h) = live() else { return };
    let out = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
    assert_exit(&out, 0);
    assert_eq!(h.restarts(), 1, "config.toml changed: one restart");
    assert!(h.cri_loaded(), "the CRI plugin is loaded after the apply");
    let cfg = fs::read_to_string(h.config()).unwrap();
    assert!(
        cfg.contains(&format!("config_path = \"{}\"", h.hosts_dir().display())),
        "{cfg}"
    );
    assert_eq!(
        cfg.lines().count(),
        h.pristine_config.lines().count(),
        "one line changed, none added"
    );

    // The path kubelet uses.
    let image_ref = cri_pull(&h).unwrap_or_else(|e| panic!("CRI pull: {e}\n{}", h.registry_log()));
    assert!(image_ref.starts_with("sha256:"), "{image_ref}");
    let requests = h.manifest_requests();
    assert!(
        requests.iter().any(|r| r.ends_with("?ns=docker.io")),
        "the registry saw the docker.io namespace: {requests:?}"
    );

    // ctr reads no config_path: with --hosts-dir it uses the same files.
    let before = h.manifest_requests().len();
    let ctr = h.ctr(&[
        "images",
        "pull",
        "--hosts-dir",
        h.hosts_dir().to_str().unwrap(),
        HUB_IMAGE,
    ]);
    assert!(ctr.status.success(), "{}", text(&ctr));
    assert!(
        h.manifest_requests().len() > before,
        "ctr's pull reached the mirror too"
    );
}

#[test]
fn a_second_apply_restarts_nothing_and_touches_nothing() {
    let Some(h) = live() else { return };
    assert_exit(
        &h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]),
        0,
    );
    let hosts = h.hosts_dir().join("docker.io/hosts.toml");
    let (m1, m2) = (mtime(&h.config()), mtime(&hosts));
    std::thread::sleep(Duration::from_millis(20));
    let again = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
    assert_exit(&again, 0);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("Nothing to do"),
        "{}",
        text(&again)
    );
    assert_eq!(h.restarts(), 1, "no second restart");
    assert_eq!(
        (mtime(&h.config()), mtime(&hosts)),
        (m1, m2),
        "no file rewritten"
    );
}

#[test]
fn a_hosts_only_change_restarts_nothing_and_takes_effect() {
    let Some(h) = live() else { return };
    assert_exit(
        &h.ctrwiz(&["apply", "--mirror", "docker.io=http://127.0.0.1:9", "--yes"]),
        0,
    );
    assert_eq!(h.restarts(), 1);
    assert!(
        cri_pull(&h).is_err(),
        "a dead mirror (and no network upstream) cannot serve"
    );
    // Now only hosts.toml changes: no restart, and the next pull uses it.
    let out = h.ctrwiz(&[
        "apply",
        "--mirror",
        &format!("docker.io=http://127.0.0.1:9,{}", h.mirror_url()),
        "--yes",
    ]);
    assert_exit(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no restart needed"),
        "{}",
        text(&out)
    );
    assert_eq!(h.restarts(), 1, "still one restart");
    cri_pull(&h).expect("containerd re-reads hosts.toml on every pull");
}

#[test]
fn legacy_mirrors_are_migrated_and_keep_serving() {
    let Some(h) = live() else { return };
    // The seeds' old way: mirrors in config.toml, no config_path.
    let legacy = h.pristine_config.replace(
        "      [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n",
        &format!(
            "      [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n        [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n          endpoint = [\"{}\"]\n",
            h.mirror_url()
        ),
    );
    assert_ne!(legacy, h.pristine_config);
    fs::write(h.config(), &legacy).unwrap();
    let out = h.ctrwiz(&["apply", "--mirror", "quay.io=upstream", "--yes"]);
    assert_exit(&out, 0);
    let cfg = fs::read_to_string(h.config()).unwrap();
    assert!(!cfg.contains("endpoint"), "{cfg}");
    assert!(
        h.cri_loaded(),
        "CRI loads: mirrors and config_path are not both set"
    );
    let migrated = fs::read_to_string(h.hosts_dir().join("docker.io/hosts.toml")).unwrap();
    assert!(migrated.contains(&h.mirror_url()), "{migrated}");
    cri_pull(&h).unwrap_or_else(|e| panic!("the migrated mirror serves: {e}"));
    assert!(h
        .manifest_requests()
        .iter()
        .any(|r| r.ends_with("?ns=docker.io")));
}

#[test]
fn a_failing_restart_leaves_config_byte_identical() {
    let Some(h) = live() else { return };
    let before = fs::read(h.config()).unwrap();
    let out = h.ctrwiz_restarting_with(
        "echo the unit failed >&2; exit 1",
        &["apply", "--mirror", &mirror_flag(&h), "--yes"],
    );
    assert_exit(&out, 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rolled back"),
        "{}",
        text(&out)
    );
    assert_eq!(fs::read(h.config()).unwrap(), before, "byte for byte");
    assert!(!h.hosts_dir().join("docker.io/hosts.toml").exists());
    assert!(h.cri_loaded(), "containerd still runs");
}

#[test]
fn cri_dead_after_restart_is_rolled_back() {
    let Some(h) = live() else { return };
    let before = fs::read(h.config()).unwrap();
    // A restart that also slips legacy mirrors into the new config: then
    // both mirrors and config_path are set and containerd starts with its
    // CRI plugin dead — exactly what ctrwiz's health check must catch.
    let sabotage = h.dir.join("sabotage.sh");
    fs::write(
        &sabotage,
        format!(
            "#!/bin/sh\ncfg={cfg}\nif grep -q certs.d $cfg; then printf '\\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"quay.io\"]\\n  endpoint = [\"https://q.example\"]\\n' >> $cfg; fi\nexec sh {restart}\n",
            cfg = h.config().display(),
            restart = h.dir.join("restart.sh").display()
        ),
    )
    .unwrap();
    let out = h.ctrwiz_restarting_with(
        &format!("sh {}", sabotage.display()),
        &["apply", "--mirror", &mirror_flag(&h), "--yes"],
    );
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CRI plugin failed to load") && err.contains("rolled back"),
        "{}",
        text(&out)
    );
    assert_eq!(
        fs::read(h.config()).unwrap(),
        before,
        "old config.toml restored byte for byte"
    );
    assert!(
        err.contains("runs again with the old configuration"),
        "{err}"
    );
    assert!(
        h.cri_loaded(),
        "containerd runs with its CRI plugin loaded again"
    );
}

#[test]
fn doctor_sees_the_legacy_conflict_and_the_missing_host_table() {
    let Some(h) = live() else { return };
    // Both legacy mirrors and config_path: containerd runs, CRI is dead.
    let both = h
        .pristine_config
        .replace("      config_path = \"\"", &format!("      config_path = \"{}\"", h.hosts_dir().display()))
        .replace(
            "      [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n",
            "      [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n        [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n          endpoint = [\"https://m.example\"]\n",
        );
    fs::write(h.config(), &both).unwrap();
    // A hosts.toml in the seeds' style: server only, no [host] table.
    fs::create_dir_all(h.hosts_dir().join("docker.io")).unwrap();
    fs::write(
        h.hosts_dir().join("docker.io/hosts.toml"),
        format!("server = \"{}\"\n", h.mirror_url()),
    )
    .unwrap();
    let restart = std::process::Command::new("sh")
        .arg(h.dir.join("restart.sh"))
        .status()
        .unwrap();
    assert!(restart.success());
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !h.cri_loaded(),
        "containerd itself agrees: CRI did not load"
    );

    let out = h.ctrwiz(&["doctor", "--json"]);
    assert_exit(&out, 1);
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |id: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    };
    let conflict = find("legacy_mirrors.conflict").expect("conflict check");
    assert_eq!(conflict["status"], "fail");
    assert!(
        conflict["message"].as_str().unwrap().contains("confirmed"),
        "{conflict}"
    );
    assert_eq!(find("cri.loaded").unwrap()["status"], "fail");
    assert_eq!(
        find("hosts.docker.io.host_table").expect("1.6 ignores such a file")["status"],
        "fail"
    );

    // Prove the missing-[host] case on the daemon too: fix only the conflict,
    // and containerd 1.6 ignores the server-only file (the pull fails).
    fs::write(
        h.config(),
        h.pristine_config.replace(
            "      config_path = \"\"",
            &format!("      config_path = \"{}\"", h.hosts_dir().display()),
        ),
    )
    .unwrap();
    assert!(std::process::Command::new("sh")
        .arg(h.dir.join("restart.sh"))
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_secs(2));
    assert!(h.cri_loaded());
    assert!(
        cri_pull(&h).is_err(),
        "containerd 1.6 ignored the file without [host]"
    );
    // ctrwiz's own file for the same mirror works.
    assert_exit(
        &h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]),
        0,
    );
    cri_pull(&h).expect("with a [host] table the mirror serves");
}

#[test]
fn verify_names_the_mirror_that_served_the_image() {
    let Some(h) = live() else { return };
    assert_exit(
        &h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]),
        0,
    );
    let out = h.ctrwiz(&["verify", HUB_IMAGE, "--json", "--timeout", "60"]);
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let host = format!("127.0.0.1:{}", h.registry_port);
    assert_eq!(v["resolved_by"], host.as_str(), "{v}");
    assert_eq!(v["served_by_mirror"], true);
    assert!(
        v["cri"]["Ok"]
            .as_str()
            .is_some_and(|r| r.starts_with("sha256:")),
        "pulled through CRI too: {v}"
    );
}

fn config_dump(h: &Live) -> String {
    let out = std::process::Command::new("containerd")
        .arg("--config")
        .arg(h.config())
        .args(["config", "dump"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn extras_show_in_config_dump_and_the_daemon_keeps_cri() {
    let Some(h) = live() else { return };
    let out = h.ctrwiz(&[
        "apply",
        "--mirror",
        &mirror_flag(&h),
        "--sandbox-image",
        "registry.aliyuncs.com/google_containers/pause:3.6",
        "--systemd-cgroup",
        "true",
        "--yes",
    ]);
    assert_exit(&out, 0);
    let dump = config_dump(&h);
    assert!(
        dump.contains("sandbox_image = \"registry.aliyuncs.com/google_containers/pause:3.6\""),
        "{dump}"
    );
    assert!(dump.contains("SystemdCgroup = true"), "{dump}");
    assert!(
        dump.contains(&format!("config_path = \"{}\"", h.hosts_dir().display())),
        "{dump}"
    );
    assert!(h.cri_loaded(), "the daemon restarted with its CRI plugin");
    cri_pull(&h).expect("and pulls still go through the mirror");
}

#[test]
fn a_1x_config_with_imports_is_not_broken() {
    let Some(h) = live() else { return };
    // On 1.x an imported plugin table replaces the main file's whole table
    // (containerd-facts §3.3): a drop-in that sets the pause image would
    // wipe config_path if ctrwiz only edited the main file.
    let conf_d = h.dir.join("conf.d");
    fs::create_dir_all(&conf_d).unwrap();
    fs::write(conf_d.join("10-pause.toml"), "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\n").unwrap();
    let main = h.pristine_config.replace(
        "imports = []",
        &format!("imports = [\"{}/*.toml\"]", conf_d.display()),
    );
    assert_ne!(main, h.pristine_config);
    fs::write(h.config(), &main).unwrap();
    let out = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
    assert_exit(&out, 0);
    let dump = config_dump(&h);
    assert!(
        dump.contains(&format!("config_path = \"{}\"", h.hosts_dir().display())),
        "the import kept config_path: {dump}"
    );
    assert!(
        dump.contains("sandbox_image = \"registry.k8s.io/pause:3.9\""),
        "the import's own setting survives: {dump}"
    );
    assert!(h.cri_loaded());
    cri_pull(&h).expect("pulls go through the mirror");
    let _ = fs::remove_dir_all(&conf_d);
}
