//! containerd's config.toml, read and edited through toml_edit so that the
//! user's comments, order and formatting survive every change.
//!
//! Which table holds the CRI registry settings depends on the *file's*
//! `version`, not on the daemon's (docs/containerd-facts.md §3.1, §3.3):
//! missing → 1 (short plugin names), 2 → `io.containerd.grpc.v1.cri`,
//! 3/4 → `io.containerd.cri.v1.images`.
//!
//! This file holds the document, its reading and the edits of single keys;
//! `tables` maps a version to its tables, `keep_format` writes keys the way
//! the file already does, `legacy` reads and removes the old registry
//! settings, `v1` migrates version-less files, `runtime` the runc and CNI
//! settings.

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml_edit::{DocumentMut, Item, TableLike, Value};

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

mod keep_format;
mod legacy;
mod runtime;
mod tables;
mod v1;

use keep_format::{
    ensure_table, ensure_table_indented, set_string_keep_decor, set_value_keep_decor,
};
pub use legacy::LegacyTls;
pub use runtime::RuntimeTable;
use tables::{is_cri_id, TABLE_PATHS};

#[cfg(test)]
mod tests;
