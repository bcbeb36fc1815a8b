//! Whether another tool owns containerd's files on this node, so that an
//! edit by ctrwiz would be overwritten (or never read):
//!
//! - **k3s / RKE2** run their own containerd and regenerate its
//!   `config.toml` (from `config.toml.tmpl` when present) and `certs.d` under
//!   `/var/lib/rancher/{k3s,rke2}/agent/etc/containerd/` on every start,
//!   from `/etc/rancher/{k3s,rke2}/registries.yaml` (docs.k3s.io "Private
//!   Registry Configuration"; docs.rke2.io "Containerd Registry
//!   Configuration"). Their containerd listens on
//!   `/run/k3s/containerd/containerd.sock` (both).
//! - **kubespray** templates `/etc/containerd/config.toml` and
//!   `certs.d/<prefix>/hosts.toml` on every run
//!   (`roles/container-engine/containerd/templates/`); its templates carry
//!   no header, so it is known by the kubelet env file its
//!   `kubernetes/node` role writes (`/etc/kubernetes/kubelet.env`, which
//!   kubeadm itself never writes) or by a comment naming it.
//! - **Talos** and **Bottlerocket** generate containerd's files from their
//!   own machine config / settings API (`/etc/os-release` `ID=talos`,
//!   `ID=bottlerocket`).
//!
//! Read-only, like the rest of `node`.

use crate::root::Root;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    K3s,
    Rke2,
    Kubespray,
    Talos,
    Bottlerocket,
}

impl OwnerKind {
    /// The product's own name (not translated).
    pub fn name(self) -> &'static str {
        match self {
            // i18n: product names
            OwnerKind::K3s => "k3s",
            OwnerKind::Rke2 => "RKE2",
            OwnerKind::Kubespray => "kubespray",
            OwnerKind::Talos => "Talos",
            OwnerKind::Bottlerocket => "Bottlerocket",
        }
    }

    /// k3s and RKE2 take mirrors from a `registries.yaml` ctrwiz can write.
    pub fn has_registries_yaml(self) -> bool {
        matches!(self, OwnerKind::K3s | OwnerKind::Rke2)
    }
}

/// The containerd socket of k3s and of RKE2.
pub const RANCHER_SOCKET: &str = "/run/k3s/containerd/containerd.sock";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub kind: OwnerKind,
    /// Node paths that showed it, in the order looked at.
    pub evidence: Vec<PathBuf>,
    /// k3s/RKE2: the service that regenerates containerd's config when it
    /// restarts (`k3s`, `k3s-agent`, `rke2-server`, `rke2-agent`).
    pub unit: Option<String>,
    /// k3s/RKE2: the bytes of `registries.yaml`, when it exists.
    #[serde(skip)]
    pub registries: Option<Vec<u8>>,
    /// It exists but could not be read (never replaced then).
    #[serde(skip)]
    pub registries_error: Option<String>,
}

impl Owner {
    /// Where k3s/RKE2 read the mirrors from.
    pub fn registries_yaml(&self) -> Option<PathBuf> {
        match self.kind {
            OwnerKind::K3s => Some("/etc/rancher/k3s/registries.yaml".into()),
            OwnerKind::Rke2 => Some("/etc/rancher/rke2/registries.yaml".into()),
            _ => None,
        }
    }

    /// The containerd config dir k3s/RKE2 regenerate.
    pub fn containerd_dir(&self) -> Option<PathBuf> {
        match self.kind {
            OwnerKind::K3s => Some("/var/lib/rancher/k3s/agent/etc/containerd".into()),
            OwnerKind::Rke2 => Some("/var/lib/rancher/rke2/agent/etc/containerd".into()),
            _ => None,
        }
    }

