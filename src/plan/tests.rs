//! The phases of `plan::make`, each on nodes built in code
//! (`NodeState::fixture`): no filesystem, no processes.

use super::make::*;
use super::{Note, Reason, Restart};
use crate::catalog::Catalog;
use crate::extras::{PrivateRegistry, Proxy};
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::{Selection, Target};
use std::collections::BTreeMap;

const LEGACY_1X: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = ["https://legacy.example"]
"#;

/// node, legacy mirrors, registries chosen → the migrated one, notes.
type LegacyRow<'a> = (
    &'a NodeState,
    BTreeMap<String, Vec<String>>,
    &'a [RegistryName],
    Option<&'a str>,
    Vec<Note>,
);
/// node, config.toml, 1.x, targets → notes.
type ClosingRow<'a> = (&'a NodeState, &'a str, bool, &'a [Target], Vec<Note>);

fn reg(name: &str) -> RegistryName {
    RegistryName::parse(name).unwrap()
}

fn selection(mirrors: &[&str]) -> Selection {
    let mut sel = Selection::default();
    for m in mirrors {
        sel.add_mirror_flag(m).unwrap();
    }
    sel
}

#[test]
fn base_config_starts_from_the_users_file_the_default_or_a_minimal_one() {
    #[rustfmt::skip]
    let table: [(NodeState, Option<u32>, Vec<Reason>); 5] = [
        // Nothing there: a minimal file of the version the daemon reads.
        (NodeState::fixture().containerd("1.7.24").build(), Some(2),
         vec![Reason::ConfigCreated { path: "/etc/containerd/config.toml".into() }]),
        (NodeState::fixture().containerd("2.1.9").build(), Some(3),
         vec![Reason::ConfigCreated { path: "/etc/containerd/config.toml".into() }]),
        // `containerd config default` wins over the minimal file.
        (NodeState::fixture().containerd("1.6.20").default_config("version = 2\noom_score = 7\n").build(), Some(2),
         vec![Reason::ConfigCreated { path: "/etc/containerd/config.toml".into() }]),
        // The user's file, as it is.
        (NodeState::fixture().containerd("1.7.24").config("version = 2\n").build(), Some(2), vec![]),
        // A version-less (1.x) file gets `version = 2`.
        (NodeState::fixture().containerd("1.7.24").config("oom_score = 1\n").build(), Some(2),
         vec![Reason::VersionAdded]),
    ];
    for (i, (node, schema, edits)) in table.into_iter().enumerate() {
        let base = base_config(&node).unwrap();
        assert_eq!(Some(base.cfg.schema_version()), schema, "row {i}");
        assert_eq!(base.edits, edits, "row {i}");
        assert_eq!(base.before, node.containerd_config.text, "row {i}");
    }
    let default = NodeState::fixture()
        .containerd("1.6.20")
        .default_config("version = 2\noom_score = 7\n")
        .build();
    assert!(base_config(&default)
        .unwrap()
        .cfg
        .render()
        .contains("oom_score = 7"));
}

#[test]
fn base_config_refuses_a_version_the_daemon_cannot_start_with() {
    for (daemon, text, refused) in [
        ("1.7.24", "version = 3\n", true),
        ("2.1.9", "version = 3\n", false),
        ("2.1.9", "version = 4\n", true),
        ("1.6.20", "version = 2\n", false),
    ] {
        let node = NodeState::fixture().containerd(daemon).config(text).build();
        assert_eq!(base_config(&node).is_err(), refused, "{daemon} {text:?}");
    }
}

#[test]
fn only_1x_imports_holding_the_cri_table_are_edited() {
    let cri = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"x:1\"\n";
    let node = NodeState::fixture()
        .containerd("1.7.24")
        .config("version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n")
        .import("/etc/containerd/conf.d/cri.toml", cri)
        .import("/etc/containerd/conf.d/other.toml", "oom_score = 2\n")
        .build();
    let imports = cri_imports(&node, true).unwrap();
    let paths: Vec<_> = imports
        .iter()
        .map(|i| i.path.display().to_string())
        .collect();
    assert_eq!(paths, ["/etc/containerd/conf.d/cri.toml"]);
    // 2.x merges imported tables deeply: nothing to edit.
    assert!(cri_imports(&node, false).unwrap().is_empty());
}

