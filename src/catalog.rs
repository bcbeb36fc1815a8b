//! Registries and mirror presets: `assets/presets.toml` (embedded) plus the
//! user's own file, which adds registries and presets or replaces presets
//! that share an id.

use crate::error::{Error, Result};
use crate::registry::RegistryName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BUILTIN: &str = include_str!("../assets/presets.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// Only allowlisted images are served; others get 403.
    Allowlist,
    /// Answers only inside one cloud's network.
    CloudInternal,
    /// The URL holds `<id>`: the user's own accelerator ID.
    NeedsId,
    Commercial,
    /// No recent evidence either way.
    Uncertain,
    /// A copy of some images, not a proxy (tags may be missing).
    CopyNotProxy,
}

impl Note {
    pub fn label(self) -> &'static str {
        match self {
            Note::Allowlist => crate::t!("common.note.allowlist"),
            Note::CloudInternal => crate::t!("common.note.cloud_internal"),
            Note::NeedsId => crate::t!("common.note.needs_id"),
            Note::Commercial => crate::t!("common.note.commercial"),
            Note::Uncertain => crate::t!("common.note.uncertain"),
            Note::CopyNotProxy => crate::t!("common.note.copy_not_proxy"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryInfo {
    #[serde(skip_deserializing, default = "placeholder_name")]
    pub name: RegistryName,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description_zh: String,
    /// A small image the registry surely serves, for probes.
    #[serde(default)]
    pub probe_image: Option<String>,
}

fn placeholder_name() -> RegistryName {
    RegistryName::default_namespace()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_zh: String,
    #[serde(default)]
    pub source: String,
    /// When a public source last showed it working (YYYY-MM-DD).
    #[serde(default)]
    pub verified: String,
    #[serde(default)]
    pub notes: Vec<Note>,
    #[serde(default)]
    pub summary: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary_zh: String,
    /// The upstream preset: applies to every registry, with no mirror.
    #[serde(default)]
    pub all_registries: bool,
    #[serde(default)]
    pub mirrors: BTreeMap<String, Vec<String>>,
}

/// The text for this thread's language: the Chinese one when there is one.
fn localized<'a>(en: &'a str, zh: &'a str) -> &'a str {
    match crate::i18n::lang() {
        crate::i18n::Lang::Zh if !zh.is_empty() => zh,
        _ => en,
    }
}

impl RegistryInfo {
    pub fn display_description(&self) -> &str {
        localized(&self.description, &self.description_zh)
    }
}

impl Preset {
    /// Its URLs hold `<id>`: the user's own accelerator ID goes there.
    pub fn needs_id(&self) -> bool {
        self.notes.contains(&Note::NeedsId)
    }

    pub fn display_name(&self) -> &str {
        localized(&self.name, &self.name_zh)
    }

    pub fn display_summary(&self) -> &str {
        localized(&self.summary, &self.summary_zh)
    }

    pub fn is_upstream(&self) -> bool {
        self.all_registries && self.mirrors.is_empty()
    }

    pub fn covers(&self, registry: &RegistryName) -> bool {
        self.all_registries || self.mirrors.contains_key(registry.as_str())
    }

    pub fn mirrors_for(&self, registry: &RegistryName) -> Option<&[String]> {
        self.mirrors.get(registry.as_str()).map(Vec::as_slice)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    registries: BTreeMap<String, RegistryInfo>,
    #[serde(default)]
    presets: Vec<Preset>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    /// In file order: the order registries are offered in.
    pub registries: Vec<RegistryInfo>,
    /// In order of recommendation.
    pub presets: Vec<Preset>,
}

impl Catalog {
    pub fn builtin() -> Catalog {
        let mut c = Catalog {
            registries: vec![],
            presets: vec![],
        };
        c.merge(Path::new("assets/presets.toml"), BUILTIN)
            .expect("the built-in catalog is valid");
        c
    }

    /// The built-in catalog plus the user's file, if it exists.
    pub fn load(user_file: Option<&Path>) -> Result<Catalog> {
        let mut c = Catalog::builtin();
        if let Some(path) = user_file {
            match std::fs::read_to_string(path) {
                Ok(text) => c.merge(path, &text)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Ok(c)
    }

    /// `$CTRWIZ_CONFIG_DIR/presets.toml`, else the XDG config dir's.
    pub fn user_file() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("CTRWIZ_CONFIG_DIR") {
            return Some(PathBuf::from(dir).join("presets.toml"));
        }
        directories::ProjectDirs::from("", "", "ctrwiz")
            .map(|d| d.config_dir().join("presets.toml"))
    }

    fn merge(&mut self, path: &Path, text: &str) -> Result<()> {
        let file: CatalogFile = toml::from_str(text)
            .map_err(|e| Error::toml(path, text, e.span().map(|s| s.start), e.message()))?;
        // registries keep the order of the file (toml's map is sorted, so
        // recover the order from the text).
        let mut regs: Vec<(usize, String, RegistryInfo)> = file
            .registries
            .into_iter()
            .map(|(k, v)| {
                (
                    text.find(&format!("[registries.\"{k}\"]"))
                        .unwrap_or(usize::MAX),
                    k,
                    v,
                )
            })
            .collect();
        regs.sort_by_key(|(pos, _, _)| *pos);
        for (_, name, mut info) in regs {
            info.name = RegistryName::parse(&name).map_err(|e| Error::Invalid {
                path: path.into(),
                message: e.to_string(),
            })?;
            match self.registries.iter_mut().find(|r| r.name == info.name) {
                Some(existing) => *existing = info,
                None => self.registries.push(info),
            }
        }
        for preset in file.presets {
            if preset.id.is_empty()
                || !preset
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(Error::Invalid {
                    path: path.into(),
                    message: crate::t!("common.bad_preset_id", id = format!("{:?}", preset.id)),
                });
            }
            for reg in preset.mirrors.keys() {
                RegistryName::parse(reg).map_err(|e| Error::Invalid {
                    path: path.into(),
                    message: e.to_string(),
                })?;
            }
            match self.presets.iter_mut().find(|p| p.id == preset.id) {
                Some(existing) => *existing = preset,
                None => self.presets.push(preset),
            }
        }
        Ok(())
    }

    /// A preset by id; ids are matched without regard to case (`DaoCloud`
    /// is `daocloud`). An unknown one gets the nearest id, or the hint
    /// that a mirror URL needs its scheme.
    pub fn preset(&self, id: &str) -> Result<&Preset> {
        let id = id.trim();
        self.presets
            .iter()
            .find(|p| p.id == id)
            .or_else(|| self.presets.iter().find(|p| p.id.eq_ignore_ascii_case(id)))
            .ok_or_else(|| {
                let known = self
                    .presets
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let lower = id.to_ascii_lowercase();
                let near = self
                    .presets
                    .iter()
                    .map(|p| (edit_distance(&lower, &p.id), p.id.as_str()))
                    .min()
                    .filter(|(d, p)| *d <= 2.max(p.len() / 3));
                let hint = match near {
                    Some((_, p)) => crate::t!("errors.preset_hint.did_you_mean", id = p),
                    None => crate::t!("errors.preset_hint.url", url = format!("https://{id}")),
                };
                Error::UnknownPreset {
                    name: id.to_string(),
                    known: format!("{known}{hint}"),
                }
            })
    }

    /// The wizard's default: the first preset.
    pub fn recommended(&self) -> &Preset {
        &self.presets[0]
    }

    pub fn registry(&self, name: &RegistryName) -> Option<&RegistryInfo> {
        self.registries.iter().find(|r| &r.name == name)
    }

    /// Presets that have a mirror for `registry` (upstream last).
    pub fn presets_for<'a>(
        &'a self,
        registry: &'a RegistryName,
    ) -> impl Iterator<Item = &'a Preset> + 'a {
        self.presets.iter().filter(move |p| p.covers(registry))
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_text_has_a_chinese_version() {
        let c = super::Catalog::builtin();
        for p in &c.presets {
            assert!(
                !p.name_zh.is_empty() && !p.summary_zh.is_empty(),
                "{}",
                p.id
            );
            let _zh = crate::i18n::scoped(crate::i18n::Lang::Zh);
            assert_eq!(p.display_summary(), p.summary_zh);
        }
        for r in &c.registries {
            assert!(!r.description_zh.is_empty(), "{}", r.name);
        }
    }

    use super::*;

    #[test]
    fn preset_names_ignore_case_and_typos_get_the_nearest_or_a_url_hint() {
        let c = Catalog::builtin();
        assert_eq!(c.preset("DaoCloud").unwrap().id, "daocloud");
        let e = c.preset("daocloub").unwrap_err().to_string();
        assert!(e.contains("Did you mean daocloud?"), "{e}");
        let e = c.preset("notaurl").unwrap_err().to_string();
        assert!(e.contains("needs its scheme: https://notaurl"), "{e}");
    }

    #[test]
    fn builtin_covers_the_seeds_registries() {
        let c = Catalog::builtin();
        for r in [
            "docker.io",
            "registry.k8s.io",
            "k8s.gcr.io",
            "gcr.io",
            "ghcr.io",
            "quay.io",
            "mcr.microsoft.com",
            "nvcr.io",
            "docker.elastic.co",
            "registry.jujucharms.com",
            "rocks.canonical.com",
        ] {
            let name = RegistryName::parse(r).unwrap();
            assert!(c.registry(&name).is_some(), "{r}");
            assert!(
                c.preset("daocloud").unwrap().covers(&name),
                "daocloud covers {r}"
            );
        }
        assert_eq!(c.recommended().id, "daocloud");
        assert_eq!(
            c.registries[0].name.as_str(),
            "docker.io",
            "file order is kept"
        );
        for id in ["nju", "upstream", "1panel", "1ms", "aliyun"] {
            assert!(c.preset(id).is_ok(), "{id}");
        }
        // Every mirror URL in the catalog parses, except ID placeholders.
        for p in &c.presets {
            for urls in p.mirrors.values() {
                for u in urls {
                    let r = crate::endpoint::Endpoint::parse(u);
                    assert_eq!(
                        r.is_err(),
                        p.notes.contains(&Note::NeedsId),
                        "{}: {u}",
                        p.id
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let e = Catalog::builtin().preset("nope").unwrap_err().to_string();
        assert!(e.contains("daocloud") && e.contains("upstream"), "{e}");
    }

    #[test]
    fn user_file_adds_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("presets.toml");
        std::fs::write(
            &f,
            "[registries.\"harbor.corp:8443\"]\ndescription = \"ours\"\n\n[[presets]]\nid = \"daocloud\"\nname = \"replaced\"\n[presets.mirrors]\n\"docker.io\" = [\"https://cache.corp\"]\n\n[[presets]]\nid = \"corp\"\nname = \"Corp cache\"\n[presets.mirrors]\n\"docker.io\" = [\"https://cache.corp\"]\n",
        )
        .unwrap();
        let c = Catalog::load(Some(&f)).unwrap();
        assert_eq!(c.preset("daocloud").unwrap().name, "replaced");
        assert_eq!(
            c.preset("corp").unwrap().mirrors["docker.io"],
            vec!["https://cache.corp"]
        );
        assert!(c
            .registry(&RegistryName::parse("harbor.corp:8443").unwrap())
            .is_some());
        assert_eq!(c.recommended().id, "daocloud", "order is kept");

        std::fs::write(&f, "[[presets]]\nid = \"x\"\nname = 3\n").unwrap();
        let e = Catalog::load(Some(&f)).unwrap_err().to_string();
        assert!(e.contains("presets.toml:3:"), "{e}");
        assert!(Catalog::load(Some(&dir.path().join("missing.toml"))).is_ok());
    }
}
