//! containerd's config.toml, read and edited through toml_edit so that the
//! user's comments, order and formatting survive every change.
//!
//! Which table holds the CRI registry settings depends on the *file's*
//! `version`, not on the daemon's (docs/containerd-facts.md §3.1, §3.3):
//! missing → 1 (short plugin names), 2 → `io.containerd.grpc.v1.cri`,
//! 3/4 → `io.containerd.cri.v1.images`.

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

pub const CRI_V2: &str = "io.containerd.grpc.v1.cri";
pub const CRI_IMAGES_V3: &str = "io.containerd.cri.v1.images";
/// runc's shim, the runtime type every containerd 1.6–2.x default config
/// gives `runtimes.runc`.
pub const RUNC_RUNTIME_TYPE: &str = "io.containerd.runc.v2";
pub const DEFAULT_PATH: &str = "/etc/containerd/config.toml";

#[derive(Clone, Debug)]
pub struct ContainerdConfig {
    doc: DocumentMut,
    /// The file's line ending and byte-order mark, given back on render:
    /// a one-line edit of a CRLF file stays a one-line diff.
    crlf: bool,
    bom: bool,
}

/// Tables ctrwiz reads or writes under: if one is there as another type
/// (`plugins = "x"`, an array of tables), containerd would refuse the file
/// and an edit would silently replace the user's value.
const TABLE_PATHS: &[&[&str]] = &[
    &["plugins"],
    &["plugins", "cri"],
    &["plugins", "cri", "registry"],
    &["plugins", "cri", "containerd"],
    &["plugins", CRI_V2],
    &["plugins", CRI_V2, "registry"],
    &["plugins", CRI_V2, "registry", "mirrors"],
    &["plugins", CRI_V2, "registry", "configs"],
    &["plugins", CRI_V2, "containerd"],
    &["plugins", CRI_V2, "containerd", "runtimes"],
    &["plugins", CRI_V2, "containerd", "runtimes", "runc"],
    &[
        "plugins",
        CRI_V2,
        "containerd",
        "runtimes",
        "runc",
        "options",
    ],
    &["plugins", CRI_IMAGES_V3],
    &["plugins", CRI_IMAGES_V3, "registry"],
    &["plugins", CRI_IMAGES_V3, "pinned_images"],
    &["plugins", "io.containerd.cri.v1.runtime"],
    &["plugins", "io.containerd.cri.v1.runtime", "containerd"],
    &[
        "plugins",
        "io.containerd.cri.v1.runtime",
        "containerd",
        "runtimes",
    ],
    &[
        "plugins",
        "io.containerd.cri.v1.runtime",
        "containerd",
        "runtimes",
        "runc",
    ],
    &[
        "plugins",
        "io.containerd.cri.v1.runtime",
        "containerd",
        "runtimes",
        "runc",
        "options",
    ],
];

/// `registry.configs."host".tls` of a version-2 file (removed in 2.x and
/// refused by CRI together with `config_path`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LegacyTls {
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub insecure_skip_verify: bool,
}

/// One edit, used for the restart reason and the review (rendered in the
/// reader's language when shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigEdit(pub crate::plan::Reason);

