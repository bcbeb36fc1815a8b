//! The cluster's service and pod ranges, where the node reveals them, for
//! the default NO_PROXY: kubeadm's static pod manifests
//! (`--service-cluster-ip-range` of kube-apiserver, `--cluster-cidr` of
//! kube-controller-manager) and kubelet's `podCIDR` (standalone kubelets).
//! kubelet's `clusterDNS` is one address, not a range, and tells nothing.
//! Read from the tree (`--root` too: the image being prepared is the node).

use crate::root::Root;
use std::path::Path;

/// Where each range is written, and the prefix before its value.
const SOURCES: &[(&str, &str)] = &[
    (
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "--service-cluster-ip-range=",
    ),
    (
        "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        "--cluster-cidr=",
    ),
    ("/var/lib/kubelet/config.yaml", "podCIDR:"),
];

/// The ranges on this node, deduplicated, in source order.
pub fn cidrs(root: &Root) -> Vec<String> {
    let mut out = Vec::new();
    for (path, key) in SOURCES {
        let Ok(Some(bytes)) =
            crate::node::read::optional(root, Path::new(path), crate::node::read::SMALL_LIMIT)
        else {
            continue;
        };
        for c in cidrs_in(&String::from_utf8_lossy(&bytes), key) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// The CIDRs after `key` in `text` (a comma list for dual stack); lines
/// that are comments, and values that are not a CIDR, are skipped.
pub fn cidrs_in(text: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('#') {
            continue;
        }
        let Some(at) = line.find(key) else { continue };
        let value = line[at + key.len()..]
            .trim()
            .trim_matches(|c| c == '"' || c == '\'');
        let value = value.split_whitespace().next().unwrap_or("");
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        for c in value.split(',').map(str::trim) {
            if is_cidr(c) && !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
        }
    }
    out
}

pub fn is_cidr(s: &str) -> bool {
    let Some((ip, len)) = s.split_once('/') else {
        return false;
    };
    let (Ok(ip), Ok(len)) = (ip.parse::<std::net::IpAddr>(), len.parse::<u8>()) else {
        return false;
    };
    len <= if ip.is_ipv4() { 32 } else { 128 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeadm_manifests_and_kubelet_reveal_the_ranges() {
        let apiserver = "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/112\n    # - --service-cluster-ip-range=1.2.3.0/24\n";
        assert_eq!(
            cidrs_in(apiserver, "--service-cluster-ip-range="),
            ["10.96.0.0/12", "fd00:10:96::/112"]
        );
        let cm = "    - --cluster-cidr=\"100.64.0.0/16\"\n    - --allocate-node-cidrs=true\n";
        assert_eq!(cidrs_in(cm, "--cluster-cidr="), ["100.64.0.0/16"]);
        let kubelet =
            "kind: KubeletConfiguration\nclusterDNS:\n- 10.96.0.10\npodCIDR: 10.88.0.0/16\n";
        assert_eq!(cidrs_in(kubelet, "podCIDR:"), ["10.88.0.0/16"]);
        assert!(
            cidrs_in(kubelet, "clusterDNS:").is_empty(),
            "an address, not a range"
        );
        assert!(cidrs_in("--cluster-cidr=10.0.0.0/33\n", "--cluster-cidr=").is_empty());
        assert!(cidrs_in("--cluster-cidr=$(POD_CIDR)\n", "--cluster-cidr=").is_empty());
    }

    #[test]
    fn a_root_tree_gives_its_ranges_to_the_default_no_proxy() {
        let dir = tempfile::tempdir().unwrap();
        let write = |p: &str, t: &str| {
            let p = dir.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        };
        write(
            SOURCES[0].0,
            "    - --service-cluster-ip-range=10.96.0.0/12\n",
        );
        write(SOURCES[1].0, "    - --cluster-cidr=100.64.0.0/16\n");
        let root = Root::new(dir.path());
        let found = cidrs(&root);
        assert_eq!(found, ["10.96.0.0/12", "100.64.0.0/16"]);
        // The plan's default NO_PROXY on this node holds them.
        let mut node = crate::node::NodeState::fixture().build();
        node.cluster_cidrs = found.clone();
        let proxy = crate::extras::Proxy::parse("http://proxy.corp:3128", None, &[]).unwrap();
        let no_proxy = proxy.no_proxy_on(&node);
        for c in &found {
            assert!(no_proxy.contains(c), "{no_proxy:?}");
        }
        assert!(cidrs(&Root::new(tempfile::tempdir().unwrap().path())).is_empty());
    }
}
