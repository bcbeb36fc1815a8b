//! Property tests (proptest) for the parsers and editors: version lines,
//! hosts.toml render → parse, config.toml edits, and every value that goes
//! into a systemd unit, TOML or JSON (proxy, NO_PROXY, auth, pause image). Each runs a few
//! hundred cases in the suite; `PROPTEST_CASES=100000 cargo test --test
//! properties` runs them for minutes. Failing inputs are kept under
//! tests/properties.proptest-regressions and replayed first.

use ctrwiz::containerd::config::ContainerdConfig;
use ctrwiz::containerd::hosts::{self, HostsSpec};
use ctrwiz::endpoint::Endpoint;
use ctrwiz::registry::RegistryName;
use ctrwiz::version::{parse_version_line, Version};
use proptest::prelude::*;
use std::path::Path;

/// Proxy inputs the parser accepted: the property is about rendering, so
/// a run where (almost) everything is refused proves nothing.
static ACCEPTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn proxy_property_sees_accepted_values() {
    proxy_values_never_inject_into_the_unit();
    assert!(
        ACCEPTED.load(std::sync::atomic::Ordering::Relaxed) >= 20,
        "the generator reaches the renderer"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/properties.proptest-regressions"),
        ))),
        ..ProptestConfig::default()
    })]

    /// Whatever the proxy input, the drop-in either is refused or holds
    /// exactly three `Environment=` lines, no quote or line break of the
    /// input's own, and every `%` doubled (systemd specifiers).
    #[test]
    fn proxy_values_never_inject_into_the_unit(url in prop_oneof![1 => "\\PC{0,40}|[ -~]{0,40}", 1 => "(|http://|https://|socks5://)[a-z0-9%.@:_-]{1,30}", 4 => "(http|https|socks5)://[a-z][a-z0-9-]{0,12}(\\.[a-z]{2,6}){0,2}(:[1-9][0-9]{1,3})?(/%[a-z]{1,3})?"], no_proxy in proptest::collection::vec(prop_oneof![1 => "\\PC{0,20}|[ -~]{0,20}", 16 => "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6})?|\\.[a-z]{2,8}|10\\.[0-9]{1,2}\\.0\\.0/16"], 0..3)) {
        let Ok(proxy) = ctrwiz::extras::Proxy::parse(&url, Some(&no_proxy), &[]) else { return Ok(()) };
        ACCEPTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The list as parsed (trimmed, checked), as the plan renders it.
        let parsed = match &proxy { ctrwiz::extras::Proxy::Set { no_proxy: ctrwiz::extras::NoProxy::Exactly(l), .. } => l.clone(), _ => vec![] };
        let Some(text) = proxy.render(&parsed) else { return Ok(()) };
        let lines: Vec<&str> = text.lines().collect();
        prop_assert_eq!(lines.iter().filter(|l| l.starts_with("Environment=")).count(), 3, "{}", text);
        prop_assert_eq!(lines.iter().filter(|l| !l.starts_with('#') && !l.is_empty()).count(), 4, "{}", text);
        for l in lines.iter().filter(|l| l.starts_with("Environment=")) {
            let inner = &l["Environment=\"".len()..l.len() - 1];
            prop_assert!(l.ends_with('"') && !inner.contains('"') && !inner.contains('\\'), "{}", l);
            prop_assert!(!inner.replace("%%", "").contains('%'), "{}", l);
        }
    }

    /// A pause image either is refused or is a reference containerd's
    /// grammar accepts, and it round-trips through the TOML ctrwiz writes.
    #[test]
    fn pause_images_are_refused_or_safe_in_toml(image in "\\PC{0,60}|[a-z0-9./:@_-]{1,60}") {
        let Ok(image) = ctrwiz::extras::sandbox_image(&image) else { return Ok(()) };
        prop_assert!(!image.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\''));
        let mut cfg = ContainerdConfig::parse(Path::new("c.toml"), "version = 2\n").unwrap();
        cfg.set_sandbox_image(&image);
        let doc: toml::Value = toml::from_str(&cfg.render()).unwrap();
        prop_assert_eq!(doc["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"].as_str(), Some(image.as_str()));
    }

    /// Any password (quotes, backslashes, newlines, Chinese) survives the
    /// hosts.toml it goes into, byte for byte, and never a second key.
    #[test]
    fn auth_values_round_trip_through_hosts_toml(user in "[a-z]{1,8}", password in "\\PC{0,30}") {
        let mut p = ctrwiz::extras::PrivateRegistry::new(RegistryName::parse("harbor.corp:8443").unwrap());
        p.username = Some(user.clone());
        p.password = Some(password.clone());
        let text = p.hosts_spec().render();
        let doc: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let host = doc["host"].as_table().unwrap().values().next().unwrap();
        let header = host["header"]["Authorization"].as_str().map(str::to_string)
            .or_else(|| host["header"]["Authorization"].as_array().and_then(|a| a[0].as_str()).map(str::to_string))
            .unwrap();
        use base64_check::decode;
        let token = header.strip_prefix("Basic ").unwrap();
        prop_assert_eq!(decode(token), format!("{user}:{password}").into_bytes());
    }

    #[test]
    fn version_lines_never_panic(s in "\\PC{0,80}") {
        let _ = parse_version_line(&s);
        let _ = Version::parse(&s);
    }

    #[test]
    fn version_in_a_banner_is_found(name in "[a-z]{2,10}", pkg in "[a-z./]{0,30}", v in (0u32..100, 0u32..100, 0u32..1000), pre in "(|~ds1|\\+deb12|-rc\\.1)", lead in "(|v)") {
        let line = format!("{name} {pkg} {lead}{}.{}.{}{pre} 0123abcd", v.0, v.1, v.2);
        // A package path with a digit-dot token would be read first; the
        // generator keeps it letters only, like every real banner.
        prop_assert_eq!(parse_version_line(&line), Some(Version::new(v.0, v.1, v.2)));
    }

    #[test]
    fn hosts_render_parses_back(
        host in "[a-z]([a-z0-9-]{0,9}[a-z0-9])?(\\.[a-z][a-z0-9]{0,6}){1,3}",
        port in proptest::option::of(1u16..),
        mirrors in proptest::collection::vec(("(http|https)", "[a-z][a-z0-9]{0,8}\\.[a-z]{2,5}", proptest::option::of(1u16..), "(|/[a-z]{1,6}|/v2/[a-z]{1,6})"), 0..5),
    ) {
        let name = match port { Some(p) => format!("{host}:{p}"), None => host };
        let registry = RegistryName::parse(&name).unwrap();
        let eps: Vec<Endpoint> = mirrors.iter().map(|(s, h, p, path)| {
            let port = p.map(|p| format!(":{p}")).unwrap_or_default();
            Endpoint::parse(&format!("{s}://{h}{port}{path}")).unwrap()
        }).collect();
        let spec = HostsSpec::with_mirrors(registry.clone(), eps.clone(), "prop");
        let text = spec.render();
        let parsed = hosts::parse(Path::new("hosts.toml"), &text).unwrap();
        prop_assert!(parsed.managed);
        prop_assert!(parsed.has_host_table, "always a [host] table");
        let mut want: Vec<String> = Vec::new();
        for e in &eps { if !want.contains(&e.url()) { want.push(e.url()); } }
        if want.is_empty() { want.push(registry.upstream_url().unwrap()); }
        let got: Vec<String> = parsed.hosts.iter().map(|h| h.url.clone()).collect();
        prop_assert_eq!(got, want, "hosts in order, without duplicates");
        prop_assert_eq!(parsed.server, registry.upstream_url());
        for (h, e) in parsed.hosts.iter().zip(eps.iter()) {
            prop_assert_eq!(h.override_path, e.override_path);
        }
        prop_assert!(!text.contains("dial_timeout"));
    }

    #[test]
    fn config_edits_keep_toml_comments_and_other_values(
        version in proptest::option::of(2i64..=3),
        comments in proptest::collection::vec("[a-zA-Z0-9 ,.!-]{0,30}", 0..4),
        keys in proptest::collection::btree_map("[a-z_]{1,10}", (0i64..1000, "[a-z0-9/.]{0,12}"), 0..6),
        sandbox in "[a-z0-9/.:]{1,20}",
        with_registry in any::<bool>(),
        old_path in "[a-z/]{0,20}",
        new_path in "/[a-z]{1,8}(/[a-z.]{1,8}){0,3}",
    ) {
        let mut src = String::new();
        for c in &comments { src.push_str(&format!("# {c}\n")); }
        if let Some(v) = version { src.push_str(&format!("version = {v}\n")); }
        for (k, (n, s)) in &keys { src.push_str(&format!("top_{k} = {n}\nstr_{k} = \"{s}\"  # trailing {k}\n")); }
        let plugin = if version == Some(3) { "io.containerd.cri.v1.images" } else { "io.containerd.grpc.v1.cri" };
        src.push_str(&format!("\n[plugins.\"{plugin}\"]\n  sandbox_image = \"{sandbox}\"\n"));
        if with_registry {
            src.push_str(&format!("  [plugins.\"{plugin}\".registry]\n    config_path = \"{old_path}\"\n"));
        }
        let mut cfg = ContainerdConfig::parse(Path::new("c.toml"), &src).unwrap();
        cfg.ensure_versioned();
        cfg.set_config_path(&new_path);
        let out = cfg.render();

        // Valid TOML in, valid TOML out, with the new value where containerd reads it.
        let reparsed = ContainerdConfig::parse(Path::new("c.toml"), &out).unwrap();
        prop_assert_eq!(reparsed.config_path(), Some(new_path.clone()));
        // Comments kept.
        for c in &comments { let line = format!("# {c}"); prop_assert!(out.contains(&line)); }
        for k in keys.keys() { let t = format!("# trailing {k}"); prop_assert!(out.contains(&t)); }
        // Only the intended keys changed.
        let before: toml::Table = toml::from_str(&src).unwrap();
        let mut after: toml::Table = toml::from_str(&out).unwrap();
        let mut expected = before.clone();
        expected.insert("version".into(), toml::Value::Integer(version.unwrap_or(2)));
        let plugin_t = expected["plugins"].as_table().unwrap()[plugin].as_table().unwrap().clone();
        let mut plugin_t = plugin_t;
        let mut reg = plugin_t.get("registry").and_then(|r| r.as_table()).cloned().unwrap_or_default();
        reg.insert("config_path".into(), toml::Value::String(new_path.clone()));
        plugin_t.insert("registry".into(), toml::Value::Table(reg));
        expected["plugins"].as_table_mut().unwrap().insert(plugin.into(), toml::Value::Table(plugin_t));
        after.remove("__none__");
        prop_assert_eq!(after, expected);
    }
}

