//! Issue 14's client files proven on the real daemons (1.6.20, 1.7.24,
//! 2.1.9). crictl and nerdctl are not packaged for this machine, so each
//! file is read the way its client reads it and then used through the same
//! code path the client would take:
//! - `/etc/crictl.yaml`: the YAML keys crictl reads (kubernetes-sigs/cri-tools
//!   pkg/common/file.go), each endpoint a `unix://` URL whose path is
//!   dialled (k8s.io/cri-client pkg/util/util_unix.go), then the CRI runtime
//!   and image services asked on that path with ctrwiz's CRI client;
//! - nerdctl's `hosts_dir`: its first dir given to the real `ctr
//!   --hosts-dir`, which resolves hosts.toml with the same containerd
//!   `remotes/docker/config` code as nerdctl (on 2.x both hand the dir to
//!   the daemon's transfer service), and the harness registry's log says
//!   whether the mirror served the pull.
//!
//! The node is a `--root` tree (ctrwiz writes these files under `/etc`,
//! never the machine's own): its containerd is a wrapper running this
//! version's binary, so ctrwiz writes for this version, and its socket
//! `/run/containerd/containerd.sock` is a hard link to the harness's (a
//! unix socket is reached through any link to its inode), so a node path
//! from a written file, taken inside the tree, reaches the live daemon.

