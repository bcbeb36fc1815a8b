//! The proxy drop-in is written or refused (never dropped with exit 0),
//! and the clients' own config (`/etc/crictl.yaml`) as a planned file.

use crate::support::{assert_code, assert_has, stderr, stdout, Node};
use std::fs;

const DROP_IN: &str = "/etc/systemd/system/containerd.service.d/http-proxy.conf";

#[test]
fn a_proxy_without_systemd_unit_dirs_is_refused_with_exit_2_and_nothing_written() {
    let bare = Node::with_default_config();
    let before = bare.snapshot();
    for cmd in [&["plan"][..], &["apply", "--yes"]] {
        let mut args = cmd.to_vec();
        args.extend([
            "--mirror",
            "docker.io=daocloud",
            "--proxy",
            "http://proxy.corp:3128",
        ]);
        let out = bare.run(&args);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("--proxy: "), "{err}");
        assert!(err.contains("no systemd unit directory"), "{err}");
        assert!(err.contains("--root"), "{err}");
        assert!(err.contains("HTTP_PROXY"), "{err}");
        assert!(!stdout(&out).contains("http-proxy.conf"));
    }
    assert_eq!(bare.snapshot(), before, "nothing written, no backup");
    assert_eq!(bare.backup_sets(), 0);

    // From a profile: named by its file:line:col.
    let profile = bare.file_arg(
        "/p.toml",
        "preset = \"daocloud\"\n\nproxy = \"http://proxy.corp:3128\"\n",
    );
    let before = bare.snapshot();
    let out = bare.run(&["apply", "--profile", &profile, "--yes"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&format!("{profile}:3:9: ")), "{err}");
    assert_eq!(bare.snapshot(), before);

    // `none` has nothing to remove: planned fine.
    let out = bare.run(&["plan", "--mirror", "docker.io=daocloud", "--proxy", "none"]);
    assert_code(&out, 0);
}

#[test]
fn a_root_tree_with_a_systemd_unit_dir_gets_the_drop_in() {
    // An image that ships containerd.service under /usr/lib only.
    let node = Node::with_default_config();
    node.write(
        "/usr/lib/systemd/system/containerd.service",
        "[Service]\nExecStart=/usr/bin/containerd\n",
    );
    let out = node.run(&[
        "apply",
        "--mirror",
        "docker.io=daocloud",
        "--proxy",
        "http://proxy.corp:3128",
        "--no-proxy",
        "localhost",
        "--yes",
    ]);
    assert_code(&out, 0);
    assert!(
        node.read(DROP_IN)
            .contains("Environment=\"HTTPS_PROXY=http://proxy.corp:3128\"\n"),
        "{}",
        node.read(DROP_IN)
    );
}

const CRICTL: &str = "/etc/crictl.yaml";

