//! One integration-test binary: CLI tests on `--root` temp nodes, probe
//! tests against local servers, reliability tests, and the end-to-end
//! tests that share one real containerd + registry harness (`live`).
mod ansible;
mod cli;
mod clients;
mod fleet;
mod heal;
mod hostile;
mod live;
mod live_clients;
mod live_node_files;
mod live_proxy;
mod live_tests;
mod nerdctl_cni;
mod node_files;
mod owner;
mod pods;
mod probe;
mod reliability;
mod support;
mod wizard_pty;
