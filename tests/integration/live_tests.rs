//! End to end against the real containerd daemons and registry of
//! `live.rs`: every test in `on_every_containerd!` runs on 1.6.20, 1.7.24
//! and 2.1.9.

use crate::live::{assert_exit, config_dump, cri_pull, mirror_flag, restart_by_hand, text};
use crate::live::{Live, HUB_IMAGE};
use crate::on_every_containerd;
use std::fs;
use std::process::Output;
use std::time::Duration;

fn mtime(p: &std::path::Path) -> std::time::SystemTime {
    fs::metadata(p).unwrap().modified().unwrap()
}

/// A value of containerd's effective config (`config dump`) at `keys`.
fn effective(h: &Live, keys: &[&str]) -> Option<toml::Value> {
    let dump: toml::Value = toml::from_str(&config_dump(h)).unwrap();
    keys.iter().try_fold(dump, |v, k| v.get(k).cloned())
}

fn effective_config_path(h: &Live) -> String {
    let [a, b, c] = h.registry_table();
    effective(h, &[a, b, c, "config_path"])
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The CRI plugin table holding the pause image and the runtimes (one on
/// 1.x; images and runtime on 2.x).
fn sandbox_image_keys(h: &Live) -> Vec<&'static str> {
    if h.daemon.is_2x() {
        vec![
            "plugins",
            "io.containerd.cri.v1.images",
            "pinned_images",
            "sandbox",
        ]
    } else {
        vec!["plugins", "io.containerd.grpc.v1.cri", "sandbox_image"]
    }
}

/// The CRI runtime plugin's table of this daemon's config version.
fn cri_plugin(h: &Live) -> &'static str {
    if h.daemon.is_2x() {
        "io.containerd.cri.v1.runtime"
    } else {
        "io.containerd.grpc.v1.cri"
    }
}

fn runc_keys(h: &Live) -> Vec<&'static str> {
    vec!["plugins", cri_plugin(h), "containerd", "runtimes", "runc"]
}

/// The pristine config with a legacy `registry.mirrors` entry.
fn with_legacy_mirror(
    h: &Live,
    config_path: Option<&std::path::Path>,
    registry: &str,
    endpoint: &str,
) -> String {
    h.pristine_with(|reg| {
        if let Some(p) = config_path {
            reg["config_path"] = toml_edit::value(p.to_str().unwrap());
        }
        let mut entry = toml_edit::Table::new();
        entry["endpoint"] = toml_edit::value(toml_edit::Array::from_iter([endpoint]));
        if reg.get("mirrors").is_none() {
            reg["mirrors"] = toml_edit::Item::Table(toml_edit::Table::new());
        }
        reg["mirrors"].as_table_mut().unwrap()[registry] = toml_edit::Item::Table(entry);
    })
}

/// The pristine config with config_path at the hosts dir, running.
fn use_hosts_dir(h: &Live) {
    let config = h.pristine_with(|reg| {
        reg["config_path"] = toml_edit::value(h.hosts_dir().to_str().unwrap());
    });
    fs::write(h.config(), config).unwrap();
    restart_by_hand(h);
}

/// `doctor --json` (with `flags`): its output and its checks.
fn doctor_checks(h: &Live, flags: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec!["doctor", "--json"];
    args.extend(flags);
    let out = h.ctrwiz(&args);
    let checks = serde_json::from_slice(&out.stdout).unwrap();
    (out, checks)
}

