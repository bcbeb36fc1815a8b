//! The contract the fleet tools read: `plan --json` / `apply --json`
//! (codes and fields, the same in every language) and `export`.

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// The same value without the translated texts (`message`, `reason`).
fn without_messages(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "message" && *k != "reason")
                .map(|(k, v)| (k.clone(), without_messages(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_messages).collect()),
        other => other.clone(),
    }
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

/// A node whose plan has notes, per-file notes and several restart reasons.
fn busy_node() -> (Node, Vec<String>) {
    let node = Node::with_config(&fixture("containerd-1.7-legacy-mirrors.toml"));
    // A hand-written hosts.toml (a per-file note) for a registry we set.
    node.write(
        "/etc/containerd/certs.d/quay.io/hosts.toml",
        "server = \"https://quay.io\"\n",
    );
    let args = [
        "--preset",
        "daocloud",
        "--mirror",
        "docker.io=https://mirror.corp.example",
        "--sandbox-image",
        "registry.k8s.io/pause:3.10",
        "--systemd-cgroup",
        "true",
        "--registry",
        "harbor.corp:8443",
        "--skip-verify",
        "--auth",
        "robot:s3cret",
    ];
    (node, args.iter().map(|s| s.to_string()).collect())
}

#[test]
fn plan_json_has_the_same_codes_and_structure_in_english_and_chinese() {
    let (node, args) = busy_node();
    let json = |lang: &str| {
        let mut a = vec!["--lang", lang, "plan", "--json"];
        a.extend(args.iter().map(String::as_str));
        let out = node.run(&a);
        assert_code(&out, 0);
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let (en, zh) = (json("en"), json("zh"));
    assert_eq!(without_messages(&en), without_messages(&zh));
    // …and the messages really are translated, so the test can fail.
    assert_ne!(en["notes"][0]["message"], zh["notes"][0]["message"]);
    assert_ne!(en["restart"]["reason"], zh["restart"]["reason"]);
    let codes = |v: &Value, key: &str| -> BTreeSet<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes(&en, "notes"),
        [
            "legacy_replaced",
            "not_installed",
            "password",
            "skip_verify"
        ]
        .map(String::from)
        .into(),
        "{:#}",
        en["notes"]
    );
    assert_eq!(
        codes(&en["restart"], "reasons"),
        [
            "legacy_mirrors_removed",
            "legacy_tls_removed",
            "pause_image",
            // SystemdCgroup is already true, but the runc table has no
            // runtime_type: it gets one (no pod starts without it).
            "systemd_cgroup",
            "config_path_set"
        ]
        .map(String::from)
        .into(),
    );
    let quay = en["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "/etc/containerd/certs.d/quay.io/hosts.toml")
        .unwrap();
    assert_eq!(quay["note"]["code"], "foreign");
}

/// The documented fields of `plan --json` (README, "JSON output"). A
/// field added, renamed or removed fails here: update README and the
/// Ansible module with it.
#[test]
fn plan_json_fields_are_the_documented_ones() {
    let (node, args) = busy_node();
    let mut a = vec!["plan", "--json"];
    a.extend(args.iter().map(String::as_str));
    let out = node.run(&a);
    assert_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        keys(&v),
        set(&[
            "config",
            "hosts_dir",
            "changed",
            "changes",
            "restart",
            "notes"
        ])
    );
    assert_eq!(v["changed"], true);
    for c in v["changes"].as_array().unwrap() {
        assert_eq!(
            keys(c),
            set(&["path", "kind", "purpose", "old", "new", "diff", "note"])
        );
    }
    assert_eq!(
        keys(&v["restart"]),
        set(&["reason", "reasons", "daemon_reload", "service"])
    );
    let pause = v["restart"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "pause_image")
        .unwrap();
    assert_eq!(keys(pause), set(&["code", "message", "image", "old"]));
    assert_eq!(pause["image"], "registry.k8s.io/pause:3.10");
    for n in v["notes"].as_array().unwrap() {
        assert!(keys(n).is_superset(&set(&["code", "message"])), "{n}");
    }
}

const APPLY_FIELDS: &[&str] = &[
    "ok",
    "changed",
    "files",
    "restart",
    "restarted",
    "backup",
    "health",
    "rollback",
    "notes",
    "steps",
    "error",
    "message",
];

