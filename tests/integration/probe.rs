//! `ctrwiz probe` against local servers on 127.0.0.1 that answer fast,
//! never answer, challenge for a token, refuse with 403, present a bad TLS
//! certificate, or refuse connections.

use crate::support::{ctrwiz, ctrwiz_on};
use ctrwiz::catalog::Catalog;
use ctrwiz::probe::{self, ProbeOptions, ProbeStatus};
use ctrwiz::selection::Selection;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
pub(crate) enum Behaviour {
    /// 200 on /v2/ and on the manifest.
    Fast,
    /// Accepts, then never answers.
    Hang,
    /// 401 + Bearer challenge; a token from /token makes the manifest 200.
    Token,
    /// 200 on /v2/, 403 on the manifest (an allowlist mirror).
    Allowlist,
    /// 403 on /v2/ (cloud-internal mirror seen from outside).
    Forbidden,
}

/// A tiny HTTP/1.1 server on a free loopback port; it lives until the
/// test process ends (each serves a bounded number of connections).
pub(crate) fn serve(b: Behaviour) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50).flatten() {
            std::thread::spawn(move || handle(stream, b, port));
        }
    });
    port
}

fn handle(mut s: TcpStream, b: Behaviour, port: u16) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let authed = head
        .to_ascii_lowercase()
        .contains("authorization: bearer t0ken");
    let challenge = format!(
        "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"test\"\r\n"
    );
    let (code, extra, body) = match b {
        Behaviour::Hang => {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        Behaviour::Fast => (200, String::new(), "{}"),
        Behaviour::Forbidden => (403, String::new(), ""),
        Behaviour::Allowlist if path.starts_with("/v2/library") => (403, String::new(), ""),
        Behaviour::Allowlist => (200, String::new(), "{}"),
        Behaviour::Token if path.starts_with("/token") => {
            (200, String::new(), "{\"token\":\"t0ken\"}")
        }
        Behaviour::Token if authed => (200, String::new(), "{}"),
        Behaviour::Token => (401, challenge, ""),
    };
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        _ => "Forbidden",
    };
    let _ = write!(
        s,
        "HTTP/1.1 {code} {reason}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A port nothing listens on.
pub(crate) fn refused() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server` with a self-signed certificate: a TLS server no
/// client trusts.
struct BadTls {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for BadTls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bad_tls() -> Option<BadTls> {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !made.success() {
        return None;
    }
    let port = refused();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(5) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(BadTls {
        child,
        port,
        _dir: dir,
    })
}

fn selection(urls: &[String]) -> Selection {
    let mut sel = Selection::default();
    sel.add_mirror_flag(&format!("docker.io={}", urls.join(",")))
        .unwrap();
    sel
}

#[test]
fn each_kind_of_mirror_gets_its_status() {
    let tls = bad_tls();
    let mut urls = vec![
        format!("http://127.0.0.1:{}", serve(Behaviour::Fast)),
        format!("http://127.0.0.1:{}", serve(Behaviour::Token)),
        format!("http://127.0.0.1:{}", serve(Behaviour::Allowlist)),
        format!("http://127.0.0.1:{}", serve(Behaviour::Forbidden)),
        format!("http://127.0.0.1:{}", refused()),
        format!("http://127.0.0.1:{}", serve(Behaviour::Hang)),
    ];
    if let Some(t) = &tls {
        urls.push(format!("https://127.0.0.1:{}", t.port));
    } else if std::env::var_os("CTRWIZ_REQUIRE_E2E").is_some() {
        panic!("openssl is needed for the bad-certificate probe");
    }
    let cands = probe::candidates(&Catalog::builtin(), &[], Some(&selection(&urls))).unwrap();
    let results = probe::run(cands, ProbeOptions::new(Duration::from_millis(1500)));
    let status: Vec<ProbeStatus> = results.iter().map(|r| r.status).collect();
    let mut want = vec![
        ProbeStatus::Ok,
        ProbeStatus::Ok,
        ProbeStatus::Denied,
        ProbeStatus::Denied,
        ProbeStatus::Unreachable,
        ProbeStatus::Unreachable,
    ];
    if tls.is_some() {
        want.push(ProbeStatus::TlsError);
    }
    assert_eq!(status, want, "{results:#?}");
    assert_eq!(
        results[1].v2_status,
        Some(401),
        "the challenge was followed"
    );
    assert_eq!(results[1].manifest_status, Some(200));
    assert_eq!(results[2].manifest_status, Some(403));
    assert!(results[0].latency_ms.is_some() && results[0].connect_ms.is_some());
    let rec = probe::recommend(&results);
    assert!(rec[0].1.is_some_and(|r| r.status == ProbeStatus::Ok));
}

#[test]
fn thirty_mirrors_with_ten_hanging_take_one_timeout() {
    let mut urls = Vec::new();
    for i in 0..30 {
        let b = if i % 3 == 0 {
            Behaviour::Hang
        } else {
            Behaviour::Fast
        };
        urls.push(format!("http://127.0.0.1:{}", serve(b)));
    }
    let cands = probe::candidates(&Catalog::builtin(), &[], Some(&selection(&urls))).unwrap();
    assert_eq!(cands.len(), 30);
    let timeout = Duration::from_millis(1000);
    let start = Instant::now();
    let results = probe::run(cands, ProbeOptions::new(timeout));
    let took = start.elapsed();
    assert!(took <= timeout.mul_f64(1.2), "took {took:?}");
    assert_eq!(results.len(), 30);
    let hung = results
        .iter()
        .filter(|r| r.status == ProbeStatus::Unreachable)
        .count();
    let ok = results.iter().filter(|r| r.status.works()).count();
    assert_eq!((hung, ok), (10, 20), "{results:#?}");
}

#[test]
fn cli_json_has_one_record_per_mirror() {
    let fast = serve(Behaviour::Fast);
    let dead = refused();
    let out = ctrwiz(&["probe", "--json", "--timeout", "1000", "--mirror"])
        .arg(format!(
            "docker.io=http://127.0.0.1:{fast},http://127.0.0.1:{dead}"
        ))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recs = v.as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["registry"], "docker.io");
    assert_eq!(recs[0]["url"], format!("http://127.0.0.1:{fast}"));
    assert_eq!(recs[0]["status"], "ok");
    assert!(recs[0]["latency_ms"].is_u64());
    assert_eq!(recs[1]["status"], "unreachable");
    assert!(recs[1]["latency_ms"].is_null());
}

#[test]
fn doctor_measures_the_mirrors_the_node_actually_uses() {
    let ok = serve(Behaviour::Fast);
    let denied = serve(Behaviour::Allowlist);
    let dead = refused();
    let node = tempfile::tempdir().unwrap();
    let hosts = node
        .path()
        .join("etc/containerd/certs.d/docker.io/hosts.toml");
    std::fs::create_dir_all(hosts.parent().unwrap()).unwrap();
    std::fs::write(
        &hosts,
        format!(
            "server = \"https://registry-1.docker.io\"\n[host.\"http://127.0.0.1:{ok}\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"http://127.0.0.1:{denied}\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"http://127.0.0.1:{dead}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
        ),
    )
    .unwrap();
    let out = ctrwiz_on(node.path(), &["doctor", "--json"], &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |port: u16| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == format!("mirror.docker.io.127.0.0.1:{port}"))
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status(ok).as_deref(), Some("ok"), "{checks:#}");
    assert_eq!(status(denied).as_deref(), Some("fail"));
    assert_eq!(status(dead).as_deref(), Some("fail"));
    // The registry itself is not "a mirror" and is not probed.
    assert!(!checks
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"].as_str().unwrap().contains("registry-1")));
}

/// `probe` says by its exit status whether any mirror works, and
/// `--no-probe` lists what it would measure without contacting it.
#[test]
fn probe_exits_1_when_no_mirror_works_and_no_probe_contacts_nothing() {
    let run = |args: &[&str]| ctrwiz(args).output().unwrap();
    let dead = refused();
    let out = run(&[
        "probe",
        "--timeout",
        "1000",
        "--mirror",
        &format!("docker.io=http://127.0.0.1:{dead}"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let fast = serve(Behaviour::Fast);
    let out = run(&[
        "probe",
        "--timeout",
        "1000",
        "--mirror",
        &format!("docker.io=http://127.0.0.1:{fast},http://127.0.0.1:{dead}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "one works: {out:?}");

    // A listener that counts who connects.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let out = run(&[
        "probe",
        "--no-probe",
        "--mirror",
        &format!("docker.io=http://127.0.0.1:{port}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}")),
        "{stdout}"
    );
    assert!(
        listener.accept().is_err(),
        "--no-probe connected to the mirror"
    );
}

/// Doctor judges a mirror by what containerd reaches: through the proxy
/// containerd's drop-in gives it (Go's rules), not ctrwiz's own
/// environment. The "Harbor" `harbor.corp:5000` resolves nowhere; only
/// the proxy (a recording one, forwarding to a local registry) reaches it.
#[test]
fn doctor_reaches_mirrors_through_containerd_s_proxy_as_containerd_would() {
    let registry = serve(Behaviour::Fast);
    let proxy = crate::support::RecordingProxy::start(registry);
    let node = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = node.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "/etc/containerd/certs.d/docker.io/hosts.toml",
        "server = \"https://registry-1.docker.io\"\n[host.\"http://harbor.corp:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
    );
    let status = |no_proxy: &str| {
        write(
            ctrwiz::paths::PROXY_DROP_IN,
            &format!(
                "[Service]\nEnvironment=\"HTTP_PROXY={}\" \"NO_PROXY={no_proxy}\"\n",
                proxy.url()
            ),
        );
        // ctrwiz's own environment has no proxy.
        let out = ctrwiz_on(node.path(), &["doctor", "--json"], &[])
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap();
        let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "mirror.docker.io.harbor.corp:5000")
            .map(|c| c["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{checks:#}"))
    };
    assert_eq!(status(""), "ok", "through containerd's proxy");
    assert!(
        proxy
            .seen()
            .iter()
            .any(|u| u == "http://harbor.corp:5000/v2/"),
        "{:?}",
        proxy.seen()
    );
    let seen = proxy.seen().len();
    assert_eq!(
        status("harbor.corp"),
        "fail",
        "direct, as containerd would go"
    );
    assert_eq!(proxy.seen().len(), seen, "{:?}", proxy.seen());
    // `probe` measures it as containerd will reach it, too.
    status("");
    let out = ctrwiz_on(
        node.path(),
        &[
            "probe",
            "--mirror",
            "docker.io=http://harbor.corp:5000",
            "--json",
        ],
        &[],
    )
    .env_remove("HTTP_PROXY")
    .env_remove("http_proxy")
    .output()
    .unwrap();
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let harbor = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["url"] == "http://harbor.corp:5000")
        .unwrap_or_else(|| panic!("{results:#}"));
    assert_eq!(harbor["status"], "ok", "{harbor}");
}