on_every_containerd! {
    #[test]
    fn harness_self_test_without_ctrwiz(h) {
        assert!(h.cri_loaded(), "CRI loads on the pristine config");
        // Pulling docker.io/library/ctrwiz-e2e without a mirror cannot work
        // here (no network): proof that a later success came from the mirror.
        assert!(cri_pull(&h).is_err());
    }

    #[test]
    fn apply_then_cri_and_ctr_pulls_are_served_by_the_mirror(h) {
        let out = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
        assert_exit(&out, 0);
        assert_eq!(h.restarts(), 1, "config.toml changed: one restart");
        assert!(h.cri_loaded(), "the CRI plugin is loaded after the apply");
        let cfg = fs::read_to_string(h.config()).unwrap();
        assert_eq!(h.config_path_in(&cfg), h.hosts_dir().to_str().unwrap(), "{cfg}");
        assert_eq!(effective_config_path(&h), h.hosts_dir().to_str().unwrap());
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
    fn a_second_apply_restarts_nothing_and_touches_nothing(h) {
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
    fn a_hosts_only_change_restarts_nothing_and_takes_effect(h) {
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
    fn legacy_mirrors_are_migrated_and_keep_serving(h) {
        // The seeds' old way: mirrors in config.toml, no config_path.
        let legacy = with_legacy_mirror(&h, None, "docker.io", &h.mirror_url());
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
    fn a_failing_restart_leaves_config_byte_identical(h) {
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
    fn bytes_that_are_not_utf8_come_back_exactly_after_a_failed_restart(h) {
        // A hand-written hosts.toml with a GBK comment (not UTF-8) and a
        // CRLF line, and a DER CA beside it: ctrwiz replaces the file,
        // the restart fails, and the rollback must give back the exact
        // bytes, not a lossy string.
        let dir = h.hosts_dir().join("docker.io");
        fs::create_dir_all(&dir).unwrap();
        let mut hosts = b"# \xd6\xd0\xce\xc4 \xbe\xb5\xcf\xf1\r\n".to_vec();
        hosts.extend(format!("[host.\"{}\"]\n  capabilities = [\"pull\", \"resolve\"]\n", h.mirror_url()).as_bytes());
        fs::write(dir.join("hosts.toml"), &hosts).unwrap();
        let der = [0x30u8, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xff];
        fs::write(dir.join("corp-ca.der"), der).unwrap();
        let config_before = fs::read(h.config()).unwrap();
        let out = h.ctrwiz_restarting_with(
            "echo the unit failed >&2; exit 1",
            &["apply", "--mirror", "docker.io=http://127.0.0.1:9", "--yes"],
        );
        assert_exit(&out, 1);
        assert!(String::from_utf8_lossy(&out.stderr).contains("rolled back"), "{}", text(&out));
        assert_eq!(fs::read(dir.join("hosts.toml")).unwrap(), hosts, "the GBK bytes, exactly");
        assert_eq!(fs::read(dir.join("corp-ca.der")).unwrap(), der);
        assert_eq!(fs::read(h.config()).unwrap(), config_before);
        assert!(h.cri_loaded(), "containerd still runs");
    }

    #[test]
    fn cri_dead_after_restart_is_rolled_back(h) {
        let before = fs::read(h.config()).unwrap();
        // A restart that also slips legacy mirrors into the new config: then
        // both mirrors and config_path are set and containerd starts with its
        // CRI plugin dead — exactly what ctrwiz's health check must catch.
        let sabotage = h.dir.join("sabotage.sh");
        fs::write(
            &sabotage,
            format!(
                "#!/bin/sh\ncfg={cfg}\nif grep -q certs.d $cfg; then printf '\\n[plugins.\"{cri}\".registry.mirrors.\"quay.io\"]\\n  endpoint = [\"https://q.example\"]\\n' >> $cfg; fi\nexec sh {restart}\n",
                cfg = h.config().display(),
                cri = h.registry_table()[1],
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
    fn doctor_sees_the_legacy_conflict_and_the_missing_host_table(h) {
        // Both legacy mirrors and config_path: containerd runs, CRI is dead.
        let both = with_legacy_mirror(&h, Some(&h.hosts_dir()), "docker.io", "https://m.example");
        fs::write(h.config(), &both).unwrap();
        // A hosts.toml in the seeds' style: server only, no [host] table.
        fs::create_dir_all(h.hosts_dir().join("docker.io")).unwrap();
        fs::write(
            h.hosts_dir().join("docker.io/hosts.toml"),
            format!("server = \"{}\"\n", h.mirror_url()),
        )
        .unwrap();
        restart_by_hand(&h);
        assert!(!h.cri_loaded(), "containerd itself agrees: CRI did not load");

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

        // Fix only the conflict: what does this daemon do with a
        // server-only file? 1.6.20 and 1.7.24 reject it ("invalid `host`
        // tree", fixed in 1.7.32), 2.1.9 reads it. The pull decides, and
        // doctor must say the same.
        let fixed = h.pristine_with(|reg| {
            reg["config_path"] = toml_edit::value(h.hosts_dir().to_str().unwrap());
        });
        fs::write(h.config(), fixed).unwrap();
        restart_by_hand(&h);
        assert!(h.cri_loaded());
        let served = cri_pull(&h).is_ok();
        assert_eq!(served, h.daemon.is_2x(), "which daemons read a server-only file");
        let (out, checks) = doctor_checks(&h, &[]);
        let host_table = checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "hosts.docker.io.host_table");
        if served {
            assert!(host_table.is_none(), "the daemon read the file: {checks}");
            assert_exit(&out, 0);
        } else {
            assert_eq!(host_table.expect("doctor names the ignored file")["status"], "fail", "{checks}");
        }
        // ctrwiz's own file for the same mirror works everywhere.
        assert_exit(
            &h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]),
            0,
        );
        cri_pull(&h).expect("with a [host] table the mirror serves");
    }

    #[test]
    fn verify_names_the_mirror_that_served_the_image(h) {
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

    #[test]
    fn extras_show_in_config_dump_and_the_daemon_keeps_cri(h) {
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
        assert_eq!(
            effective(&h, &sandbox_image_keys(&h)).and_then(|v| v.as_str().map(str::to_string)).as_deref(),
            Some("registry.aliyuncs.com/google_containers/pause:3.6"),
            "{}",
            config_dump(&h)
        );
        let mut runc = runc_keys(&h);
        runc.extend(["options", "SystemdCgroup"]);
        assert_eq!(effective(&h, &runc).and_then(|v| v.as_bool()), Some(true), "{}", config_dump(&h));
        assert_eq!(effective_config_path(&h), h.hosts_dir().to_str().unwrap());
        assert!(h.cri_loaded(), "the daemon restarted with its CRI plugin");
        cri_pull(&h).expect("and pulls still go through the mirror");
    }

    #[test]
    fn a_config_with_imports_is_not_broken(h) {
        // On 1.x an imported plugin table replaces the main file's whole
        // table (containerd-facts §3.3): a drop-in that sets the pause
        // image would wipe config_path if ctrwiz only edited the main file.
        // 2.x merges the drop-in (its own version, migrated) key by key.
        let conf_d = h.dir.join("conf.d");
        fs::create_dir_all(&conf_d).unwrap();
        let drop_in = if h.daemon.is_2x() {
            "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.9'\n"
        } else {
            "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\n"
        };
        fs::write(conf_d.join("10-pause.toml"), drop_in).unwrap();
        let mut doc: toml_edit::DocumentMut = h.pristine_config.parse().unwrap();
        doc["imports"] = toml_edit::value(toml_edit::Array::from_iter([format!("{}/*.toml", conf_d.display())]));
        fs::write(h.config(), doc.to_string()).unwrap();
        let out = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
        assert_exit(&out, 0);
        assert_eq!(effective_config_path(&h), h.hosts_dir().to_str().unwrap(), "the import kept config_path: {}", config_dump(&h));
        assert_eq!(
            effective(&h, &sandbox_image_keys(&h)).and_then(|v| v.as_str().map(str::to_string)).as_deref(),
            Some("registry.k8s.io/pause:3.9"),
            "the import's own setting survives"
        );
        assert!(h.cri_loaded());
        cri_pull(&h).expect("pulls go through the mirror");
        let _ = fs::remove_dir_all(&conf_d);
    }

    #[test]
    fn detect_names_the_daemon_on_the_socket(h) {
        // PATH as on a node where an older containerd is installed first
        // (Debian's 1.6.20 in /usr/bin) but this version runs.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctrwiz"))
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .arg("--config")
            .arg(h.config())
            .arg("--address")
            .arg(h.socket())
            .args(["detect", "--json"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["containerd"]["version"], h.daemon.version(), "{v}");
        assert_eq!(v["containerd"]["source"], "socket", "{v}");
    }

    #[test]
    fn doctor_on_a_healthy_node_reports_no_failure(h) {
        assert_exit(
            &h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]),
            0,
        );
        cri_pull(&h).expect("the node pulls through the mirror");
        let (out, checks) = doctor_checks(&h, &[]);
        let failed: Vec<_> = checks
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
        assert_exit(&out, 0);
    }

    #[test]
    fn the_referrers_capability_is_what_the_daemon_says_it_is(h) {
        // 1.6.20, 1.7.24 and 2.1.9 reject the whole file ("unknown
        // capability referrers"; the capability arrived in 2.2) and go
        // upstream, which cannot answer here: the pull fails.
        use_hosts_dir(&h);
        fs::create_dir_all(h.hosts_dir().join("docker.io")).unwrap();
        fs::write(
            h.hosts_dir().join("docker.io/hosts.toml"),
            format!(
                "[host.\"{}\"]\n  capabilities = [\"pull\", \"resolve\", \"referrers\"]\n",
                h.mirror_url()
            ),
        )
        .unwrap();
        assert!(cri_pull(&h).is_err(), "the daemon ignored the file");
        let out = h.ctrwiz(&["doctor", "--json"]);
        assert_exit(&out, 1);
        let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let cap = checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "hosts.docker.io.capability")
            .unwrap_or_else(|| panic!("{checks}"));
        assert_eq!(cap["status"], "fail");
        assert!(cap["message"].as_str().unwrap().contains(h.daemon.version()), "{cap}");
    }

    #[test]
    fn a_colon_list_config_path_is_judged_as_the_daemon_pulls(h) {
        // hosts.toml in the list's first dir; 1.x walks the list, 2.1.9's
        // transfer-service pulls take the whole string as one dir and
        // ignore it, unless a setting forces local pulls.
        assert_exit(&h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]), 0);
        let list = format!("{}:{}", h.hosts_dir().display(), h.dir.join("docker-certs.d").display());
        let doctor_fails_list = |h: &Live| {
            let (_, checks) = doctor_checks(h, &["--no-probe"]);
            checks
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == "config_path.list" && c["status"] == "fail")
        };
        for local in [false, true] {
            let config = h.pristine_with(|reg| {
                reg["config_path"] = toml_edit::value(&list);
            });
            let config = if local {
                let mut doc: toml_edit::DocumentMut = config.parse().unwrap();
                let images = if h.daemon.is_2x() { "io.containerd.cri.v1.images" } else { "io.containerd.grpc.v1.cri" };
                doc["plugins"][images]["discard_unpacked_layers"] = toml_edit::value(true);
                doc.to_string()
            } else {
                config
            };
            fs::write(h.config(), config).unwrap();
            restart_by_hand(&h);
            assert!(h.cri_loaded());
            let served = cri_pull(&h).is_ok();
            assert_eq!(served, !h.daemon.is_2x() || local, "local pulls forced: {local}");
            assert_eq!(doctor_fails_list(&h), !served, "doctor agrees with the pull (local: {local})");
            let _ = ctrwiz::cri::remove_image(&h.socket(), HUB_IMAGE, Duration::from_secs(10));
        }
    }

    #[test]
    fn a_hosts_toml_value_of_the_wrong_type_is_what_the_daemon_says_it_is(h) {
        // `server` as an array (seen in a kind change): the daemon cannot
        // decode the file, ignores it and goes upstream (no network here,
        // so the pull fails), though its [host] names a working mirror.
        use_hosts_dir(&h);
        fs::create_dir_all(h.hosts_dir().join("docker.io")).unwrap();
        let m = h.mirror_url();
        fs::write(
            h.hosts_dir().join("docker.io/hosts.toml"),
            format!("server = [\"{m}\"]\n\n[host.\"{m}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"),
        )
        .unwrap();
        let served = cri_pull(&h).is_ok();
        let (_, checks) = doctor_checks(&h, &["--no-probe"]);
        let parses = checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "hosts.docker.io.parses")
            .cloned();
        assert!(!served, "containerd {} ignored the file", h.daemon.version());
        let parses = parses.unwrap_or_else(|| panic!("doctor says the file is ignored: {checks}"));
        assert_eq!(parses["status"], "fail");
        assert!(parses["message"].as_str().unwrap().contains("hosts.toml:1:1"), "{parses}");
    }

    #[test]
    fn an_import_that_sets_config_path_is_edited_where_it_wins(h) {
        // Talos-style: a drop-in sets config_path to its own dir. On 2.x it
        // wins key by key; on 1.x its CRI table replaces config.toml's.
        // Editing only config.toml would leave the daemon reading the
        // drop-in's dir: the pull proves which dir the daemon reads.
        let conf_d = h.dir.join("cri-conf.d");
        fs::create_dir_all(&conf_d).unwrap();
        let theirs = conf_d.join("hosts");
        let drop_in = if h.daemon.is_2x() {
            format!("version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '{}'\n", theirs.display())
        } else {
            format!("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n", theirs.display())
        };
        fs::write(conf_d.join("cri.toml"), &drop_in).unwrap();
        let mut doc: toml_edit::DocumentMut = h.pristine_config.parse().unwrap();
        doc["imports"] = toml_edit::value(toml_edit::Array::from_iter([conf_d.join("cri.toml").display().to_string()]));
        fs::write(h.config(), doc.to_string()).unwrap();
        restart_by_hand(&h);
        assert_eq!(effective_config_path(&h), theirs.to_str().unwrap(), "the drop-in wins");

        let plan = h.ctrwiz(&["plan", "--mirror", &mirror_flag(&h), "--json"]);
        assert_exit(&plan, 0);
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        assert!(
            plan["notes"].as_array().unwrap().iter().any(|n| n["code"] == "config_path_from_import"),
            "the plan says which file wins: {plan}"
        );
        assert_exit(&h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]), 0);
        assert_eq!(effective_config_path(&h), h.hosts_dir().to_str().unwrap(), "{}", config_dump(&h));
        cri_pull(&h).unwrap_or_else(|e| panic!("the daemon reads the hosts dir ctrwiz wrote: {e}"));
        let _ = fs::remove_dir_all(&conf_d);
    }

    #[test]
    fn a_colon_list_is_kept_where_the_daemon_walks_it(h) {
        // EKS AL2 style: the list also names /etc/docker/certs.d, where a
        // CA may live. 1.x walks the list: keep it. 2.1.9 ignores it in
        // transfer pulls: one dir, and the plan names what is dropped.
        let other = h.dir.join("docker-certs.d");
        let list = format!("{}:{}", h.hosts_dir().display(), other.display());
        fs::write(h.config(), h.pristine_with(|reg| reg["config_path"] = toml_edit::value(&list))).unwrap();
        restart_by_hand(&h);
        let plan = h.ctrwiz(&["plan", "--mirror", &mirror_flag(&h), "--json"]);
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let collapsed = plan["notes"].as_array().unwrap().iter().any(|n| n["code"] == "list_collapsed");
        assert_eq!(collapsed, h.daemon.is_2x(), "{plan}");
        assert_exit(&h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]), 0);
        let want = if h.daemon.is_2x() { h.hosts_dir().display().to_string() } else { list.clone() };
        assert_eq!(h.config_path_in(&fs::read_to_string(h.config()).unwrap()), want);
        cri_pull(&h).expect("served by the mirror either way");
    }

    #[test]
    fn debians_shipped_config_is_set_up_verified_and_rolled_back(h) {
        // The file a node has after `apt install containerd`: version 2,
        // no registry table at all, CNI in /usr/lib/cni.
        let shipped = h.debian_config();
        fs::write(h.config(), &shipped).unwrap();
        restart_by_hand(&h);
        assert!(h.cri_loaded(), "the daemon runs Debian's file");
        let before = fs::read(h.config()).unwrap();
        let restarts = h.restarts();

        assert_exit(&h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]), 0);
        assert_eq!(h.restarts(), restarts + 1, "config.toml changed: one restart");
        // 2.x migrates the version 2 file: the effective table is its own.
        assert_eq!(effective_config_path(&h), h.hosts_dir().to_str().unwrap(), "{}", config_dump(&h));
        cri_pull(&h).unwrap_or_else(|e| panic!("CRI pull: {e}"));

        let out = h.ctrwiz(&["verify", HUB_IMAGE, "--json", "--timeout", "60"]);
        assert_exit(&out, 0);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["resolved_by"], format!("127.0.0.1:{}", h.registry_port), "{v}");
        assert!(h.manifest_requests().iter().any(|r| r.ends_with("?ns=docker.io")), "the registry agrees");

        let doctor = h.ctrwiz(&["doctor", "--json"]);
        let checks: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
        let failed: Vec<_> = checks.as_array().unwrap().iter().filter(|c| c["status"] == "fail").collect();
        assert!(failed.is_empty(), "{failed:?}");
        // The CNI warning follows this build's own default, not a constant.
        let cni_warn = checks.as_array().unwrap().iter().any(|c| c["id"] == "cni.bin_dir" && c["status"] == "warn");
        assert!(!cni_warn || which_cni_dir() != Some("/usr/lib/cni"), "{checks}");

        let again = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
        assert_exit(&again, 0);
        assert_eq!(h.restarts(), restarts + 1, "a second apply restarts nothing");

        assert_exit(&h.ctrwiz(&["rollback", "--yes"]), 0);
        assert_eq!(fs::read(h.config()).unwrap(), before, "rolled back byte for byte");
        assert!(h.cri_loaded());
    }

    #[test]
    fn the_cni_warning_follows_the_daemons_own_default(h) {
        let Some(cni) = which_cni_dir() else { return };
        // A config that does not say where CNI lives: the binary's built-in
        // default decides (1.6.20 /opt/cni/bin; Debian's 1.7.24
        // /usr/lib/cni; 2.1.9 both).
        write_cni_table(&h, |table| {
            table.remove("bin_dir");
            table.remove("bin_dirs");
        });
        let dump_dirs = cni_dirs_in_dump(&h);
        let daemon_finds = dump_dirs.iter().any(|d| d == cni);
        assert_eq!(doctor_warns_cni(&h), !daemon_finds, "containerd {} looks in {dump_dirs:?}; CNI is in {cni}", h.daemon.version());
    }

    #[test]
    fn cni_bin_dir_auto_points_the_daemon_at_the_plugins_and_doctor_stops_warning(h) {
        let Some(cni) = which_cni_dir() else { return };
        // The plugins are where containerd does not look: the deprecated
        // `bin_dir` names a dir that does not exist (2.1 moves it into
        // `bin_dirs`; the fix must remove it, or 2.1 refuses both).
        write_cni_table(&h, |table| {
            table.remove("bin_dirs");
            table.insert("bin_dir", toml_edit::value("/nowhere/cni"));
        });
        assert!(doctor_warns_cni(&h), "containerd {}: doctor warns before", h.daemon.version());

        let plan = h.ctrwiz(&["plan", "--cni-bin-dir", "auto", "--json"]);
        assert_exit(&plan, 0);
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let reason = plan["restart"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "cni_bin_dir")
            .unwrap_or_else(|| panic!("{plan}"))
            .clone();
        assert_eq!(reason["dir"], cni, "{reason}");
        let key = if h.daemon.version().starts_with("2.1") { "bin_dirs" } else { "bin_dir" };
        assert_eq!(reason["key"], key, "{reason}");
        assert_eq!(reason["old"], serde_json::json!(["/nowhere/cni"]), "{reason}");

        let restarts = h.restarts();
        let out = h.ctrwiz(&["apply", "--cni-bin-dir", "auto", "--yes"]);
        assert_exit(&out, 0);
        assert_eq!(h.restarts(), restarts + 1, "one restart: {}", text(&out));
        assert!(h.cri_loaded(), "{}", text(&out));
        // What the daemon reads now: the plugins' dir, and only it.
        assert_eq!(cni_dirs_in_dump(&h), vec![cni.to_string()], "containerd {}: config dump", h.daemon.version());
        assert!(!doctor_warns_cni(&h), "containerd {}: doctor still warns", h.daemon.version());
        // Again: nothing to do.
        let again = h.ctrwiz(&["plan", "--cni-bin-dir", "auto", "--json"]);
        let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        assert_eq!(again["changed"], false, "{again}");
    }

    #[test]
    fn a_missing_config_is_seeded_from_the_running_daemons_own_default(h) {
        // This machine's containerd.service names Debian's 1.6.20
        // (/usr/bin/containerd); the daemon on the socket may be another
        // version, whose own binary is on PATH: the seed must be that
        // daemon's `config default`, not the unit's binary's.
        fs::remove_file(h.config()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctrwiz"))
            .env("PATH", h.path_env())
            .arg("--config")
            .arg(h.config())
            .arg("--hosts-dir")
            .arg(h.hosts_dir())
            .arg("--address")
            .arg(h.socket())
            .args(["plan", "--mirror", &mirror_flag(&h), "--json"])
            .output()
            .unwrap();
        fs::write(h.config(), &h.pristine_config).unwrap();
        assert_exit(&out, 0);
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let config = plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == h.config().to_str().unwrap())
            .unwrap_or_else(|| panic!("{plan}"));
        let new: toml::Value = toml::from_str(config["new"].as_str().unwrap()).unwrap();
        let want = if h.daemon.is_2x() { 3 } else { 2 };
        assert_eq!(new["version"].as_integer(), Some(want), "containerd {}", h.daemon.version());
        let default = std::process::Command::new(h.bin("containerd")).args(["config", "default"]).output().unwrap();
        let default: toml::Value = toml::from_str(&String::from_utf8_lossy(&default.stdout)).unwrap();
        let keys = sandbox_image_keys(&h);
        let pick = |v: &toml::Value| keys.iter().try_fold(v.clone(), |v, k| v.get(k).cloned());
        assert_eq!(pick(&new), pick(&default), "this version's own default pause image");
    }
}

