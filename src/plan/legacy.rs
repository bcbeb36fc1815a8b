//! Legacy CRI registry settings (`registry.mirrors`, `configs.*.tls`)
//! turned into hosts.toml targets, so nothing the user had is lost: the
//! migration phase of `plan::make`.

use super::Note;
use crate::containerd::config::LegacyTls;
use crate::containerd::hosts::{HostSpec, HostsSpec};
use crate::endpoint::{Endpoint, Scheme};
use crate::error::{Error, Result};
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::Target;
use std::collections::BTreeMap;
use std::path::Path;

/// Legacy `registry.mirrors` become hosts.toml files, so nothing the user
/// had is lost; unless the selection chooses that registry anyway, or a
/// hosts.toml for it exists already (then containerd ignores the legacy
/// table, and the plan says it is dropped).
pub(super) fn migrate_legacy(
    node: &NodeState,
    legacy: BTreeMap<String, Vec<String>>,
    chosen: &[RegistryName],
) -> Result<(Vec<Target>, Vec<Note>)> {
    let path = &node.containerd_config.path;
    let (mut targets, mut notes) = (Vec::new(), Vec::new());
    for (name, endpoints) in legacy {
        if endpoints.is_empty() {
            // `endpoint = []`: nothing to migrate; the table goes with the rest.
            continue;
        }
        let registry = if name == "*" {
            RegistryName::default_namespace()
        } else {
            RegistryName::parse(&name).map_err(|e| Error::Invalid {
                path: path.clone(),
                message: e.to_string(),
            })?
        };
        if chosen.contains(&registry) {
            notes.push(Note::LegacyReplaced {
                registry: registry.to_string(),
            });
            continue;
        }
        if node
            .hosts_dir
            .files
            .get(&registry.dir_name())
            .is_some_and(Option::is_some)
        {
            notes.push(Note::LegacyDropped {
                registry: registry.to_string(),
                endpoints,
            });
            continue;
        }
        let eps = endpoints
            .iter()
            .map(|e| legacy_endpoint(e))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Invalid {
                path: path.clone(),
                message: crate::t!("plan.legacy_mirror_invalid", registry = registry, error = e),
            })?;
        targets.push(Target::Write(HostsSpec::with_mirrors(
            registry,
            eps,
            "migrated from config.toml registry.mirrors", // i18n: file content
        )));
    }
    Ok((targets, notes))
}

/// The legacy CRI `endpoint` used a non-empty path verbatim, without /v2
/// (docs/containerd-facts.md §7.5): keep that with override_path.
pub(super) fn legacy_endpoint(
    url: &str,
) -> std::result::Result<Endpoint, crate::endpoint::EndpointError> {
    let mut ep = Endpoint::parse(url)?;
    if !ep.path.is_empty() && !ep.path.ends_with("/v2") {
        ep.override_path = true;
    }
    Ok(ep)
}

/// `configs."host".tls` moves onto the hosts.toml entries for that host.
pub(super) fn apply_legacy_tls(
    targets: &mut Vec<Target>,
    tls: BTreeMap<String, LegacyTls>,
    notes: &mut Vec<Note>,
) -> Result<()> {
    for (host, t) in tls {
        let mut placed = false;
        for target in targets.iter_mut() {
            let Target::Write(spec) = target else {
                continue;
            };
            for h in spec
                .hosts
                .iter_mut()
                .filter(|h| h.endpoint.authority == host)
            {
                placed |= add_tls(h, &t, notes);
            }
        }
        if !placed {
            let registry = RegistryName::parse(&host)
                .map_err(|e| Error::Other(crate::t!("plan.legacy_configs_invalid", error = e)))?;
            let mut spec =
                // i18n: file content
                HostsSpec::upstream(registry, "migrated from config.toml registry.configs");
            if let Some(h) = spec.hosts.first_mut() {
                add_tls(h, &t, notes);
            }
            targets.retain(|x| x.registry().as_str() != host);
            targets.push(Target::Write(spec));
        }
    }
    Ok(())
}

pub(super) fn add_tls(h: &mut HostSpec, t: &LegacyTls, notes: &mut Vec<Note>) -> bool {
    if h.endpoint.scheme == Scheme::Http {
        // TLS options on http:// make containerd try HTTPS first (docs/containerd-facts.md §1.4).
        notes.push(Note::TlsOnHttp {
            url: h.endpoint.url(),
        });
        return true;
    }
    h.skip_verify |= t.insecure_skip_verify;
    h.ca.extend(t.ca_file.as_deref().map(legacy_path));
    if let Some(cert) = &t.cert_file {
        h.client.push((
            legacy_path(cert),
            t.key_file.as_deref().map(legacy_path).unwrap_or_default(),
        ));
    }
    true
}

/// A legacy `configs.*.tls` path as containerd read it: the 1.x CRI
/// plugin passes it straight to `os.ReadFile` / `tls.LoadX509KeyPair`
/// (`pkg/cri/server/image_pull.go`, `getTLSConfig`), so a relative path
/// was relative to containerd's working directory, `/` under its systemd
/// unit (which sets no WorkingDirectory). In hosts.toml a relative path
/// would be read from the hosts.toml's own directory instead (docs/containerd-facts.md §1,
/// `makeAbsPath`), so it is written absolute.
pub(super) fn legacy_path(p: &str) -> String {
    if Path::new(p).is_absolute() {
        p.to_string()
    } else {
        Path::new("/").join(p).display().to_string()
    }
}
