//! Hostile input, as a careful SRE would try it: values that could inject
//! into a systemd unit, trees whose links lead out of `--root`, files that
//! are not UTF-8 or not files at all, crafted backup manifests, a closed
//! stdout, a full disk. Each test asserts what is on disk afterwards.

use super::support::*;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = "/etc/containerd/config.toml";
const DOCKER_HOSTS: &str = "/etc/containerd/certs.d/docker.io/hosts.toml";
const DROP_IN: &str = "/etc/systemd/system/containerd.service.d/http-proxy.conf";

/// A node whose systemd units are visible, so a proxy is planned.
fn systemd_node() -> Node {
    let node = Node::with_default_config();
    fs::create_dir_all(node.path("/etc/systemd/system")).unwrap();
    node.write(
        "/lib/systemd/system/containerd.service",
        "[Unit]\nDescription=containerd\n[Service]\nExecStart=/usr/bin/containerd\n",
    );
    node
}

#[test]
fn proxy_values_that_would_inject_a_directive_are_refused_from_flags_and_profiles() {
    let node = systemd_node();
    let before = node.snapshot();
    let inject = "x\"\nExecStartPre=/bin/sh -c id\n#";
    let out = node.run(&[
        "apply",
        "--yes",
        "--proxy",
        "http://p:3128",
        "--no-proxy",
        inject,
    ]);
    assert_code(&out, 2);
    assert_has(&stderr(&out), "--no-proxy: NO_PROXY entry");
    assert_eq!(node.snapshot(), before, "nothing written");

    // The same value in a shared profile: refused at its line and column.
    let profile = node.file_arg(
        "/p.toml",
        "proxy = \"http://p:3128\"\nno_proxy = [\"ok.corp\", \"x\\\"\\nExecStartPre=/bin/sh -c id\\n#\"]\n",
    );
    let out = node.run(&["apply", "--yes", "--profile", &profile]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("p.toml:2:12: NO_PROXY entry"), "{err}");
    assert!(!node.exists(DROP_IN));

    for (flag, value) in [
        ("--proxy", "http://p\"x:3128"),
        ("--proxy", "http://p:3128/\nExecStart=/x"),
        ("--mirror", "docker.io=none,https://m.example"),
        ("--sandbox-image", "x y"),
        ("--sandbox-image", "bad image no tag"),
    ] {
        let out = node.run(&["plan", flag, value]);
        assert_code(&out, 2);
        assert!(
            stderr(&out).contains(flag),
            "{flag} {value}: {}",
            stderr(&out)
        );
    }
    let profile_img = node.file_arg(
        "/img.toml",
        "preset = \"daocloud\"\nsandbox_image = \"bad image no tag\"\n",
    );
    let out = node.run(&["plan", "--profile", &profile_img]);
    assert_code(&out, 2);
    assert_has(&stderr(&out), "img.toml:2:17:");
}

#[test]
fn the_drop_in_holds_only_the_directives_ctrwiz_means_and_systemd_agrees() {
    let node = systemd_node();
    let out = node.run(&[
        "apply",
        "--yes",
        "--proxy",
        "u:p%40ss@proxy.corp:3128",
        "--no-proxy",
        "localhost,.svc,10.0.0.0/8",
    ]);
    assert_code(&out, 0);
    let text = node.read(DROP_IN);
    let directives: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert_eq!(
        directives,
        [
            "[Service]",
            "Environment=\"HTTP_PROXY=http://u:p%%40ss@proxy.corp:3128\"",
            "Environment=\"HTTPS_PROXY=http://u:p%%40ss@proxy.corp:3128\"",
            "Environment=\"NO_PROXY=localhost,.svc,10.0.0.0/8\"",
        ]
    );
    // systemd itself reads the unit with the drop-in: the environment it
    // would give containerd is exactly what was meant (%% is one %).
    let unit_path = format!(
        "{}:{}:",
        node.path("/etc/systemd/system").display(),
        node.path("/lib/systemd/system").display()
    );
    let unit = node.path("/lib/systemd/system/containerd.service");
    let Some(out) = systemd_analyze_verify(&[unit], &unit_path) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("http-proxy.conf"),
        "systemd complains about the drop-in: {err}"
    );
}

