//! The shared end-to-end harness: one real containerd per version of the
//! matrix (Debian 12's 1.6.20 from the system, 1.7.24 from trixie and
//! 2.1.9 from sid, unpacked by `scripts/containerd-versions`), each with
//! its own config, root, state and socket in a temp dir, and its own real
//! registry (`docker-registry` on 127.0.0.1) holding an image built here.
//! Tests take a harness through its mutex, reset it, and use it in turn;
//! the three versions run side by side.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

pub const IMAGE_REPO: &str = "library/ctrwiz-e2e";
pub const IMAGE_TAG: &str = "1";
/// What kubelet would ask for: Docker Hub's name for the test image.
pub const HUB_IMAGE: &str = "docker.io/library/ctrwiz-e2e:1";
/// The sandbox ("pause") image built from Debian's busybox-static, in each
/// harness registry; Docker Hub's name for it, pulled through the mirror.
pub const PAUSE_REPO: &str = "library/ctrwiz-pause";
pub const HUB_PAUSE: &str = "docker.io/library/ctrwiz-pause:1";
/// busybox-static's binary, the pause image's only file.
const BUSYBOX: &str = "/bin/busybox";

/// The containerd versions every live test of the matrix runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Daemon {
    /// Debian 12's package, installed on the system by `scripts/test`.
    V1_6,
    /// Debian trixie's package, unpacked into the cache.
    V1_7,
    /// Debian sid's package, unpacked into the cache.
    V2_1,
}

impl Daemon {
    pub fn version(self) -> &'static str {
        match self {
            Daemon::V1_6 => "1.6.20",
            Daemon::V1_7 => "1.7.24",
            Daemon::V2_1 => "2.1.9",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    pub fn is_2x(self) -> bool {
        self == Daemon::V2_1
    }

    /// The directory holding this version's `containerd`, `ctr` and shim.
    fn bin_dir(self) -> Result<PathBuf, String> {
        let dir = match self {
            Daemon::V1_6 => which("containerd")
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .ok_or("containerd is not installed (scripts/test installs it)")?,
            _ => cache_dir().join(self.version()).join("usr/bin"),
        };
        for tool in ["containerd", "ctr", "containerd-shim-runc-v2"] {
            if !dir.join(tool).is_file() {
                return Err(format!(
                    "containerd {} has no {tool} in {} (scripts/containerd-versions fetches it)",
                    self.version(),
                    dir.display()
                ));
            }
        }
        Ok(dir)
    }
}

/// Where `scripts/containerd-versions` unpacks the daemons.
fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CTRWIZ_CONTAINERD_CACHE") {
        return d.into();
    }
    let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
        PathBuf::from,
    );
    base.join("ctrwiz/containerd")
}

pub struct Live {
    pub daemon: Daemon,
    pub dir: PathBuf,
    pub registry_port: u16,
    bin: PathBuf,
    registry: Child,
    /// The config containerd was set up with (from `containerd config default`).
    pub pristine_config: String,
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.registry.kill();
        let _ = self.registry.wait();
        stop_containerd(&self.dir);
    }
}

/// Why the e2e tests of `daemon` cannot run here, if they cannot.
fn missing(daemon: Daemon) -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (containerd needs root)".into());
    }
    if !Path::new(BUSYBOX).is_file() {
        return Some(format!(
            "{BUSYBOX} is missing (busybox-static; scripts/test installs it)"
        ));
    }
    for tool in ["runc", "docker-registry"] {
        if which(tool).is_none() {
            return Some(format!(
                "{tool} is not installed (scripts/test installs it)"
            ));
        }
    }
    daemon.bin_dir().err()
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

static LIVE: [OnceLock<Option<Mutex<Live>>>; 3] =
    [OnceLock::new(), OnceLock::new(), OnceLock::new()];

/// A static is never dropped: stop the daemons and remove the temp dirs
/// when the test process exits, so nothing outlives the suite.
static CLEANUP: Mutex<Vec<(PathBuf, i32)>> = Mutex::new(Vec::new());

extern "C" fn cleanup_at_exit() {
    let list = CLEANUP.lock().map(|l| l.clone()).unwrap_or_default();
    for (dir, registry) in list {
        // SAFETY: signalling the registry this harness started.
        unsafe { libc::kill(registry, libc::SIGKILL) };
        stop_containerd(&dir);
        let _ = fs::remove_dir_all(&dir);
    }
}

