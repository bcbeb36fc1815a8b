//! Doctor's checks of the runtime half of a node: what a pod needs beyond
//! pulls (issue 14). The runtime's table must have a type, its binary must
//! exist, SystemdCgroup must match kubelet's cgroupDriver and needs
//! systemd as init; `doctor --pod` runs the real thing.

use super::{Check, LiveFacts, Status};
use crate::containerd::config::ContainerdConfig;
use crate::root::Root;
use crate::selection::Selection;
use std::path::{Path, PathBuf};

/// kubelet's config file, as kubeadm writes it.
pub const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";

/// What the node's files and init say about the runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// Where the node's files are.
    pub root: Root,
    /// `cgroupDriver` of kubelet's config (`None`: no kubelet config).
    pub kubelet_cgroup_driver: Option<String>,
    /// Whether systemd is init (`None`: unknown, e.g. a `--root` tree).
    pub systemd_is_init: Option<bool>,
    /// The pause image kubeadm expects (`kubeadm config images list` for
    /// its own version), when kubeadm is installed.
    pub kubeadm_pause: Option<String>,
}

impl HostFacts {
    pub fn read(root: &Root) -> HostFacts {
        let kubelet = std::fs::read_to_string(root.join(KUBELET_CONFIG)).ok();
        HostFacts {
            root: root.clone(),
            kubelet_cgroup_driver: kubelet.as_deref().map(cgroup_driver),
            // sd_booted(3): systemd is init when /run/systemd/system is a
            // directory. Only the running host can say.
            systemd_is_init: root
                .is_host()
                .then(|| Path::new("/run/systemd/system").is_dir()),
            kubeadm_pause: kubeadm_pause(root),
        }
    }
}

/// `kubeadm config images list --kubernetes-version <its own>`: without a
/// version kubeadm asks dl.k8s.io for "stable", which times out where
/// this tool is most used; with its own version it answers offline.
fn kubeadm_pause(root: &Root) -> Option<String> {
    let kubeadm = find_binary(root, "kubeadm")?;
    let run = |args: &[&str]| {
        crate::process::run(
            std::process::Command::new(&kubeadm).args(args),
            std::time::Duration::from_secs(5),
        )
        .ok()
        .filter(|d| d.success() && !d.timed_out)
        .map(|d| d.stdout)
    };
    let version = run(&["version", "-o", "short"])?;
    let list = run(&[
        "config",
        "images",
        "list",
        "--kubernetes-version",
        version.trim(),
    ])?;
    list.lines()
        .map(str::trim)
        .find(|l| {
            l.rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("pause:"))
        })
        .map(str::to_string)
}

/// The tag of an image reference (`registry.k8s.io/pause:3.10` → `3.10`).
fn tag(image: &str) -> Option<&str> {
    let last = image.rsplit('/').next()?;
    last.split_once(':')
        .map(|(_, t)| t.split('@').next().unwrap_or(t))
}

/// kubelet's `cgroupDriver`: a top-level key of its KubeletConfiguration;
/// absent means kubelet's default, `cgroupfs`.
fn cgroup_driver(yaml: &str) -> String {
    yaml.lines()
        .find_map(|l| l.strip_prefix("cgroupDriver:"))
        .map(|v| {
            v.split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\''])
        })
        .filter(|v| !v.is_empty())
        .unwrap_or("cgroupfs") // i18n: kubelet's value
        .to_string()
}

fn systemd_cgroup_fix(on: bool) -> Selection {
    let mut sel = Selection::default();
    sel.extras.systemd_cgroup = Some(on);
    sel
}