#[test]
fn legacy_mirrors_migrate_unless_chosen_or_already_in_hosts_dir() {
    let legacy = |name: &str, eps: &[&str]| {
        BTreeMap::from([(
            name.to_string(),
            eps.iter().map(|e| e.to_string()).collect(),
        )])
    };
    let plain = NodeState::fixture().containerd("1.7.24").build();
    let with_file = NodeState::fixture()
        .containerd("1.7.24")
        .hosts("docker.io", "server = \"https://registry-1.docker.io\"\n")
        .build();
    let docker = [reg("docker.io")];
    #[rustfmt::skip]
    let table: Vec<LegacyRow> = vec![
        // Kept as a hosts.toml file of its own.
        (&plain, legacy("docker.io", &["https://legacy.example"]), &[], Some("docker.io"), vec![]),
        // `*` is the fallback namespace.
        (&plain, legacy("*", &["https://legacy.example"]), &[], Some("_default"), vec![]),
        // `endpoint = []`: nothing to migrate.
        (&plain, legacy("docker.io", &[]), &[], None, vec![]),
        // The selection sets this registry: replaced, said so.
        (&plain, legacy("docker.io", &["https://legacy.example"]), &docker, None,
         vec![Note::LegacyReplaced { registry: "docker.io".into() }]),
        // containerd reads the existing hosts.toml, never the legacy table.
        (&with_file, legacy("docker.io", &["https://legacy.example"]), &[], None,
         vec![Note::LegacyDropped { registry: "docker.io".into(), endpoints: vec!["https://legacy.example".into()] }]),
    ];
    for (i, (node, legacy, chosen, target, notes)) in table.into_iter().enumerate() {
        let (targets, got) = migrate_legacy(node, legacy, chosen).unwrap();
        let names: Vec<String> = targets.iter().map(|t| t.registry().to_string()).collect();
        assert_eq!(names, target.into_iter().collect::<Vec<_>>(), "row {i}");
        assert_eq!(got, notes, "row {i}");
    }
    let (targets, _) = migrate_legacy(
        &plain,
        legacy("docker.io", &["https://legacy.example"]),
        &[],
    )
    .unwrap();
    let Target::Write(spec) = &targets[0] else {
        panic!("a write")
    };
    assert!(spec.render().contains("https://legacy.example"));
    let bad = migrate_legacy(&plain, legacy("docker.io", &["not a url"]), &[]);
    // A broken legacy endpoint is an error naming config.toml.
    assert!(bad.is_err());
}

#[test]
fn a_private_registry_that_is_also_mirrored_is_refused() {
    let mut p = PrivateRegistry::new(reg("harbor.corp:5000"));
    p.skip_verify = true;
    let (targets, notes) = private_targets(std::slice::from_ref(&p), &[]).unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(
        notes,
        [Note::SkipVerify {
            registry: "harbor.corp:5000".into()
        }]
    );
    let mirrored = [Target::Remove(reg("harbor.corp:5000"))];
    assert!(private_targets(&[p], &mirrored).is_err());
}

#[test]
fn docker_and_proxy_changes_and_what_they_cost() {
    let mut sel = Selection::default();
    let node = NodeState::fixture().containerd("1.7.24").build();
    // Not asked: no change.
    assert!(docker_change(&node, &sel).unwrap().is_none());
    sel.extras.docker_mirrors = Some(vec!["https://m.example".into()]);
    #[rustfmt::skip]
    let table = [
        (None, Some(Note::DockerStops)),
        (Some("{\"live-restore\": true}\n"), Some(Note::DockerLiveRestore)),
        (Some("{\n  \"registry-mirrors\": [\n    \"https://m.example\"\n  ]\n}\n"), None),
    ];
    for (before, note) in table {
        let mut f = NodeState::fixture().containerd("1.7.24");
        if let Some(b) = before {
            f = f.docker_json(b);
        }
        let (_, got) = docker_change(&f.build(), &sel).unwrap().unwrap();
        assert_eq!(got, note, "{before:?}");
    }

    sel.extras.proxy = Some(Proxy::from_flags("http://proxy.corp:3128", None, None).unwrap());
    sel.extras.proxy_origin = Some(crate::error::Origin::Flag("--proxy"));
    let mut restart = None;
    // No systemd unit dir: refused (exit 2), naming the flag, never a note.
    let err = proxy_change(&node, &sel, &mut restart).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().starts_with("--proxy: "), "{err}");
    assert!(restart.is_none());
    // `none` there has nothing to remove.
    let mut remove = sel.clone();
    remove.extras.proxy = Some(Proxy::Remove);
    assert!(proxy_change(&node, &remove, &mut restart)
        .unwrap()
        .is_none());
    let systemd = NodeState::fixture().containerd("1.7.24").systemd().build();
    let change = proxy_change(&systemd, &sel, &mut restart).unwrap().unwrap();
    assert!(change.after.is_some());
    assert_eq!(
        restart,
        Some(Restart {
            reasons: vec![Reason::ProxySet {
                url: "http://proxy.corp:3128".into()
            }],
            daemon_reload: true,
            service: None,
        })
    );
}

