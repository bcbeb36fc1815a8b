//! `ctrwiz heal`: on `--root` temp nodes against loopback mirrors that
//! answer or hang, and against the real containerd and registry of
//! `live.rs` (a dead first mirror is parked, the next CRI pull is served by
//! the working one, `rollback` puts the bytes back).

use crate::live::{live, HUB_IMAGE};
use crate::probe::{refused, serve, Behaviour};
use crate::support::{assert_code, assert_has, stdout, systemd_analyze_verify, Node};
use std::fs;
use std::net::TcpListener;
use std::time::{Duration, Instant};

const HOSTS: &str = "/etc/containerd/certs.d/docker.io/hosts.toml";
const CONFIG: &str = "/etc/containerd/config.toml";

/// A listener that accepts every connection and never answers (held open
/// until the test process ends).
fn hang_listener() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    port
}

fn mtime(p: &std::path::Path) -> std::time::SystemTime {
    fs::metadata(p).unwrap().modified().unwrap()
}

fn applied_node(mirrors: &str) -> Node {
    let n = Node::with_default_config();
    let out = n.run(&[
        "apply",
        "--mirror",
        &format!("docker.io={mirrors}"),
        "--yes",
    ]);
    assert_code(&out, 0);
    n
}

#[test]
fn heal_parks_a_hung_first_mirror_and_rollback_restores_the_bytes() {
    let hang = format!("http://127.0.0.1:{}", hang_listener());
    let good = format!("http://127.0.0.1:{}", serve(Behaviour::Fast));
    let n = applied_node(&format!("{hang},{good}"));
    let before = n.read(HOSTS);
    let config = n.read(CONFIG);
    let sets = n.backup_sets();

    // --dry-run: the diff, nothing written.
    let snapshot = n.snapshot();
    let dry = n.run(&["heal", "--timeout", "800", "--dry-run"]);
    assert_code(&dry, 0);
    assert_has(&stdout(&dry), &format!("+#~ [host.\"{hang}\"]"));
    assert_eq!(n.snapshot(), snapshot, "a dry run writes nothing");

    let t = Instant::now();
    let out = n.run(&["heal", "--timeout", "800", "--json"]);
    assert_code(&out, 0);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "one probe timeout, not one per mirror"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reg = &json["registries"][0];
    assert_eq!(reg["registry"], "docker.io");
    assert_eq!(reg["changed"], true);
    assert_eq!(reg["hosts"][0]["url"], hang.as_str());
    assert_eq!(reg["hosts"][0]["action"], "parked");
    assert_eq!(reg["hosts"][0]["failure"], "no_answer");
    assert_eq!(reg["hosts"][1]["action"], "kept");
    assert_eq!(reg["hosts"][1]["status"], "ok");
    assert!(json["backup_dir"].is_string());

    let healed = n.read(HOSTS);
    let parsed = ctrwiz::containerd::hosts::parse(std::path::Path::new("h"), &healed).unwrap();
    let urls: Vec<&str> = parsed.hosts.iter().map(|h| h.url.as_str()).collect();
    assert_eq!(urls, [good.as_str()], "{healed}");
    assert!(healed.contains("# ctrwiz heal: parked since "), "{healed}");
    assert_eq!(n.read(CONFIG), config, "config.toml is never touched");
    assert_eq!(n.backup_sets(), sets + 1, "a backup set, as for an apply");

    // Rollback undoes the heal byte for byte.
    assert_code(&n.run(&["rollback", "--yes"]), 0);
    assert_eq!(n.read(HOSTS), before);
    assert_eq!(n.read(CONFIG), config);
}

#[test]
fn heal_on_a_healthy_node_rewrites_nothing() {
    let a = format!("http://127.0.0.1:{}", serve(Behaviour::Fast));
    let b = format!("http://127.0.0.1:{}", serve(Behaviour::Fast));
    let n = applied_node(&format!("{a},{b}"));
    let (hosts, config) = (n.path(HOSTS), n.path(CONFIG));
    let (m1, m2) = (mtime(&hosts), mtime(&config));
    let snapshot = n.snapshot();
    let sets = n.backup_sets();
    std::thread::sleep(Duration::from_millis(20));
    let out = n.run(&["heal", "--timeout", "800"]);
    assert_code(&out, 0);
    assert_has(&stdout(&out), "Nothing to change");
    assert_eq!(n.snapshot(), snapshot, "byte-identical");
    assert_eq!(
        (mtime(&hosts), mtime(&config)),
        (m1, m2),
        "mtimes unchanged"
    );
    assert_eq!(n.backup_sets(), sets, "no backup set");
}