#[test]
fn crictl_yaml_is_written_kept_when_right_and_rolled_back() {
    let node = Node::with_default_config();
    // The user's file points at dockershim and has a key of its own.
    let mine = "# set by hand\nruntime-endpoint: unix:///var/run/dockershim.sock\ndebug: true\n";
    node.write(CRICTL, mine);
    // config.toml set up first, so the crictl apply changes only its file.
    assert_code(
        &node.run(&["apply", "--mirror", "docker.io=daocloud", "--yes"]),
        0,
    );
    let out = node.run(&[
        "apply",
        "--mirror",
        "docker.io=daocloud",
        "--crictl",
        "--yes",
    ]);
    assert_code(&out, 0);
    assert_eq!(
        node.read(CRICTL),
        "# set by hand\nruntime-endpoint: unix:///run/containerd/containerd.sock\ndebug: true\n\
         image-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\n"
    );
    // Only crictl.yaml changed: containerd is not restarted for it.
    let said = stdout(&out);
    assert!(!said.contains("containerd will restart"), "{said}");
    assert!(
        said.contains("nothing containerd reads at start changed"),
        "{said}"
    );

    // A second apply changes nothing.
    let snapshot = node.snapshot();
    let plan = node.run(&[
        "plan",
        "--mirror",
        "docker.io=daocloud",
        "--crictl",
        "--json",
    ]);
    assert_code(&plan, 0);
    let v: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let c = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"]["type"] == "crictl_config")
        .unwrap();
    assert_eq!(c["kind"], "unchanged", "{c}");
    let again = node.run(&[
        "apply",
        "--mirror",
        "docker.io=daocloud",
        "--crictl",
        "--yes",
    ]);
    assert_code(&again, 0);
    // The lock file holds the last run's pid; every other byte stays.
    let files = |s: Vec<(std::path::PathBuf, Vec<u8>)>| {
        s.into_iter()
            .filter(|(p, _)| !p.ends_with("var/lib/ctrwiz/apply.lock"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        files(node.snapshot()),
        files(snapshot),
        "nothing rewritten, no backup set"
    );

    // Rollback restores the user's bytes.
    let out = node.run(&["rollback", "--yes"]);
    assert_code(&out, 0);
    assert_eq!(node.read(CRICTL), mine);
}

#[test]
fn crictl_yaml_is_created_for_the_address_and_taken_from_a_profile() {
    let node = Node::with_default_config();
    let profile = node.file_arg("/p.toml", "crictl = true\n");
    let out = node.run(&[
        "--address",
        "/run/k8s/containerd.sock",
        "apply",
        "--profile",
        &profile,
        "--yes",
    ]);
    assert_code(&out, 0);
    assert_eq!(
        node.read(CRICTL),
        "runtime-endpoint: unix:///run/k8s/containerd.sock\n\
         image-endpoint: unix:///run/k8s/containerd.sock\ntimeout: 10\n"
    );
    // Not a mapping: refused with the path, nothing written.
    node.write(CRICTL, "- a\n- b\n");
    let before = node.snapshot();
    let out = node.run(&["apply", "--crictl", "--yes"]);
    assert_ne!(out.status.code(), Some(0));
    assert_has(&stderr(&out), CRICTL);
    assert_eq!(node.snapshot(), before);
}

#[test]
fn doctor_warns_when_crictl_is_installed_and_its_yaml_points_elsewhere() {
    let node = Node::with_default_config();
    node.write("/usr/bin/crictl", "#!/bin/sh\n");
    fs::set_permissions(
        node.path("/usr/bin/crictl"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let check = |node: &Node| {
        let out = node.run(&["--no-probe", "doctor", "--json"]);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
        let checks = v.as_array().unwrap().clone();
        checks
            .into_iter()
            .find(|c| c["id"] == "clients.crictl")
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(check(&node).as_deref(), Some("warn"), "missing");
    node.write(
        CRICTL,
        "runtime-endpoint: unix:///var/run/dockershim.sock\n",
    );
    assert_eq!(check(&node).as_deref(), Some("warn"), "elsewhere");
    assert_code(&node.run(&["apply", "--crictl", "--yes"]), 0);
    assert_eq!(check(&node).as_deref(), Some("ok"), "fixed");
    // No crictl: no check.
    fs::remove_file(node.path("/usr/bin/crictl")).unwrap();
    assert_eq!(check(&node), None);
}

#[test]
fn on_a_k3s_node_crictl_is_named_as_not_applied_and_nothing_else_is_written() {
    let node = Node::new();
    node.write(
        "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
        "# File generated by k3s. DO NOT EDIT.\nversion = 2\n",
    );
    node.write(
        "/etc/systemd/system/k3s.service",
        "[Service]\nExecStart=/usr/local/bin/k3s server\n",
    );
    let out = node.run(&[
        "plan",
        "--mirror",
        "docker.io=daocloud",
        "--crictl",
        "--json",
    ]);
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "owner_skips_extras"),
        "{v}"
    );
    assert!(!stdout(&out).contains(CRICTL));
}
