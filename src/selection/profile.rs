//! The profile file (`--profile`, the wizard's `s`, the Ansible module):
//! a selection as TOML, read with every bad value placed at its line and
//! column, and written back with only what was chosen (never what one node
//! made of it, such as its NO_PROXY).

use super::{Choice, DialTimeout, HealSchedule, Selection};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::registry::RegistryName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preset: Option<String>,
    #[serde(default)]
    mirrors: BTreeMap<String, ProfileChoice>,
    /// docker.io mirrors for Docker's daemon.json (`[]` removes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    docker_mirrors: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sandbox_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    systemd_cgroup: Option<bool>,
    /// A proxy URL, or "none" to remove the drop-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    no_proxy: Option<Vec<String>>,
    /// The cluster's service and pod ranges, added to the default NO_PROXY
    /// (for a cluster the node does not reveal yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cluster_cidrs: Vec<String>,
    /// `dial_timeout` on mirrors: a Go duration, or "none".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dial_timeout: Option<String>,
    /// The `ctrwiz heal` timer: `15m`, `1h`, …, or "none".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heal_every: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    registries: Vec<crate::extras::PrivateRegistry>,
    /// Take the CRI plugin out of `disabled_plugins`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    enable_cri: bool,
    /// Point `/etc/crictl.yaml` at containerd's socket.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    crictl: bool,
    /// Where the CRI plugin looks for CNI plugins: a dir, or "auto".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cni_bin_dir: Option<String>,
    /// Add the hosts dir to nerdctl's `hosts_dir` (/etc/nerdctl/nerdctl.toml).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    nerdctl: bool,
}

/// Where a profile's values stand (unknown keys are the other pass's job).
#[derive(Deserialize)]
struct ProfileSpans {
    #[serde(default)]
    mirrors: BTreeMap<String, toml::Spanned<toml::Value>>,
    #[serde(default)]
    docker_mirrors: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    sandbox_image: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    proxy: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    no_proxy: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    cluster_cidrs: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    registries: Vec<toml::Spanned<toml::Value>>,
    #[serde(default)]
    dial_timeout: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    heal_every: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    cni_bin_dir: Option<toml::Spanned<toml::Value>>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ProfileChoice {
    One(String),
    Many(Vec<String>),
}

impl Selection {
    pub fn from_profile(path: &Path, text: &str) -> Result<Selection> {
        let file: ProfileFile = toml::from_str(text)
            .map_err(|e| Error::toml(path, text, e.span().map(|s| s.start), e.message()))?;
        // The same file again, for where each value stands: a bad value is
        // reported at its line and column.
        let spans: ProfileSpans = toml::from_str(text)
            .map_err(|e| Error::toml(path, text, e.span().map(|s| s.start), e.message()))?;
        let at = |span: Option<std::ops::Range<usize>>| {
            crate::error::Origin::profile(path, text, span.map_or(0, |s| s.start))
        };
        let proxy = match &file.proxy {
            None => None,
            Some(url) => Some(
                crate::extras::Proxy::parse(url, file.no_proxy.as_deref(), &file.cluster_cidrs)
                    .map_err(|(part, why)| {
                        let span = match part {
                            crate::extras::ProxyPart::Url => spans.proxy.as_ref(),
                            crate::extras::ProxyPart::NoProxy => spans.no_proxy.as_ref(),
                            crate::extras::ProxyPart::Cluster => spans.cluster_cidrs.as_ref(),
                        };
                        at(span.map(|s| s.span())).error(why)
                    })?,
            ),
        };
        if file.no_proxy.is_some() && file.proxy.is_none() {
            return Err(at(spans.no_proxy.as_ref().map(|s| s.span()))
                .error(crate::t!("common.proxy.no_proxy_alone")));
        }
        if !file.cluster_cidrs.is_empty() && file.proxy.is_none() {
            return Err(at(spans.cluster_cidrs.as_ref().map(|s| s.span()))
                .error(crate::t!("common.proxy.cluster_alone")));
        }
        if let Some(image) = &file.sandbox_image {
            crate::extras::sandbox_image(image)
                .map_err(|why| at(spans.sandbox_image.as_ref().map(|s| s.span())).error(why))?;
        }
        if let Some(urls) = &file.docker_mirrors {
            Endpoint::parse_list(urls).map_err(|e| {
                at(spans.docker_mirrors.as_ref().map(|s| s.span())).error(e.to_string())
            })?;
        }
        let dial_timeout = file
            .dial_timeout
            .as_deref()
            .map(DialTimeout::parse)
            .transpose()
            .map_err(|why| at(spans.dial_timeout.as_ref().map(|s| s.span())).error(why))?;
        let heal = file
            .heal_every
            .as_deref()
            .map(HealSchedule::parse)
            .transpose()
            .map_err(|why| at(spans.heal_every.as_ref().map(|s| s.span())).error(why))?;
        for (i, r) in file.registries.iter().enumerate() {
            r.validate()
                .map_err(|e| at(spans.registries.get(i).map(|s| s.span())).error(e.to_string()))?;
        }
        let cni_bin_dir = file
            .cni_bin_dir
            .as_deref()
            .map(crate::cni::CniBinDir::parse)
            .transpose()
            .map_err(|why| at(spans.cni_bin_dir.as_ref().map(|s| s.span())).error(why))?;
        let mut sel = Selection {
            preset: file.preset,
            mirrors: BTreeMap::new(),
            extras: crate::extras::Extras {
                docker_mirrors: file.docker_mirrors,
                sandbox_image: file.sandbox_image,
                systemd_cgroup: file.systemd_cgroup,
                proxy_origin: proxy
                    .is_some()
                    .then(|| at(spans.proxy.as_ref().map(|s| s.span()))),
                proxy,
                private: file.registries,
                enable_cri: file.enable_cri,
                crictl: file.crictl,
                cni_bin_dir,
                nerdctl: file.nerdctl,
            },
            dial_timeout,
            ignore_owner: false,
            heal,
        };
        for (reg, choice) in file.mirrors {
            let origin = || at(spans.mirrors.get(&reg).map(|s| s.span()));
            let name = RegistryName::parse(&reg).map_err(|e| origin().error(e.to_string()))?;
            let choice = match choice {
                ProfileChoice::One(s) => Choice::parse(&s),
                ProfileChoice::Many(urls) => Choice::Urls(urls),
            };
            if let Choice::Urls(urls) = &choice {
                Endpoint::parse_list(urls).map_err(|e| origin().error(e.to_string()))?;
            }
            sel.mirrors.insert(name, choice);
        }
        Ok(sel)
    }

