//! Client config as planned files on `--root` nodes: nerdctl's own
//! `hosts_dir` (`--nerdctl`) and the CNI `bin_dir` fix (`--cni-bin-dir`).

use crate::support::{assert_code, assert_has, fixture, stderr, stdout, Node};
use std::fs;
use std::os::unix::fs::PermissionsExt;

const NERDCTL_TOML: &str = "/etc/nerdctl/nerdctl.toml";

fn with_nerdctl(node: &Node) {
    node.write(
        "/usr/bin/nerdctl",
        "#!/bin/sh\necho 'nerdctl version 1.7.6'\n",
    );
    fs::set_permissions(
        node.path("/usr/bin/nerdctl"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

fn doctor_status(node: &Node, args: &[&str], id: &str) -> Option<String> {
    let mut a = vec!["doctor", "--json", "--no-probe"];
    a.extend_from_slice(args);
    let out = node.run(&a);
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .map(|c| c["status"].as_str().unwrap().to_string())
}

#[test]
fn nerdctl_gets_the_hosts_dir_keeping_its_keys_and_rollback_restores_it() {
    let node = Node::with_default_config();
    with_nerdctl(&node);
    let before = "# my nerdctl\nnamespace = \"k8s.io\"  # kept\nhosts_dir = [\"/etc/docker/certs.d\"]\nexperimental = true\n";
    node.write(NERDCTL_TOML, before);
    let dir = ["--hosts-dir", "/srv/certs.d"];
    assert_eq!(
        doctor_status(&node, &dir, "clients.nerdctl_hosts_dir").as_deref(),
        Some("warn")
    );

    // The preview names the file and its diff; nothing is written.
    let plan = node.run(&[
        "--hosts-dir",
        "/srv/certs.d",
        "plan",
        "--nerdctl",
        "--mirror",
        "docker.io=daocloud",
    ]);
    assert_code(&plan, 0);
    assert_has(&stdout(&plan), NERDCTL_TOML);
    assert_has(
        &stdout(&plan),
        "+hosts_dir = [\"/srv/certs.d\", \"/etc/docker/certs.d\"]",
    );
    assert_eq!(node.read(NERDCTL_TOML), before);

    let out = node.run(&[
        "--hosts-dir",
        "/srv/certs.d",
        "apply",
        "--nerdctl",
        "--mirror",
        "docker.io=daocloud",
        "--yes",
    ]);
    assert_code(&out, 0);
    let after = node.read(NERDCTL_TOML);
    assert_eq!(
        after,
        "# my nerdctl\nnamespace = \"k8s.io\"  # kept\nhosts_dir = [\"/srv/certs.d\", \"/etc/docker/certs.d\"]\nexperimental = true\n"
    );
    assert_eq!(
        doctor_status(&node, &dir, "clients.nerdctl_hosts_dir"),
        None,
        "no warning left"
    );
    // Again: unchanged.
    let again = node.run(&["--hosts-dir", "/srv/certs.d", "plan", "--nerdctl", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let change = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"]["type"] == "nerdctl_config")
        .unwrap()
        .clone();
    assert_eq!(change["kind"], "unchanged", "{change}");

    assert_code(&node.run(&["rollback", "--yes"]), 0);
    assert_eq!(node.read(NERDCTL_TOML), before, "byte for byte");
}

#[test]
fn nerdctl_without_a_file_keeps_its_defaults_and_the_default_dir_needs_nothing() {
    let node = Node::with_default_config();
    with_nerdctl(&node);
    // The default hosts dir is in nerdctl's default list: no warning.
    assert_eq!(doctor_status(&node, &[], "clients.nerdctl_hosts_dir"), None);
    let out = node.run(&["--hosts-dir", "/srv/certs.d", "apply", "--nerdctl", "--yes"]);
    assert_code(&out, 0);
    let doc: toml::Table = toml::from_str(&node.read(NERDCTL_TOML)).unwrap();
    assert_eq!(
        doc["hosts_dir"],
        toml::Value::Array(vec![
            "/srv/certs.d".into(),
            "/etc/containerd/certs.d".into(),
            "/etc/docker/certs.d".into()
        ])
    );
    assert_code(&node.run(&["rollback", "--yes"]), 0);
    assert!(
        !node.exists(NERDCTL_TOML),
        "the file the apply created is gone"
    );
}

#[test]
fn a_bad_nerdctl_toml_is_refused_with_its_position_and_nothing_is_written() {
    let node = Node::with_default_config();
    node.write(NERDCTL_TOML, "namespace = \"k8s.io\"\nhosts_dir = \"/x\"\n");
    let snapshot = node.snapshot();
    let out = node.run(&["--hosts-dir", "/srv/certs.d", "apply", "--nerdctl", "--yes"]);
    assert_code(&out, 1);
    assert_has(&stderr(&out), "nerdctl.toml:2:13");
    assert_eq!(node.snapshot(), snapshot);
}

#[test]
fn cni_bin_dir_on_a_root_tree_is_written_at_the_files_table_and_rolled_back() {
    let original = fixture("containerd-1.6.20-default.toml");
    let node = Node::with_config(&original);
    node.write(
        "/usr/lib/cni/bridge",
        "#!/bin/sh\necho 'CNI bridge plugin version unknown' >&2\n",
    );
    fs::set_permissions(
        node.path("/usr/lib/cni/bridge"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(
        doctor_status(&node, &[], "cni.bin_dir").as_deref(),
        Some("warn")
    );
    let out = node.run(&["apply", "--cni-bin-dir", "auto", "--yes"]);
    assert_code(&out, 0);
    let doc: toml::Table = toml::from_str(&node.read("/etc/containerd/config.toml")).unwrap();
    assert_eq!(
        doc["plugins"]["io.containerd.grpc.v1.cri"]["cni"]["bin_dir"].as_str(),
        Some("/usr/lib/cni")
    );
    assert_eq!(
        doctor_status(&node, &[], "cni.bin_dir").as_deref(),
        Some("ok")
    );
    assert_code(&node.run(&["rollback", "--yes"]), 0);
    assert_eq!(node.read("/etc/containerd/config.toml"), original);
    // A relative dir is refused, naming the flag.
    let bad = node.run(&["plan", "--cni-bin-dir", "lib/cni"]);
    assert_code(&bad, 2);
    assert_has(&stderr(&bad), "--cni-bin-dir");
}

/// The `NO_PROXY=` line of the drop-in a successful `plan --json` plans.
fn planned_no_proxy(out: &std::process::Output) -> String {
    assert_code(out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drop_in = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"]["type"] == "proxy_drop_in")
        .unwrap_or_else(|| panic!("{v}"))["new"]
        .as_str()
        .unwrap()
        .to_string();
    drop_in
        .lines()
        .find(|l| l.contains("NO_PROXY="))
        .unwrap()
        .to_string()
}

#[test]
fn the_clusters_ranges_join_the_default_no_proxy() {
    let node = Node::with_default_config();
    // A systemd tree with containerd's unit: the drop-in is planned.
    node.write(
        "/lib/systemd/system/containerd.service",
        "[Service]\nExecStart=/usr/bin/containerd\n",
    );
    node.write("/etc/systemd/system/.keep", "");
    node.write(
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --service-cluster-ip-range=10.96.0.0/12\n",
    );
    node.write(
        "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        "    - --cluster-cidr=100.64.0.0/16\n",
    );
    let out = node.run(&["plan", "--proxy", "http://proxy.corp:3128", "--json"]);
    let no_proxy = planned_no_proxy(&out);
    assert!(
        no_proxy.ends_with(",10.96.0.0/12,100.64.0.0/16\""),
        "{no_proxy}"
    );
    // An explicit --no-proxy is taken as given.
    let out = node.run(&[
        "plan",
        "--proxy",
        "http://proxy.corp:3128",
        "--no-proxy",
        "localhost",
        "--json",
    ]);
    assert!(!stdout(&out).contains("100.64.0.0/16"), "{}", stdout(&out));
}

/// Before `kubeadm init` the node shows no ranges: `--cluster-cidr` (and
/// the profile's `cluster_cidrs`) adds them to the default NO_PROXY; a bad
/// range is refused naming the flag or `file:line:col`, nothing written.
#[test]
fn cluster_ranges_given_by_flag_or_profile_join_the_default_no_proxy() {
    let node = Node::with_config(&fixture("containerd-1.6.20-default.toml"));
    node.write(
        "/lib/systemd/system/containerd.service",
        "[Service]\nExecStart=/usr/bin/containerd\n",
    );
    let no_proxy_of = planned_no_proxy;
    let proxy = ["--proxy", "http://proxy.corp:3128"];
    let flag = node.run(
        &[
            &["plan", "--json"][..],
            &proxy,
            &["--cluster-cidr", "100.64.0.0/16, fd00:10:96::/112"],
        ]
        .concat(),
    );
    assert!(
        no_proxy_of(&flag).ends_with(",.cluster.local,100.64.0.0/16,fd00:10:96::/112\""),
        "{}",
        no_proxy_of(&flag)
    );
    let profile = node.path("/p.toml");
    std::fs::write(
        &profile,
        "proxy = \"http://proxy.corp:3128\"\ncluster_cidrs = [\"100.64.0.0/16\"]\n",
    )
    .unwrap();
    let from_profile = node.run(&["plan", "--json", "--profile", profile.to_str().unwrap()]);
    assert!(no_proxy_of(&from_profile).ends_with(",.cluster.local,100.64.0.0/16\""));

    let before = node.read("/etc/containerd/config.toml");
    let bad = node.run(
        &[
            &["apply", "--yes"][..],
            &proxy,
            &["--cluster-cidr", "100.64.0.0"],
        ]
        .concat(),
    );
    assert_code(&bad, 2);
    assert!(
        stderr(&bad)
            .starts_with("ctrwiz: --cluster-cidr: cluster range \"100.64.0.0\" is not a CIDR"),
        "{}",
        stderr(&bad)
    );
    std::fs::write(
        &profile,
        "proxy = \"http://proxy.corp:3128\"\ncluster_cidrs = [\"10.0.0.0/8\", \"x\"]\n",
    )
    .unwrap();
    let bad = node.run(&["apply", "--yes", "--profile", profile.to_str().unwrap()]);
    assert_code(&bad, 2);
    assert!(stderr(&bad).contains("p.toml:2:17: "), "{}", stderr(&bad));
    assert_eq!(node.read("/etc/containerd/config.toml"), before);
    assert!(!node.path(ctrwiz::paths::PROXY_DROP_IN).exists());
}

/// A proxy drop-in already on the node (the guides' by hand) is named by
/// `detect`, as systemd reads it (`%%` is `%`).
#[test]
fn detect_names_the_proxy_containerd_s_drop_in_sets() {
    let node = Node::with_default_config();
    let before = node.run(&["detect"]);
    assert!(!stdout(&before).contains("proxy:"), "{}", stdout(&before));
    node.write(
        ctrwiz::paths::PROXY_DROP_IN,
        "[Service]\nEnvironment=\"HTTPS_PROXY=http://u:p%%40ss@proxy.corp:3128\" \"NO_PROXY=localhost,.corp\"\n",
    );
    let out = node.run(&["detect"]);
    assert_code(&out, 0);
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with("proxy:"))
        .unwrap_or_else(|| panic!("{}", stdout(&out)))
        .to_string();
    // Its password is not printed.
    assert!(
        line.contains("http://u:<redacted>@proxy.corp:3128, NO_PROXY localhost,.corp"),
        "{line}"
    );
}

/// A proxy set by hand in another drop-in of containerd's unit, read from
/// the tree as systemd would (a file in /etc masks one of the same name
/// under /usr/lib; the winners in file-name order): the plan notes that
/// it overrides ctrwiz's, doctor warns, and detect shows what containerd
/// really gets.
#[test]
fn a_hand_made_proxy_drop_in_read_after_ctrwiz_s_is_named() {
    let node = Node::with_default_config();
    node.write(
        "/usr/lib/systemd/system/containerd.service",
        "[Service]\nExecStart=/usr/bin/containerd\n",
    );
    node.write(
        "/usr/lib/systemd/system/containerd.service.d/proxy.conf",
        "[Service]\nEnvironment=\"HTTPS_PROXY=http://masked:9\"\n",
    );
    node.write(
        "/etc/systemd/system/containerd.service.d/proxy.conf",
        "[Service]\nEnvironment=\"HTTPS_PROXY=http://by-hand:8080\"\n",
    );
    let out = node.run(&["apply", "--proxy", "http://mine:3128", "--yes", "--json"]);
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let note = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "proxy_overridden")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        note["path"],
        "/etc/systemd/system/containerd.service.d/proxy.conf"
    );
    assert_eq!(note["vars"][0], "HTTPS_PROXY");
    let detect = node.run(&["detect"]);
    assert_has(&stdout(&detect), "http://by-hand:8080");
    let doctor = node.run(&["doctor", "--json"]);
    let checks: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let warned = checks
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "proxy.overridden")
        .count();
    assert_eq!(warned, 1, "{checks}");
}