/// A mirror containerd reaches only through the proxy its drop-in sets
/// (`harbor.corp` resolves nowhere; a recording proxy forwards to a local
/// registry) is not dead: heal, probing as containerd would, keeps it,
/// though ctrwiz's own environment has no proxy. Exempted from the proxy,
/// containerd could not reach it, and heal parks it.
#[test]
fn heal_judges_mirrors_through_containerd_s_proxy() {
    let proxy = crate::support::RecordingProxy::start(serve(Behaviour::Fast));
    let good = format!("http://127.0.0.1:{}", serve(Behaviour::Fast));
    let n = applied_node(&format!("http://harbor.corp:5000,{good}"));
    let heal = |no_proxy: &str| -> serde_json::Value {
        n.write(
            ctrwiz::paths::PROXY_DROP_IN,
            &format!(
                "[Service]\nEnvironment=\"HTTP_PROXY={}\" \"NO_PROXY={no_proxy}\"\n",
                proxy.url()
            ),
        );
        let out =
            crate::support::ctrwiz_on(&n.path(""), &["heal", "--timeout", "2000", "--json"], &[])
                .env_remove("HTTP_PROXY")
                .env_remove("http_proxy")
                .output()
                .unwrap();
        assert_code(&out, 0);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let json = heal("");
    let hosts = &json["registries"][0]["hosts"];
    assert_eq!(hosts[0]["url"], "http://harbor.corp:5000");
    assert_eq!(hosts[0]["action"], "kept", "{json:#}");
    assert!(proxy
        .seen()
        .iter()
        .any(|u| u.starts_with("http://harbor.corp:5000/")));
    let json = heal("harbor.corp");
    assert_eq!(
        json["registries"][0]["hosts"][0]["action"], "parked",
        "{json:#}"
    );
}

#[test]
fn heal_reports_foreign_files_and_drift_and_edits_neither() {
    let dead = format!("http://127.0.0.1:{}", refused());
    let good = format!("http://127.0.0.1:{}", serve(Behaviour::Fast));
    let n = Node::with_default_config();
    let foreign = format!(
        "server = \"https://registry-1.docker.io\"\n\n[host.\"{dead}\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n[host.\"{good}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
    );
    n.write(HOSTS, &foreign);
    let snapshot = n.snapshot();
    // The fixture's config_path is "": config.toml does not point at the dir.
    let out = n.run(&[
        "--hosts-dir",
        "/etc/containerd/certs.d",
        "heal",
        "--timeout",
        "800",
        "--json",
    ]);
    assert_code(&out, 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["registries"][0]["managed"], false);
    assert_eq!(json["registries"][0]["hosts"][0]["action"], "not_managed");
    assert_eq!(json["registries"][0]["hosts"][0]["failure"], "refused");
    assert!(json["drift"]["fix"]
        .as_str()
        .unwrap()
        .contains("ctrwiz apply"));
    assert_eq!(n.snapshot(), snapshot, "nothing written");
}

// ---- against the real containerd 1.6.20 and registry ----

fn cri_pull(h: &crate::live::Live, timeout: Duration) -> Result<String, String> {
    ctrwiz::cri::pull_image(&h.socket(), HUB_IMAGE, timeout)
}

#[test]
fn live_a_hung_first_mirror_is_parked_and_the_next_cri_pull_is_served_by_the_good_one() {
    let Some(h) = live() else { return };
    let hang = format!("http://127.0.0.1:{}", hang_listener());
    let mirrors = format!("docker.io={hang},{}", h.mirror_url());
    assert_code(&h.ctrwiz(&["apply", "--mirror", &mirrors, "--yes"]), 0);
    let restarts = h.restarts();
    let hosts = h.hosts_dir().join("docker.io/hosts.toml");
    let before = fs::read(&hosts).unwrap();
    let config = fs::read(h.config()).unwrap();

    let out = h.ctrwiz(&["heal", "--timeout", "1000", "--json"]);
    assert_code(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["registries"][0]["hosts"][0]["action"], "parked",
        "{json}"
    );
    assert_eq!(h.restarts(), restarts, "heal never restarts containerd");
    assert_eq!(fs::read(h.config()).unwrap(), config);

    // Before the heal this pull would hang for ever on the first mirror.
    let t = Instant::now();
    cri_pull(&h, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("CRI pull after heal: {e}\n{}", h.registry_log()));
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let requests = h.manifest_requests();
    assert!(
        requests.iter().any(|r| r.ends_with("?ns=docker.io")),
        "the working mirror served it: {requests:?}"
    );

    assert_code(&h.ctrwiz(&["rollback", "--yes"]), 0);
    assert_eq!(
        fs::read(&hosts).unwrap(),
        before,
        "rollback restores the bytes"
    );
    assert_eq!(
        h.restarts(),
        restarts,
        "a hosts-only rollback restarts nothing"
    );
}

crate::on_every_containerd! {
    #[test]
    fn dial_timeout_is_written_where_read_and_harmless_where_not(h) {
        // config_path first (one restart), then a hosts.toml with the key:
        // ctrwiz writes it on 2.0.7+ (2.1.9 here); on 1.6.20 and 1.7.24 it
        // is added by hand, and the daemon must ignore it and still pull.
        assert_code(
            &h.ctrwiz(&[
                "apply",
                "--mirror",
                &format!("docker.io={}", h.mirror_url()),
                "--yes",
            ]),
            0,
        );
        let hosts = h.hosts_dir().join("docker.io/hosts.toml");
        let written = fs::read_to_string(&hosts).unwrap();
        assert_eq!(written.contains("dial_timeout = \"3s\""), h.daemon.is_2x(), "{written}");
        if !h.daemon.is_2x() {
            let text = written.replace(
                "capabilities = [\"pull\", \"resolve\"]\n",
                "capabilities = [\"pull\", \"resolve\"]\n  dial_timeout = \"3s\"\n",
            );
            assert!(text.contains("dial_timeout = \"3s\""), "{text}");
            fs::write(&hosts, text).unwrap();
        }
        cri_pull(&h, Duration::from_secs(60)).unwrap_or_else(|e| {
            panic!("containerd {} with dial_timeout: {e}\n{}", h.daemon.version(), h.registry_log())
        });
        assert!(h
            .manifest_requests()
            .iter()
            .any(|r| r.ends_with("?ns=docker.io")));
    }
}

#[test]
fn heal_install_plans_a_service_and_timer_systemd_accepts_and_rollback_removes_them() {
    let n = applied_node("https://m.example");
    // As on a real node, the unit dir is never empty.
    fs::create_dir_all(n.path("/etc/systemd/system/multi-user.target.wants")).unwrap();
    let sets = n.backup_sets();
    let out = n.run(&["heal", "--install", "--every", "30min", "--yes"]);
    assert_code(&out, 0);
    let service = n.read("/etc/systemd/system/ctrwiz-heal.service");
    let timer = n.read("/etc/systemd/system/ctrwiz-heal.timer");
    assert!(service.contains(&format!(
        "\nExecStart={} --config /etc/containerd/config.toml --address /run/containerd/containerd.sock heal\n",
        env!("CARGO_BIN_EXE_ctrwiz")
    )), "{service}");
    assert!(timer.contains("\nOnUnitActiveSec=30min\n"), "{timer}");
    assert!(stdout(&out)
        .contains("systemctl daemon-reload && systemctl enable --now ctrwiz-heal.timer"));
    assert_eq!(n.backup_sets(), sets + 1);

    // systemd itself reads both units without a complaint.
    let units = [
        n.path("/etc/systemd/system/ctrwiz-heal.timer"),
        n.path("/etc/systemd/system/ctrwiz-heal.service"),
    ];
    let unit_path = format!("{}:", n.path("/etc/systemd/system").display());
    if let Some(v) = systemd_analyze_verify(&units, &unit_path) {
        let err = String::from_utf8_lossy(&v.stderr);
        assert!(
            v.status.success() && !err.contains("ctrwiz-heal"),
            "systemd-analyze verify: {err}"
        );
    }

    // A second install changes nothing; rollback takes both away.
    assert!(
        stdout(&n.run(&["heal", "--install", "--every", "30min", "--yes"]))
            .contains("Nothing to change")
    );
    assert_code(&n.run(&["rollback", "--yes"]), 0);
    assert!(!n.exists("/etc/systemd/system/ctrwiz-heal.service"));
    assert!(!n.exists("/etc/systemd/system/ctrwiz-heal.timer"));

    // Install again, then --uninstall removes them.
    assert_code(&n.run(&["heal", "--install", "--yes"]), 0);
    assert!(n
        .read("/etc/systemd/system/ctrwiz-heal.timer")
        .contains("OnUnitActiveSec=15min\n"));
    assert_code(&n.run(&["heal", "--uninstall", "--yes"]), 0);
    assert!(!n.exists("/etc/systemd/system/ctrwiz-heal.timer"));
}

#[test]
fn heal_install_without_systemd_writes_a_cron_file_and_refuses_bad_intervals() {
    let n = applied_node("https://m.example");
    let out = n.run(&["heal", "--install", "--every", "2h", "--yes"]);
    assert_code(&out, 0);
    let cron = n.read("/etc/cron.d/ctrwiz-heal");
    assert!(
        cron.lines()
            .nth(1)
            .unwrap()
            .starts_with("0 */2 * * * root /"),
        "{cron}"
    );
    let bad = n.run(&["heal", "--install", "--every", "45m", "--yes"]);
    assert_code(&bad, 2);
    assert!(
        crate::support::stderr(&bad).contains("--every"),
        "{}",
        crate::support::stderr(&bad)
    );
    assert_code(&n.run(&["heal", "--uninstall", "--yes"]), 0);
    assert!(!n.exists("/etc/cron.d/ctrwiz-heal"));
}

#[test]
fn apply_with_a_profile_s_heal_every_writes_heal_install_s_timer_and_a_bad_one_names_its_line() {
    let n = applied_node("https://m.example");
    fs::create_dir_all(n.path("/etc/systemd/system/multi-user.target.wants")).unwrap();
    let profile = n.file_arg(
        "/profile.toml",
        "heal_every = \"30min\"\n\n[mirrors]\n\"docker.io\" = [\"https://m.example\"]\n",
    );
    let p = profile.as_str();
    let out = n.run(&["apply", "--profile", p, "--yes"]);
    assert_code(&out, 0);
    let timer = n.read("/etc/systemd/system/ctrwiz-heal.timer");
    assert!(timer.contains("\nOnUnitActiveSec=30min\n"), "{timer}");
    let service = n.read("/etc/systemd/system/ctrwiz-heal.service");
    assert!(
        service.contains("--address /run/containerd/containerd.sock heal\n"),
        "{service}"
    );
    // The same bytes heal --install plans: a second install changes nothing.
    assert!(
        stdout(&n.run(&["heal", "--install", "--every", "30min", "--yes"]))
            .contains("Nothing to change")
    );
    assert!(stdout(&out).contains("systemctl enable --now ctrwiz-heal.timer"));
    // "none" plans no timer (and leaves the installed one alone).
    fs::write(
        &profile,
        "heal_every = \"none\"\n\n[mirrors]\n\"docker.io\" = [\"https://m.example\"]\n",
    )
    .unwrap();
    let plan = n.run(&["plan", "--profile", p]);
    assert_code(&plan, 0);
    assert!(!stdout(&plan).contains("ctrwiz-heal"), "{}", stdout(&plan));
    // A bad interval: the profile's line and column, heal --every's reason.
    fs::write(&profile, "preset = \"daocloud\"\nheal_every = \"15s\"\n").unwrap();
    let bad = n.run(&["apply", "--profile", p, "--yes"]);
    assert_code(&bad, 2);
    let err = crate::support::stderr(&bad);
    assert!(err.contains("profile.toml:2:14"), "{err}");
}