impl ContainerdConfig {
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let bom = text.starts_with('\u{feff}');
        let text = text.trim_start_matches('\u{feff}');
        let crlf = text.contains("\r\n");
        // ImDocument keeps spans, so type errors can name line and column.
        let im = toml_edit::ImDocument::parse(text)
            .map_err(|e| Error::toml(path, text, e.span().map(|s| s.start), e.message()))?;
        let at = |item: &Item| item.span().map(|s| s.start);
        if let Some(item) = im.get("version") {
            match item.as_integer() {
                Some(1..=4) => {}
                Some(n) => {
                    let msg = crate::t!("plan.config.unknown_version", version = n);
                    return Err(Error::toml(path, text, at(item), &msg));
                }
                None => {
                    return Err(Error::toml(
                        path,
                        text,
                        at(item),
                        crate::t!("plan.config.version_number"),
                    ))
                }
            }
        }
        for keys in TABLE_PATHS {
            let mut item = im.as_item();
            for (depth, key) in keys.iter().enumerate() {
                let Some(next) = item.get(key) else {
                    break;
                };
                if !next.is_table_like() {
                    let msg =
                        crate::t!("plan.config.not_a_table", table = keys[..=depth].join("."));
                    return Err(Error::toml(path, text, at(next), &msg));
                }
                item = next;
            }
        }
        let cfg = ContainerdConfig {
            doc: im.clone().into_mut(),
            crlf,
            bom,
        };
        // containerd refuses a config_path that is not a string (docs/containerd-facts.md §3.3).
        let plugin = cfg.images_plugin();
        let config_path = im
            .get("plugins")
            .and_then(|p| p.get(plugin))
            .and_then(|p| p.get("registry"))
            .and_then(|r| r.get("config_path"));
        if let Some(item) = config_path.filter(|i| i.as_str().is_none()) {
            let msg = crate::t!("plan.config.config_path_string");
            return Err(Error::toml(path, text, at(item), msg));
        }
        Ok(cfg)
    }

    /// A minimal file of the right version for a node without config.toml.
    pub fn minimal(version: u32) -> String {
        // i18n: file content
        format!("# Written by ctrwiz: containerd's own defaults apply to everything not set here.\nversion = {version}\n")
    }

    pub fn declared_version(&self) -> Option<i64> {
        self.doc.get("version").and_then(Item::as_integer)
    }

    /// The schema the file is read with: a missing `version` means 1.
    pub fn schema_version(&self) -> u32 {
        self.declared_version().map_or(1, |v| v as u32)
    }

    fn images_plugin(&self) -> &'static str {
        match self.schema_version() {
            1 => "cri",
            2 => CRI_V2,
            _ => CRI_IMAGES_V3,
        }
    }

    /// The dotted table path that holds `config_path` for this file.
    pub fn registry_table_name(&self) -> String {
        format!("plugins.\"{}\".registry", self.images_plugin())
    }

    fn registry(&self) -> Option<&dyn TableLike> {
        let plugins = self.doc.get("plugins")?.as_table_like()?;
        plugins
            .get(self.images_plugin())?
            .as_table_like()?
            .get("registry")?
            .as_table_like()
    }

    pub fn config_path(&self) -> Option<String> {
        self.config_path_at(self.images_plugin())
    }

    /// `config_path` under any plugin table, to find one at the wrong table.
    pub fn config_path_at(&self, plugin: &str) -> Option<String> {
        let plugins = self.doc.get("plugins")?.as_table_like()?;
        let registry = plugins
            .get(plugin)?
            .as_table_like()?
            .get("registry")?
            .as_table_like()?;
        registry.get("config_path")?.as_str().map(str::to_string)
    }

    /// Settings that make 2.1+'s CRI pull locally instead of through the
    /// transfer service (then a colon list in `config_path` works): the
    /// checks of `CheckLocalImagePullConfigs`, internal/cri/config/config.go
    /// (v2.1.0 … v2.3.4): `use_local_image_pull`, `discard_unpacked_layers`,
    /// `max_concurrent_downloads` other than 3, `disable_snapshot_annotations
    /// = false`, `image_pull_with_sync_fs`, and any legacy mirrors, configs
    /// or auths.
    pub fn forces_local_pull(&self) -> bool {
        let Some(images) = self
            .doc
            .get("plugins")
            .and_then(Item::as_table_like)
            .and_then(|p| p.get(self.images_plugin()))
            .and_then(Item::as_table_like)
        else {
            return false;
        };
        let flag = |k: &str| images.get(k).and_then(Item::as_bool);
        let registry_has = |k: &str| {
            images
                .get("registry")
                .and_then(Item::as_table_like)
                .and_then(|r| r.get(k))
                .and_then(Item::as_table_like)
                .is_some_and(|t| !t.is_empty())
        };
        flag("use_local_image_pull") == Some(true)
            || flag("discard_unpacked_layers") == Some(true)
            || flag("image_pull_with_sync_fs") == Some(true)
            || flag("disable_snapshot_annotations") == Some(false)
            || images
                .get("max_concurrent_downloads")
                .and_then(Item::as_integer)
                .is_some_and(|n| n != 3)
            || ["mirrors", "configs", "auths"]
                .into_iter()
                .any(registry_has)
    }

    /// The file defines the CRI plugin's table (for its own version).
    pub fn has_cri_table(&self) -> bool {
        let plugin = match self.schema_version() {
            1 => "cri",
            2 => CRI_V2,
            _ => CRI_IMAGES_V3,
        };
        self.doc
            .get("plugins")
            .and_then(Item::as_table_like)
            .is_some_and(|p| p.contains_key(plugin))
    }

    /// The table this file's version reads the CRI registry from.
    pub fn images_plugin_name(&self) -> &'static str {
        self.images_plugin()
    }

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

    /// True when `disabled_plugins` turns the CRI plugin off (Docker's
    /// containerd.io package ships such a file): kubelet cannot use it.
    pub fn cri_disabled(&self) -> bool {
        self.doc
            .get("disabled_plugins")
            .and_then(Item::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str().is_some_and(is_cri_id)))
    }

    /// Takes every id of the CRI plugin out of `disabled_plugins`, keeping
    /// the others (and the array's formatting).
    pub fn enable_cri(&mut self) -> Option<ConfigEdit> {
        if !self.cri_disabled() {
            return None;
        }
        let arr = self.doc.get_mut("disabled_plugins")?.as_array_mut()?;
        arr.retain(|v| !v.as_str().is_some_and(is_cri_id));
        if let Some(first) = arr.get_mut(0) {
            // The first element keeps no leading space of a removed one.
            let suffix = first.decor().suffix().cloned();
            first.decor_mut().clear();
            if let Some(s) = suffix {
                first.decor_mut().set_suffix(s);
            }
        }
        Some(ConfigEdit(crate::plan::Reason::CriEnabled))
    }

    /// `imports` of other files; on 1.x an imported plugin table replaces
    /// the whole table of the main file (docs/containerd-facts.md §3.3).
    pub fn imports(&self) -> Vec<String> {
        strings(self.doc.get("imports"))
    }

    /// Before [`Self::ensure_versioned`]: a version-less file that holds
    /// both `plugins.<short>` and its fully-qualified table (a Kata or
    /// NVIDIA how-to pasted into an old file) would lose one of them in the
    /// rename. 1.x decodes a version-1 file by the short id only
    /// (`Config.Decode`: `if c.GetVersion() == 1 { id = p.ID }`), so it
    /// ignored the long table; 2.x's `v1Migrate` maps both onto one key in
    /// map order, so either may win. Both are merged into the short table:
    /// the long table's settings are kept, and where both set a key the
    /// short one's value (what 1.x ran with) wins and the other is named.
    pub fn merge_v1_tables(&mut self) -> Vec<ConfigEdit> {
        if self.declared_version().is_some() {
            return vec![];
        }
        let Some(plugins) = self
            .doc
            .get_mut("plugins")
            .and_then(Item::as_table_like_mut)
        else {
            return vec![];
        };
        let shorts: Vec<String> = plugins
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !k.contains('.'))
            .collect();
        let mut out = Vec::new();
        for short in shorts {
            let full = v1_plugin_name(&short);
            let Some(long) = plugins.remove(&full) else {
                continue;
            };
            let mut conflicts = Vec::new();
            if let Some(into) = plugins.get_mut(&short) {
                merge_missing(into, long, &full, &mut conflicts);
            }
            out.push(ConfigEdit(crate::plan::Reason::V1TablesMerged {
                short: format!("plugins.{short}"),
                full: format!("plugins.\"{full}\""),
                conflicts,
            }));
        }
        out
    }

    /// Makes a version-less (version 1) file a version 2 file, renaming its
    /// short plugin names the way containerd's own v1 migration does, so
    /// that the fully-qualified tables ctrwiz writes are not ignored
    /// (docs/containerd-facts.md §7.1, containerd#5236).
    pub fn ensure_versioned(&mut self) -> Option<ConfigEdit> {
        if self.declared_version().is_some() {
            return None;
        }
        if let Some(plugins) = self
            .doc
            .get_mut("plugins")
            .and_then(Item::as_table_like_mut)
        {
            let short: Vec<String> = plugins
                .iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !k.contains('.'))
                .collect();
            for name in short {
                if let Some(item) = plugins.remove(&name) {
                    plugins.insert(&v1_plugin_name(&name), item);
                }
            }
        }
        for key in ["disabled_plugins", "required_plugins"] {
            if let Some(arr) = self.doc.get_mut(key).and_then(Item::as_array_mut) {
                for v in arr.iter_mut() {
                    if let Some(s) = v.as_str().filter(|s| !s.contains('.')) {
                        let decor = v.decor().clone();
                        *v = Value::from(v1_plugin_name(s));
                        *v.decor_mut() = decor;
                    }
                }
            }
        }
        self.doc.insert("version", toml_edit::value(2));
        Some(ConfigEdit(crate::plan::Reason::VersionAdded))
    }

    /// Sets the one hosts directory, never a colon list (docs/containerd-facts.md §7.4).
    pub fn set_config_path(&mut self, dir: &str) -> Option<ConfigEdit> {
        let old = self.config_path();
        if old.as_deref() == Some(dir) {
            return None;
        }
        let plugin = self.images_plugin();
        let path = ["plugins", plugin, "registry"];
        let (indent, registry) = ensure_table_indented(&mut self.doc, &path);
        set_string_keep_decor(registry, "config_path", dir, indent);
        let dir = dir.to_string();
        Some(ConfigEdit(match old {
            None => crate::plan::Reason::ConfigPathSet { dir },
            Some(o) if o.is_empty() => crate::plan::Reason::ConfigPathSet { dir },
            Some(old) => crate::plan::Reason::ConfigPathChanged { old, dir },
        }))
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

    /// Table path and key of the pause image for this file's version:
    /// `sandbox_image` on 1.x files, `pinned_images.sandbox` on 3/4 (docs/containerd-facts.md §3.1).
    fn sandbox_location(&self) -> (Vec<&'static str>, &'static str) {
        match self.schema_version() {
            1 => (vec!["plugins", "cri"], "sandbox_image"),
            2 => (vec!["plugins", CRI_V2], "sandbox_image"),
            _ => (vec!["plugins", CRI_IMAGES_V3, "pinned_images"], "sandbox"),
        }
    }

    fn get(&self, path: &[&str], key: &str) -> Option<&Item> {
        let mut cur: &dyn TableLike = self.doc.as_table();
        for p in path {
            cur = cur.get(p)?.as_table_like()?;
        }
        cur.get(key)
    }

    pub fn sandbox_image(&self) -> Option<String> {
        let (path, key) = self.sandbox_location();
        self.get(&path, key)?.as_str().map(str::to_string)
    }

    pub fn set_sandbox_image(&mut self, image: &str) -> Option<ConfigEdit> {
        let old = self.sandbox_image();
        if old.as_deref() == Some(image) {
            return None;
        }
        let (path, key) = self.sandbox_location();
        let (indent, table) = ensure_table_indented(&mut self.doc, &path);
        set_string_keep_decor(table, key, image, indent);
        Some(ConfigEdit(crate::plan::Reason::PauseImage {
            image: image.to_string(),
            old,
        }))
    }

    pub fn render(&self) -> String {
        let mut out = self.doc.to_string();
        if self.crlf {
            out = out.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        if self.bom {
            out.insert(0, '\u{feff}');
        }
        out
    }
}

/// The ids that name the CRI plugin in `disabled_plugins`: the short v1
/// name, the grpc service, and 2.x's split images/runtime plugins (any of
/// them disabled leaves kubelet without CRI).
fn is_cri_id(id: &str) -> bool {
    matches!(
        id,
        "cri" | CRI_V2 | "io.containerd.cri.v1.images" | "io.containerd.cri.v1.runtime"
    )
}

/// Adds to `into` what `from` sets and `into` does not, table by table;
/// a key both set as values keeps `into`'s, and `from`'s is named in
/// `conflicts` (as a dotted path under `at`).
fn merge_missing(into: &mut Item, from: Item, at: &str, conflicts: &mut Vec<String>) {
    let (Some(dst), Some(src)) = (into.as_table_like_mut(), from.as_table_like()) else {
        let value = |i: &Item| i.as_value().map(|v| v.to_string().trim().to_string());
        if into.is_table_like() != from.is_table_like() || value(into) != value(&from) {
            conflicts.push(at.to_string());
        }
        return;
    };
    for (key, item) in src.iter() {
        let path = format!("{at}.{key}");
        match dst.get_mut(key) {
            None => {
                dst.insert(key, item.clone());
            }
            Some(existing) => merge_missing(existing, item.clone(), &path, conflicts),
        }
    }
}

/// The strings of a TOML array (none when absent or not an array).
fn strings(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// containerd's v1 → v2 plugin name mapping (`v1MigratePluginName`).
fn v1_plugin_name(short: &str) -> String {
    let core = [
        ("cri", "io.containerd.grpc.v1.cri"),
        ("cgroups", "io.containerd.monitor.v1.cgroups"),
        ("linux", "io.containerd.runtime.v1.linux"),
        ("scheduler", "io.containerd.gc.v1.scheduler"),
        ("bolt", "io.containerd.metadata.v1.bolt"),
        ("task", "io.containerd.runtime.v2.task"),
        ("opt", "io.containerd.internal.v1.opt"),
        ("restart", "io.containerd.internal.v1.restart"),
        ("tracing", "io.containerd.internal.v1.tracing"),
        ("otlp", "io.containerd.tracing.processor.v1.otlp"),
        ("aufs", "io.containerd.snapshotter.v1.aufs"),
        ("btrfs", "io.containerd.snapshotter.v1.btrfs"),
        ("devmapper", "io.containerd.snapshotter.v1.devmapper"),
        ("native", "io.containerd.snapshotter.v1.native"),
        ("overlayfs", "io.containerd.snapshotter.v1.overlayfs"),
        ("zfs", "io.containerd.snapshotter.v1.zfs"),
    ];
    if let Some((_, full)) = core.iter().find(|(s, _)| *s == short) {
        return full.to_string();
    }
    if short.ends_with("-service") {
        return format!("io.containerd.service.v1.{short}");
    }
    if short == "windows" || short == "windows-lcow" {
        return format!("io.containerd.snapshotter.v1.{short}");
    }
    format!("io.containerd.grpc.v1.{short}")
}

/// Walks (and creates) nested tables; intermediate tables that did not
/// exist are implicit so no empty headers appear.
/// [`ensure_table`] and the indentation its keys take.
fn ensure_table_indented<'a>(
    doc: &'a mut DocumentMut,
    path: &[&str],
) -> (Option<String>, &'a mut dyn TableLike) {
    ensure_table(doc, path);
    let indent = header_indent(doc, path);
    (indent, ensure_table(doc, path))
}

fn ensure_table<'a>(doc: &'a mut DocumentMut, path: &[&str]) -> &'a mut dyn TableLike {
    let mut cur: &mut dyn TableLike = doc.as_table_mut();
    for (i, key) in path.iter().enumerate() {
        let last = i == path.len() - 1;
        let needs_new = !cur.get(key).is_some_and(|it| it.is_table_like());
        if needs_new {
            let mut t = Table::new();
            t.set_implicit(!last);
            // Indent a new table's header like its siblings' (containerd's
            // and Debian's files nest by two spaces per level), after a
            // blank line.
            let sibling = cur
                .iter()
                .filter_map(|(_, it)| it.as_table())
                .filter(|t| !t.is_implicit())
                .find_map(|t| t.decor().prefix().and_then(|p| p.as_str()))
                .map(|p| p.rsplit('\n').next().unwrap_or("").to_string());
            if let Some(indent) = sibling.filter(|_| last) {
                t.decor_mut().set_prefix(format!("\n{indent}"));
            }
            cur.insert(key, Item::Table(t));
        }
        cur = cur
            .get_mut(key)
            .and_then(Item::as_table_like_mut)
            .expect("just ensured a table");
    }
    cur
}