#[test]
fn apply_json_reports_files_backup_and_restart_and_a_second_run_changes_nothing() {
    let node = Node::with_default_config();
    let apply = |lang: &str| {
        let out = node.run(&[
            "--lang",
            lang,
            "apply",
            "--json",
            "--yes",
            "--mirror",
            "docker.io=daocloud",
        ]);
        assert_code(&out, 0);
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let first = apply("en");
    assert_eq!(keys(&first), set(APPLY_FIELDS));
    assert_eq!(first["ok"], true);
    assert_eq!(first["changed"], true);
    assert_eq!(first["error"], Value::Null);
    let status: Vec<(&str, &str)> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("/etc/containerd/config.toml", "written"),
            ("/etc/containerd/certs.d/docker.io/hosts.toml", "written")
        ]
    );
    // --root: config.toml changed, but no restart of this machine's daemon.
    assert_eq!(first["restarted"], false);
    assert_eq!(first["restart"]["reasons"][0]["code"], "config_path_set");
    let id = first["backup"]["id"].as_str().unwrap();
    assert!(node
        .path(&format!("/var/lib/ctrwiz/backups/{id}/manifest.json"))
        .exists());
    let steps: Vec<&str> = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["backed_up", "wrote", "wrote", "restart_skipped"]);

    let before = node.snapshot();
    let second = apply("zh");
    assert_eq!(keys(&second), set(APPLY_FIELDS));
    assert_eq!(second["changed"], false);
    assert_eq!(second["backup"], Value::Null);
    assert!(second["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "unchanged"));
    assert_same_tree(&before, &node.snapshot());
}

#[test]
fn apply_json_reports_a_rollback_and_a_broken_config_by_code() {
    let cfg = fixture("containerd-1.6.20-default.toml");
    let node = Node::with_config(&cfg);
    let out = node.run(&[
        "--restart-cmd",
        "false",
        "apply",
        "--json",
        "--yes",
        "--preset",
        "daocloud",
    ]);
    assert_code(&out, 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys(&v), set(APPLY_FIELDS));
    assert_eq!(v["ok"], false);
    assert_eq!(v["changed"], false, "everything was put back");
    assert_eq!(v["error"]["code"], "rolled_back");
    assert_eq!(v["rollback"]["done"], true);
    assert_eq!(v["rollback"]["complete"], true);
    assert_eq!(v["files"][0]["status"], "restored");
    assert_eq!(node.read("/etc/containerd/config.toml"), cfg);
    assert_has(&stderr(&out), "rolled back");

    node.write("/etc/containerd/config.toml", "version = 2\n[plugins\n");
    let before = node.snapshot();
    let out = node.run(&["apply", "--json", "--yes", "--preset", "daocloud"]);
    assert_code(&out, 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys(&v), set(APPLY_FIELDS));
    assert_eq!(v["error"]["code"], "toml");
    assert_eq!(v["error"]["at"]["line"], 2);
    assert!(v["error"]["at"]["column"].as_u64().is_some());
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("/etc/containerd/config.toml:2:"),
        "{}",
        v["message"]
    );
    assert_same_tree(&before, &node.snapshot());

    // --json never asks.
    let out = node.run(&["apply", "--json", "--preset", "daocloud"]);
    assert_code(&out, 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "usage");

    // Nothing chosen: its own code, a usage error.
    let out = node.run(&["apply", "--json", "--yes"]);
    assert_code(&out, 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "nothing_selected", "{v}");
}

fn export_node() -> (Node, String) {
    let node = Node::new();
    let ca = node.path("/controller/harbor-ca.pem");
    node.write("/controller/harbor-ca.pem", PEM_CA);
    let profile = fixture("export-profile.toml").replace("@CA@", ca.to_str().unwrap());
    node.write("/controller/profile.toml", &profile);
    (node, profile)
}

fn export(node: &Node, format: &str) -> serde_yaml::Value {
    let profile = node.path("/controller/profile.toml");
    let out = node.run(&[
        "export",
        "--format",
        format,
        "--profile",
        profile.to_str().unwrap(),
    ]);
    assert_code(&out, 0);
    serde_yaml::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", stdout(&out)))
}

fn profile_mirrors(profile: &str) -> Vec<(String, Vec<String>)> {
    let p: toml::Table = profile.parse().unwrap();
    p["mirrors"]
        .as_table()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| {
            let urls = v.as_array()?; // "none" is not exported
            Some((
                k.clone(),
                urls.iter()
                    .map(|u| u.as_str().unwrap().to_string())
                    .collect(),
            ))
        })
        .collect()
}