/// Where this machine's CNI plugins are (Debian: /usr/lib/cni).
/// The harness's own config with its CNI table edited, written in place.
fn write_cni_table(h: &Live, edit: impl FnOnce(&mut toml_edit::Table)) {
    let mut doc: toml_edit::DocumentMut = h.pristine_config.parse().unwrap();
    edit(doc["plugins"][cri_plugin(h)]["cni"].as_table_mut().unwrap());
    fs::write(h.config(), doc.to_string()).unwrap();
}

/// Where the daemon looks for CNI plugins, by its `config dump`
/// (`bin_dir` and 2.1's `bin_dirs`).
fn cni_dirs_in_dump(h: &Live) -> Vec<String> {
    ["bin_dir", "bin_dirs"]
        .iter()
        .filter_map(|k| effective(h, &["plugins", cri_plugin(h), "cni", k]))
        .flat_map(|v| match v {
            toml::Value::String(s) => vec![s],
            toml::Value::Array(a) => a
                .into_iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// Doctor warns that containerd does not look where the CNI plugins are.
fn doctor_warns_cni(h: &Live) -> bool {
    let (_, checks) = doctor_checks(h, &["--no-probe"]);
    checks
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "cni.bin_dir" && c["status"] == "warn")
}

fn which_cni_dir() -> Option<&'static str> {
    ["/usr/lib/cni", "/opt/cni/bin"]
        .into_iter()
        .find(|d| std::path::Path::new(d).join("bridge").exists())
}

#[test]
fn verify_on_2x_with_an_older_ctr_first_on_path_still_names_the_mirror() {
    // A node where Debian's ctr 1.6.20 is first on PATH while containerd
    // 2.1.9 runs: ctr 1.x resolves itself and knows no --local; the flag
    // follows the client, not the daemon.
    let Some(h) = crate::live::live_at(crate::live::Daemon::V2_1) else {
        return;
    };
    assert_exit(
        &h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]),
        0,
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctrwiz"))
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .arg("--config")
        .arg(h.config())
        .arg("--hosts-dir")
        .arg(h.hosts_dir())
        .arg("--address")
        .arg(h.socket())
        .args(["verify", HUB_IMAGE, "--json", "--timeout", "60"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["resolved_by"],
        format!("127.0.0.1:{}", h.registry_port),
        "{v}"
    );
}

#[test]
fn a_version_3_config_on_containerd_1_7_is_refused_before_anything_is_written() {
    let Some(h) = crate::live::live_at(crate::live::Daemon::V1_7) else {
        return;
    };
    // 2.x's own default on a 1.7 node: 1.7.24 would not start with it.
    let v3 =
        "version = 3\n\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = ''\n";
    fs::write(h.config(), v3).unwrap();
    let out = h.ctrwiz(&["apply", "--mirror", &mirror_flag(&h), "--yes"]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:1:1", h.config().display())) && err.contains("1.7.24"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(h.config()).unwrap(),
        v3,
        "nothing written"
    );
    assert_eq!(h.restarts(), 0, "no restart");
    assert!(!h.hosts_dir().exists());
    fs::write(h.config(), &h.pristine_config).unwrap();
}
