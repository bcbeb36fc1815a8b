//! Version-less (version 1) files: merging a pasted fully-qualified
//! plugin table into its short one, and the rename to version 2 that
//! containerd's own v1 migration does. Apart because it is the one edit
//! that rewrites the file's table names rather than setting a key.

use super::*;

impl ContainerdConfig {
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