#[test]
fn export_k3s_registries_yaml_parses_back_to_the_profile() {
    let (node, profile) = export_node();
    let y = export(&node, "k3s");
    let p: toml::Table = profile.parse().unwrap();
    let mirrors = y["mirrors"].as_mapping().unwrap();
    for (registry, urls) in profile_mirrors(&profile) {
        let got: Vec<String> = y["mirrors"][registry.as_str()]["endpoint"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{registry} missing"))
            .iter()
            .map(|u| u.as_str().unwrap().to_string())
            .collect();
        // A path is used verbatim by k3s, as override_path does.
        assert_eq!(got, urls, "{registry}");
    }
    assert!(mirrors.get("quay.io").is_none(), "none means: not mirrored");
    // Plain http has no flag in registries.yaml: an http:// endpoint.
    assert_eq!(
        y["mirrors"]["10.0.0.2:5000"]["endpoint"][0],
        "http://10.0.0.2:5000"
    );
    let harbor = &p["registries"].as_array().unwrap()[0];
    let config = &y["configs"]["harbor.corp:8443"];
    assert_eq!(
        config["auth"]["username"],
        harbor["username"].as_str().unwrap()
    );
    assert_eq!(
        config["auth"]["password"],
        harbor["password"].as_str().unwrap()
    );
    assert_eq!(config["tls"]["ca_file"], harbor["ca"].as_str().unwrap());
    assert_eq!(
        y.as_mapping().unwrap().len(),
        2,
        "only mirrors and configs: {y:?}"
    );
}

#[test]
fn export_kubespray_variables_parse_back_to_the_profile() {
    let (node, profile) = export_node();
    let y = export(&node, "kubespray");
    let p: toml::Table = profile.parse().unwrap();
    let entries = y["containerd_registries_mirrors"].as_sequence().unwrap();
    let entry = |prefix: &str| {
        entries
            .iter()
            .find(|e| e["prefix"] == prefix)
            .unwrap_or_else(|| panic!("{prefix} missing"))
    };
    for (registry, urls) in profile_mirrors(&profile) {
        let e = entry(&registry);
        let hosts: Vec<&str> = e["mirrors"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|m| m["host"].as_str().unwrap())
            .collect();
        assert_eq!(hosts, urls, "{registry}");
        for m in e["mirrors"].as_sequence().unwrap() {
            assert_eq!(
                m["capabilities"],
                serde_yaml::from_str::<serde_yaml::Value>("[pull, resolve]").unwrap()
            );
        }
    }
    // Never kubespray's default `https://docker.io` (an HTML redirect).
    assert_eq!(entry("docker.io")["server"], "https://registry-1.docker.io");
    assert_eq!(entry("ghcr.io")["mirrors"][0]["override_path"], true);
    assert!(entries.iter().all(|e| e["prefix"] != "quay.io"));
    let harbor = &entry("harbor.corp:8443")["mirrors"][0];
    let reg = &p["registries"].as_array().unwrap()[0];
    assert_eq!(harbor["ca"][0], reg["ca"].as_str().unwrap());
    let basic = harbor["header"]["Authorization"].as_str().unwrap();
    let user_pw = format!(
        "{}:{}",
        reg["username"].as_str().unwrap(),
        reg["password"].as_str().unwrap()
    );
    assert_eq!(basic, format!("Basic {}", base64(user_pw.as_bytes())));
    assert_eq!(entry("10.0.0.2:5000")["server"], "http://10.0.0.2:5000");
    let image = p["sandbox_image"].as_str().unwrap();
    assert_eq!(
        format!(
            "{}:{}",
            y["pod_infra_image_repo"].as_str().unwrap(),
            y["pod_infra_image_tag"].as_str().unwrap()
        ),
        image
    );
    assert_eq!(
        y["containerd_use_systemd_cgroup"].as_bool(),
        p["systemd_cgroup"].as_bool()
    );
}

#[test]
fn export_refuses_what_the_format_cannot_say() {
    let node = Node::new();
    let out = node.run(&[
        "export",
        "--format",
        "kubespray",
        "--mirror",
        "_default=https://cache.corp.example",
    ]);
    assert_code(&out, 2);
    assert_has(&stderr(&out), "_default");
    // k3s spells it "*".
    let out = node.run(&[
        "export",
        "--format",
        "k3s",
        "--mirror",
        "_default=https://cache.corp.example",
    ]);
    assert_code(&out, 0);
    let y: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    assert_eq!(
        y["mirrors"]["*"]["endpoint"][0],
        "https://cache.corp.example"
    );
    assert!(node
        .snapshot()
        .iter()
        .all(|(p, _)| p.starts_with(node.path("/user-config"))));
}

/// Paths that differ between two snapshots (not their bytes: too long).
#[track_caller]
fn assert_same_tree(a: &[(std::path::PathBuf, Vec<u8>)], b: &[(std::path::PathBuf, Vec<u8>)]) {
    // The lock names its holder: each run rewrites it.
    let a: Vec<_> = a
        .iter()
        .filter(|(p, _)| !p.ends_with("apply.lock"))
        .collect();
    let b: Vec<_> = b
        .iter()
        .filter(|(p, _)| !p.ends_with("apply.lock"))
        .collect();
    let differ: Vec<_> = a
        .iter()
        .filter(|x| !b.contains(x))
        .chain(b.iter().filter(|x| !a.contains(x)))
        .map(|x| x.0.display().to_string())
        .collect();
    assert!(differ.is_empty(), "changed: {differ:?}");
}

/// Standard base64 (the test's own, to check the header independently).
fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