use crate::live::{assert_exit, text, Live, HUB_IMAGE, IMAGE_REPO, IMAGE_TAG};
use crate::on_every_containerd;
use crate::support::ctrwiz_on;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// The node's default socket (crictl's first default endpoint too).
const NODE_SOCKET: &str = "/run/containerd/containerd.sock";
/// nerdctl's hosts dirs when its config sets none (containerd/nerdctl
/// pkg/defaults/defaults_linux.go `HostsDirs`, rootful).
const NERDCTL_DEFAULT_HOSTS_DIRS: [&str; 2] = ["/etc/containerd/certs.d", "/etc/docker/certs.d"];
/// The keys crictl accepts; any other makes it ignore the file.
const CRICTL_KEYS: [&str; 7] = [
    "runtime-endpoint",
    "image-endpoint",
    "timeout",
    "debug",
    "pull-image-on-create",
    "disable-pull-on-run",
    "max-retries",
];

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(h: &Live) -> Tree {
        // Beside the harness dir: a hard link needs the same filesystem.
        let dir = tempfile::Builder::new()
            .prefix("cwtree")
            .tempdir_in(h.dir.parent().unwrap())
            .unwrap();
        let tree = Tree { dir };
        tree.write("/etc/containerd/config.toml", &h.pristine_config);
        let wrapper = tree.path("/usr/bin/containerd");
        tree.write(
            "/usr/bin/containerd",
            &format!("#!/bin/sh\nexec {} \"$@\"\n", h.bin("containerd").display()),
        );
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
        let socket = tree.path(NODE_SOCKET);
        fs::create_dir_all(socket.parent().unwrap()).unwrap();
        fs::hard_link(h.socket(), &socket).unwrap();
        // ctrwiz sees this version in the tree (the wrapper works).
        let detect = tree.ctrwiz(&["detect", "--json"]);
        assert_exit(&detect, 0);
        let v: serde_json::Value = serde_json::from_slice(&detect.stdout).unwrap();
        let containerd = crate::support::detected_tool(&v, "containerd");
        assert_eq!(containerd["version"], h.daemon.version(), "{containerd}");
        tree
    }

    /// The real path of a node path (the tree has no symlinks).
    fn path(&self, node_path: impl AsRef<Path>) -> PathBuf {
        let p = node_path.as_ref();
        self.dir.path().join(p.strip_prefix("/").unwrap_or(p))
    }

    fn write(&self, node_path: &str, text: &str) {
        let p = self.path(node_path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn read(&self, node_path: &str) -> String {
        fs::read_to_string(self.path(node_path)).unwrap_or_else(|e| panic!("{node_path}: {e}"))
    }

    fn ctrwiz(&self, args: &[&str]) -> Output {
        ctrwiz_on(self.dir.path(), args, &[]).output().unwrap()
    }
}

/// The sockets crictl dials with this crictl.yaml (runtime, image), as
/// node paths: every key one crictl knows, each endpoint `unix://<path>`,
/// an absent or empty image-endpoint meaning the runtime endpoint
/// (cri-tools cmd/crictl/crictl_config.go `GetImageService`).
fn crictl_endpoints(text: &str) -> Result<(PathBuf, PathBuf), String> {
    let map: serde_yaml::Mapping = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    for key in map.keys() {
        let key = key.as_str().unwrap_or_default();
        if !CRICTL_KEYS.contains(&key) {
            return Err(format!("crictl rejects the file: unknown key {key:?}"));
        }
    }
    let get = |k: &str| {
        map.get(k)
            .and_then(serde_yaml::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let dial = |endpoint: &str| -> Result<PathBuf, String> {
        let path = endpoint
            .strip_prefix("unix://")
            .ok_or_else(|| format!("not a unix:// endpoint: {endpoint:?}"))?;
        // No URL syntax in the test's socket paths: the path is taken as is.
        assert!(!path.contains(['%', '?', '#']), "{path}");
        Ok(PathBuf::from(path))
    };
    let runtime = get("runtime-endpoint");
    let image = Some(get("image-endpoint"))
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| runtime.clone());
    Ok((dial(&runtime)?, dial(&image)?))
}

/// What `crictl version` and `crictl inspecti` would get on the node with
/// this crictl.yaml: the runtime's name and version, and whether the image
/// service finds `image`.
fn crictl_view(tree: &Tree, text: &str, image: &str) -> Result<(String, String, bool), String> {
    let (runtime, images) = crictl_endpoints(text)?;
    let t = Duration::from_secs(10);
    let (name, version) = ctrwiz::cri::runtime_version(&tree.path(runtime), t)?;
    let found = ctrwiz::cri::image_id(&tree.path(images), image, t)?;
    Ok((name, version, found.is_some()))
}

/// A port on loopback that nothing listens on: the upstream of a registry
/// name that only a mirror can serve (no test reaches the internet).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Manifest requests the harness registry saw for the test image that a
/// containerd sent as a mirror of `registry` (`?ns=<registry>`).
fn mirrored_for(h: &Live, registry: &str) -> usize {
    let escaped = registry.replace(':', "%3A");
    h.manifest_requests()
        .iter()
        .filter(|r| r.ends_with(&format!("ns={registry}")) || r.ends_with(&format!("ns={escaped}")))
        .count()
}

on_every_containerd! {
    #[test]
    fn the_crictl_yaml_ctrwiz_writes_reaches_the_daemon_s_runtime_and_image_services(h) {
        let tree = Tree::new(&h);
        // An image in the CRI's store (containerd's k8s.io namespace), put
        // there locally: the image endpoint must see this store.
        let import = h.ctr_in(
            "k8s.io",
            &[
                "images",
                "import",
                "--no-unpack",
                "--base-name",
                &HUB_IMAGE.replace(&format!(":{IMAGE_TAG}"), ""),
                h.dir.join("image.tar").to_str().unwrap(),
            ],
        );
        assert!(import.status.success(), "{}", text(&import));

        // The user's file points at dockershim: crictl reaches nothing.
        let mine = "# by hand\nruntime-endpoint: unix:///var/run/dockershim.sock\ntimeout: 2\n";
        tree.write("/etc/crictl.yaml", mine);
        let before = crictl_view(&tree, mine, HUB_IMAGE);
        assert!(before.is_err(), "dockershim's endpoint answers nothing here: {before:?}");

        let out = tree.ctrwiz(&["apply", "--crictl", "--yes"]);
        assert_exit(&out, 0);
        let written = tree.read("/etc/crictl.yaml");
        assert!(written.starts_with("# by hand\n"), "{written}");
        assert!(written.contains("timeout: 2\n"), "the user's timeout stays: {written}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let (name, version, found) = loop {
            // CRI learns of an imported image from containerd's events.
            let view = crictl_view(&tree, &written, HUB_IMAGE)
                .unwrap_or_else(|e| panic!("{e}\n{written}"));
            if view.2 || Instant::now() > deadline {
                break view;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        assert_eq!(name, "containerd");
        assert!(
            version.trim_start_matches('v').starts_with(h.daemon.version()),
            "the endpoint is this daemon: {version}"
        );
        assert!(found, "the image endpoint sees the CRI store's {HUB_IMAGE}");
    }

    #[test]
    fn nerdctl_s_first_hosts_dir_from_the_written_file_pulls_through_the_mirror(h) {
        let tree = Tree::new(&h);
        // A registry name only the mirror can serve: its own address is a
        // dead loopback port.
        let registry = format!("127.0.0.1:{}", dead_port());
        let image = format!("{registry}/{IMAGE_REPO}:{IMAGE_TAG}");
        let mirror = format!("{registry}={}", h.mirror_url());
        let pull = |dir: &Path| {
            h.ctr(&["images", "pull", "--hosts-dir", dir.to_str().unwrap(), &image])
        };

        // The mirror in a hosts dir that is not nerdctl's default, and no
        // nerdctl.toml: nerdctl keeps its defaults and misses the mirror.
        let out = tree.ctrwiz(&["--hosts-dir", "/srv/certs.d", "apply", "--mirror", &mirror, "--yes"]);
        assert_exit(&out, 0);
        assert!(!tree.path("/etc/nerdctl/nerdctl.toml").exists());
        let host_dir = registry.replace(':', "_") + "_";
        assert!(tree.path("/srv/certs.d").join(&host_dir).join("hosts.toml").is_file());
        for d in NERDCTL_DEFAULT_HOSTS_DIRS {
            assert!(!tree.path(d).exists(), "nothing for nerdctl's default {d}");
        }
        let missed = pull(&tree.path(NERDCTL_DEFAULT_HOSTS_DIRS[0]));
        assert!(!missed.status.success(), "only the mirror has it: {}", text(&missed));
        assert_eq!(mirrored_for(&h, &registry), 0, "{}", h.registry_log());

        // The user's own file lists the dir, but not first: nerdctl 2.3+ on
        // containerd 2.x pulls through hosts_dir[0] only (the pull above).
        // --nerdctl puts it first, keeping the user's other key.
        tree.write(
            "/etc/nerdctl/nerdctl.toml",
            "namespace = \"k8s.io\"\nhosts_dir = [\"/etc/containerd/certs.d\", \"/srv/certs.d\"]\n",
        );
        let out = tree.ctrwiz(&["--hosts-dir", "/srv/certs.d", "apply", "--mirror", &mirror, "--nerdctl", "--yes"]);
        assert_exit(&out, 0);
        let doc: toml::Table = toml::from_str(&tree.read("/etc/nerdctl/nerdctl.toml")).unwrap();
        let first = doc["hosts_dir"].as_array().unwrap()[0].as_str().unwrap().to_string();
        assert_eq!(first, "/srv/certs.d");
        assert_eq!(doc["namespace"].as_str(), Some("k8s.io"));
        let served = pull(&tree.path(&first));
        assert!(served.status.success(), "{}\n{}", text(&served), h.registry_log());
        assert!(mirrored_for(&h, &registry) > 0, "the mirror served it: {:?}", h.manifest_requests());
    }
}