/// One profile on two nodes: each drop-in's NO_PROXY holds that node's own
/// addresses and cluster ranges (made by the plan, not by the profile),
/// plus the ranges the profile gives; an exact list stays exact.
#[test]
fn the_default_no_proxy_is_made_on_each_node_it_is_planned_for() {
    let sel = Selection::from_profile(
        std::path::Path::new("p.toml"),
        "proxy = \"http://proxy.corp:3128\"\ncluster_cidrs = [\"100.64.0.0/10\"]\n",
    )
    .unwrap();
    let no_proxy_of = |node: &NodeState, sel: &Selection| {
        let change = proxy_change(node, sel, &mut None).unwrap().unwrap();
        let text = change.after_text().unwrap().to_string();
        let line = text
            .lines()
            .find(|l| l.contains("NO_PROXY="))
            .unwrap()
            .to_string();
        line.trim_start_matches("Environment=\"NO_PROXY=")
            .trim_end_matches('"')
            .to_string()
    };
    let mut a = NodeState::fixture().systemd().build();
    a.addresses = vec!["192.0.2.10".into()];
    a.cluster_cidrs = vec!["10.96.0.0/12".into(), "fd00:10:96::/112".into()];
    let mut b = NodeState::fixture().systemd().build();
    b.addresses = vec!["198.51.100.7".into()];
    let seed = crate::extras::DEFAULT_NO_PROXY.join(",");
    assert_eq!(
        no_proxy_of(&a, &sel),
        format!("{seed},192.0.2.10,10.96.0.0/12,fd00:10:96::/112,100.64.0.0/10")
    );
    assert_eq!(
        no_proxy_of(&b, &sel),
        format!("{seed},198.51.100.7,100.64.0.0/10")
    );
    let exact = Selection::from_profile(
        std::path::Path::new("p.toml"),
        "proxy = \"http://proxy.corp:3128\"\nno_proxy = [\"a.corp\"]\n",
    )
    .unwrap();
    assert_eq!(no_proxy_of(&a, &exact), "a.corp");
}

#[test]
fn closing_notes_say_what_the_node_itself_lacks() {
    let cfg = |t: &str| {
        crate::containerd::config::ContainerdConfig::parse(std::path::Path::new("c"), t).unwrap()
    };
    let default_ns = [Target::Remove(reg(crate::registry::DEFAULT_NAMESPACE))];
    let none = NodeState::fixture().build();
    let old = NodeState::fixture().containerd("1.6.20").build();
    let new = NodeState::fixture().containerd("2.1.9").build();
    #[rustfmt::skip]
    let table: Vec<ClosingRow> = vec![
        (&none, "version = 2\n", true, &[], vec![Note::NotInstalled]),
        (&new, "version = 3\n", false, &default_ns, vec![]),
        (&old, "version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n", true, &[], vec![Note::CriDisabled]),
        (&old, "version = 2\nimports = [\"/etc/c.d/a.toml\"]\n", true, &[],
         vec![Note::Imports { imports: vec!["/etc/c.d/a.toml".into()] }]),
        (&old, "version = 2\nimports = [\"/etc/c.d/a.toml\"]\n", false, &[], vec![]),
    ];
    for (i, (node, text, one_x, targets, want)) in table.into_iter().enumerate() {
        assert_eq!(
            closing_notes(node, &cfg(text), one_x, targets),
            want,
            "row {i}"
        );
    }
}

#[test]
fn the_phases_make_one_plan_without_touching_the_node() {
    let catalog = Catalog::load(None).unwrap();
    let node = NodeState::fixture()
        .containerd("1.7.24")
        .config(LEGACY_1X)
        .build();
    let plan = super::make(&node, &catalog, &selection(&["quay.io=https://q.example"])).unwrap();
    let files: Vec<String> = plan
        .effective()
        .map(|c| c.path.display().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "/etc/containerd/config.toml",
            "/etc/containerd/certs.d/quay.io/hosts.toml",
            "/etc/containerd/certs.d/docker.io/hosts.toml",
        ]
    );
    let reasons = &plan.restart.as_ref().unwrap().reasons;
    assert!(reasons
        .iter()
        .any(|r| matches!(r, Reason::LegacyMirrorsRemoved { .. })));
    assert!(reasons
        .iter()
        .any(|r| matches!(r, Reason::ConfigPathSet { .. })));
}

