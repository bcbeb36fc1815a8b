use super::*;
use crate::node::{self, Locations};
use crate::root::Root;
use std::os::unix::fs::PermissionsExt;

/// A node in a temp dir: (node path, content) files and (path, banner) tools.
fn node(files: &[(&str, &str)], tools: &[(&str, &str)]) -> (tempfile::TempDir, NodeState) {
    let dir = tempfile::tempdir().unwrap();
    let root = Root::new(dir.path());
    for (p, text) in files {
        let real = root.join(p);
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(real, text).unwrap();
    }
    for (p, banner) in tools {
        let real = root.join(p);
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, format!("#!/bin/sh\necho '{banner}'\n")).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let state = node::detect(&Locations {
        root,
        ..Locations::default()
    });
    (dir, state)
}

const C16: (&str, &str) = (
    "/usr/bin/containerd",
    "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3",
);
const C21: (&str, &str) = (
    "/usr/bin/containerd",
    "containerd github.com/containerd/containerd/v2 v2.1.1 cb10766",
);
const CFG: &str = "/etc/containerd/config.toml";
const V2_WITH_PATH: &str = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n";

fn status(checks: &[Check], id: &str) -> Option<Status> {
    checks.iter().find(|c| c.id == id).map(|c| c.status)
}

fn run_on(files: &[(&str, &str)], tools: &[(&str, &str)]) -> Vec<Check> {
    let (_d, n) = node(files, tools);
    run(&n, &LiveFacts::default())
}

#[test]
fn hosts_toml_without_host_table_fails_on_1_6_not_on_2_x() {
    let files = [
        (CFG, V2_WITH_PATH),
        (
            "/etc/containerd/certs.d/docker.io/hosts.toml",
            "server = \"https://registry-1.docker.io\"\n",
        ),
    ];
    assert_eq!(
        status(&run_on(&files, &[C16]), "hosts.docker.io.host_table"),
        Some(Status::Fail)
    );
    assert_eq!(
        status(&run_on(&files, &[C21]), "hosts.docker.io.host_table"),
        None
    );
    assert_eq!(
        status(&run_on(&files, &[C21]), "hosts.docker.io.valid"),
        Some(Status::Ok)
    );
}

#[test]
fn the_guides_mistakes_in_hosts_toml() {
    let bad = "server = \"https://docker.io\"\n[host.\"https://docker.io\"]\n[host.\"docker.unsee.tech\"]\n  capabilities = [\"pull\", \"mirror\"]\n[host.\"http://10.0.0.5:5000\"]\n  skip_verify = true\n[host.\"https://quay.m.daocloud.io\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n";
    let files = [
        (CFG, V2_WITH_PATH),
        ("/etc/containerd/certs.d/docker.io/hosts.toml", bad),
    ];
    let checks = run_on(&files, &[C16]);
    for (id, want) in [
        ("hosts.docker.io.server", Status::Fail),
        ("hosts.docker.io.docker_io_host", Status::Fail),
        ("hosts.docker.io.scheme", Status::Warn),
        ("hosts.docker.io.capability", Status::Fail),
        ("hosts.docker.io.http_tls", Status::Warn),
        ("hosts.docker.io.push", Status::Warn),
    ] {
        assert_eq!(status(&checks, id), Some(want), "{id}");
    }
    let server = checks
        .iter()
        .find(|c| c.id == "hosts.docker.io.server")
        .unwrap();
    assert!(
        server
            .fix
            .as_deref()
            .unwrap()
            .contains("ctrwiz apply --mirror docker.io="),
        "{server:?}"
    );
    assert!(server.repair.is_some(), "fixable through plan/apply");
    // A file ctrwiz writes passes every check.
    let good = crate::containerd::hosts::HostsSpec::with_mirrors(
        RegistryName::parse("docker.io").unwrap(),
        vec![crate::endpoint::Endpoint::parse("https://docker.m.daocloud.io").unwrap()],
        "test",
    )
    .render();
    let checks = run_on(
        &[
            (CFG, V2_WITH_PATH),
            ("/etc/containerd/certs.d/docker.io/hosts.toml", &good),
        ],
        &[C16],
    );
    assert_eq!(status(&checks, "hosts.docker.io.valid"), Some(Status::Ok));
    assert!(checks
        .iter()
        .filter(|c| c.id.starts_with("hosts."))
        .all(|c| c.status == Status::Ok));
}