/// The 1.6 harness (Debian 12's own containerd), for the tests that are
/// about ctrwiz rather than about a containerd version.
pub fn live() -> Option<MutexGuard<'static, Live>> {
    live_at(Daemon::V1_6)
}

/// The harness of `daemon`, exclusively, in its pristine state
/// (containerd running on its own `containerd config default`, no
/// certs.d, registry holding the image); `None` with a printed reason when
/// this machine cannot run it, unless `CTRWIZ_REQUIRE_E2E=1`, which turns
/// the reason into a failure.
pub fn live_at(daemon: Daemon) -> Option<MutexGuard<'static, Live>> {
    let cell = LIVE[daemon.index()].get_or_init(|| match missing(daemon) {
        Some(why) => {
            if std::env::var_os("CTRWIZ_REQUIRE_E2E").is_some() {
                panic!(
                    "CTRWIZ_REQUIRE_E2E=1 but the e2e tests of containerd {} cannot run: {why}",
                    daemon.version()
                );
            }
            eprintln!("skipping e2e on containerd {}: {why}", daemon.version());
            None
        }
        None => Some(Mutex::new(Live::start(daemon))),
    });
    let mut guard = cell.as_ref()?.lock().unwrap_or_else(|p| p.into_inner());
    guard.reset();
    Some(guard)
}

/// An output's stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
}

/// A CRI pull of the test image under Docker Hub's name (kubelet's path).
pub fn cri_pull(h: &Live) -> Result<String, String> {
    ctrwiz::cri::pull_image(&h.socket(), HUB_IMAGE, Duration::from_secs(60))
}

/// `--mirror docker.io=<this harness's registry>`.
pub fn mirror_flag(h: &Live) -> String {
    format!("docker.io={}", h.mirror_url())
}

/// The harness's restart script run by hand (not by ctrwiz), then a
/// moment for the daemon to load its plugins.
pub fn restart_by_hand(h: &Live) {
    let restart = Command::new("sh")
        .arg(h.dir.join("restart.sh"))
        .status()
        .unwrap();
    assert!(restart.success());
    std::thread::sleep(Duration::from_secs(2));
}

