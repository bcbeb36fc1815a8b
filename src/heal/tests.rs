use super::*;
use crate::containerd::hosts::HostsSpec;
use crate::node::{assemble, Locations};
use crate::probe::{Failure, ProbeStatus};
use crate::root::Root;
use std::path::Path;

const DEAD: &str = "http://127.0.0.1:9";
const GOOD: &str = "http://127.0.0.1:5000";

fn ep(s: &str) -> Endpoint {
    Endpoint::parse(s).unwrap()
}

fn managed(mirrors: &[&str]) -> String {
    HostsSpec::with_mirrors(
        RegistryName::parse("docker.io").unwrap(),
        mirrors.iter().map(|m| ep(m)).collect(),
        "custom mirrors",
    )
    .render()
}

/// A node under a temp root with config.toml pointing at its hosts dir and
/// the given docker.io/hosts.toml (and more files).
fn node(files: &[(&str, &str)]) -> (tempfile::TempDir, NodeState) {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(
        &cfg,
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n",
    )
    .unwrap();
    for (dir, text) in files {
        let p = d.path().join("etc/containerd/certs.d").join(dir);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("hosts.toml"), text).unwrap();
    }
    let loc = Locations {
        root: Root::new(d.path()),
        ..Default::default()
    };
    let n = assemble(&loc, vec![]);
    (d, n)
}

fn result(url: &str, works: bool) -> ProbeResult {
    let status = if works {
        ProbeStatus::Ok
    } else {
        ProbeStatus::Unreachable
    };
    ProbeResult {
        connect_ms: Some(1),
        v2_status: works.then_some(200),
        manifest_status: works.then_some(200),
        failure: (!works).then_some(Failure::NoAnswer),
        ..ProbeResult::measured("docker.io", url, "configured", status, works.then_some(3))
    }
}

fn after(report: &HealReport) -> String {
    report.plan.changes[0].after_text().unwrap().into_owned()
}

fn active_hosts(text: &str) -> Vec<String> {
    hosts::parse(Path::new("h"), text)
        .unwrap()
        .hosts
        .into_iter()
        .map(|h| h.url)
        .collect()
}

/// The node as it is after a pass wrote its plan.
fn next(files: &[(&str, &str)], text: &str) -> (tempfile::TempDir, NodeState) {
    let mut f: Vec<(&str, &str)> = files.to_vec();
    f[0].1 = text;
    node(&f)
}

#[test]
fn a_failing_first_mirror_is_parked_in_place_with_why_and_since() {
    let original = managed(&[DEAD, GOOD]);
    let (_d, n) = node(&[("docker.io", &original)]);
    let r = decide(
        &n,
        &[result(DEAD, false), result(GOOD, true)],
        "20261201T000000Z",
    );
    assert!(r.drift.is_none() && !r.offline);
    assert_eq!(r.plan.changes.len(), 1);
    assert!(r.plan.restart.is_none(), "never a restart");
    let text = after(&r);
    assert_eq!(active_hosts(&text), [GOOD], "{text}");
    assert!(
        text.contains(&format!(
            "# ctrwiz heal: parked since 20261201T000000Z (no_answer); consecutive passes answered: 0\n#~ [host.\"{DEAD}\"]\n#~   capabilities = [\"pull\", \"resolve\"]\n"
        )),
        "{text}"
    );
    assert!(text.starts_with(hosts::MANAGED_MARKER), "still managed");
    let hosts = &r.registries[0].hosts;
    assert_eq!(
        (hosts[0].action, hosts[1].action),
        (Action::Parked, Action::Kept)
    );
    assert_eq!(hosts[0].failure, Some(Failure::NoAnswer));
}

#[test]
fn restored_after_two_answering_passes_byte_for_byte_in_its_place() {
    let original = managed(&[DEAD, GOOD]);
    let files = [("docker.io", original.as_str())];
    let (_d, n) = node(&files);
    let parked = after(&decide(
        &n,
        &[result(DEAD, false), result(GOOD, true)],
        "T0",
    ));

    // Answers once: still parked, the count goes up.
    let (_d, n) = next(&files, &parked);
    let once = decide(&n, &[result(DEAD, true), result(GOOD, true)], "T1");
    assert_eq!(once.registries[0].hosts[0].action, Action::StillParked);
    let once_text = after(&once);
    assert!(once_text.contains("parked since T0 (no_answer); consecutive passes answered: 1\n"));
    assert_eq!(active_hosts(&once_text), [GOOD]);

    // Fails again: the count starts over, the first reason and time stay.
    let (_d, n) = next(&files, &once_text);
    let again = decide(&n, &[result(DEAD, false), result(GOOD, true)], "T2");
    assert_eq!(after(&again), parked);

    // Two answering passes in a row: back in place, the file as before.
    let (_d, n) = next(&files, &once_text);
    let restored = decide(&n, &[result(DEAD, true), result(GOOD, true)], "T3");
    assert_eq!(restored.registries[0].hosts[0].action, Action::Restored);
    assert_eq!(after(&restored), original);
}