    pub fn to_profile(&self) -> String {
        use crate::extras::{NoProxy, Proxy};
        let file = ProfileFile {
            preset: self.preset.clone(),
            mirrors: self
                .mirrors
                .iter()
                .map(|(r, c)| {
                    let v = match c {
                        Choice::Urls(u) => ProfileChoice::Many(u.clone()),
                        other => ProfileChoice::One(other.to_string()),
                    };
                    (r.to_string(), v)
                })
                .collect(),
            docker_mirrors: self.extras.docker_mirrors.clone(),
            sandbox_image: self.extras.sandbox_image.clone(),
            systemd_cgroup: self.extras.systemd_cgroup,
            proxy: self.extras.proxy.as_ref().map(|p| match p {
                Proxy::Set { url, .. } => url.clone(),
                Proxy::Remove => "none".into(),
            }),
            no_proxy: match &self.extras.proxy {
                Some(Proxy::Set {
                    no_proxy: NoProxy::Exactly(list),
                    ..
                }) => Some(list.clone()),
                _ => None,
            },
            // The default list is made on each node; only what was added
            // to it is saved.
            cluster_cidrs: match &self.extras.proxy {
                Some(Proxy::Set {
                    no_proxy: NoProxy::Default { cluster },
                    ..
                }) => cluster.clone(),
                _ => vec![],
            },
            dial_timeout: self.dial_timeout.as_ref().map(DialTimeout::to_profile),
            heal_every: self.heal.as_ref().map(HealSchedule::to_profile),
            registries: self.extras.private.clone(),
            enable_cri: self.extras.enable_cri,
            crictl: self.extras.crictl,
            cni_bin_dir: self
                .extras
                .cni_bin_dir
                .as_ref()
                .map(crate::cni::CniBinDir::to_profile),
            nerdctl: self.extras.nerdctl,
        };
        let body = toml::to_string(&file).expect("profiles serialise");
        // i18n: file content
        format!("# ctrwiz profile: `ctrwiz apply --profile THIS_FILE` applies the same mirrors on another node.\n{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(s: &str) -> RegistryName {
        RegistryName::parse(s).unwrap()
    }

    #[test]
    fn heal_every_is_checked_with_heal_installs_rule_at_its_line_and_column() {
        let text = "preset = \"daocloud\"\nheal_every = \"15s\"\n";
        let e = Selection::from_profile(Path::new("p.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:2:14"), "{e}");
        assert!(
            e.contains(&*crate::heal::schedule::Every::parse("15s").unwrap_err()),
            "{e}"
        );
        let e = Selection::from_profile(Path::new("p.toml"), "heal_every = \"2m\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:1:14"), "{e}");
        let ok = Selection::from_profile(Path::new("p"), "heal_every = \"1h\"\n").unwrap();
        assert_eq!(ok.heal, Some(HealSchedule::Every("1h".into())));
        assert_eq!(ok.heal.as_ref().and_then(HealSchedule::every), Some("1h"));
        let off = Selection::from_profile(Path::new("p"), "heal_every = \"none\"\n").unwrap();
        assert_eq!(off.heal, Some(HealSchedule::Off));
    }

