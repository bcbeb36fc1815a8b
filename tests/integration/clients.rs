//! The proxy drop-in is written or refused (never dropped with exit 0),
//! and the clients' own config (`/etc/crictl.yaml`) as a planned file.

use crate::support::{assert_code, fixture, stderr, stdout, Node};
use std::fs;

const DROP_IN: &str = "/etc/systemd/system/containerd.service.d/http-proxy.conf";

#[test]
fn a_proxy_without_systemd_unit_dirs_is_refused_with_exit_2_and_nothing_written() {
    let bare = Node::with_config(&fixture("containerd-1.6.20-default.toml"));
    let before = bare.snapshot();
    for cmd in [&["plan"][..], &["apply", "--yes"]] {
        let mut args = cmd.to_vec();
        args.extend([
            "--mirror",
            "docker.io=daocloud",
            "--proxy",
            "http://proxy.corp:3128",
        ]);
        let out = bare.run(&args);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("--proxy: "), "{err}");
        assert!(err.contains("no systemd unit directory"), "{err}");
        assert!(err.contains("--root"), "{err}");
        assert!(err.contains("HTTP_PROXY"), "{err}");
        assert!(!stdout(&out).contains("http-proxy.conf"));
    }
    assert_eq!(bare.snapshot(), before, "nothing written, no backup");
    assert_eq!(bare.backup_sets(), 0);

    // From a profile: named by its file:line:col.
    let profile = bare.path("/p.toml");
    fs::write(
        &profile,
        "preset = \"daocloud\"\n\nproxy = \"http://proxy.corp:3128\"\n",
    )
    .unwrap();
    let before = bare.snapshot();
    let out = bare.run(&["apply", "--profile", profile.to_str().unwrap(), "--yes"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:3:9: ", profile.display())),
        "{err}"
    );
    assert_eq!(bare.snapshot(), before);

    // `none` has nothing to remove: planned fine.
    let out = bare.run(&["plan", "--mirror", "docker.io=daocloud", "--proxy", "none"]);
    assert_code(&out, 0);
}

#[test]
fn a_root_tree_with_a_systemd_unit_dir_gets_the_drop_in() {
    // An image that ships containerd.service under /usr/lib only.
    let node = Node::with_config(&fixture("containerd-1.6.20-default.toml"));
    node.write(
        "/usr/lib/systemd/system/containerd.service",
        "[Service]\nExecStart=/usr/bin/containerd\n",
    );
    let out = node.run(&[
        "apply",
        "--mirror",
        "docker.io=daocloud",
        "--proxy",
        "http://proxy.corp:3128",
        "--no-proxy",
        "localhost",
        "--yes",
    ]);
    assert_code(&out, 0);
    assert!(
        node.read(DROP_IN)
            .contains("Environment=\"HTTPS_PROXY=http://proxy.corp:3128\"\n"),
        "{}",
        node.read(DROP_IN)
    );
}
