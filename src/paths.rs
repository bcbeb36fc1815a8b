//! The node's well-known paths ctrwiz reads and writes, apart from the
//! modules that plan them, so detection (`node`) depends on no planner.

/// The systemd drop-in that gives containerd (and only containerd) a proxy
/// (seed 002, method 2).
pub const PROXY_DROP_IN: &str = "/etc/systemd/system/containerd.service.d/http-proxy.conf";

/// Docker's daemon config (its `registry-mirrors`).
pub const DOCKER_DAEMON_JSON: &str = "/etc/docker/daemon.json";

/// crictl's config file.
pub const CRICTL_YAML: &str = "/etc/crictl.yaml";

/// nerdctl's config file (rootful).
pub const NERDCTL_TOML: &str = "/etc/nerdctl/nerdctl.toml";

/// A private registry's files, next to its hosts.toml.
pub const CA_FILE: &str = "ca.crt";
pub const CLIENT_CERT_FILE: &str = "client.cert";
pub const CLIENT_KEY_FILE: &str = "client.key";
