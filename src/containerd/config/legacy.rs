//! The legacy CRI registry settings in config.toml (`registry.mirrors`
//! and `registry.configs."host".tls`): read to migrate them into hosts.toml,
//! and removed, since CRI refuses them next to `config_path`.

use super::*;

/// `registry.configs."host".tls` of a version-2 file (removed in 2.x and
/// refused by CRI together with `config_path`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LegacyTls {
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub insecure_skip_verify: bool,
}

impl ContainerdConfig {
    /// Legacy `registry.mirrors."<registry>".endpoint` lists.
    pub fn legacy_mirrors(&self) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let Some(mirrors) = self
            .registry()
            .and_then(|r| r.get("mirrors"))
            .and_then(Item::as_table_like)
        else {
            return out;
        };
        for (name, item) in mirrors.iter() {
            let endpoints = strings(item.as_table_like().and_then(|t| t.get("endpoint")));
            out.insert(name.to_string(), endpoints);
        }
        out
    }

    /// Legacy `registry.configs."<host>".tls` tables (version 1/2 files).
    pub fn legacy_tls(&self) -> BTreeMap<String, LegacyTls> {
        let mut out = BTreeMap::new();
        if self.schema_version() > 2 {
            return out;
        }
        let Some(configs) = self
            .registry()
            .and_then(|r| r.get("configs"))
            .and_then(Item::as_table_like)
        else {
            return out;
        };
        for (host, item) in configs.iter() {
            let Some(tls) = item
                .as_table_like()
                .and_then(|t| t.get("tls"))
                .and_then(Item::as_table_like)
            else {
                continue;
            };
            let s = |k: &str| {
                tls.get(k)
                    .and_then(Item::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            out.insert(
                host.to_string(),
                LegacyTls {
                    ca_file: s("ca_file"),
                    cert_file: s("cert_file"),
                    key_file: s("key_file"),
                    insecure_skip_verify: tls
                        .get("insecure_skip_verify")
                        .and_then(Item::as_bool)
                        .unwrap_or(false),
                },
            );
        }
        out
    }

    /// Removes `registry.mirrors` entries (CRI refuses them next to
    /// `config_path`; docs/containerd-facts.md §3.3). Returns what was removed.
    pub fn remove_legacy_mirrors(&mut self) -> Option<ConfigEdit> {
        let names: Vec<String> = self.legacy_mirrors().into_keys().collect();
        if names.is_empty() {
            return None;
        }
        let plugin = self.images_plugin();
        let registry = ensure_table(&mut self.doc, &["plugins", plugin, "registry"]);
        // The whole table: an empty `[….registry.mirrors]` header left
        // behind says nothing and reads like a leftover.
        registry.remove("mirrors");
        Some(ConfigEdit(crate::plan::Reason::LegacyMirrorsRemoved {
            registries: names,
        }))
    }

    /// Removes `registry.configs."host".tls` (version 1/2 files), keeping
    /// `auth`. Returns what was removed.
    pub fn remove_legacy_tls(&mut self) -> Option<ConfigEdit> {
        let hosts: Vec<String> = self.legacy_tls().into_keys().collect();
        if hosts.is_empty() {
            return None;
        }
        let plugin = self.images_plugin();
        let registry = ensure_table(&mut self.doc, &["plugins", plugin, "registry"]);
        if let Some(configs) = registry
            .get_mut("configs")
            .and_then(Item::as_table_like_mut)
        {
            for host in &hosts {
                if let Some(entry) = configs.get_mut(host).and_then(Item::as_table_like_mut) {
                    entry.remove("tls");
                    if entry.is_empty() {
                        configs.remove(host);
                    }
                }
            }
        }
        Some(ConfigEdit(crate::plan::Reason::LegacyTlsRemoved { hosts }))
    }
}
