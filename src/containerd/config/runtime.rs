//! The runtime half of config.toml: the runc table, SystemdCgroup, the
//! default runtime, and where the CRI plugin looks for CNI plugins. The
//! tables follow the file's own version, like every other edit.

use super::*;

/// A runtime table of the CRI plugin, as the file writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeTable {
    pub name: String,
    /// `None` when unset or empty: `config dump` then shows `""` and every
    /// RunPodSandbox fails with "container.Runtime.Name must be set".
    pub runtime_type: Option<String>,
    /// `options.BinaryName` (`None`: `runc` on containerd's PATH).
    pub binary_name: Option<String>,
}

impl ContainerdConfig {
    /// Where this file tells the CRI plugin to look for CNI plugins
    /// (`bin_dir`, or 2.1+'s `bin_dirs`); empty when it does not say, and
    /// then the binary's built-in default applies, which differs by build
    /// (`NodeState::cni_bin_dirs`).
    pub fn cni_bin_dirs(&self) -> Vec<String> {
        let plugin = self.runtime_plugin();
        let cni = self
            .doc
            .get("plugins")
            .and_then(Item::as_table_like)
            .and_then(|p| p.get(plugin))
            .and_then(Item::as_table_like)
            .and_then(|p| p.get("cni"))
            .and_then(Item::as_table_like);
        let mut dirs = strings(cni.and_then(|c| c.get("bin_dirs")));
        if let Some(d) = cni.and_then(|c| c.get("bin_dir")).and_then(Item::as_str) {
            dirs.push(d.to_string());
        }
        dirs.retain(|d| !d.is_empty());
        dirs
    }

    /// Points the CRI plugin's CNI lookup at `dir` alone, at the file's
    /// version's table. `list`: write 2.1+'s `bin_dirs = [dir]` and drop
    /// `bin_dir` (2.1's ValidateRuntimeConfig, internal/cri/config/config.go
    /// v2.1.9, moves `bin_dir` into `bin_dirs` only while `bin_dirs` is the
    /// default, and fails the CRI plugin when both are set); else `bin_dir`,
    /// the one key 1.x and 2.0 read. A file that already has `bin_dirs`
    /// gets the list whatever `list` says.
    pub fn set_cni_bin_dir(&mut self, dir: &str, list: bool) -> Option<ConfigEdit> {
        let old = self.cni_bin_dirs();
        if old == [dir] {
            return None;
        }
        let plugin = self.runtime_plugin();
        let path = ["plugins", plugin, "cni"];
        let (indent, table) = ensure_table_indented(&mut self.doc, &path);
        let list = list || table.contains_key("bin_dirs");
        let key = if list {
            table.remove("bin_dir");
            let mut array = toml_edit::Array::new();
            array.push(dir);
            set_value_keep_decor(table, "bin_dirs", Value::Array(array), indent);
            "bin_dirs"
        } else {
            set_string_keep_decor(table, "bin_dir", dir, indent);
            "bin_dir"
        };
        Some(ConfigEdit(crate::plan::Reason::CniBinDir {
            dir: dir.to_string(),
            key: key.to_string(),
            old,
        }))
    }

    /// Table path of the runc runtime's options for this file's version.
    fn runc_options_location(&self) -> Vec<&'static str> {
        let plugin = self.runtime_plugin();
        vec![
            "plugins",
            plugin,
            "containerd",
            "runtimes",
            "runc",
            "options",
        ]
    }

    pub fn systemd_cgroup(&self) -> Option<bool> {
        self.get(&self.runc_options_location(), "SystemdCgroup")?
            .as_bool()
    }

    /// The default runtime's table as this file writes it (`None`: the
    /// file has no table for it, containerd's built-in one serves).
    pub fn default_runtime(&self) -> Option<RuntimeTable> {
        let options = self.runc_options_location();
        let containerd = &options[..3];
        let name = self
            .get(containerd, "default_runtime_name")
            .and_then(Item::as_str)
            .unwrap_or("runc")
            .to_string();
        let mut path = containerd.to_vec();
        path.push("runtimes");
        let runtimes = self.get(&path, &name)?.as_table_like()?;
        let string =
            |t: &dyn TableLike, k: &str| t.get(k).and_then(Item::as_str).map(str::to_string);
        let opts = runtimes.get("options").and_then(Item::as_table_like);
        Some(RuntimeTable {
            runtime_type: string(runtimes, "runtime_type").filter(|t| !t.is_empty()),
            binary_name: opts
                .and_then(|o| string(o, "BinaryName"))
                .filter(|b| !b.is_empty()),
            name,
        })
    }

    pub fn set_systemd_cgroup(&mut self, on: bool) -> Option<ConfigEdit> {
        let typed = self
            .default_runtime()
            .filter(|r| r.name == "runc")
            .is_none_or(|r| r.runtime_type.is_some());
        if self.systemd_cgroup().unwrap_or(false) == on
            && (self.systemd_cgroup().is_some() || !on)
            && typed
        {
            return None;
        }
        let path = self.runc_options_location();
        let (indent, table) = ensure_table_indented(&mut self.doc, &path);
        set_value_keep_decor(table, "SystemdCgroup", Value::from(on), indent);
        // A runc table without `runtime_type` (created here, or the
        // guides' options-only snippet) gives `runtime_type = ""` in
        // `config dump` on 1.6.20 and 1.7.24, and every RunPodSandbox then
        // fails with "container.Runtime.Name must be set".
        let runc = &path[..path.len() - 1];
        let (runc_indent, table) = ensure_table_indented(&mut self.doc, runc);
        let typed = table
            .get("runtime_type")
            .and_then(Item::as_str)
            .is_some_and(|t| !t.is_empty());
        let runtime_type = (!typed).then(|| {
            set_string_keep_decor(table, "runtime_type", RUNC_RUNTIME_TYPE, runc_indent);
            RUNC_RUNTIME_TYPE.to_string()
        });
        Some(ConfigEdit(crate::plan::Reason::SystemdCgroup {
            value: on,
            runtime_type,
        }))
    }
}