#[test]
fn links_in_the_tree_never_lead_outside_root() {
    let outside = tempfile::tempdir().unwrap();
    let host_file = outside.path().join("host-config.toml");
    fs::write(&host_file, "# the host's own file\nversion = 2\n").unwrap();

    // A relative link that climbs out of the root.
    let node = Node::new();
    fs::create_dir_all(node.path("/etc/containerd")).unwrap();
    let rel = format!("../../../../../../../../..{}", host_file.display());
    symlink(&rel, node.path(CONFIG)).unwrap();
    let out = node.run(&["apply", "--yes", "--mirror", "docker.io=https://m.example"]);
    assert_code(&out, 0);
    assert_eq!(
        fs::read_to_string(&host_file).unwrap(),
        "# the host's own file\nversion = 2\n",
        "the host file was written"
    );
    // The link resolved inside the tree: that is where config.toml went.
    let inside = node.path(host_file.to_str().unwrap());
    assert!(fs::read_to_string(&inside).unwrap().contains("config_path"));

    // An absolute directory link: the tree's /srv, not the host's.
    let node = Node::new();
    fs::create_dir_all(node.path("/etc")).unwrap();
    symlink(outside.path(), node.path("/etc/containerd")).unwrap();
    let out = node.run(&["apply", "--yes", "--mirror", "docker.io=https://m.example"]);
    assert_code(&out, 0);
    assert!(
        !outside.path().join("certs.d").exists(),
        "wrote on the host"
    );
    assert!(
        !outside.path().join("config.toml").exists(),
        "wrote on the host"
    );
    assert!(node
        .path(&format!(
            "{}/certs.d/docker.io/hosts.toml",
            outside.path().display()
        ))
        .exists());

    // An absolute file link to a host file is the tree's file of that name.
    let node = Node::new();
    fs::create_dir_all(node.path("/etc/containerd")).unwrap();
    symlink(&host_file, node.path(CONFIG)).unwrap();
    let out = node.run(&["plan", "--mirror", "docker.io=https://m.example"]);
    assert_code(&out, 0);
    assert!(
        !stdout(&out).contains("the host's own file"),
        "read the host's file: {}",
        stdout(&out)
    );
}

#[test]
fn a_crafted_backup_manifest_cannot_copy_host_files_into_the_tree() {
    let node = Node::with_config("version = 2\n");
    let secret = tempfile::NamedTempFile::new().unwrap();
    fs::write(secret.path(), "host secret\n").unwrap();
    fs::set_permissions(secret.path(), fs::Permissions::from_mode(0o600)).unwrap();
    let set = node.path("/var/lib/ctrwiz/backups/20991231T000000Z");
    fs::create_dir_all(&set).unwrap();
    let manifest = format!(
        r#"{{"id":"20991231T000000Z","created":"20991231T000000Z","entries":[
            {{"path":"/etc/containerd/stolen","purpose":{{"type":"config"}},"saved_as":"{}","ownership":{{"mode":420,"uid":0,"gid":0}}}}]}}"#,
        secret.path().display()
    );
    fs::write(set.join("manifest.json"), &manifest).unwrap();
    let rollback = || {
        node.run(&[
            "rollback",
            "--yes",
            "--restart-cmd",
            "true",
            "20991231T000000Z",
        ])
    };
    let out = rollback();
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!node.exists("/etc/containerd/stolen"));

    // A saved copy that is a link to a host file: not followed.
    fs::write(
        set.join("manifest.json"),
        r#"{"id":"20991231T000000Z","created":"20991231T000000Z","entries":[
            {"path":"/etc/containerd/stolen","purpose":{"type":"config"},"saved_as":"0.orig","ownership":{"mode":420,"uid":0,"gid":0}}]}"#,
    )
    .unwrap();
    symlink(secret.path(), set.join("0.orig")).unwrap();
    let out = rollback();
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!node.exists("/etc/containerd/stolen"));
}

#[test]
fn a_config_that_is_not_utf8_is_refused_at_its_line_and_column_and_kept() {
    // GBK for "中文" in a comment.
    let gbk: &[u8] = b"version = 2\n# \xd6\xd0\xce\xc4\n";
    let node = Node::new();
    fs::create_dir_all(node.path("/etc/containerd")).unwrap();
    fs::write(node.path(CONFIG), gbk).unwrap();
    let out = node.run(&["apply", "--yes", "--mirror", "docker.io=https://m.example"]);
    assert_code(&out, 1);
    assert_has(&stderr(&out), "/etc/containerd/config.toml:2:3:");
    assert_eq!(fs::read(node.path(CONFIG)).unwrap(), gbk);
    assert_eq!(node.backup_sets(), 0);
}

