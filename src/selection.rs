//! What the user chose: one preset for every registry, and per-registry
//! choices that override it. The CLI builds it from `--preset`/`--mirror`/
//! `--profile`, the wizard from its screens; both save the same profile.

use crate::catalog::Catalog;
use crate::containerd::hosts::HostsSpec;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::registry::RegistryName;
use std::collections::BTreeMap;

mod profile;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// A preset id (`upstream` included).
    Preset(String),
    /// Custom mirror URLs, tried in order.
    Urls(Vec<String>),
    /// Remove the registry's hosts.toml.
    Remove,
}

impl Choice {
    /// `none` | `URL[,URL…]` | a preset id.
    pub fn parse(spec: &str) -> Choice {
        let s = spec.trim();
        if s.eq_ignore_ascii_case("none") {
            Choice::Remove
        } else if s.contains("://")
            || s.contains('.')
            || s.contains(',')
            || s.contains('/')
            || s.contains(':')
        {
            Choice::Urls(
                s.split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect(),
            )
        } else {
            Choice::Preset(s.to_string())
        }
    }
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Choice::Preset(p) => f.write_str(p),
            Choice::Urls(u) => f.write_str(&u.join(",")),
            Choice::Remove => f.write_str("none"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Applies to every catalog registry the preset covers.
    pub preset: Option<String>,
    /// Per-registry choices, overriding `preset`.
    pub mirrors: BTreeMap<RegistryName, Choice>,
    /// Pause image, SystemdCgroup, proxy, private registries.
    pub extras: crate::extras::Extras,
    /// `dial_timeout` on mirrors (`None`: the default, where containerd reads it).
    pub dial_timeout: Option<DialTimeout>,
    /// `--ignore-owner`: write containerd's files although k3s, kubespray,
    /// … own them (`owner`). A flag of the run, never saved in a profile.
    pub ignore_owner: bool,
    /// Run `ctrwiz heal` by itself (`None`: not asked; the plan leaves
    /// any timer as it is).
    pub heal: Option<HealSchedule>,
}

/// The profile's `heal_every`: how often the `ctrwiz heal` timer runs, or
/// `none` for no timer. The files are `ctrwiz heal --install --every`'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealSchedule {
    /// `none`: plan no timer (an installed one stays: `heal --uninstall`).
    Off,
    /// `15m`, `1h`, … as `heal --install --every` takes it.
    Every(String),
}

impl HealSchedule {
    pub fn parse(input: &str) -> std::result::Result<HealSchedule, String> {
        if input.trim().eq_ignore_ascii_case("none") {
            return Ok(HealSchedule::Off);
        }
        // The one rule for the interval: heal --every's.
        crate::heal::schedule::Every::parse(input)?;
        Ok(HealSchedule::Every(input.trim().to_string()))
    }

    /// The default: every 15 minutes.
    pub fn default_on() -> HealSchedule {
        HealSchedule::Every(crate::heal::schedule::DEFAULT_EVERY.to_string())
    }

    /// The interval, when a timer is wanted.
    pub fn every(&self) -> Option<&str> {
        match self {
            HealSchedule::Off => None,
            HealSchedule::Every(e) => Some(e),
        }
    }

    fn to_profile(&self) -> String {
        self.every().unwrap_or("none").to_string()
    }
}

/// `--dial-timeout` / the profile's `dial_timeout`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialTimeout {
    /// `none`: write no `dial_timeout` (containerd's own 30 s).
    Off,
    /// A Go duration, validated by `hosts::dial_timeout`.
    After(String),
}

impl DialTimeout {
    pub fn parse(input: &str) -> std::result::Result<DialTimeout, String> {
        if input.trim().eq_ignore_ascii_case("none") {
            return Ok(DialTimeout::Off);
        }
        crate::containerd::hosts::dial_timeout(input).map(DialTimeout::After)
    }

    fn to_profile(&self) -> String {
        match self {
            DialTimeout::Off => "none".into(),
            DialTimeout::After(t) => t.clone(),
        }
    }
}

/// What the plan does for one registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Write(HostsSpec),
    Remove(RegistryName),
}

impl Target {
    pub fn registry(&self) -> &RegistryName {
        match self {
            Target::Write(s) => &s.registry,
            Target::Remove(r) => r,
        }
    }
}