/// The seeds kept in tests/corpus (real-world shapes: Debian's and 2.x
/// defaults, Docker's containerd.io file, the guides' hosts.toml files)
/// go through the same checks on every run.
#[test]
fn corpus_seeds_hold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.join("config")).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let mut cfg =
            ContainerdConfig::parse(&entry.path(), &text).unwrap_or_else(|e| panic!("{e}"));
        cfg.ensure_versioned();
        cfg.remove_legacy_mirrors();
        cfg.remove_legacy_tls();
        cfg.set_config_path("/etc/containerd/certs.d");
        let out = cfg.render();
        let again = ContainerdConfig::parse(&entry.path(), &out).unwrap();
        assert_eq!(
            again.config_path().as_deref(),
            Some("/etc/containerd/certs.d"),
            "{}",
            entry.path().display()
        );
        assert!(again.legacy_mirrors().is_empty());
        for line in text.lines().filter(|l| l.trim_start().starts_with('#')) {
            assert!(
                out.contains(line),
                "{}: comment lost: {line}",
                entry.path().display()
            );
        }
        seen += 1;
    }
    for entry in std::fs::read_dir(dir.join("hosts")).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let parsed = hosts::parse(&entry.path(), &text);
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(parsed.is_err(), name.starts_with("duplicate"), "{name}");
        seen += 1;
    }
    let versions = std::fs::read_to_string(dir.join("versions.txt")).unwrap();
    for line in versions.lines() {
        let v = parse_version_line(line);
        assert_eq!(v.is_none(), line.contains("unknown"), "{line}");
    }
    assert!(seen >= 14, "{seen}");
}

/// Enough base64 to read a Basic header back (the suite has no base64
/// crate; the encoder under test is ctrwiz's own).
mod base64_check {
    pub fn decode(s: &str) -> Vec<u8> {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in s.bytes().filter(|&c| c != b'=') {
            acc = acc << 6 | A.iter().position(|&a| a == c).expect("base64") as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        out
    }
}
