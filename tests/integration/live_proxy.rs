//! Doctor's proxy verdict (`proxy.no_proxy`) against what containerd's
//! resolver does with the same environment, on each version's real `ctr`.
//! The fetch runs in ctr's own process (1.x always; 2.x with `--local`)
//! through containerd's `remotes/docker/config` transport, whose proxy is
//! Go's `http.ProxyFromEnvironment`: the very rules the daemon applies to
//! the environment a drop-in gives it. (The daemon itself cannot be given
//! a drop-in here: PID 1 is not systemd.)
//!
//! The "Harbor" is `harbor.corp:<port>`, a name no DNS here resolves: only
//! a proxy can reach it. The proxy is a recording one on loopback that
//! forwards to the harness registry, so its log says which requests went
//! through it.

use crate::live::{assert_exit, Live, HUB_IMAGE};
use crate::on_every_containerd;
use crate::support::{Node, RecordingProxy};

on_every_containerd! {
    #[test]
    fn doctor_s_proxy_verdict_is_what_containerd_s_resolver_does(h) {
        let proxy = RecordingProxy::start(h.registry_port);
        let harbor = "harbor.corp:5000";
        let node = Node::with_default_config();
        let out = node.run(&["apply", "--mirror", &format!("docker.io=http://{harbor}"), "--yes"]);
        assert_exit(&out, 0);
        let hosts_dir = node.path("/etc/containerd/certs.d");
        // NO_PROXY as a drop-in sets it; doctor's verdict on that drop-in,
        // then ctr's pull with the same environment.
        let case = |no_proxy: &str| -> (String, Vec<String>, bool) {
            node.write(
                ctrwiz::paths::PROXY_DROP_IN,
                &format!(
                    "[Service]\nEnvironment=\"HTTP_PROXY={p}\" \"HTTPS_PROXY={p}\"\nEnvironment=\"NO_PROXY={no_proxy}\"\n",
                    p = proxy.url()
                ),
            );
            let doctor = node.run(&["doctor", "--json"]);
            let checks: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
            let verdict = checks
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == "proxy.no_proxy")
                .map(|c| c["status"].as_str().unwrap().to_string())
                .unwrap_or_default();
            let before = proxy.seen().len();
            let pulled = pull(&h, &hosts_dir, &proxy.url(), no_proxy);
            let through: Vec<String> = proxy.seen()[before..].to_vec();
            (verdict, through, pulled.status.success())
        };

        // Warned: the proxy carries the pull (and here, being on loopback,
        // it reaches the "Harbor", so the pull even works).
        for no_proxy in ["", "localhost,127.0.0.1,10.0.0.0/8,.svc"] {
            let (verdict, through, ok) = case(no_proxy);
            assert_eq!(verdict, "warn", "NO_PROXY={no_proxy}");
            assert!(
                through.iter().any(|u| u.starts_with(&format!("http://{harbor}/v2/"))),
                "NO_PROXY={no_proxy}: {through:?}"
            );
            assert!(ok, "NO_PROXY={no_proxy}: through the proxy to the registry");
        }
        // Clean: containerd goes straight to the host, past the proxy (and
        // a name no DNS resolves fails the pull; the fallback to Docker Hub
        // may still ask the proxy, for registry-1.docker.io).
        for no_proxy in ["harbor.corp", ".corp", "*.corp", "harbor.corp:5000", "*"] {
            let (verdict, through, ok) = case(no_proxy);
            assert_eq!(verdict, "ok", "NO_PROXY={no_proxy}");
            assert!(
                !through.iter().any(|u| u.contains("harbor.corp")),
                "NO_PROXY={no_proxy}: {through:?}"
            );
            assert!(!ok, "NO_PROXY={no_proxy}: straight to an unresolvable name");
        }
        // A port-specific entry for another port does not exempt it.
        let (verdict, through, _) = case("harbor.corp:6000");
        assert_eq!(verdict, "warn");
        assert!(through.iter().any(|u| u.contains("harbor.corp")), "{through:?}");
    }
}

/// `ctr images pull` of the test image with `hosts_dir`, the fetch in
/// ctr's own process, the proxy variables in its environment; bounded.
fn pull(
    h: &Live,
    hosts_dir: &std::path::Path,
    proxy: &str,
    no_proxy: &str,
) -> std::process::Output {
    let mut args = vec!["images", "pull", "--hosts-dir", hosts_dir.to_str().unwrap()];
    if h.daemon.version().starts_with('2') {
        // 2.x pulls through the daemon's transfer service unless --local.
        args.push("--local");
    }
    args.push(HUB_IMAGE);
    let out = std::process::Command::new("timeout")
        .arg("60")
        .arg(h.bin("ctr"))
        .arg("--address")
        .arg(h.socket())
        .args(["--namespace", "ctrwiz-proxy"])
        .args(&args)
        .env("HTTP_PROXY", proxy)
        .env("HTTPS_PROXY", proxy)
        .env("NO_PROXY", no_proxy)
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    // Leave the store as it was.
    let _ = h.ctr_in("ctrwiz-proxy", &["images", "rm", HUB_IMAGE]);
    out
}