pub(super) fn checks(cfg: Option<&ContainerdConfig>, live: &LiveFacts, out: &mut Vec<Check>) {
    let systemd_cgroup = cfg.and_then(ContainerdConfig::systemd_cgroup);
    if let Some(rt) = cfg.and_then(ContainerdConfig::default_runtime) {
        if rt.runtime_type.is_none() {
            let msg = crate::t!("pods.doctor.untyped", name = rt.name);
            let mut check = Check::new("runtime.type", Status::Fail, msg);
            if rt.name == "runc" {
                let on = systemd_cgroup.unwrap_or(false);
                check = check
                    .fix(crate::t!("pods.doctor.untyped_fix", value = on))
                    .repair(systemd_cgroup_fix(on));
            }
            out.push(check);
        }
        if let (Some(bin), Some(host)) = (&rt.binary_name, &live.host) {
            if !binary_exists(&host.root, bin) {
                let msg = crate::t!("pods.doctor.no_binary", name = rt.name, binary = bin);
                let fix = crate::t!("pods.doctor.no_binary_fix", binary = bin);
                out.push(Check::new("runtime.binary", Status::Fail, msg).fix(fix));
            }
        }
    }
    if let Some(host) = &live.host {
        let on = systemd_cgroup.unwrap_or(false);
        if let Some(driver) = &host.kubelet_cgroup_driver {
            let wants = driver == "systemd";
            if wants != on {
                let msg = crate::t!(
                    "pods.doctor.driver_mismatch",
                    driver = driver,
                    value = on,
                    file = KUBELET_CONFIG
                );
                let fix = crate::t!("pods.doctor.driver_fix", value = wants);
                out.push(
                    Check::new("runtime.cgroup_driver", Status::Fail, msg)
                        .fix(fix)
                        .repair(systemd_cgroup_fix(wants)),
                );
            }
        }
        if on && host.systemd_is_init == Some(false) {
            let msg = crate::t!("pods.doctor.no_systemd");
            let fix = crate::t!("pods.doctor.no_systemd_fix");
            out.push(
                Check::new("runtime.systemd_init", Status::Fail, msg)
                    .fix(fix)
                    .repair(systemd_cgroup_fix(false)),
            );
        }
    }
    if let (Some(host), Some(cfg)) = (&live.host, cfg) {
        if let Some(expected) = &host.kubeadm_pause {
            // What containerd uses: the file's pause image, else the
            // daemon's built-in default is in effect (pinned by kubelet
            // only through this setting).
            let configured = cfg.sandbox_image();
            let (want, have) = (tag(expected), configured.as_deref().and_then(tag));
            if let (Some(want), Some(image)) = (want, configured.as_deref()) {
                if have != Some(want) {
                    let repo = image.rsplit_once(':').map_or(image, |(r, _)| r);
                    let fixed = format!("{repo}:{want}");
                    let msg = crate::t!(
                        "pods.doctor.kubeadm_pause",
                        image = image,
                        expected = expected
                    );
                    let fix = crate::t!("pods.doctor.kubeadm_pause_fix", image = fixed);
                    let mut sel = Selection::default();
                    sel.extras.sandbox_image = Some(fixed);
                    out.push(
                        Check::new("runtime.pause_version", Status::Warn, msg)
                            .fix(fix)
                            .repair(sel),
                    );
                }
            }
        }
    }
    match &live.pod {
        None => {}
        Some(Ok(detail)) => out.push(Check::new("runtime.pod", Status::Ok, detail.clone())),
        Some(Err(why)) => out.push(
            Check::new("runtime.pod", Status::Fail, why.clone())
                .fix(crate::t!("pods.doctor.pod_fix")),
        ),
    }
}

/// A BinaryName is a path, or a name containerd's shim finds on PATH.
fn binary_exists(root: &Root, bin: &str) -> bool {
    find_binary(root, bin).is_some()
}