/// version, config.toml, `config default`, CRI table, key → (dir, key) set.
type CniRow<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    Option<(&'a str, &'a str)>,
);

#[test]
fn cni_bin_dir_is_set_at_the_table_and_key_of_each_version() {
    use crate::cni::CniBinDir;
    use crate::containerd::config::ContainerdConfig;
    let v2 = "version = 2\n";
    let v3 = "version = 3\n";
    #[rustfmt::skip]
    let table: [CniRow; 6] = [
        // 1.x and 2.0 read `bin_dir` only.
        ("1.7.24", v2, None, "io.containerd.grpc.v1.cri", "bin_dir",
         Some(("/usr/lib/cni", "bin_dir"))),
        ("2.0.5", v3, None, "io.containerd.cri.v1.runtime", "bin_dir",
         Some(("/usr/lib/cni", "bin_dir"))),
        // 2.1+: `bin_dirs`, and a `bin_dir` beside it is removed (both
        // set fail the CRI plugin).
        ("2.1.9", "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dir = '/x'\n",
         None, "io.containerd.cri.v1.runtime", "bin_dirs", Some(("/usr/lib/cni", "bin_dirs"))),
        // A file that already has `bin_dirs` keeps the list on any version.
        ("2.0.5", "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = ['/x']\n",
         None, "io.containerd.cri.v1.runtime", "bin_dirs", Some(("/usr/lib/cni", "bin_dirs"))),
        // The daemon's own default already looks there: nothing to do.
        ("1.7.24", v2, Some("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/usr/lib/cni\"\n"),
         "io.containerd.grpc.v1.cri", "bin_dir", None),
        // The file says so already.
        ("1.6.20", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/usr/lib/cni\"\n",
         None, "io.containerd.grpc.v1.cri", "bin_dir", None),
    ];
    for (i, (version, text, default, plugin, key, want)) in table.into_iter().enumerate() {
        let mut f = NodeState::fixture().containerd(version).config(text);
        if let Some(d) = default {
            f = f.default_config(d);
        }
        let mut node = f.build();
        node.cni_dir = Some("/usr/lib/cni".into());
        let mut sel = Selection::default();
        sel.extras.cni_bin_dir = Some(CniBinDir::Auto);
        let mut cfg = ContainerdConfig::parse("/c".as_ref(), text).unwrap();
        let reason = cni_bin_dir_edit(&node, &sel, &mut cfg).unwrap();
        let Some((dir, want_key)) = want else {
            assert_eq!(reason, None, "row {i}");
            assert_eq!(cfg.render(), text, "row {i}: untouched");
            continue;
        };
        assert!(
            matches!(&reason, Some(Reason::CniBinDir { dir: d, key: k, .. }) if d == dir && k == want_key),
            "row {i}: {reason:?}"
        );
        assert_eq!(want_key, key, "row {i}");
        // What containerd reads back: the one dir, at the version's table.
        let doc: toml::Table = toml::from_str(&cfg.render()).unwrap();
        let cni = &doc["plugins"][plugin]["cni"];
        match key {
            "bin_dirs" => {
                assert_eq!(cni["bin_dirs"].as_array().unwrap().len(), 1, "row {i}");
                assert_eq!(cni["bin_dirs"][0].as_str(), Some(dir), "row {i}");
                assert!(cni.get("bin_dir").is_none(), "row {i}: {cni}");
            }
            _ => assert_eq!(cni["bin_dir"].as_str(), Some(dir), "row {i}"),
        }
        assert_eq!(cfg.cni_bin_dirs(), vec![dir.to_string()], "row {i}");
    }
}

#[test]
fn cni_bin_dir_auto_without_plugins_is_refused_and_make_restarts_for_it() {
    use crate::cni::CniBinDir;
    let mut sel = Selection::default();
    sel.extras.cni_bin_dir = Some(CniBinDir::Auto);
    let node = NodeState::fixture()
        .containerd("1.7.24")
        .config("version = 2\n")
        .build();
    let err = crate::plan::make(&node, &Catalog::load(None).unwrap(), &sel).unwrap_err();
    assert!(err.to_string().contains("auto"), "{err}");
    let mut node = node;
    node.cni_dir = Some("/usr/lib/cni".into());
    let plan = crate::plan::make(&node, &Catalog::load(None).unwrap(), &sel).unwrap();
    let restart = plan.restart.expect("config.toml changed: restart");
    assert!(
        restart
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::CniBinDir { dir, .. } if dir == "/usr/lib/cni")),
        "{:?}",
        restart.reasons
    );
}