    /// The evidence as one line for a sentence.
    pub fn evidence_line(&self) -> String {
        self.evidence
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// The first owner found: the OS first (it owns everything), then k3s,
/// RKE2, kubespray. `config` is the config.toml ctrwiz was pointed at.
pub fn detect(root: &Root, config: &Path) -> Option<Owner> {
    if let Some(kind) = os_owner(root) {
        return Some(Owner {
            kind,
            evidence: vec![PathBuf::from("/etc/os-release")],
            unit: None,
            registries: None,
            registries_error: None,
        });
    }
    for kind in [OwnerKind::K3s, OwnerKind::Rke2] {
        if let Some(owner) = rancher(root, kind) {
            return Some(owner);
        }
    }
    kubespray(root, config)
}

fn os_owner(root: &Root) -> Option<OwnerKind> {
    let text = std::fs::read_to_string(root.join("/etc/os-release")).ok()?;
    let id = text.lines().find_map(|l| l.strip_prefix("ID="))?;
    match id.trim().trim_matches(['"', '\'']) {
        "talos" => Some(OwnerKind::Talos),
        "bottlerocket" => Some(OwnerKind::Bottlerocket),
        _ => None,
    }
}

fn rancher(root: &Root, kind: OwnerKind) -> Option<Owner> {
    let (name, units): (&str, [&str; 2]) = match kind {
        OwnerKind::K3s => ("k3s", ["k3s", "k3s-agent"]),
        _ => ("rke2", ["rke2-server", "rke2-agent"]),
    };
    let dir = format!("/var/lib/rancher/{name}/agent/etc/containerd");
    let mut candidates: Vec<PathBuf> = vec![
        format!("{dir}/config.toml").into(),
        format!("{dir}/config.toml.tmpl").into(),
        format!("{dir}/config-v3.toml.tmpl").into(),
        format!("/etc/rancher/{name}").into(),
        format!("/usr/local/bin/{name}").into(),
        format!("/usr/bin/{name}").into(),
        format!("/opt/{name}/bin/{name}").into(),
    ];
    let mut unit = None;
    for u in units {
        for d in UNIT_DIRS {
            let path = PathBuf::from(format!("{d}/{u}.service"));
            if root.join(&path).exists() {
                unit.get_or_insert_with(|| u.to_string());
                candidates.push(path);
            }
        }
    }
    let evidence: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|p| root.join(p).exists())
        .collect();
    if evidence.is_empty() {
        return None;
    }
    let mut owner = Owner {
        kind,
        evidence,
        // No unit file seen (a binary only): the server unit the installer creates.
        unit: Some(unit.unwrap_or_else(|| units[0].to_string())),
        registries: None,
        registries_error: None,
    };
    let yaml = owner.registries_yaml().expect("k3s/RKE2 have one");
    match super::read::optional(root, &yaml, super::read::CONFIG_LIMIT) {
        Ok(bytes) => owner.registries = bytes,
        Err(e) => owner.registries_error = Some(e.to_string()),
    }
    Some(owner)
}

/// kubespray's kubelet env file, or a comment naming kubespray in
/// config.toml (a hand-made note some inventories template in).
fn kubespray(root: &Root, config: &Path) -> Option<Owner> {
    let mut evidence = Vec::new();
    let env = Path::new("/etc/kubernetes/kubelet.env");
    if root.join(env).is_file() {
        evidence.push(env.to_path_buf());
    }
    let named = std::fs::read_to_string(root.join(config)).is_ok_and(|t| {
        t.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .any(|l| l.to_ascii_lowercase().contains("kubespray"))
    });
    if named {
        evidence.push(config.to_path_buf());
    }
    (!evidence.is_empty()).then_some(Owner {
        kind: OwnerKind::Kubespray,
        evidence,
        unit: None,
        registries: None,
        registries_error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let path = d.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        d
    }

    fn owner(files: &[(&str, &str)]) -> Option<Owner> {
        let d = tree(files);
        detect(
            &Root::new(d.path()),
            Path::new("/etc/containerd/config.toml"),
        )
    }

    #[test]
    fn each_shape_is_told_apart() {
        assert_eq!(
            owner(&[("/etc/containerd/config.toml", "version = 2\n")]),
            None
        );
        let k3s = owner(&[
            (
                "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
                "version = 2\n",
            ),
            ("/etc/systemd/system/k3s-agent.service", "[Service]\n"),
        ])
        .unwrap();
        assert_eq!(k3s.kind, OwnerKind::K3s);
        assert_eq!(k3s.unit.as_deref(), Some("k3s-agent"));
        assert_eq!(
            k3s.registries_yaml().unwrap(),
            Path::new("/etc/rancher/k3s/registries.yaml")
        );
        let rke2 = owner(&[(
            "/var/lib/rancher/rke2/agent/etc/containerd/config.toml.tmpl",
            "{{ template \"base\" . }}\n",
        )])
        .unwrap();
        assert_eq!(rke2.kind, OwnerKind::Rke2);
        assert_eq!(rke2.unit.as_deref(), Some("rke2-server"));
        let ks = owner(&[("/etc/kubernetes/kubelet.env", "KUBELET_ARGS=\n")]).unwrap();
        assert_eq!(ks.kind, OwnerKind::Kubespray);
        let commented = owner(&[(
            "/etc/containerd/config.toml",
            "# written by kubespray\nversion = 2\n",
        )])
        .unwrap();
        assert_eq!(commented.kind, OwnerKind::Kubespray);
        // The word in a value is not a marker.
        assert_eq!(
            owner(&[("/etc/containerd/config.toml", "root = \"/kubespray\"\n")]),
            None
        );
        for (id, kind) in [
            ("ID=talos", OwnerKind::Talos),
            ("ID=\"bottlerocket\"", OwnerKind::Bottlerocket),
        ] {
            let text = format!("NAME=x\n{id}\n");
            assert_eq!(owner(&[("/etc/os-release", &text)]).unwrap().kind, kind);
        }
        assert_eq!(owner(&[("/etc/os-release", "ID=debian\n")]), None);
    }
}