/// Replaces a string value but keeps the spacing and trailing comment
/// around it; a new key copies the indentation of its siblings.
fn set_string_keep_decor(
    table: &mut dyn TableLike,
    key: &str,
    new: &str,
    header_indent: Option<String>,
) {
    // 2.x files quote with single quotes (`config_path = ''`): a new value
    // keeps the old one's style when a literal string can hold it.
    let literal = table
        .get(key)
        .and_then(Item::as_value)
        .filter(|v| v.is_str())
        .is_some_and(|v| v.to_string().trim_start().starts_with('\''))
        && !new.contains(['\'', '\n', '\r'])
        && !new.chars().any(char::is_control);
    let value = if literal {
        format!("'{new}'")
            .parse()
            .unwrap_or_else(|_| Value::from(new))
    } else {
        Value::from(new)
    };
    set_value_keep_decor(table, key, value, header_indent);
}

/// The indentation for keys of the table at `path`: its header's own
/// indentation plus two spaces (containerd's default files indent so).
fn header_indent(doc: &DocumentMut, path: &[&str]) -> Option<String> {
    let mut item = doc.as_item();
    for p in path {
        item = item.get(p)?;
    }
    let prefix = item.as_table()?.decor().prefix()?.as_str()?;
    let own = prefix.rsplit('\n').next().unwrap_or("");
    (!own.is_empty() || prefix.contains('\n')).then(|| format!("{own}  "))
}

fn set_value_keep_decor(
    table: &mut dyn TableLike,
    key: &str,
    new: Value,
    header_indent: Option<String>,
) {
    if let Some(v) = table.get_mut(key).and_then(Item::as_value_mut) {
        let decor = v.decor().clone();
        *v = new;
        *v.decor_mut() = decor;
        return;
    }
    // Indent like a sibling key, else two spaces past the table's header.
    let indent = table
        .iter()
        .find(|(_, v)| v.is_value())
        .and_then(|(k, _)| table.key(k))
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .map(|p| p.rsplit('\n').next().unwrap_or("").to_string())
        .or(header_indent);
    table.insert(key, Item::Value(new));
    if let (Some(indent), Some(mut k)) = (indent, table.key_mut(key)) {
        k.leaf_decor_mut().set_prefix(indent);
    }
}

mod runtime;
pub use runtime::RuntimeTable;

#[cfg(test)]
mod tests;