#[test]
fn broken_hosts_file_and_wrong_directory_names() {
    let files = [
        (CFG, V2_WITH_PATH),
        (
            "/etc/containerd/certs.d/ghcr.io/hosts.toml",
            "[host.\"a\"]\n[host.\"a\"]\n",
        ),
        (
            "/etc/containerd/certs.d/index.docker.io/hosts.toml",
            "[host.\"https://m.example\"]\n",
        ),
    ];
    let checks = run_on(&files, &[C21]);
    assert_eq!(status(&checks, "hosts.ghcr.io.parses"), Some(Status::Fail));
    assert_eq!(
        status(&checks, "hosts.index.docker.io.dir_name"),
        Some(Status::Fail)
    );
}

#[test]
fn config_path_checks() {
    let unset = run_on(
        &[
            (CFG, "version = 2\n"),
            ("/etc/containerd/certs.d/docker.io/hosts.toml", "[host]\n"),
        ],
        &[C16],
    );
    assert_eq!(status(&unset, "config_path.set"), Some(Status::Fail));
    assert_eq!(
        status(&run_on(&[(CFG, V2_WITH_PATH)], &[C16]), "config_path.set"),
        Some(Status::Ok)
    );

    let list = "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n";
    assert_eq!(
        status(&run_on(&[(CFG, list)], &[C21]), "config_path.list"),
        Some(Status::Fail)
    );
    assert_eq!(
        status(&run_on(&[(CFG, list)], &[C21]), "config_path.set"),
        None
    );

    let wrong = "version = 3\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n";
    assert_eq!(
        status(&run_on(&[(CFG, wrong)], &[C21]), "config_path.table"),
        Some(Status::Fail)
    );
    assert_eq!(
        status(&run_on(&[(CFG, V2_WITH_PATH)], &[C16]), "config_path.table"),
        None
    );
}

#[test]
fn legacy_mirrors_next_to_config_path_kill_cri() {
    let both = format!("{V2_WITH_PATH}[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m.example\"]\n");
    let (_d, n) = node(&[(CFG, &both)], &[C16]);
    let live = LiveFacts {
        cri_failures: Some(vec!["io.containerd.grpc.v1.cri: error".into()]),
        ..Default::default()
    };
    let checks = run(&n, &live);
    let c = checks
        .iter()
        .find(|c| c.id == "legacy_mirrors.conflict")
        .unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.contains("confirmed"), "{c:?}");
    assert_eq!(status(&checks, "cri.loaded"), Some(Status::Fail));
    let only_legacy = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m.example\"]\n";
    let checks = run_on(&[(CFG, only_legacy)], &[C16]);
    assert_eq!(
        status(&checks, "legacy_mirrors.present"),
        Some(Status::Warn)
    );
    assert_eq!(status(&checks, "legacy_mirrors.conflict"), None);
}

#[test]
fn config_version_against_the_binary() {
    let v3 = "version = 3\n";
    assert_eq!(
        status(&run_on(&[(CFG, v3)], &[C16]), "config.version"),
        Some(Status::Fail)
    );
    assert_eq!(
        status(&run_on(&[(CFG, v3)], &[C21]), "config.version"),
        Some(Status::Ok)
    );
    assert_eq!(
        status(&run_on(&[(CFG, "version = 4\n")], &[C21]), "config.version"),
        Some(Status::Fail)
    );
    assert_eq!(
        status(
            &run_on(&[(CFG, "oom_score = 0\n")], &[C16]),
            "config.version"
        ),
        Some(Status::Warn)
    );
    let broken = run_on(&[(CFG, "version = 2\n[plugins\n")], &[C16]);
    let c = broken.iter().find(|c| c.id == "config.parses").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.contains("config.toml:2:"), "{c:?}");
    assert_eq!(
        status(
            &run_on(
                &[(CFG, "disabled_plugins = [\"cri\"]\nversion = 2\n")],
                &[C16]
            ),
            "cri.disabled"
        ),
        Some(Status::Fail)
    );
}

