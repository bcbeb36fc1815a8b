use super::http::proxy_from;
use super::*;
use crate::catalog::Catalog;
use crate::endpoint::Endpoint;
use crate::registry::RegistryName;
use crate::selection::Selection;

fn ep(s: &str) -> Endpoint {
    Endpoint::parse(s).unwrap()
}

#[test]
fn urls_follow_containerd() {
    let reg = RegistryName::parse("k8s.gcr.io").unwrap();
    let nju = ep("https://gcr.nju.edu.cn/v2/google-containers");
    assert_eq!(v2_root(&nju), "https://gcr.nju.edu.cn/v2/");
    assert_eq!(
        manifest_url(&nju, &reg, "pause", "3.9"),
        "https://gcr.nju.edu.cn/v2/google-containers/pause/manifests/3.9?ns=k8s.gcr.io"
    );
    let plain = ep("http://127.0.0.1:5000");
    assert_eq!(v2_root(&plain), "http://127.0.0.1:5000/v2/");
    let hub = RegistryName::parse("docker.io").unwrap();
    assert_eq!(
        manifest_url(&plain, &hub, "library/busybox", "latest"),
        "http://127.0.0.1:5000/v2/library/busybox/manifests/latest?ns=docker.io"
    );
    let prefix = ep("https://mirror.example/hub");
    assert_eq!(v2_root(&prefix), "https://mirror.example/hub/v2/");
}

#[test]
fn catalog_candidates_cover_every_registry_and_skip_placeholders() {
    let c = Catalog::builtin();
    let all = candidates(&c, &[], None).unwrap();
    assert!(all
        .iter()
        .any(|x| x.endpoint.url() == "https://docker.m.daocloud.io"));
    assert!(
        all.iter().all(|x| !x.endpoint.url().contains("aliyuncs")),
        "needs-ID presets are skipped"
    );
    assert!(all
        .iter()
        .any(|x| x.source == "upstream" && x.endpoint.url() == "https://registry-1.docker.io"));
    let hub = candidates(&c, &[RegistryName::parse("docker.io").unwrap()], None).unwrap();
    assert!(hub.iter().all(|x| x.registry.as_str() == "docker.io"));
    let mut sel = Selection::default();
    sel.add_mirror_flag("docker.io=http://127.0.0.1:1,http://127.0.0.1:2")
        .unwrap();
    let given = candidates(&c, &[], Some(&sel)).unwrap();
    assert_eq!(given.len(), 2);
    assert_eq!(
        given[0].probe_image.as_deref(),
        Some("library/busybox:latest")
    );
}

#[test]
fn proxies_follow_https_proxy_and_no_proxy() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    };
    let vars: &'static [(&str, &str)] = &[
        ("HTTPS_PROXY", "http://proxy:3128"),
        (
            "NO_PROXY",
            "localhost,.corp.example,10.0.0.0/8,registry.local:5000,::1",
        ),
    ];
    let p = |url: &str| proxy_from(&ep(url), env(vars));
    assert_eq!(
        p("https://docker.m.daocloud.io").as_deref(),
        Some("http://proxy:3128")
    );
    assert_eq!(p("https://harbor.corp.example"), None, "suffix");
    assert_eq!(p("https://corp.example"), None, "the domain itself");
    assert_eq!(p("https://10.1.2.3:5000"), None, "CIDR");
    assert_eq!(p("https://11.1.2.3"), Some("http://proxy:3128".into()));
    assert_eq!(p("https://registry.local:5000"), None, "host:port entry");
    assert_eq!(p("https://[::1]:5000"), None, "IPv6 entry");
    assert_eq!(p("http://plain.example"), None, "no HTTP_PROXY for http://");
    let all: &'static [(&str, &str)] = &[("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "*")];
    assert_eq!(proxy_from(&ep("https://x.example"), env(all)), None);
}

#[test]
fn recommendation_prefers_fast_working_mirrors() {
    let mk = |url: &str, source: &str, status, ms| {
        ProbeResult::measured("docker.io", url, source, status, Some(ms))
    };
    let rs = vec![
        mk("https://a", "x", ProbeStatus::Ok, 300),
        mk("https://b", "y", ProbeStatus::Ok, 100),
        mk("https://c", "z", ProbeStatus::Denied, 10),
        mk(
            "https://registry-1.docker.io",
            "upstream",
            ProbeStatus::Ok,
            5,
        ),
    ];
    let rec = recommend(&rs);
    assert_eq!(rec[0].1.unwrap().url, "https://b");
    let none = recommend(&rs[2..3]);
    assert!(none[0].1.is_none());
}
