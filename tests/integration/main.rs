//! One integration-test binary: CLI tests on `--root` temp nodes, probe
//! tests against local servers, reliability tests, and the end-to-end
//! tests that share one real containerd + registry harness (`live`).
mod cli;
mod hostile;
mod live;
mod live_tests;
mod pods;
mod probe;
mod reliability;
mod support;
mod wizard_pty;