#[test]
fn clients_runtime_and_cni() {
    let nerd = |v: &str| {
        run_on(
            &[(CFG, V2_WITH_PATH)],
            &[
                C16,
                ("/usr/local/bin/nerdctl", &format!("nerdctl version {v}")),
            ],
        )
    };
    assert_eq!(
        status(&nerd("2.0.1"), "clients.nerdctl"),
        Some(Status::Fail)
    );
    assert_eq!(status(&nerd("2.0.2"), "clients.nerdctl"), None);
    let bare = run_on(&[(CFG, V2_WITH_PATH)], &[C16]);
    assert_eq!(status(&bare, "runtime.runc"), Some(Status::Fail));
    assert_eq!(status(&bare, "cni.installed"), Some(Status::Warn));
    let debian = run_on(
        &[(CFG, V2_WITH_PATH)],
        &[
            C16,
            ("/usr/sbin/runc", "runc version 1.1.5+ds1"),
            ("/usr/lib/cni/bridge", "CNI bridge plugin version unknown"),
        ],
    );
    assert_eq!(status(&debian, "runtime.runc"), None);
    let cni = debian.iter().find(|c| c.id == "cni.bin_dir").unwrap();
    assert_eq!(cni.status, Status::Warn);
    assert!(
        cni.message.contains("/usr/lib/cni") && cni.message.contains("/opt/cni/bin"),
        "{cni:?}"
    );
    let fixed =
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/usr/lib/cni\"\n";
    let ok = run_on(
        &[(CFG, fixed)],
        &[
            C16,
            ("/usr/lib/cni/bridge", "CNI bridge plugin version unknown"),
        ],
    );
    assert_eq!(status(&ok, "cni.bin_dir"), Some(Status::Ok));
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn chinese_messages_same_check_ids() {
    let files = [
        (CFG, "version = 2\n"),
        (
            "/etc/containerd/certs.d/docker.io/hosts.toml",
            "server = \"https://docker.io\"\n",
        ),
    ];
    let (_d, n) = node(&files, &[C16]);
    let en = run(&n, &LiveFacts::default());
    let zh = {
        let _zh = crate::i18n::scoped(crate::i18n::Lang::Zh);
        run(&n, &LiveFacts::default())
    };
    let key = |c: &Check| (c.id.clone(), c.status, c.repair.clone());
    assert_eq!(
        en.iter().map(key).collect::<Vec<_>>(),
        zh.iter().map(key).collect::<Vec<_>>()
    );
    let find = |checks: &[Check], id: &str| checks.iter().find(|c| c.id == id).cloned().unwrap();
    let runc = find(&zh, "runtime.runc");
    assert_eq!(
        runc.message,
        "未安装 runc：containerd 能拉取镜像，但无法启动容器"
    );
    assert!(
        runc.fix
            .as_deref()
            .unwrap()
            .starts_with("apt-get install runc，"),
        "{runc:?}"
    );
    assert!(find(&zh, "config_path.set")
        .message
        .contains("未设置 config_path"));
    // The English text is untouched, and a command stays a command.
    assert!(find(&en, "runtime.runc")
        .message
        .starts_with("runc is not installed"));
    assert_eq!(
        find(&zh, "hosts.docker.io.server").fix,
        find(&en, "hosts.docker.io.server").fix
    );
    for c in zh.iter().filter(|c| c.status != Status::Ok) {
        assert!(has_chinese(&c.message), "{c:?}");
        assert!(
            c.fix
                .as_deref()
                .is_none_or(|f| f.starts_with("ctrwiz apply --mirror") || has_chinese(f)),
            "{c:?}"
        );
    }
}

#[test]
fn chinese_mirror_checks() {
    use crate::probe::{ProbeResult, ProbeStatus};
    let probe = |url: &str, status, ms, detail: &str| ProbeResult {
        detail: detail.into(),
        ..ProbeResult::measured("docker.io", url, "configured", status, ms)
    };
    let live = LiveFacts {
        cri_failures: Some(vec![]),
        probes: Some(vec![
            probe("https://a.example", ProbeStatus::Ok, Some(120), ""),
            probe("https://b.example", ProbeStatus::Denied, None, "403"),
        ]),
        ..LiveFacts::default()
    };
    let (_d, n) = node(&[(CFG, V2_WITH_PATH)], &[C21]);
    let en = run(&n, &live);
    let zh = {
        let _zh = crate::i18n::scoped(crate::i18n::Lang::Zh);
        run(&n, &live)
    };
    let ids = |c: &[Check]| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&en), ids(&zh));
    let msg = |checks: &[Check], id: &str| checks.iter().find(|c| c.id == id).cloned().unwrap();
    assert_eq!(
        msg(&en, "mirror.docker.io.a.example").message,
        "https://a.example answers for docker.io, 120 ms"
    );
    assert_eq!(
        msg(&zh, "mirror.docker.io.a.example").message,
        "https://a.example 可为 docker.io 提供服务，120 ms"
    );
    let denied = msg(&zh, "mirror.docker.io.b.example");
    assert!(
        denied.message.contains("拒绝为 docker.io 提供服务（403）"),
        "{denied:?}"
    );
    assert_eq!(
        denied.fix.as_deref(),
        Some("为 docker.io 换一个镜像源（`ctrwiz probe docker.io` 可逐个测速）")
    );
    assert_eq!(
        msg(&zh, "cri.loaded").message,
        "CRI 插件已加载（ctr plugins ls）"
    );
}

