//! One integration-test binary: CLI tests on `--root` temp nodes and the
//! end-to-end tests that share one real containerd + registry harness.
mod cli;
mod e2e;
mod harness;
mod probe;
mod reliability;