#[test]
fn a_node_whose_mirrors_all_work_gets_no_change() {
    let original = managed(&[DEAD, GOOD]);
    let (_d, n) = node(&[("docker.io", &original)]);
    let r = decide(&n, &[result(DEAD, true), result(GOOD, true)], "T");
    assert!(r.plan.is_noop() && r.plan.changes.is_empty());
    assert!(r.registries[0]
        .hosts
        .iter()
        .all(|h| h.action == Action::Kept));
}

#[test]
fn files_ctrwiz_does_not_manage_are_reported_never_changed() {
    let foreign = format!("server = \"https://registry-1.docker.io\"\n\n[host.\"{DEAD}\"]\n  capabilities = [\"pull\"]\n");
    let (_d, n) = node(&[("docker.io", &foreign)]);
    let r = decide(&n, &[result(DEAD, false)], "T");
    assert!(r.plan.changes.is_empty());
    let reg = &r.registries[0];
    assert!(!reg.managed && reg.note.is_some());
    assert_eq!(reg.hosts[0].action, Action::NotManaged);
    assert_eq!(reg.hosts[0].failure, Some(Failure::NoAnswer));
    // It is measured, so the report can say it is dead.
    let c = candidates(&n, &Catalog::builtin());
    assert_eq!(c.len(), 1);
}

#[test]
fn the_registry_itself_and_hosts_with_their_own_tls_are_not_measured() {
    let text = format!(
        "{}\n[host.\"https://harbor.corp\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = \"/etc/ca.crt\"\n",
        managed(&[DEAD]).trim_end()
    );
    let up =
        HostsSpec::upstream(RegistryName::parse("quay.io").unwrap(), "preset upstream").render();
    let (_d, n) = node(&[("docker.io", &text), ("quay.io", &up)]);
    let c = candidates(&n, &Catalog::builtin());
    let urls: Vec<String> = c.iter().map(|c| c.endpoint.url()).collect();
    assert_eq!(urls, [DEAD], "no CA host, no upstream");
    let r = decide(&n, &[result(DEAD, false)], "T");
    let hosts = &r.registries[0].hosts;
    assert_eq!(hosts[1].action, Action::NotMeasured);
    assert_eq!(active_hosts(&after(&r)), ["https://harbor.corp"]);
    assert_eq!(r.registries[1].hosts[0].action, Action::NotMeasured);
}

#[test]
fn nothing_answering_at_all_parks_nothing() {
    let original = managed(&[DEAD, GOOD]);
    let (_d, n) = node(&[("docker.io", &original)]);
    let r = decide(&n, &[result(DEAD, false), result(GOOD, false)], "T");
    assert!(r.offline);
    assert!(r.plan.changes.is_empty());
}

#[test]
fn parked_tables_keep_override_path_and_headers_byte_for_byte() {
    let original = HostsSpec::with_mirrors(
        RegistryName::parse("k8s.gcr.io").unwrap(),
        vec![ep("https://gcr.nju.edu.cn/v2/google-containers"), ep(GOOD)],
        "preset nju",
    )
    .render();
    let files = [("k8s.gcr.io", original.as_str())];
    let (_d, n) = node(&files);
    let c = candidates(&n, &Catalog::builtin());
    assert!(c[0].endpoint.override_path);
    let bad = ProbeResult {
        registry: "k8s.gcr.io".into(),
        ..result("https://gcr.nju.edu.cn/v2/google-containers", false)
    };
    let good = ProbeResult {
        registry: "k8s.gcr.io".into(),
        ..result(GOOD, true)
    };
    let parked = after(&decide(&n, &[bad.clone(), good.clone()], "T"));
    assert!(parked.contains("#~   override_path = true\n"), "{parked}");
    // Parked, it is still measured as an override_path mirror.
    let (_d, n) = next(&files, &parked);
    assert!(
        candidates(&n, &Catalog::builtin())[0]
            .endpoint
            .override_path
    );
    let ok = |r: &ProbeResult| ProbeResult {
        status: ProbeStatus::Ok,
        failure: None,
        ..r.clone()
    };
    let once = after(&decide(&n, &[ok(&bad), good.clone()], "T"));
    let (_d, n) = next(&files, &once);
    assert_eq!(after(&decide(&n, &[ok(&bad), good], "T")), original);
}

#[test]
fn drift_is_reported_with_the_fix() {
    let original = managed(&[GOOD]).replace("(custom mirrors)", "(preset daocloud)");
    let (d, _) = node(&[("docker.io", &original)]);
    std::fs::write(
        d.path().join("etc/containerd/config.toml"),
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"\"\n",
    )
    .unwrap();
    let loc = Locations {
        root: Root::new(d.path()),
        hosts_dir: Some("/etc/containerd/certs.d".into()),
        ..Default::default()
    };
    let n = assemble(&loc, vec![]);
    let r = decide(&n, &[result(GOOD, true)], "T");
    let drift = r.drift.expect("drift");
    assert_eq!(drift.config_path, None);
    assert!(
        drift.fix.contains("ctrwiz apply --preset daocloud --yes"),
        "{}",
        drift.fix
    );
    assert!(r.plan.changes.is_empty(), "config.toml is never touched");
}