    #[test]
    fn cluster_cidrs_are_checked_at_their_line_and_saved_as_given() {
        let err = |text: &str| {
            Selection::from_profile(Path::new("p.toml"), text)
                .unwrap_err()
                .to_string()
        };
        let e = err("proxy = \"http://p:3128\"\ncluster_cidrs = [\"10.96.0.0/40\"]\n");
        assert!(e.starts_with("p.toml:2:17: "), "{e}");
        assert!(e.contains("10.96.0.0/40"), "{e}");
        let e = err("cluster_cidrs = [\"10.96.0.0/12\"]\n");
        assert!(e.starts_with("p.toml:1:17: "), "{e}");
        assert!(e.contains(crate::t!("common.proxy.cluster_alone")), "{e}");
        let e = err(
            "proxy = \"http://p:3128\"\nno_proxy = [\"a\"]\ncluster_cidrs = [\"10.96.0.0/12\"]\n",
        );
        assert!(e.starts_with("p.toml:3:17: "), "{e}");
        let text =
            "proxy = \"http://p:3128\"\ncluster_cidrs = [\"10.96.0.0/12\", \"fd00::/108\"]\n";
        let sel = Selection::from_profile(Path::new("p.toml"), text).unwrap();
        assert_eq!(
            sel.extras.proxy,
            Some(crate::extras::Proxy::Set {
                url: "http://p:3128".into(),
                no_proxy: crate::extras::NoProxy::Default {
                    cluster: vec!["10.96.0.0/12".into(), "fd00::/108".into()]
                }
            })
        );
        let saved = sel.to_profile();
        assert!(!saved.contains("no_proxy"), "{saved}");
        let mut again = Selection::from_profile(Path::new("p.toml"), &saved).unwrap();
        again.extras.proxy_origin = sel.extras.proxy_origin.clone();
        assert_eq!(again, sel);
    }

    #[test]
    fn profiles_round_trip() {
        let mut s = Selection {
            preset: Some("daocloud".into()),
            ..Default::default()
        };
        s.mirrors.insert(
            reg("quay.io"),
            Choice::Urls(vec!["https://a.example".into()]),
        );
        s.mirrors.insert(reg("gcr.io"), Choice::Remove);
        s.mirrors
            .insert(reg("ghcr.io"), Choice::Preset("nju".into()));
        let text = s.to_profile();
        assert_eq!(Selection::from_profile(Path::new("p"), &text).unwrap(), s);
        // The heal timer, on and off.
        for heal in [HealSchedule::Every("30min".into()), HealSchedule::Off] {
            s.heal = Some(heal);
            let text = s.to_profile();
            assert_eq!(Selection::from_profile(Path::new("p"), &text).unwrap(), s);
            let every = s
                .heal
                .as_ref()
                .and_then(HealSchedule::every)
                .unwrap_or("none");
            assert!(
                text.contains(&format!("heal_every = \"{every}\"\n")),
                "{text}"
            );
        }
        let e = Selection::from_profile(Path::new("p.toml"), "preset = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:1:"), "{e}");
    }

    #[test]
    fn cni_bin_dir_round_trips_and_a_bad_one_is_placed() {
        use crate::cni::CniBinDir;
        for dir in [CniBinDir::Auto, CniBinDir::Dir("/usr/lib/cni".into())] {
            let mut s = Selection::default();
            s.extras.cni_bin_dir = Some(dir.clone());
            let text = s.to_profile();
            assert!(
                text.contains(&format!("cni_bin_dir = \"{}\"", dir.to_profile())),
                "{text}"
            );
            assert_eq!(Selection::from_profile(Path::new("p"), &text).unwrap(), s);
        }
        let e = Selection::from_profile(Path::new("p.toml"), "\ncni_bin_dir = \"lib/cni\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:2:15"), "{e}");
        assert!(e.contains("lib/cni"), "{e}");
    }
}