impl Selection {
    /// Adds a doctor repair (the wizard's `f`): its mirror choices and
    /// every node-setup value it sets, so no repair is dropped on the way.
    pub fn add_repair(&mut self, repair: Selection) {
        // Every field named: one added to Selection or Extras must be
        // merged here too (a repair the wizard's `f` dropped went unnoticed
        // twice). Repairs name registries, never a preset or a run flag.
        let Selection {
            preset: _,
            mirrors,
            extras,
            dial_timeout,
            ignore_owner: _,
            heal,
        } = repair;
        self.mirrors.extend(mirrors);
        let crate::extras::Extras {
            docker_mirrors,
            sandbox_image,
            systemd_cgroup,
            proxy,
            proxy_origin,
            private,
            enable_cri,
            crictl,
            cni_bin_dir,
            nerdctl,
        } = extras;
        let mine = &mut self.extras;
        if docker_mirrors.is_some() {
            mine.docker_mirrors = docker_mirrors;
        }
        if sandbox_image.is_some() {
            mine.sandbox_image = sandbox_image;
        }
        if systemd_cgroup.is_some() {
            mine.systemd_cgroup = systemd_cgroup;
        }
        if proxy.is_some() {
            mine.proxy = proxy;
            mine.proxy_origin = proxy_origin;
        }
        for r in private {
            mine.private.retain(|p| p.host != r.host);
            mine.private.push(r);
        }
        if cni_bin_dir.is_some() {
            mine.cni_bin_dir = cni_bin_dir;
        }
        mine.enable_cri |= enable_cri;
        mine.crictl |= crictl;
        mine.nerdctl |= nerdctl;
        if dial_timeout.is_some() {
            self.dial_timeout = dial_timeout;
        }
        if heal.is_some() {
            self.heal = heal;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.preset.is_none() && self.mirrors.is_empty() && self.extras.is_empty()
    }

    /// The `dial_timeout` to write on mirrors for a node whose containerd
    /// is `version`: only where it reads the key (`Gate::DialTimeout`).
    /// Older versions ignore it as an unknown key (1.6.20 here still pulls
    /// with it, `tests/integration/heal.rs`), so a profile that carries it
    /// is safe anywhere; it is simply not written where it does nothing.
    pub fn dial_timeout_for(&self, version: Option<crate::version::Version>) -> Option<String> {
        if !crate::containerd::gates::Gate::DialTimeout.on(version) {
            return None;
        }
        match &self.dial_timeout {
            None => Some(crate::containerd::hosts::DEFAULT_DIAL_TIMEOUT.to_string()),
            Some(DialTimeout::Off) => None,
            Some(DialTimeout::After(t)) => Some(t.clone()),
        }
    }

    /// `REGISTRY=SPEC` from `--mirror`.
    pub fn add_mirror_flag(&mut self, flag: &str) -> Result<()> {
        let (reg, spec) = flag.split_once('=').ok_or_else(|| {
            Error::Usage(crate::t!(
                "common.mirror_flag.format",
                flag = format!("{flag:?}")
            ))
        })?;
        let choice = Choice::parse(spec);
        if matches!(&choice, Choice::Urls(u) if u.is_empty()) || spec.trim().is_empty() {
            return Err(Error::Usage(crate::t!(
                "common.mirror_flag.empty",
                flag = format!("{flag:?}")
            )));
        }
        if let Choice::Urls(urls) = &choice {
            Endpoint::parse_list(urls)
                .map_err(|e| crate::error::Origin::Flag("--mirror").error(e.to_string()))?;
        }
        self.mirrors.insert(RegistryName::parse(reg)?, choice);
        Ok(())
    }

    /// Resolves presets and URLs into one target per registry, in catalog
    /// order, then any registries the catalog does not know.
    pub fn resolve(&self, catalog: &Catalog) -> Result<Vec<Target>> {
        let mut chosen: BTreeMap<RegistryName, Choice> = BTreeMap::new();
        if let Some(id) = &self.preset {
            let preset = catalog.preset(id)?;
            for info in &catalog.registries {
                if preset.covers(&info.name) {
                    chosen.insert(info.name.clone(), Choice::Preset(preset.id.clone()));
                }
            }
        }
        for (r, c) in &self.mirrors {
            chosen.insert(r.clone(), c.clone());
        }
        let order = |r: &RegistryName| {
            catalog
                .registries
                .iter()
                .position(|i| &i.name == r)
                .unwrap_or(usize::MAX)
        };
        let mut regs: Vec<&RegistryName> = chosen.keys().collect();
        regs.sort_by_key(|r| (order(r), r.to_string()));
        regs.into_iter()
            .map(|r| resolve_one(catalog, r, &chosen[r]))
            .collect()
    }
}

fn resolve_one(catalog: &Catalog, registry: &RegistryName, choice: &Choice) -> Result<Target> {
    match choice {
        Choice::Remove => Ok(Target::Remove(registry.clone())),
        Choice::Urls(urls) => {
            let eps = Endpoint::parse_list(urls)?;
            Ok(Target::Write(HostsSpec::with_mirrors(
                registry.clone(),
                eps,
                "custom mirrors", // i18n: file content
            )))
        }
        Choice::Preset(id) => {
            let preset = catalog.preset(id)?;
            // The catalog's spelling (ids match without regard to case).
            let id = &preset.id;
            if preset.is_upstream() {
                return Ok(Target::Write(HostsSpec::upstream(
                    registry.clone(),
                    format!("preset {id}"),
                )));
            }
            let urls = preset.mirrors_for(registry).ok_or_else(|| {
                let covered: Vec<&str> = preset.mirrors.keys().map(String::as_str).collect();
                Error::Usage(crate::t!(
                    "common.preset_not_covering",
                    id = id,
                    registry = registry,
                    covered = covered.join(", ")
                ))
            })?;
            if preset.needs_id() {
                return Err(Error::Usage(crate::t!(
                    "common.preset_needs_id",
                    id = id,
                    registry = registry,
                    urls = urls.join(",")
                )));
            }
            let eps = urls
                .iter()
                .map(|u| Endpoint::parse(u))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Target::Write(HostsSpec::with_mirrors(
                registry.clone(),
                eps,
                format!("preset {id}"),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(Choice::parse("none"), Choice::Remove);
        assert_eq!(Choice::parse("daocloud"), Choice::Preset("daocloud".into()));
        assert_eq!(
            Choice::parse("https://a,http://b:5000"),
            Choice::Urls(vec!["https://a".into(), "http://b:5000".into()])
        );
        assert_eq!(
            Choice::parse("mirror.example"),
            Choice::Urls(vec!["mirror.example".into()])
        );
    }

    #[test]
    fn preset_then_overrides_in_catalog_order() {
        let c = Catalog::builtin();
        let mut s = Selection {
            preset: Some("nju".into()),
            ..Default::default()
        };
        s.add_mirror_flag("docker.io=https://hub.example").unwrap();
        s.add_mirror_flag("quay.io=none").unwrap();
        s.add_mirror_flag("harbor.local:8443=upstream").unwrap();
        let t = s.resolve(&c).unwrap();
        let names: Vec<&str> = t.iter().map(|t| t.registry().as_str()).collect();
        assert_eq!(
            names,
            [
                "docker.io",
                "registry.k8s.io",
                "k8s.gcr.io",
                "gcr.io",
                "ghcr.io",
                "quay.io",
                "nvcr.io",
                "harbor.local:8443"
            ]
        );
        assert!(matches!(&t[5], Target::Remove(_)));
        match &t[2] {
            Target::Write(spec) => assert!(spec.hosts[0].endpoint.override_path),
            _ => panic!(),
        }
    }

    #[test]
    fn errors_say_what_to_do() {
        let c = Catalog::builtin();
        let one = |flag: &str| {
            let mut s = Selection::default();
            s.add_mirror_flag(flag)
                .and_then(|_| s.resolve(&c))
                .unwrap_err()
                .to_string()
        };
        assert!(one("docker.io=nju").contains("no mirror for docker.io"));
        assert!(one("docker.io=aliyun").contains("accelerator ID"));
        assert!(one("docker.io=nosuch").contains("known presets"));
        assert!(one("../../etc=daocloud").contains("not a registry name"));
        assert!(one("docker.io=ftp://x.example").contains("only http"));
        assert!(one("docker.io").contains("REGISTRY=SPEC"));
    }
}