#[test]
fn a_hand_edited_layout_is_left_alone() {
    let text = format!(
        "{}host.\"{GOOD}\" = {{ capabilities = [\"pull\"] }}\n",
        managed(&[])
            .lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    let (_d, n) = node(&[("docker.io", &text)]);
    let r = decide(&n, &[result(GOOD, false)], "T");
    assert!(r.plan.changes.is_empty());
    assert!(r.registries[0].note.is_some(), "{:?}", r.registries[0]);
}

#[test]
fn crlf_files_stay_crlf() {
    let original = managed(&[DEAD, GOOD]).replace('\n', "\r\n");
    let files = [("docker.io", original.as_str())];
    let (_d, n) = node(&files);
    let parked = after(&decide(&n, &[result(DEAD, false), result(GOOD, true)], "T"));
    assert!(!parked.replace("\r\n", "").contains('\n'), "{parked:?}");
    let (_d, n) = next(&files, &parked);
    let once = after(&decide(&n, &[result(DEAD, true), result(GOOD, true)], "T"));
    let (_d, n) = next(&files, &once);
    assert_eq!(
        after(&decide(&n, &[result(DEAD, true), result(GOOD, true)], "T")),
        original
    );
}

fn with_containerd(n: &mut NodeState, version: crate::version::Version) {
    n.tools.push(crate::node::Tool {
        name: crate::node::ToolName::Containerd,
        path: Some("/usr/bin/containerd".into()),
        version: Some(version),
        raw: None,
        timed_out: false,
    });
    n.containerd.version = Some(version);
}

#[test]
fn dial_timeout_is_planned_where_containerd_reads_it() {
    use crate::selection::{DialTimeout, Selection};
    use crate::version::Version;
    let catalog = Catalog::builtin();
    let mut sel = Selection::default();
    sel.add_mirror_flag(&format!("docker.io={DEAD},{GOOD}"))
        .unwrap();
    let hosts_text = |n: &NodeState, sel: &Selection| {
        let plan = crate::plan::make(n, &catalog, sel).unwrap();
        let c = plan
            .changes
            .iter()
            .find(|c| matches!(c.purpose, Purpose::Hosts { .. }))
            .unwrap();
        c.after_text().unwrap().into_owned()
    };
    let cases = [
        (Version::new(1, 6, 20), None),
        (Version::new(1, 7, 24), None),
        (Version::new(2, 0, 6), None),
        (Version::new(2, 0, 7), Some("3s")),
        (Version::new(2, 1, 9), Some("3s")),
    ];
    for (version, want) in cases {
        let (_d, mut n) = node(&[]);
        with_containerd(&mut n, version);
        let text = hosts_text(&n, &sel);
        match want {
            Some(t) => {
                assert_eq!(
                    text.matches(&format!("  dial_timeout = \"{t}\"\n")).count(),
                    2,
                    "{version}: {text}"
                );
            }
            None => assert!(!text.contains("dial_timeout"), "{version}: {text}"),
        }
    }
    let (_d, mut n) = node(&[]);
    with_containerd(&mut n, Version::new(2, 1, 9));
    sel.dial_timeout = Some(DialTimeout::After("1500ms".into()));
    assert!(hosts_text(&n, &sel).contains("  dial_timeout = \"1500ms\"\n"));
    sel.dial_timeout = Some(DialTimeout::Off);
    assert!(!hosts_text(&n, &sel).contains("dial_timeout"));
    // Unknown version: the key is not written.
    let (_d, n) = node(&[]);
    sel.dial_timeout = None;
    assert!(!hosts_text(&n, &sel).contains("dial_timeout"));
}

#[test]
fn dial_timeout_in_profiles_round_trips_and_bad_values_name_their_place() {
    use crate::selection::{DialTimeout, Selection};
    let p = Path::new("p.toml");
    let sel = Selection::from_profile(p, "preset = \"daocloud\"\ndial_timeout = \"2s\"\n").unwrap();
    assert_eq!(sel.dial_timeout, Some(DialTimeout::After("2s".into())));
    assert_eq!(Selection::from_profile(p, &sel.to_profile()).unwrap(), sel);
    let off = Selection::from_profile(p, "dial_timeout = \"none\"\n").unwrap();
    assert_eq!(off.dial_timeout, Some(DialTimeout::Off));
    let e = Selection::from_profile(p, "preset = \"daocloud\"\ndial_timeout = \"3 s\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("p.toml:2:16"), "{e}");
}