/// A program by path, or by name on PATH (the host's) and the standard
/// dirs, inside `root`.
fn find_binary(root: &Root, bin: &str) -> Option<PathBuf> {
    let exec = |p: &PathBuf| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if bin.contains('/') {
        return Some(root.join(bin)).filter(exec);
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if root.is_host() {
        dirs.extend(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths),
        );
    }
    // i18n: paths
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        dirs.push(root.join(d));
    }
    dirs.into_iter().map(|d| d.join(bin)).find(exec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> ContainerdConfig {
        ContainerdConfig::parse(Path::new("/etc/containerd/config.toml"), text).unwrap()
    }

    fn ids(checks: &[Check]) -> Vec<&str> {
        checks.iter().map(|c| c.id.as_str()).collect()
    }

    fn run(text: &str, host: Option<HostFacts>) -> Vec<Check> {
        let live = LiveFacts {
            host,
            ..LiveFacts::default()
        };
        let mut out = Vec::new();
        checks(Some(&cfg(text)), &live, &mut out);
        out
    }

    const SNIPPET: &str = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n";

    #[test]
    fn the_guides_options_only_snippet_has_no_type_and_a_repair_that_adds_it() {
        let out = run(SNIPPET, None);
        assert_eq!(ids(&out), ["runtime.type"]);
        let repair = out[0].repair.clone().unwrap();
        assert_eq!(repair.extras.systemd_cgroup, Some(true), "keeps the value");
        // The repair goes through the one rule: the table becomes complete.
        let mut c = cfg(SNIPPET);
        assert!(
            c.set_systemd_cgroup(true).is_some(),
            "an untyped table is an edit"
        );
        assert!(c
            .render()
            .contains("runtime_type = \"io.containerd.runc.v2\""));
        assert!(c.default_runtime().unwrap().runtime_type.is_some());
        assert_eq!(c.set_systemd_cgroup(true), None, "then nothing to do");
        let typed = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n";
        assert!(run(typed, None).is_empty());
    }

    #[test]
    fn a_missing_binary_kubelets_driver_and_init_are_checked() {
        let d = tempfile::tempdir().unwrap();
        let root = Root::new(d.path());
        let text = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  BinaryName = \"/usr/local/bin/runc-custom\"\n  SystemdCgroup = true\n";
        let host = |driver: Option<&str>, init: Option<bool>| HostFacts {
            root: root.clone(),
            kubelet_cgroup_driver: driver.map(str::to_string),
            systemd_is_init: init,
            kubeadm_pause: None,
        };
        let out = run(text, Some(host(Some("cgroupfs"), Some(false))));
        assert_eq!(
            ids(&out),
            [
                "runtime.binary",
                "runtime.cgroup_driver",
                "runtime.systemd_init"
            ]
        );
        assert!(
            out[0].message.contains("/usr/local/bin/runc-custom"),
            "{:?}",
            out[0]
        );
        assert_eq!(
            out[1].repair.as_ref().unwrap().extras.systemd_cgroup,
            Some(false)
        );
        let bin = d.path().join("usr/local/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("runc-custom"), "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            bin.join("runc-custom"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        assert!(run(text, Some(host(Some("systemd"), Some(true)))).is_empty());
        assert!(
            run(text, Some(host(None, None))).is_empty(),
            "unknown: no claim"
        );
    }

    #[test]
    fn a_pause_tag_other_than_kubeadms_is_flagged_with_the_same_mirror() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let root = Root::new(d.path());
        let kubeadm = root.join("/usr/bin/kubeadm");
        std::fs::create_dir_all(kubeadm.parent().unwrap()).unwrap();
        // Answers only with its own version given: never the network.
        std::fs::write(
            &kubeadm,
            "#!/bin/sh\ncase \"$*\" in\n  'version -o short') echo v1.31.2 ;;\n  'config images list --kubernetes-version v1.31.2') printf 'registry.k8s.io/kube-apiserver:v1.31.2\\nregistry.k8s.io/pause:3.10\\nregistry.k8s.io/etcd:3.5.15-0\\n' ;;\n  *) exit 1 ;;\nesac\n",
        )
        .unwrap();
        std::fs::set_permissions(&kubeadm, std::fs::Permissions::from_mode(0o755)).unwrap();
        let host = HostFacts::read(&root);
        assert_eq!(
            host.kubeadm_pause.as_deref(),
            Some("registry.k8s.io/pause:3.10")
        );
        let old = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.aliyuncs.com/google_containers/pause:3.8\"\n";
        let checks = run(old, Some(host.clone()));
        let c = checks
            .iter()
            .find(|c| c.id == "runtime.pause_version")
            .expect("flagged");
        assert_eq!(c.status, Status::Warn);
        assert_eq!(
            c.repair
                .as_ref()
                .and_then(|s| s.extras.sandbox_image.as_deref()),
            Some("registry.aliyuncs.com/google_containers/pause:3.10")
        );
        let same = old.replace("pause:3.8", "pause:3.10");
        assert!(!ids(&run(&same, Some(host))).contains(&"runtime.pause_version"));
    }

    #[test]
    fn kubelets_cgroup_driver_is_read_with_its_default() {
        assert_eq!(
            cgroup_driver("apiVersion: kubelet.config.k8s.io/v1beta1\ncgroupDriver: systemd\n"),
            "systemd"
        );
        assert_eq!(
            cgroup_driver("cgroupDriver: \"cgroupfs\" # set by hand\n"),
            "cgroupfs"
        );
        assert_eq!(cgroup_driver("kind: KubeletConfiguration\n"), "cgroupfs");
        let d = tempfile::tempdir().unwrap();
        let root = Root::new(d.path());
        assert_eq!(HostFacts::read(&root).kubelet_cgroup_driver, None);
        assert_eq!(
            HostFacts::read(&root).systemd_is_init,
            None,
            "a --root tree"
        );
        std::fs::create_dir_all(d.path().join("var/lib/kubelet")).unwrap();
        std::fs::write(
            d.path().join("var/lib/kubelet/config.yaml"),
            "cgroupDriver: systemd\n",
        )
        .unwrap();
        assert_eq!(
            HostFacts::read(&root).kubelet_cgroup_driver.as_deref(),
            Some("systemd")
        );
    }
}