/// A proxy's password never shows where a file is shown (the review's
/// diff, `plan --json`, apply.log); the drop-in on disk keeps it.
#[test]
fn proxy_passwords_are_redacted_in_diffs_and_kept_in_the_file() {
    assert_eq!(
        crate::plan::redact_url_passwords(
            "Environment=\"HTTP_PROXY=http://u:p%40ss@proxy:3128\" x://y@z a://b:c@d/e"
        ),
        "Environment=\"HTTP_PROXY=http://u:<redacted>@proxy:3128\" x://y@z a://b:<redacted>@d/e"
    );
    let mut sel = Selection::default();
    sel.extras.proxy =
        Some(Proxy::from_flags("http://u:s3cret@proxy.corp:3128", None, None).unwrap());
    let node = NodeState::fixture().systemd().build();
    let change = proxy_change(&node, &sel, &mut None).unwrap().unwrap();
    assert!(change.after_text().unwrap().contains("u:s3cret@proxy.corp"));
    let diff = change.diff();
    assert!(!diff.contains("s3cret"), "{diff}");
    assert!(
        diff.contains("http://u:<redacted>@proxy.corp:3128"),
        "{diff}"
    );
}

/// Another drop-in of containerd's unit that systemd reads after ctrwiz's
/// (by file name) overrides the proxy asked for: named in a note. One read
/// before it is overridden by ctrwiz's and needs no note; `none` names
/// the drop-ins that still set a proxy. Doctor and the node's merged
/// environment agree.
#[test]
fn a_drop_in_read_after_ctrwiz_s_is_named_when_it_sets_the_proxy() {
    let mut node = NodeState::fixture().systemd().build();
    let d = std::path::Path::new("/etc/systemd/system/containerd.service.d");
    node.other_drop_ins = vec![
        (
            d.join("00-env.conf"),
            b"[Service]\nEnvironment=HTTP_PROXY=http://early:1\n".to_vec(),
        ),
        (
            d.join("limits.conf"),
            b"[Service]\nLimitNOFILE=1048576\n".to_vec(),
        ),
        (
            d.join("proxy.conf"),
            b"[Service]\nEnvironment=\"HTTPS_PROXY=http://late:2\" NO_PROXY=x\n".to_vec(),
        ),
    ];
    let mut sel = Selection::default();
    sel.extras.proxy = Some(Proxy::from_flags("http://mine:3", None, None).unwrap());
    let notes = proxy_notes(&node, &sel);
    assert_eq!(
        notes,
        vec![Note::ProxyOverridden {
            path: d.join("proxy.conf"),
            vars: vec!["HTTPS_PROXY".into(), "NO_PROXY".into()]
        }]
    );
    let mut remove = Selection::default();
    remove.extras.proxy = Some(Proxy::Remove);
    assert_eq!(
        proxy_notes(&node, &remove),
        vec![
            Note::ProxyStillSet {
                path: d.join("00-env.conf")
            },
            Note::ProxyStillSet {
                path: d.join("proxy.conf")
            }
        ]
    );
    // With ctrwiz's drop-in in place, containerd's environment is the
    // merge in file-name order: early's HTTP, ctrwiz's, then late's.
    let change = proxy_change(&node, &sel, &mut None).unwrap().unwrap();
    node.proxy_drop_in = change.after;
    let env = node.proxy_env().unwrap();
    assert_eq!(env.http.as_deref(), Some("http://mine:3"));
    assert_eq!(env.https.as_deref(), Some("http://late:2"));
    assert_eq!(env.no_proxy, "x");
    let checks = crate::doctor::run(&node, &Default::default());
    let over: Vec<_> = checks
        .iter()
        .filter(|c| c.id == "proxy.overridden")
        .collect();
    assert_eq!(over.len(), 1, "{over:?}");
    assert!(over[0].message.contains("proxy.conf") && over[0].message.contains("HTTPS_PROXY"));
    // No other drop-in: no note, no warning.
    node.other_drop_ins.clear();
    assert!(proxy_notes(&node, &sel).is_empty());
    let checks = crate::doctor::run(&node, &Default::default());
    assert!(!checks.iter().any(|c| c.id == "proxy.overridden"));
}
