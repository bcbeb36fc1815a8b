//! `ctrwiz probe`: measure mirrors instead of trusting the catalog.
//!
//! Per mirror, at most one request of each kind: `GET /v2/` (200, or 401
//! with a `WWW-Authenticate` challenge, means a registry answers), then a
//! `HEAD` of a small manifest (with an anonymous token when challenged) to
//! catch allowlist mirrors that answer 403. Never a blob.
//!
//! All mirrors are probed at once on worker threads; the collector stops
//! waiting at one global deadline, so a hung DNS lookup or connection can
//! never stretch the whole probe past the timeout.

mod http;
mod model;

pub use http::proxy_for;
pub use model::*;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts the probes; results arrive on the channel as they finish, and
/// every candidate gets exactly one result by `timeout` (+ a small grace).
pub fn spawn(candidates: Vec<Candidate>, opts: ProbeOptions) -> mpsc::Receiver<ProbeResult> {
    let (out_tx, out_rx) = mpsc::channel();
    // Worker threads write details in the caller's language.
    crate::i18n::spawn(move || {
        let deadline = Instant::now() + opts.timeout + Duration::from_millis(100);
        let (tx, rx) = mpsc::channel::<(usize, ProbeResult)>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(
            (0..candidates.len()).collect::<Vec<_>>(),
        ));
        let shared = std::sync::Arc::new(candidates.clone());
        for _ in 0..opts.max_parallel.clamp(1, candidates.len().max(1)) {
            let (tx, queue, shared) = (tx.clone(), queue.clone(), shared.clone());
            let opts = opts.clone();
            crate::i18n::spawn(move || {
                // The lock is released at the end of this statement, before
                // the probe (a `while let` would hold it for the whole body).
                let next = || queue.lock().ok().and_then(|mut q| q.pop());
                while let Some(i) = next() {
                    let _ = tx.send((i, http::probe_one(&shared[i], &opts)));
                }
            });
        }
        drop(tx);
        let mut done = vec![false; candidates.len()];
        while done.iter().any(|d| !d) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((i, r)) => {
                    done[i] = true;
                    let _ = out_tx.send(r);
                }
                Err(_) => break,
            }
        }
        for (c, _) in candidates.iter().zip(&done).filter(|(_, d)| !**d) {
            let ms = opts.timeout.as_millis();
            let detail = crate::t!("probe.detail.no_answer", ms = ms);
            let mut r = result(c, ProbeStatus::Unreachable, detail);
            r.failure = Some(Failure::NoAnswer);
            let _ = out_tx.send(r);
        }
    });
    out_rx
}

/// Probes everything and returns the results in candidate order.
pub fn run(candidates: Vec<Candidate>, opts: ProbeOptions) -> Vec<ProbeResult> {
    let order: Vec<(String, String)> = candidates
        .iter()
        .map(|c| (c.registry.to_string(), c.endpoint.url()))
        .collect();
    let mut results: Vec<ProbeResult> = spawn(candidates, opts).iter().collect();
    results.sort_by_key(|r| order.iter().position(|o| o.0 == r.registry && o.1 == r.url));
    results
}

#[cfg(test)]
mod tests;
