//! Which table of config.toml holds what, by the *file's* `version`:
//! the one place that maps a schema (1, 2, 3/4) to plugin table names,
//! so that every read and edit addresses the same table for the same file.

use super::*;

/// 3/4's runtime half of the CRI plugin (runtimes, CNI).
pub(super) const CRI_RUNTIME_V3: &str = "io.containerd.cri.v1.runtime";

/// Tables ctrwiz reads or writes under: if one is there as another type
/// (`plugins = "x"`, an array of tables), containerd would refuse the file
/// and an edit would silently replace the user's value.
pub(super) const TABLE_PATHS: &[&[&str]] = &[
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
    &["plugins", CRI_RUNTIME_V3],
    &["plugins", CRI_RUNTIME_V3, "containerd"],
    &["plugins", CRI_RUNTIME_V3, "containerd", "runtimes"],
    &["plugins", CRI_RUNTIME_V3, "containerd", "runtimes", "runc"],
    &[
        "plugins",
        CRI_RUNTIME_V3,
        "containerd",
        "runtimes",
        "runc",
        "options",
    ],
];

impl ContainerdConfig {
    pub(super) fn images_plugin(&self) -> &'static str {
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

    pub(super) fn registry(&self) -> Option<&dyn TableLike> {
        let plugins = self.doc.get("plugins")?.as_table_like()?;
        plugins
            .get(self.images_plugin())?
            .as_table_like()?
            .get("registry")?
            .as_table_like()
    }

    /// The file defines the CRI plugin's table (for its own version).
    pub fn has_cri_table(&self) -> bool {
        let plugin = self.images_plugin();
        self.doc
            .get("plugins")
            .and_then(Item::as_table_like)
            .is_some_and(|p| p.contains_key(plugin))
    }

    /// The table this file's version reads the runtimes and CNI from: the
    /// CRI plugin itself up to version 2, its runtime half on 3/4.
    pub(super) fn runtime_plugin(&self) -> &'static str {
        match self.schema_version() {
            1 => "cri",
            2 => CRI_V2,
            _ => CRI_RUNTIME_V3,
        }
    }

    /// The table this file's version reads the CRI registry from.
    pub fn images_plugin_name(&self) -> &'static str {
        self.images_plugin()
    }

    /// Table path and key of the pause image for this file's version:
    /// `sandbox_image` on 1.x files, `pinned_images.sandbox` on 3/4 (docs/containerd-facts.md §3.1).
    pub(super) fn sandbox_location(&self) -> (Vec<&'static str>, &'static str) {
        match self.schema_version() {
            1 => (vec!["plugins", "cri"], "sandbox_image"),
            2 => (vec!["plugins", CRI_V2], "sandbox_image"),
            _ => (vec!["plugins", CRI_IMAGES_V3, "pinned_images"], "sandbox"),
        }
    }
}

/// The ids that name the CRI plugin in `disabled_plugins`: the short v1
/// name, the grpc service, and 2.x's split images/runtime plugins (any of
/// them disabled leaves kubelet without CRI).
pub(super) fn is_cri_id(id: &str) -> bool {
    matches!(id, "cri" | CRI_V2 | CRI_IMAGES_V3 | CRI_RUNTIME_V3)
}
