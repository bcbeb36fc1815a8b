//! Files real nodes carry (issue 13), on `--root` nodes: legacy TLS paths
//! and version-less files that mix short and fully-qualified plugin names.

use crate::support::{assert_code, Node};

const CONFIG: &str = "/etc/containerd/config.toml";

#[test]
fn relative_legacy_tls_paths_are_written_absolute_as_legacy_cri_read_them() {
    let node = Node::with_config(
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"harbor.corp\".tls]\n  ca_file = \"ca.pem\"\n  cert_file = \"certs/client.pem\"\n  key_file = \"/etc/pki/client.key\"\n",
    );
    let out = node.run(&["apply", "--mirror", "quay.io=https://q.example", "--yes"]);
    assert_code(&out, 0);
    let hosts = node.read("/etc/containerd/certs.d/harbor.corp/hosts.toml");
    assert!(hosts.contains("ca = \"/ca.pem\""), "{hosts}");
    assert!(
        hosts.contains("client = [[\"/certs/client.pem\", \"/etc/pki/client.key\"]]"),
        "{hosts}"
    );
}

#[test]
fn a_v1_file_mixing_short_and_long_names_keeps_the_long_tables_and_says_so() {
    let node = Node::with_config(
        "[plugins.cri]\n  sandbox_image = \"registry.example/pause:3.9\"\n[plugins.cri.registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://old.example\"]\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata]\n  runtime_type = \"io.containerd.kata.v2\"\n",
    );
    let out = node.run(&["plan", "--mirror", "quay.io=https://q.example", "--json"]);
    assert_code(&out, 0);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons: Vec<&str> = plan["restart"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"v1_tables_merged"), "{reasons:?}");
    let out = node.run(&["apply", "--mirror", "quay.io=https://q.example", "--yes"]);
    assert_code(&out, 0);
    let cfg = node.read(CONFIG);
    let doc: toml::Value = toml::from_str(&cfg).unwrap();
    let cri = &doc["plugins"]["io.containerd.grpc.v1.cri"];
    assert_eq!(
        cri["containerd"]["runtimes"]["kata"]["runtime_type"].as_str(),
        Some("io.containerd.kata.v2"),
        "{cfg}"
    );
    assert_eq!(
        cri["sandbox_image"].as_str(),
        Some("registry.example/pause:3.9")
    );
    // The migrated mirrors table is gone, not left as an empty header.
    assert!(!cfg.contains("registry.mirrors"), "{cfg}");
    assert!(node
        .read("/etc/containerd/certs.d/docker.io/hosts.toml")
        .contains("old.example"));
}