#[test]
fn a_der_ca_next_to_hosts_toml_is_backed_up_and_restored_byte_for_byte() {
    let node = Node::with_default_config();
    let der: Vec<u8> = vec![0x30, 0x82, 0x01, 0x0a, 0xff, 0x00, 0x80, 0xfe];
    let ca = "/etc/containerd/certs.d/harbor.corp/ca.crt";
    fs::create_dir_all(node.path("/etc/containerd/certs.d/harbor.corp")).unwrap();
    fs::write(node.path(ca), &der).unwrap();
    let pem = node.file_arg("/tmp-ca.pem", PEM_CA);
    let out = node.run(&["apply", "--yes", "--registry", "harbor.corp", "--ca", &pem]);
    assert_code(&out, 0);
    assert_has(
        &stdout(&out),
        "changed   /etc/containerd/certs.d/harbor.corp/ca.crt",
    );
    let out = node.run(&["rollback", "--yes"]);
    assert_code(&out, 0);
    assert_eq!(fs::read(node.path(ca)).unwrap(), der, "DER bytes restored");

    // A file that is not a PEM certificate is never copied into certs.d.
    let out = node.run(&["plan", "--registry", "harbor.corp", "--ca", "/etc/hostname"]);
    assert_code(&out, 1);
    assert_has(&stderr(&out), "not a PEM certificate");
}

#[test]
fn default_as_a_private_registry_and_an_empty_legacy_endpoint_do_not_panic() {
    let node = Node::with_default_config();
    let out = node.run(&["plan", "--registry", "_default"]);
    assert_code(&out, 2);
    assert_has(&stderr(&out), "_default is not a registry host");

    let node = Node::with_config(
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"*\"]\n  endpoint = []\n",
    );
    let out = node.run(&["apply", "--yes", "--mirror", "docker.io=https://m.example"]);
    assert_code(&out, 0);
    assert!(!node.read(CONFIG).contains("mirrors"));

    // A `_default` mirror never names `_default` as a server: every other
    // registry keeps falling back to itself.
    let out = node.run(&["apply", "--yes", "--mirror", "_default=https://m.example"]);
    assert_code(&out, 0);
    let text = node.read("/etc/containerd/certs.d/_default/hosts.toml");
    assert!(!text.contains("server"), "{text}");
    assert!(text.contains("[host.\"https://m.example\"]"), "{text}");
}

#[test]
fn fifos_and_devices_where_files_belong_are_refused_at_once() {
    let node = Node::with_default_config();
    fs::create_dir_all(node.path("/etc/containerd/certs.d/docker.io")).unwrap();
    mkfifo(&node.path(DOCKER_HOSTS));
    let t = Instant::now();
    let out = node.run(&["plan", "--mirror", "docker.io=https://m.example"]);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_code(&out, 1);
    assert_has(&stderr(&out), "FIFO");

    let ca_fifo = node.path("/ca-fifo");
    mkfifo(&ca_fifo);
    let out = node.run(&[
        "plan",
        "--registry",
        "harbor.corp",
        "--ca",
        ca_fifo.to_str().unwrap(),
    ]);
    assert_code(&out, 1);
    assert_has(&stderr(&out), "FIFO");

    let out = node.run(&["plan", "--registry", "harbor.corp", "--ca", "/dev/zero"]);
    assert_code(&out, 1);
    assert_has(&stderr(&out), "device");
}