/// containerd's effective config (`config dump` of this version's binary).
pub fn config_dump(h: &Live) -> String {
    let out = std::process::Command::new(h.bin("containerd"))
        .arg("--config")
        .arg(h.config())
        .args(["config", "dump"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One test body run on every containerd of the matrix: each becomes a
/// module with a test per version (`<name>::containerd_1_6` …).
#[macro_export]
macro_rules! on_every_containerd {
    ($(#[test] fn $name:ident($h:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::live::Daemon;
            fn run(daemon: Daemon) {
                let Some($h) = $crate::live::live_at(daemon) else { return };
                $body
            }
            #[test]
            fn containerd_1_6() { run(Daemon::V1_6) }
            #[test]
            fn containerd_1_7() { run(Daemon::V1_7) }
            #[test]
            fn containerd_2_1() { run(Daemon::V2_1) }
        }
    )*};
}

/// Harness dirs of test runs that were killed (no atexit ran): stop their
/// daemons and registries and remove the dirs, so a killed run does not
/// leave containerd running.
fn sweep_stale_harnesses() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for entry in fs::read_dir("/tmp").into_iter().flatten().flatten() {
            let dir = entry.path();
            if !entry.file_name().to_string_lossy().starts_with("cw") {
                continue;
            }
            let Ok(owner) = fs::read_to_string(dir.join("owner")) else {
                continue;
            };
            let mut ids = owner
                .split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok());
            let (Some(test), registry) = (ids.next(), ids.next()) else {
                continue;
            };
            // SAFETY: signal 0 only asks whether the process exists.
            if unsafe { libc::kill(test, 0) } == 0 {
                continue;
            }
            // Only if that pid is still that run's registry (not reused).
            let ours = |pid: i32| {
                fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&*dir.to_string_lossy()))
            };
            if let Some(r) = registry.filter(|&r| ours(r)) {
                // SAFETY: the registry that dead run started.
                unsafe { libc::kill(r, libc::SIGKILL) };
            }
            stop_containerd(&dir);
            let _ = fs::remove_dir_all(&dir);
        }
    });
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < timeout,
            "{what} did not happen within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Live {
    fn start(daemon: Daemon) -> Live {
        sweep_stale_harnesses();
        let bin = daemon.bin_dir().expect("checked by missing()");
        // Unix socket paths are limited to 108 bytes: keep the dir short.
        let dir = tempfile::Builder::new()
            .prefix("cw")
            .tempdir_in("/tmp")
            .unwrap()
            .keep();
        let registry_port = free_port();
        let registry = start_registry(&dir, registry_port);
        fs::write(
            dir.join("owner"),
            format!("{} {}", std::process::id(), registry.id()),
        )
        .unwrap();

        let default = run_ok(Command::new(bin.join("containerd")).args(["config", "default"]));
        let pristine_config = harness_config(&String::from_utf8_lossy(&default.stdout), &dir);
        fs::write(dir.join("config.toml"), &pristine_config).unwrap();
        write_restart_script(&dir, &bin);
        let mut cleanup = CLEANUP.lock().unwrap();
        if cleanup.is_empty() {
            // SAFETY: registering a plain extern "C" fn; it runs once at exit.
            unsafe { libc::atexit(cleanup_at_exit) };
        }
        cleanup.push((dir.clone(), registry.id() as i32));
        drop(cleanup);
        let live = Live {
            daemon,
            dir,
            registry_port,
            bin,
            registry,
            pristine_config,
        };
        live.start_containerd();
        let server = live.server_version();
        assert_eq!(
            server.as_deref(),
            Some(daemon.version()),
            "the harness runs the containerd it was asked for"
        );
        live.push_test_image();
        live
    }

    /// The version the daemon on the socket reports (`ctr version`).
    pub fn server_version(&self) -> Option<String> {
        let out = self.ctr(&["version"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let server = text.split("Server:").nth(1)?;
        let line = server
            .lines()
            .find(|l| l.trim_start().starts_with("Version:"))?;
        let v = line.split(':').nth(1)?.trim().trim_start_matches('v');
        Some(v.split(['~', '+', '-']).next()?.to_string())
    }

    /// This version's own binaries.
    pub fn bin(&self, tool: &str) -> PathBuf {
        self.bin.join(tool)
    }

    /// `PATH` with this version's binaries first, as on a node that runs it.
    pub fn path_env(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.bin.clone()];
        if let Some(p) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&p));
        }
        std::env::join_paths(dirs).unwrap()
    }

    /// The CRI registry table's path in this version's config
    /// (`version = 2` on 1.x, `version = 3` on 2.x).
    pub fn registry_table(&self) -> [&'static str; 3] {
        if self.daemon.is_2x() {
            ["plugins", "io.containerd.cri.v1.images", "registry"]
        } else {
            ["plugins", "io.containerd.grpc.v1.cri", "registry"]
        }
    }

    /// The pristine config with `edit` applied to its CRI registry table.
    pub fn pristine_with(&self, edit: impl FnOnce(&mut toml_edit::Table)) -> String {
        let mut doc: toml_edit::DocumentMut = self.pristine_config.parse().unwrap();
        let [a, b, c] = self.registry_table();
        let table = doc[a][b][c].as_table_mut().expect("the registry table");
        edit(table);
        doc.to_string()
    }

    /// Debian's shipped /etc/containerd/config.toml of this version's
    /// package (`version = 2`, CNI in /usr/lib/cni; the same file in 1.6.20,
    /// 1.7.24 and 2.1.9), with this harness's root, state and sockets.
    pub fn debian_config(&self) -> String {
        let shipped = match self.daemon {
            Daemon::V1_6 => PathBuf::from("/etc/containerd/config.toml"),
            _ => self.bin.join("../../etc/containerd/config.toml"),
        };
        let text = fs::read_to_string(&shipped)
            .unwrap_or_else(|e| panic!("Debian's shipped config {}: {e}", shipped.display()));
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let d = &self.dir;
        doc["root"] = toml_edit::value(d.join("root").to_str().unwrap());
        doc["state"] = toml_edit::value(d.join("state").to_str().unwrap());
        doc["grpc"]["address"] = toml_edit::value(d.join("c.sock").to_str().unwrap());
        doc["ttrpc"]["address"] = toml_edit::value(d.join("c.sock.ttrpc").to_str().unwrap());
        let cri = &mut doc["plugins"]["io.containerd.grpc.v1.cri"];
        cri["stream_server_port"] = toml_edit::value("0");
        cri["cni"]["conf_dir"] = toml_edit::value(d.join("net.d").to_str().unwrap());
        doc["plugins"]["io.containerd.nri.v1.nri"]["socket_path"] =
            toml_edit::value(d.join("nri.sock").to_str().unwrap());
        doc["plugins"]["io.containerd.internal.v1.opt"]["path"] =
            toml_edit::value(d.join("opt").to_str().unwrap());
        doc.to_string()
    }

    /// The CRI registry's `config_path` in a config's text ("" when unset).
    pub fn config_path_in(&self, config: &str) -> String {
        let doc: toml_edit::DocumentMut = config.parse().unwrap();
        let [a, b, c] = self.registry_table();
        doc[a][b][c]["config_path"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("c.sock")
    }
    pub fn config(&self) -> PathBuf {
        self.dir.join("config.toml")
    }
    pub fn hosts_dir(&self) -> PathBuf {
        self.dir.join("certs.d")
    }
    pub fn mirror_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.registry_port)
    }

    /// Back to pristine: original config, no certs.d, no pending state,
    /// containerd up, the test image absent from containerd's store.
    fn reset(&mut self) {
        let _ = fs::remove_dir_all(self.hosts_dir());
        let _ = fs::remove_dir_all(self.dir.join("state-ctrwiz"));
        let _ = fs::remove_file(self.dir.join("restarts.log"));
        let current = fs::read_to_string(self.config()).unwrap_or_default();
        if current != self.pristine_config || !self.cri_loaded() {
            fs::write(self.config(), &self.pristine_config).unwrap();
            stop_containerd(&self.dir);
            self.start_containerd();
        }
        let _ = fs::remove_file(self.dir.join("restarts.log"));
        // A test that failed half-way may leave a sandbox: the next test
        // starts from none.
        let left = self.sandbox_containers();
        if !left.is_empty() {
            let _ = ctrwiz::apply::health::remove_health_sandboxes(
                &self.socket(),
                Duration::from_secs(30),
            );
            for c in self.sandbox_containers() {
                let _ = self.ctr_in("k8s.io", &["tasks", "kill", "-s", "KILL", &c]);
                std::thread::sleep(Duration::from_millis(300));
                let _ = self.ctr_in("k8s.io", &["containers", "rm", &c]);
            }
        }
        for ns in ["default", "k8s.io"] {
            let list = self.ctr_in(ns, &["images", "ls", "-q"]);
            for image in String::from_utf8_lossy(&list.stdout)
                .lines()
                .filter(|l| l.contains("ctrwiz-e2e") || l.contains("ctrwiz-pause"))
            {
                let _ = self.ctr_in(ns, &["images", "rm", "--sync", image]);
            }
            // Content (blobs) too, so a pull must go to the network again.
            let _ = self.ctr_in(ns, &["content", "prune", "references"]);
        }
        self.truncate_registry_log();
    }

    fn start_containerd(&self) {
        let out = run_ok(Command::new("sh").arg(self.dir.join("restart.sh")));
        assert!(out.status.success());
        let _ = fs::remove_file(self.dir.join("restarts.log"));
        wait_until("containerd answers", Duration::from_secs(30), || {
            self.ctr(&["version"]).status.success()
        });
    }

    pub fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_in("default", args)
    }

    /// CRI keeps its images in the `k8s.io` namespace.
    pub fn ctr_in(&self, namespace: &str, args: &[&str]) -> Output {
        Command::new(self.bin("ctr"))
            .arg("--address")
            .arg(self.socket())
            .args(["--connect-timeout", "2s", "--namespace", namespace])
            .args(args)
            .output()
            .unwrap()
    }

    /// The `io.containerd.grpc.v1 cri` row of `ctr plugins ls` says `ok`
    /// (on 2.x also the images plugin, which holds the registry config).
    pub fn cri_loaded(&self) -> bool {
        let out = self.ctr(&["plugins", "ls"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let ok = |kind: &str, id: &str| {
            text.lines().any(|l| {
                let c: Vec<&str> = l.split_whitespace().collect();
                c.first() == Some(&kind) && c.get(1) == Some(&id) && c.last() == Some(&"ok")
            })
        };
        ok("io.containerd.grpc.v1", "cri")
            && (!self.daemon.is_2x() || ok("io.containerd.cri.v1", "images"))
    }

    /// The CRI sandbox containers in containerd's `k8s.io` namespace, as
    /// `ctr` sees them (independent of ctrwiz's CRI client): what a pod
    /// sandbox leaves behind until it is removed.
    pub fn sandbox_containers(&self) -> Vec<String> {
        let out = self.ctr_in(
            "k8s.io",
            &[
                "containers",
                "ls",
                "-q",
                "labels.\"io.cri-containerd.kind\"==sandbox",
            ],
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// How many times ctrwiz ran the restart command since the reset.
    pub fn restarts(&self) -> usize {
        fs::read_to_string(self.dir.join("restarts.log")).map_or(0, |s| s.lines().count())
    }

    pub fn registry_log(&self) -> String {
        fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    fn truncate_registry_log(&self) {
        // The registry appends; cut what earlier tests caused.
        let _ = fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join("registry.log"))
            .and_then(|f| f.set_len(0));
    }

    /// Registry requests for the test image's manifest, with their query.
    pub fn manifest_requests(&self) -> Vec<String> {
        self.registry_log()
            .lines()
            .filter(|l| l.contains(&format!("/v2/{IMAGE_REPO}/manifests/")))
            .filter_map(|l| {
                l.split("http.request.uri=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .map(str::to_string)
            })
            .collect()
    }

    /// ctrwiz with the global flags that point it at this containerd.
    pub fn ctrwiz(&self, args: &[&str]) -> Output {
        self.ctrwiz_restarting_with(
            &format!("sh {}", self.dir.join("restart.sh").display()),
            args,
        )
    }

    /// The same, with another restart command (to make restarts fail).
    pub fn ctrwiz_restarting_with(&self, restart_cmd: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ctrwiz"))
            .env("LC_ALL", "C.UTF-8")
            .env("PATH", self.path_env())
            .arg("--config")
            .arg(self.config())
            .arg("--hosts-dir")
            .arg(self.hosts_dir())
            .arg("--address")
            .arg(self.socket())
            .arg("--state-dir")
            .arg(self.dir.join("state-ctrwiz"))
            .arg("--restart-cmd")
            .arg(restart_cmd)
            .args(["--health-timeout", "30"])
            // The pod check needs a config that names the harness's pause
            // image; the tests that are about it ask for `--health pod`.
            .args(["--health", "cri"])
            .args(args)
            .env("CTRWIZ_CONFIG_DIR", self.dir.join("user-config"))
            .output()
            .unwrap()
    }

    /// The same invocation as a shell command line (for the wizard in tmux).
    pub fn ctrwiz_command_line(&self, args: &[&str]) -> String {
        format!(
            "PATH={path} LC_ALL=C.UTF-8 CTRWIZ_CONFIG_DIR={d}/user-config {bin} --config {d}/config.toml --hosts-dir {d}/certs.d --address {d}/c.sock --state-dir {d}/state-ctrwiz --restart-cmd 'sh {d}/restart.sh' --health-timeout 30 --health cri {}",
            args.join(" "),
            d = self.dir.display(),
            path = self.path_env().to_string_lossy(),
            bin = env!("CARGO_BIN_EXE_ctrwiz")
        )
    }

    fn push_test_image(&self) {
        let tar = self.dir.join("image.tar");
        build_oci_archive(&tar);
        let local = format!("127.0.0.1:{}/{IMAGE_REPO}:{IMAGE_TAG}", self.registry_port);
        let import = self.ctr(&[
            "images",
            "import",
            "--no-unpack",
            "--base-name",
            &local.replace(&format!(":{IMAGE_TAG}"), ""),
            tar.to_str().unwrap(),
        ]);
        assert!(
            import.status.success(),
            "ctr import: {}",
            String::from_utf8_lossy(&import.stderr)
        );
        // Also as library/busybox:latest, the image ctrwiz's probe and
        // doctor ask a docker.io mirror for: this registry is a mirror.
        let busybox = format!("127.0.0.1:{}/library/busybox:latest", self.registry_port);
        let tag = self.ctr(&["images", "tag", &local, &busybox]);
        assert!(
            tag.status.success(),
            "ctr tag: {}",
            String::from_utf8_lossy(&tag.stderr)
        );
        let pause_tar = self.dir.join("pause.tar");
        build_pause_archive(&pause_tar);
        let pause = format!("127.0.0.1:{}/{PAUSE_REPO}", self.registry_port);
        let import = self.ctr(&[
            "images",
            "import",
            "--no-unpack",
            "--base-name",
            &pause,
            pause_tar.to_str().unwrap(),
        ]);
        assert!(
            import.status.success(),
            "ctr import: {}",
            String::from_utf8_lossy(&import.stderr)
        );
        let pause = format!("{pause}:{IMAGE_TAG}");
        for name in [&local, &busybox, &pause] {
            let push = self.ctr(&["images", "push", "--plain-http", name]);
            assert!(
                push.status.success(),
                "ctr push: {}",
                String::from_utf8_lossy(&push.stderr)
            );
        }
    }
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn start_registry(dir: &Path, port: u16) -> Child {
    let cfg = dir.join("registry.yml");
    fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("registry-data").display()
        ),
    )
    .unwrap();
    let log = fs::File::create(dir.join("registry.log")).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_until("the registry answers", Duration::from_secs(15), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    child
}

/// `containerd config default` with root, state and sockets in `dir`;
/// everything else (the CRI registry section included) untouched.
fn harness_config(default: &str, dir: &Path) -> String {
    let mut doc: toml_edit::DocumentMut = default.parse().unwrap();
    doc["root"] = toml_edit::value(dir.join("root").to_str().unwrap());
    doc["state"] = toml_edit::value(dir.join("state").to_str().unwrap());
    doc["grpc"]["address"] = toml_edit::value(dir.join("c.sock").to_str().unwrap());
    if doc.get("ttrpc").is_some() {
        doc["ttrpc"]["address"] = toml_edit::value(dir.join("c.sock.ttrpc").to_str().unwrap());
    }
    if doc.get("debug").is_some() {
        doc["debug"]["address"] = toml_edit::value("");
    }
    // No CNI config dir of the host's, no stream server port clash, no
    // NRI socket beside the host's (2.x enables NRI by default).
    let plugins = &mut doc["plugins"];
    plugins["io.containerd.grpc.v1.cri"]["stream_server_port"] = toml_edit::value("0");
    let net_d = toml_edit::value(dir.join("net.d").to_str().unwrap());
    if plugins.get("io.containerd.cri.v1.runtime").is_some() {
        plugins["io.containerd.cri.v1.runtime"]["cni"]["conf_dir"] = net_d;
    } else {
        plugins["io.containerd.grpc.v1.cri"]["cni"]["conf_dir"] = net_d;
    }
    if plugins.get("io.containerd.nri.v1.nri").is_some() {
        plugins["io.containerd.nri.v1.nri"]["socket_path"] =
            toml_edit::value(dir.join("nri.sock").to_str().unwrap());
    }
    doc.to_string()
}

/// The restart command ctrwiz runs: stop the daemon of this harness,
/// start a new one detached, count the restart.
fn write_restart_script(dir: &Path, bin: &Path) {
    write_runc_wrapper(dir);
    let d = dir.display();
    let b = bin.display();
    // The shim is found on PATH: this version's own first; `runc` (the
    // shim's default binary) is the wrapper.
    let script = format!(
        "#!/bin/sh\n\
         echo restart >> {d}/restarts.log\n\
         export PATH={d}/wrap:{b}:$PATH\n\
         if [ -f {d}/containerd.pid ]; then\n\
           pid=$(cat {d}/containerd.pid); kill $pid 2>/dev/null\n\
           i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n\
         fi\n\
         rm -f {d}/c.sock\n\
         setsid {b}/containerd --config {d}/config.toml >> {d}/containerd.log 2>&1 < /dev/null &\n\
         echo $! > {d}/containerd.pid\n"
    );
    fs::write(dir.join("restart.sh"), script).unwrap();
}

/// A test-environment fix, never shipped: this process lacks
/// CAP_SYS_RESOURCE, so runc cannot set the `oom_score_adj` of -998 the CRI
/// asks for a sandbox (every sandbox would fail for that alone). The
/// wrapper raises a negative `oomScoreAdj` in the bundle's config.json to
/// this process's own value, then runs the real runc. It is `runc` on the
/// daemon's PATH, so it serves configs with and without a runc table.
fn write_runc_wrapper(dir: &Path) {
    let runc = which("runc").expect("checked by missing()");
    let wrap = dir.join("wrap");
    fs::create_dir_all(&wrap).unwrap();
    let script = format!(
        "#!/bin/sh\n\
         bundle=\n\
         prev=\n\
         for a in \"$@\"; do\n\
           case \"$prev\" in --bundle|-b) bundle=$a ;; esac\n\
           case \"$a\" in --bundle=*) bundle=${{a#--bundle=}} ;; esac\n\
           prev=$a\n\
         done\n\
         if [ -n \"$bundle\" ] && [ -f \"$bundle/config.json\" ]; then\n\
           own=$(cat /proc/self/oom_score_adj)\n\
           sed -i \"s/\\\"oomScoreAdj\\\":-[0-9]*/\\\"oomScoreAdj\\\":$own/\" \"$bundle/config.json\"\n\
         fi\n\
         exec {} \"$@\"\n",
        runc.display()
    );
    let path = wrap.join("runc");
    fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn stop_containerd(dir: &Path) {
    if let Ok(pid) = fs::read_to_string(dir.join("containerd.pid")) {
        if let Ok(pid) = pid.trim().parse::<i32>() {
            // SAFETY: signalling the daemon this harness started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let start = Instant::now();
            // SAFETY: signal 0 only checks that the process exists.
            while unsafe { libc::kill(pid, 0) } == 0 && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// The sandbox image: one layer holding Debian's busybox-static as
/// `/bin/busybox`, whose entrypoint sleeps until the sandbox is stopped
/// (containerd stops a sandbox with SIGKILL).
fn build_pause_archive(path: &Path) {
    let busybox = fs::read(BUSYBOX).unwrap();
    let mut layer = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_size(0);
    dir.set_mode(0o755);
    dir.set_cksum();
    layer.append_data(&mut dir, "bin/", &[][..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(busybox.len() as u64);
    h.set_mode(0o755);
    h.set_cksum();
    layer
        .append_data(&mut h, "bin/busybox", &busybox[..])
        .unwrap();
    let entrypoint = serde_json::json!([
        "/bin/busybox",
        "sh",
        "-c",
        "while :; do /bin/busybox sleep 3600; done"
    ]);
    write_oci_archive(path, layer.into_inner().unwrap(), entrypoint);
}

/// A one-layer OCI image (a single small file) as an OCI archive, built
/// here so the tests need nothing from outside.
fn build_oci_archive(path: &Path) {
    let mut layer = tar::Builder::new(Vec::new());
    let data = b"served by the ctrwiz e2e registry\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    layer.append_data(&mut h, "hello.txt", &data[..]).unwrap();
    let layer = layer.into_inner().unwrap();
    write_oci_archive(path, layer, serde_json::json!(["/hello.txt"]));
}

/// An OCI archive of one image: `layer` (an uncompressed tar) and `cmd`.
fn write_oci_archive(path: &Path, layer: Vec<u8>, cmd: serde_json::Value) {
    use sha2::{Digest, Sha256};
    let digest = |b: &[u8]| format!("sha256:{:x}", Sha256::digest(b));
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let config = serde_json::json!({
        "architecture": arch, "os": "linux",
        "config": {"Cmd": cmd},
        "rootfs": {"type": "layers", "diff_ids": [digest(&layer)]}
    })
    .to_string()
    .into_bytes();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(&layer), "size": layer.len()}]
    })
    .to_string()
    .into_bytes();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(&manifest), "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": IMAGE_TAG},
            "platform": {"architecture": arch, "os": "linux"}
        }]
    })
    .to_string()
    .into_bytes();
    let mut out = tar::Builder::new(fs::File::create(path).unwrap());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.append_data(&mut h, name, bytes).unwrap();
    };
    add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add("index.json", &index);
    for blob in [&layer, &config, &manifest] {
        add(&format!("blobs/sha256/{}", &digest(blob)[7..]), blob);
    }
    out.into_inner().unwrap().flush().unwrap();
}