#[test]
fn the_demo_node_has_problems_and_apply_fixes_the_config_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::demo::create(dir.path()).unwrap();
    let loc = Locations {
        root: root.clone(),
        ..Locations::default()
    };
    let before = run(&node::detect(&loc), &LiveFacts::default());
    assert_eq!(worst(&before), Status::Fail);
    assert_eq!(
        status(&before, "hosts.docker.io.server"),
        Some(Status::Fail)
    );
    assert_eq!(status(&before, "clients.nerdctl"), Some(Status::Fail));
    // Repair through the normal path: plan + apply the selection.
    let sel =
        before
            .iter()
            .filter_map(|c| c.repair.clone())
            .fold(Selection::default(), |mut acc, s| {
                acc.mirrors.extend(s.mirrors);
                acc
            });
    let catalog = crate::catalog::Catalog::builtin();
    let plan = crate::plan::make(&node::detect(&loc), &catalog, &sel).unwrap();
    let opts = crate::apply::ApplyOptions {
        root,
        state_dir: dir.path().join("state"),
        restart: crate::apply::RestartPolicy::Skip("test".into()),
        address: "/run/containerd/containerd.sock".into(),
        ctr: None,
        health_timeout: std::time::Duration::from_secs(1),
        health: crate::apply::health::Level::Cri,
        docker_restart: None,
    };
    crate::apply::run(&plan, &opts, &mut |_| {}).unwrap();
    let after = run(&node::detect(&loc), &LiveFacts::default());
    for id in [
        "hosts.docker.io.server",
        "hosts.docker.io.scheme",
        "hosts.quay.io.push",
        "config_path.set",
        "legacy_mirrors.present",
    ] {
        assert!(
            matches!(status(&after, id), None | Some(Status::Ok)),
            "{id} still: {:?}",
            after.iter().find(|c| c.id == id)
        );
    }
    assert_eq!(status(&after, "config_path.set"), Some(Status::Ok));
}