#[test]
fn a_closed_stdout_never_interrupts_an_apply() {
    let node = Node::with_default_config();
    let args = ["apply", "--yes", "--preset", "daocloud"];
    let mut child = ctrwiz_on(node.dir.path(), &args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head -0`
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(node
        .read(CONFIG)
        .contains("config_path = \"/etc/containerd/certs.d\""));
    assert!(node.exists("/etc/containerd/certs.d/quay.io/hosts.toml"));
}

#[test]
fn passwords_never_show_in_plans_json_or_the_apply_log() {
    let node = Node::with_default_config();
    let base64 = "cm9ib3Q6czNjcmV0"; // robot:s3cret
    let auth = node.file_arg("/auth", "robot:s3cret\n");
    for args in [
        vec![
            "plan",
            "--registry",
            "harbor.corp",
            "--auth",
            "robot:s3cret",
        ],
        vec![
            "plan",
            "--json",
            "--registry",
            "harbor.corp",
            "--auth-file",
            &auth,
        ],
    ] {
        let out = node.run(&args);
        assert_code(&out, 0);
        assert!(!stdout(&out).contains(base64), "{}", stdout(&out));
        assert_has(&stdout(&out), "<redacted>");
    }
    let out = node.run(&[
        "apply",
        "--yes",
        "--registry",
        "harbor.corp",
        "--auth-file",
        &auth,
    ]);
    assert_code(&out, 0);
    let hosts = "/etc/containerd/certs.d/harbor.corp/hosts.toml";
    assert!(
        node.read(hosts).contains(base64),
        "the file itself has the header"
    );
    let log = || {
        fs::read_dir(node.path("/var/lib/ctrwiz/backups"))
            .unwrap()
            .flatten()
            .map(|e| fs::read_to_string(e.path().join("apply.log")).unwrap_or_default())
            .collect::<String>()
    };
    assert!(!log().contains(base64), "{}", log());

    // A proxy's password: in the drop-in, nowhere shown.
    node.write("/etc/systemd/system/.keep", "");
    let proxy = ["--proxy", "http://robot:pr0xy-pw@proxy.corp:3128"];
    for extra in [
        &["plan"][..],
        &["plan", "--json"],
        &["apply", "--yes"],
        &["detect"],
    ] {
        let args: Vec<&str> = if extra[0] == "detect" {
            extra.to_vec()
        } else {
            [extra, &proxy[..]].concat()
        };
        let out = node.run(&args);
        assert_code(&out, 0);
        assert!(
            !stdout(&out).contains("pr0xy-pw"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
    assert!(node
        .read(ctrwiz::paths::PROXY_DROP_IN)
        .contains("robot:pr0xy-pw@proxy.corp"));
    assert!(!log().contains("pr0xy-pw"), "{}", log());
}

#[test]
fn a_pending_restart_is_finished_by_a_later_hosts_only_apply() {
    let node = Node::with_default_config();
    // Something answering on containerd's socket, for the health check.
    let _socket = node.listen("/run/containerd/containerd.sock");
    let (restart, log) = node.counting_restart();
    let out = node.run(&[
        "apply",
        "--yes",
        "--restart-cmd",
        &restart,
        "--health",
        "cri",
        "--mirror",
        "docker.io=https://a.example",
    ]);
    assert_code(&out, 0);
    // An apply killed after writing config.toml and before its restart.
    fs::write(
        node.path("/var/lib/ctrwiz/restart-pending"),
        "20260101T000000Z",
    )
    .unwrap();
    let out = node.run(&[
        "apply",
        "--yes",
        "--restart-cmd",
        &restart,
        "--health",
        "cri",
        "--mirror",
        "docker.io=https://b.example",
    ]);
    assert_code(&out, 0);
    assert!(
        !stdout(&out).contains("no restart needed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(fs::read_to_string(&log).unwrap(), "restarted\nrestarted\n");
    assert!(!node.exists("/var/lib/ctrwiz/restart-pending"));
}

#[test]
fn a_full_disk_restores_everything_it_can_and_says_exactly_what() {
    // A 64 KiB tmpfs as the hosts dir: the hosts.toml files of a preset
    // fill it half-way through the apply.
    let node = Node::with_default_config();
    let certs = node.path("/etc/containerd/certs.d");
    fs::create_dir_all(&certs).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k,nr_inodes=6", "tmpfs"])
        .arg(&certs)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("cannot mount a tmpfs here: skipping the disk-full test");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _u = Unmount(&certs);
    fs::create_dir_all(certs.join("quay.io")).unwrap();
    fs::write(
        certs.join("quay.io/hosts.toml"),
        "# mine\nserver = \"https://quay.io\"\n",
    )
    .unwrap();
    let before_cfg = node.read(CONFIG);
    let out = node.run(&["apply", "--yes", "--preset", "daocloud"]);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert_eq!(
        node.read(CONFIG),
        before_cfg,
        "config.toml is written last, never reached"
    );
    assert_eq!(
        fs::read_to_string(certs.join("quay.io/hosts.toml")).unwrap(),
        "# mine\nserver = \"https://quay.io\"\n"
    );
    if err.contains("could NOT be restored") {
        return; // said exactly which, which is the promise
    }
    assert!(err.contains("is as it was before"), "{err}");
    let left: Vec<_> = fs::read_dir(&certs)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["quay.io"], "created files removed again");
}
