//! Issue 13 on the real daemons (1.6.20, 1.7.24, 2.1.9): Docker's
//! `disabled_plugins`, hosts.toml files naming missing CA files, and
//! version-less files that mix short and fully-qualified plugin tables.

use crate::live::Live;
use crate::live::{assert_exit, cri_pull, restart_by_hand, text};
use crate::on_every_containerd;
use std::fs;

fn doctor(h: &Live) -> Vec<serde_json::Value> {
    let out = h.ctrwiz(&["doctor", "--json", "--no-probe"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
        .as_array()
        .unwrap()
        .clone()
}

fn check<'a>(checks: &'a [serde_json::Value], id: &str) -> Option<&'a serde_json::Value> {
    checks.iter().find(|c| c["id"] == id)
}

fn config_dump(h: &Live, config: &std::path::Path) -> toml::Value {
    let out = std::process::Command::new(h.bin("containerd"))
        .arg("--config")
        .arg(config)
        .args(["config", "dump"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    toml::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap()
}

on_every_containerd! {
    #[test]
    fn docker_s_disabled_cri_stays_off_unless_asked_and_loads_with_enable_cri(h) {
        // What ctrwiz makes of Docker's `disabled_plugins = ["cri"]`: the long id.
        let mut doc: toml_edit::DocumentMut = h.pristine_config.parse().unwrap();
        doc["disabled_plugins"] = toml_edit::value(toml_edit::Array::from_iter(["io.containerd.grpc.v1.cri"]));
        fs::write(h.config(), doc.to_string()).unwrap();
        restart_by_hand(&h);
        assert!(!h.cri_loaded(), "CRI is off before");
        let checks = doctor(&h);
        let disabled = check(&checks, "cri.disabled").expect("doctor sees it");
        assert_eq!(disabled["status"], "fail");
        assert!(disabled["fix"].as_str().unwrap().contains("--enable-cri"), "{disabled}");

        let mirror = format!("docker.io={}", h.mirror_url());
        // Not asked: the apply keeps it off and says so.
        let out = h.ctrwiz(&["apply", "--mirror", &mirror, "--yes", "--json"]);
        assert_exit(&out, 0);
        assert!(String::from_utf8_lossy(&out.stdout).contains("\"cri_disabled\""), "{}", text(&out));
        assert!(!h.cri_loaded(), "never re-enabled silently");

        let plan = h.ctrwiz(&["plan", "--mirror", &mirror, "--enable-cri", "--json"]);
        assert_exit(&plan, 0);
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        assert_eq!(plan["restart"]["reasons"][0]["code"], "cri_enabled", "{plan}");
        let out = h.ctrwiz(&["apply", "--mirror", &mirror, "--enable-cri", "--yes"]);
        assert_exit(&out, 0);
        assert!(h.cri_loaded(), "CRI loaded after the apply on {}", h.daemon.version());
        cri_pull(&h).expect("kubelet's pull works through the mirror");
        assert!(check(&doctor(&h), "cri.disabled").is_none());
    }

    #[test]
    fn a_missing_ca_file_fails_every_pull_and_doctor_names_it(h) {
        // containerd's docs example: a working mirror first, then a host
        // whose `ca` is relative to the hosts.toml dir and absent.
        let config = h.pristine_with(|reg| {
            reg["config_path"] = toml_edit::value(h.hosts_dir().to_str().unwrap());
        });
        fs::write(h.config(), config).unwrap();
        restart_by_hand(&h);
        let dir = h.hosts_dir().join("docker.io");
        fs::create_dir_all(&dir).unwrap();
        let m = h.mirror_url();
        fs::write(
            dir.join("hosts.toml"),
            format!("server = \"https://registry-1.docker.io\"\n\n[host.\"{m}\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n[host.\"https://docker-mirror.internal\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = \"docker-mirror.crt\"\n"),
        )
        .unwrap();
        let pulled = cri_pull(&h);
        let checks = doctor(&h);
        let missing = check(&checks, "hosts.docker.io.file_missing");
        assert!(pulled.is_err(), "containerd {} fails the pull: {pulled:?}", h.daemon.version());
        let missing = missing.unwrap_or_else(|| panic!("doctor fails it: {checks:?}"));
        assert_eq!(missing["status"], "fail");
        let crt = dir.join("docker-mirror.crt");
        assert!(missing["message"].as_str().unwrap().contains(crt.to_str().unwrap()), "{missing}");

        // The file in place (any PEM CA bundle): the same hosts.toml serves,
        // and doctor no longer fails it.
        fs::copy("/etc/ssl/certs/ca-certificates.crt", &crt).unwrap();
        let pulled = cri_pull(&h);
        let checks = doctor(&h);
        assert!(pulled.is_ok(), "served with the CA present: {pulled:?}");
        assert!(check(&checks, "hosts.docker.io.file_missing").is_none(), "{checks:?}");
        assert_eq!(check(&checks, "hosts.docker.io.valid").map(|c| c["status"].clone()), Some("ok".into()));
    }

    #[test]
    fn a_v1_file_mixing_short_and_long_tables_keeps_the_long_ones_in_the_daemon_s_dump(h) {
        // Kata how-to style: the runtime pasted as a fully-qualified table
        // into a version-less file with `plugins.cri`.
        let root = tempfile::tempdir().unwrap();
        let cfg = root.path().join("etc/containerd/config.toml");
        fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        fs::write(
            &cfg,
            "[plugins.cri]\n  sandbox_image = \"registry.example/pause:3.9\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata]\n  runtime_type = \"io.containerd.kata.v2\"\n",
        )
        .unwrap();
        let (cri, images) = if h.daemon.is_2x() {
            ("io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images")
        } else {
            ("io.containerd.grpc.v1.cri", "io.containerd.grpc.v1.cri")
        };
        let kata = |dump: &toml::Value| {
            dump["plugins"][cri]["containerd"]["runtimes"].get("kata").is_some()
        };
        if !h.daemon.is_2x() {
            // 1.x decodes a version-1 file by the short id: the long table is ignored.
            assert!(!kata(&config_dump(&h, &cfg)), "1.x ignored the long table before");
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctrwiz"))
            .env("LC_ALL", "C.UTF-8")
            .env("CTRWIZ_CONFIG_DIR", root.path().join("user"))
            .arg("--root")
            .arg(root.path())
            .args(["apply", "--mirror", "quay.io=https://q.example", "--yes", "--json"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        assert!(String::from_utf8_lossy(&out.stdout).contains("v1_tables_merged"), "{}", text(&out));
        let dump = config_dump(&h, &cfg);
        assert!(kata(&dump), "the kata runtime survives on {}: {dump}", h.daemon.version());
        let sandbox = if h.daemon.is_2x() {
            dump["plugins"][images]["pinned_images"]["sandbox"].as_str()
        } else {
            dump["plugins"][images]["sandbox_image"].as_str()
        };
        assert_eq!(sandbox, Some("registry.example/pause:3.9"));
        assert_eq!(
            dump["plugins"][images]["registry"]["config_path"].as_str(),
            Some("/etc/containerd/certs.d")
        );
    }
}