#[test]
fn client_files_the_clients_would_misread_are_warned_with_the_reason() {
    let find = |checks: &[Check], id: &str| checks.iter().find(|c| c.id == id).cloned();
    // nerdctl 2.3+ on containerd 2.x pulls through hosts_dir[0] only.
    let second = run_on(
        &[
            (CFG, V2_WITH_PATH),
            (
                "/etc/nerdctl/nerdctl.toml",
                "hosts_dir = [\"/etc/docker/certs.d\", \"/etc/containerd/certs.d\"]\n",
            ),
        ],
        &[C16, ("/usr/local/bin/nerdctl", "nerdctl version 2.1.0")],
    );
    let c = find(&second, "clients.nerdctl_hosts_dir").expect("warned");
    assert_eq!(c.status, Status::Warn);
    assert!(c.message.contains("not first"), "{c:?}");
    // crictl ignores a whole file with one value it cannot parse.
    let sock = "unix:///run/containerd/containerd.sock";
    let yaml = format!("runtime-endpoint: {sock}\nimage-endpoint: {sock}\ntimeout: 10s\n");
    let rejected = run_on(
        &[(CFG, V2_WITH_PATH), ("/etc/crictl.yaml", &yaml)],
        &[C16, ("/usr/bin/crictl", "crictl version v1.30.0")],
    );
    let c = find(&rejected, "clients.crictl").expect("checked");
    assert_eq!(c.status, Status::Warn);
    assert!(c.message.contains("timeout: "), "{c:?}");
}

/// A proxy drop-in that also proxies the node's own Harbor: warned, by
/// Go's rules (a public mirror and loopback are not named); the repair
/// keeps the proxy and its NO_PROXY, adds the host, and once its planned
/// drop-in is the node's, the check is clean.
#[test]
fn a_proxy_that_would_carry_pulls_from_the_nodes_network_is_warned_and_repaired() {
    use crate::node::NodeState;
    let drop_in = "[Service]\nEnvironment=\"HTTP_PROXY=http://proxy.corp:3128\"\nEnvironment=\"HTTPS_PROXY=http://proxy.corp:3128\"\nEnvironment=\"NO_PROXY=localhost,10.0.0.0/8\"\n";
    let mut node = NodeState::fixture()
        .systemd()
        .hosts(
            "docker.io",
            "server = \"https://registry-1.docker.io\"\n[host.\"https://harbor.corp:8443\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"https://docker.m.daocloud.io\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
        )
        .hosts(
            "quay.io",
            "[host.\"http://10.1.2.3:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"http://127.0.0.1:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
        )
        .build();
    node.proxy_drop_in = Some(drop_in.into());
    let checks = run(&node, &LiveFacts::default());
    let c = checks.iter().find(|c| c.id == "proxy.no_proxy").unwrap();
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(c.message.contains("harbor.corp"), "{}", c.message);
    for not in ["daocloud", "10.1.2.3", "127.0.0.1"] {
        assert!(!c.message.contains(not), "{not}: {}", c.message);
    }
    let repair = c.repair.clone().expect("a planned fix");
    let plan = crate::plan::make(&node, &crate::catalog::Catalog::builtin(), &repair).unwrap();
    let after = plan
        .changes
        .iter()
        .find(|c| c.path == Path::new(crate::paths::PROXY_DROP_IN))
        .and_then(|c| c.after_text())
        .unwrap()
        .to_string();
    assert!(
        after.contains("NO_PROXY=localhost,10.0.0.0/8,harbor.corp\""),
        "{after}"
    );
    assert!(plan.restart.as_ref().is_some_and(|r| r.daemon_reload));
    node.proxy_drop_in = Some(after.into_bytes());
    let again = run(&node, &LiveFacts::default());
    assert_eq!(status(&again, "proxy.no_proxy"), Some(Status::Ok));
    // No drop-in: no check.
    node.proxy_drop_in = None;
    assert_eq!(
        status(&run(&node, &LiveFacts::default()), "proxy.no_proxy"),
        None
    );
}
