use super::*;

#[test]
fn a_single_quoted_value_stays_single_quoted() {
    let text =
        "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = ''\n";
    let mut cfg = ContainerdConfig::parse(Path::new("c.toml"), text).unwrap();
    cfg.set_config_path("/etc/containerd/certs.d");
    assert!(
        cfg.render()
            .contains("  config_path = '/etc/containerd/certs.d'\n"),
        "{}",
        cfg.render()
    );
    let mut cfg = ContainerdConfig::parse(Path::new("c.toml"), text).unwrap();
    cfg.set_config_path("/it's/here");
    assert!(
        cfg.render().contains("config_path = \"/it's/here\""),
        "{}",
        cfg.render()
    );
}

#[test]
fn systemd_cgroup_on_a_file_without_a_runc_table_gives_runc_its_type() {
    for (text, table) in [
            ("version = 2\n", "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]"),
            ("version = 3\n", "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.runc]"),
            // The guides' options-only snippet.
            ("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = false\n", "runtimes.runc]"),
        ] {
            let mut cfg = ContainerdConfig::parse(Path::new("c.toml"), text).unwrap();
            assert!(cfg.set_systemd_cgroup(true).is_some());
            let out = cfg.render();
            assert!(out.contains(table), "{out}");
            let doc: toml::Value = toml::from_str(&out).unwrap();
            let cri = if text.starts_with("version = 3") { "io.containerd.cri.v1.runtime" } else { "io.containerd.grpc.v1.cri" };
            let runc = &doc["plugins"][cri]["containerd"]["runtimes"]["runc"];
            assert_eq!(runc["runtime_type"].as_str(), Some(RUNC_RUNTIME_TYPE), "{out}");
            assert_eq!(runc["options"]["SystemdCgroup"].as_bool(), Some(true), "{out}");
        }
    // A typed table keeps its type and gets no second edit.
    let mut typed = ContainerdConfig::parse(Path::new("c.toml"), "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runsc.v1\"\n").unwrap();
    typed.set_systemd_cgroup(true);
    assert!(typed
        .render()
        .contains("runtime_type = \"io.containerd.runsc.v1\""));
}

#[test]
fn settings_that_force_local_pulls_are_seen_at_the_files_own_table() {
    let cfg = |t: &str| ContainerdConfig::parse(Path::new("c.toml"), t).unwrap();
    let v3 = "version = 3\n[plugins.'io.containerd.cri.v1.images']\n";
    assert!(!cfg(v3).forces_local_pull());
    assert!(!cfg(&format!("{v3}  max_concurrent_downloads = 3\n")).forces_local_pull());
    for line in [
        "  use_local_image_pull = true\n",
        "  discard_unpacked_layers = true\n",
        "  max_concurrent_downloads = 5\n",
        "  disable_snapshot_annotations = false\n",
    ] {
        assert!(cfg(&format!("{v3}{line}")).forces_local_pull(), "{line}");
    }
    let mirrors = format!("{v3}[plugins.'io.containerd.cri.v1.images'.registry.mirrors.'docker.io']\n  endpoint = ['https://m']\n");
    assert!(cfg(&mirrors).forces_local_pull());
    // The same key at a table this file's version does not read.
    let wrong =
        "version = 3\n[plugins.'io.containerd.grpc.v1.cri']\n  discard_unpacked_layers = true\n";
    assert!(!cfg(wrong).forces_local_pull());
}

fn parse(s: &str) -> ContainerdConfig {
    ContainerdConfig::parse(Path::new("/etc/containerd/config.toml"), s).unwrap()
}

#[test]
fn crlf_and_a_bom_survive_an_edit_as_a_one_line_change() {
    let text = format!("\u{feff}{}", V2_DEFAULT_EXCERPT.replace('\n', "\r\n"));
    let mut cfg = parse(&text);
    cfg.set_config_path("/etc/containerd/certs.d").unwrap();
    let out = cfg.render();
    assert!(out.starts_with('\u{feff}'));
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "only CRLF line ends"
    );
    let changed = text
        .lines()
        .zip(out.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(changed, 1, "{out}");
}

#[test]
fn a_wrong_typed_table_is_refused_at_its_line_not_replaced() {
    for (text, at) in [
        ("version = 2\nplugins = \"x\"\n", "2:11"),
        (
            "version = 2\n[plugins]\n\"io.containerd.grpc.v1.cri\" = [1, 2]\n",
            "3:31",
        ),
        (
            "version = 2\n[[plugins.\"io.containerd.grpc.v1.cri\".registry]]\nx = 1\n",
            "2:1",
        ),
    ] {
        let e = ContainerdConfig::parse(Path::new("/c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&format!("/c.toml:{at}:")), "{e}");
        assert!(e.contains("must be a table"), "{e}");
    }
}

const V2_DEFAULT_EXCERPT: &str = r#"# my node: keep this comment
disabled_plugins = []
version = 2

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"

    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ""   # set by ctrwiz later

      [plugins."io.containerd.grpc.v1.cri".registry.auths]

      [plugins."io.containerd.grpc.v1.cri".registry.configs]

      [plugins."io.containerd.grpc.v1.cri".registry.mirrors]
"#;

#[test]
fn sets_config_path_in_place_keeping_comments() {
    let mut c = parse(V2_DEFAULT_EXCERPT);
    assert_eq!(c.config_path().as_deref(), Some(""));
    let edit = c.set_config_path("/etc/containerd/certs.d").unwrap();
    assert_eq!(
        edit.0.to_string(),
        "config_path is set to /etc/containerd/certs.d"
    );
    let out = c.render();
    let want = V2_DEFAULT_EXCERPT.replace(
        "config_path = \"\"   # set by ctrwiz later",
        "config_path = \"/etc/containerd/certs.d\"   # set by ctrwiz later",
    );
    assert_eq!(out, want, "only the value changes");
    // Idempotent.
    let mut again = parse(&out);
    assert!(again.set_config_path("/etc/containerd/certs.d").is_none());
}

#[test]
fn a_key_in_a_table_without_keys_is_indented_past_its_header() {
    let src = "version = 2\n[plugins]\n  [plugins.\"io.containerd.grpc.v1.cri\"]\n\n    [plugins.\"io.containerd.grpc.v1.cri\".registry]\n\n      [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n";
    let mut c = parse(src);
    c.set_config_path("/etc/containerd/certs.d").unwrap();
    let out = c.render();
    assert!(out.contains("    [plugins.\"io.containerd.grpc.v1.cri\".registry]\n      config_path = \"/etc/containerd/certs.d\"\n"), "{out}");
}

#[test]
fn version_3_uses_the_images_plugin() {
    let src = "version = 3\n\n[plugins]\n  [plugins.'io.containerd.cri.v1.images']\n    snapshotter = 'overlayfs'\n";
    let mut c = parse(src);
    assert_eq!(c.schema_version(), 3);
    c.set_config_path("/etc/containerd/certs.d").unwrap();
    let out = c.render();
    assert!(
        out.contains("[plugins.'io.containerd.cri.v1.images'.registry]"),
        "{out}"
    );
    assert!(out.contains("snapshotter = 'overlayfs'"));
    assert_eq!(
        parse(&out).config_path().as_deref(),
        Some("/etc/containerd/certs.d")
    );
    assert!(!out.contains("grpc.v1.cri"));
}

#[test]
fn new_key_copies_sibling_indentation() {
    let src = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n      foo = 1\n";
    let mut c = parse(src);
    c.set_config_path("/x").unwrap();
    assert!(
        c.render()
            .contains("\n      foo = 1\n      config_path = \"/x\"\n"),
        "{}",
        c.render()
    );
}

#[test]
fn versionless_file_is_migrated_to_version_2() {
    let src = "# old style\ndisabled_plugins = [\"aufs\"]\n[plugins.cri]\n  sandbox_image = \"pause:3.2\"\n[plugins.cri.registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://m.example\"]\n";
    let mut c = parse(src);
    assert_eq!(c.schema_version(), 1);
    assert_eq!(c.legacy_mirrors()["docker.io"], vec!["https://m.example"]);
    assert!(c.ensure_versioned().is_some());
    assert_eq!(c.schema_version(), 2);
    assert_eq!(
        c.legacy_mirrors()["docker.io"],
        vec!["https://m.example"],
        "mirrors survive the rename"
    );
    let out = c.render();
    assert!(out.contains("# old style"));
    assert!(out.contains("\"io.containerd.snapshotter.v1.aufs\""));
    assert!(out.contains("sandbox_image = \"pause:3.2\""));
    let reparsed = parse(&out);
    assert_eq!(reparsed.schema_version(), 2);
}

#[test]
fn removes_legacy_mirrors_and_tls_but_keeps_auth() {
    let src = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = ["https://a.example", "https://b.example"]
[plugins."io.containerd.grpc.v1.cri".registry.configs."harbor.local".tls]
  ca_file = "/etc/ca.crt"
  insecure_skip_verify = true
[plugins."io.containerd.grpc.v1.cri".registry.configs."harbor.local".auth]
  username = "u"
"#;
    let mut c = parse(src);
    assert_eq!(
        c.legacy_tls()["harbor.local"].ca_file.as_deref(),
        Some("/etc/ca.crt")
    );
    assert!(c.remove_legacy_mirrors().is_some());
    assert!(c.remove_legacy_tls().is_some());
    let out = c.render();
    assert!(!out.contains("endpoint"), "{out}");
    assert!(!out.contains("ca_file"), "{out}");
    assert!(out.contains("username = \"u\""), "{out}");
    let c2 = parse(&out);
    assert!(c2.legacy_mirrors().is_empty());
    assert!(c2.legacy_tls().is_empty());
}

#[test]
fn bad_files_name_line_and_column() {
    let err =
        ContainerdConfig::parse(Path::new("/c.toml"), "version = 2\n[plugins\nx=1\n").unwrap_err();
    match err {
        Error::Toml { line, .. } => assert_eq!(line, 2),
        other => panic!("{other}"),
    }
    let err = ContainerdConfig::parse(Path::new("/c.toml"), "version = \"2\"\n").unwrap_err();
    assert!(err.to_string().starts_with("/c.toml:1:"), "{err}");
    let err = ContainerdConfig::parse(Path::new("/c.toml"), "version = 9\n").unwrap_err();
    assert!(err.to_string().contains("1 to 4"), "{err}");
    let err = ContainerdConfig::parse(
        Path::new("/c.toml"),
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\nconfig_path = 5\n",
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("/c.toml:3:"), "{err}");
}

#[test]
fn pause_image_and_systemd_cgroup_follow_the_version() {
    let mut v2 = parse(V2_DEFAULT_EXCERPT);
    assert_eq!(
        v2.sandbox_image().as_deref(),
        Some("registry.k8s.io/pause:3.6")
    );
    v2.set_sandbox_image("k8s.m.daocloud.io/pause:3.6").unwrap();
    assert!(v2.set_systemd_cgroup(true).is_some());
    let out = v2.render();
    assert!(
        out.contains("    sandbox_image = \"k8s.m.daocloud.io/pause:3.6\"\n"),
        "{out}"
    );
    assert!(out.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\nSystemdCgroup = true"), "{out}");
    assert!(parse(&out).systemd_cgroup().unwrap());
    assert!(parse(&out).set_systemd_cgroup(true).is_none(), "idempotent");

    let mut v3 = parse("version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10'\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = false  # default\n");
    v3.set_sandbox_image("registry.aliyuncs.com/google_containers/pause:3.10")
        .unwrap();
    v3.set_systemd_cgroup(true).unwrap();
    let out = v3.render();
    assert!(
        out.contains("  sandbox = 'registry.aliyuncs.com/google_containers/pause:3.10'\n"),
        "{out}"
    );
    assert!(
        out.contains("  SystemdCgroup = true  # default\n"),
        "comment kept: {out}"
    );
    assert!(
        parse("version = 2\n").set_systemd_cgroup(false).is_none(),
        "false is the default"
    );
}

#[test]
fn a_v1_file_with_short_and_long_cri_tables_keeps_both_when_migrated() {
    let src = "[plugins.cri]\n  sandbox_image = \"pause:3.9\"\n[plugins.cri.containerd]\n  snapshotter = \"overlayfs\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  snapshotter = \"native\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata]\n  runtime_type = \"io.containerd.kata.v2\"\n";
    let mut c = parse(src);
    let merged = c.merge_v1_tables();
    assert_eq!(
        merged[0].0,
        crate::plan::Reason::V1TablesMerged {
            short: "plugins.cri".into(),
            full: "plugins.\"io.containerd.grpc.v1.cri\"".into(),
            conflicts: vec!["io.containerd.grpc.v1.cri.containerd.snapshotter".into()],
        }
    );
    c.ensure_versioned();
    let out = c.render();
    let doc: toml::Value = toml::from_str(&out).unwrap();
    let cri = &doc["plugins"]["io.containerd.grpc.v1.cri"];
    assert_eq!(cri["sandbox_image"].as_str(), Some("pause:3.9"));
    assert_eq!(
        cri["containerd"]["snapshotter"].as_str(),
        Some("overlayfs"),
        "{out}"
    );
    assert_eq!(
        cri["containerd"]["runtimes"]["kata"]["runtime_type"].as_str(),
        Some("io.containerd.kata.v2"),
        "{out}"
    );
    assert!(doc["plugins"].get("cri").is_none(), "{out}");
    // Nothing to merge in a versioned file, or without both tables.
    assert!(parse("version = 2\n[plugins.cri]\n")
        .merge_v1_tables()
        .is_empty());
    assert!(parse("[plugins.cri]\n").merge_v1_tables().is_empty());
}

#[test]
fn removing_legacy_mirrors_leaves_no_empty_mirrors_table() {
    let mut c = parse("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"\"\n  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n    [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n      endpoint = [\"https://m.example\"]\n");
    assert!(c.remove_legacy_mirrors().is_some());
    let out = c.render();
    assert!(!out.contains("mirrors"), "{out}");
    assert!(out.contains("config_path"), "{out}");
}

#[test]
fn enable_cri_takes_only_the_cri_ids_out() {
    let mut c = parse("version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.aufs\"]\n");
    assert!(c.enable_cri().is_some());
    assert_eq!(
        c.render(),
        "version = 2\ndisabled_plugins = [\"io.containerd.snapshotter.v1.aufs\"]\n"
    );
    assert!(!c.cri_disabled());
    assert!(c.enable_cri().is_none(), "nothing left to do");
}

#[test]
fn detects_disabled_cri() {
    assert!(parse("disabled_plugins = [\"cri\"]\n").cri_disabled());
    assert!(!parse("version = 2\n").cri_disabled());
}
