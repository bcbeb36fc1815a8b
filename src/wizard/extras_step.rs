//! The Extras step's rows and what Space does to each: cycle a value or
//! open an editor. Works on the selection it is given (no `App`).

use super::derive::{target_mirrors, Probes};
use super::editor::{validate_urls, Editor, PrivateForm};
use crate::catalog::Catalog;
use crate::extras::{Extras, Proxy};
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};

/// The rows of the Extras step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    SystemdCgroup,
    PauseImage,
    Proxy,
    DockerMirror,
    /// A fallback mirror for every registry without its own directory.
    DefaultMirror,
    /// Run `ctrwiz heal` by itself (the timer `heal --install` plans).
    Heal,
    /// Its registries follow as rows of their own.
    PrivateRegistry,
}

impl Extra {
    pub const ALL: [Extra; 7] = [
        Extra::SystemdCgroup,
        Extra::PauseImage,
        Extra::Proxy,
        Extra::DockerMirror,
        Extra::DefaultMirror,
        Extra::Heal,
        Extra::PrivateRegistry,
    ];
}

/// The heal timer the wizard plans: the user's choice, else on (every
/// 15 minutes) when some registry gets a mirror other than the registry
/// itself (nothing to heal without one), else off.
pub fn heal_choice(catalog: &Catalog, sel: &Selection) -> crate::selection::HealSchedule {
    use crate::selection::{HealSchedule, Target};
    if let Some(h) = &sel.heal {
        return h.clone();
    }
    let mirrored = sel.resolve(catalog).is_ok_and(|targets| {
        targets
            .iter()
            .any(|t| matches!(t, Target::Write(spec) if spec.hosts.iter().any(|h| Some(h.endpoint.url()) != spec.server)))
    });
    if mirrored {
        HealSchedule::default_on()
    } else {
        HealSchedule::Off
    }
}

/// What Space on an extra reads besides the selection it changes.
pub struct ExtraCtx<'a> {
    pub catalog: &'a Catalog,
    pub probes: &'a Probes,
    pub node: Option<&'a NodeState>,
}

/// Extras start off unless the node clearly needs them: SystemdCgroup is
/// recommended when PID 1 is systemd (kubelet's driver must match).
pub fn seed_extras(node: Option<&NodeState>, extras: &mut Extras) {
    let Some(node) = node else { return };
    let systemd = node.service.manager == crate::node::ServiceManager::Systemd;
    let current = node
        .containerd_config
        .text
        .as_deref()
        .and_then(|t| {
            crate::containerd::config::ContainerdConfig::parse(&node.containerd_config.path, t).ok()
        })
        .and_then(|c| c.systemd_cgroup());
    if systemd && current != Some(true) && extras.systemd_cgroup.is_none() {
        extras.systemd_cgroup = Some(true);
    }
}

/// The pause image choices, in the order Space cycles them.
pub fn pause_choices(ctx: &ExtraCtx, sel: &Selection) -> Vec<Option<String>> {
    let tag = crate::extras::pause_tag(ctx.node.and_then(|n| n.containerd_version()));
    let mut v = vec![None];
    if let Ok(k8s) = RegistryName::parse("registry.k8s.io") {
        let mirror = target_mirrors(ctx.catalog, sel, ctx.probes, &k8s);
        if let Some(first) = mirror
            .split(", ")
            .next()
            .filter(|m| m.starts_with("https://"))
        {
            let host = first
                .split(' ')
                .next()
                .unwrap_or(first)
                .trim_start_matches("https://");
            if !host.contains("/v2/") {
                v.push(Some(format!("{host}/pause:{tag}")));
            }
        }
    }
    v.push(Some(format!(
        "registry.aliyuncs.com/google_containers/pause:{tag}"
    )));
    v
}

/// Space on an extra: changes `sel`, or returns the editor to open.
pub fn change_extra(extra: Extra, ctx: &ExtraCtx, sel: &mut Selection) -> Option<Editor> {
    match extra {
        Extra::SystemdCgroup => {
            sel.extras.systemd_cgroup = match sel.extras.systemd_cgroup {
                None => Some(true),
                Some(true) => Some(false),
                Some(false) => None,
            }
        }
        Extra::PauseImage => {
            // keep → the registry.k8s.io mirror's → Aliyun's copy → custom…
            let choices = pause_choices(ctx, sel);
            match choices.iter().position(|c| *c == sel.extras.sandbox_image) {
                Some(i) if i + 1 < choices.len() => {
                    sel.extras.sandbox_image = choices[i + 1].clone()
                }
                Some(_) => {
                    return Some(Editor::PauseImage {
                        input: Default::default(),
                        error: None,
                    })
                }
                None => sel.extras.sandbox_image = None,
            }
        }
        Extra::Proxy => {
            let input = match &sel.extras.proxy {
                Some(Proxy::Set { url, no_proxy }) => {
                    format!("{url} {}", no_proxy.join(","))
                }
                _ => String::new(),
            };
            return Some(Editor::Proxy {
                input: input.into(),
                error: None,
            });
        }
        Extra::DefaultMirror => {
            let default = RegistryName::parse(crate::registry::DEFAULT_NAMESPACE).expect("valid");
            let input = match sel.mirrors.get(&default) {
                Some(Choice::Urls(u)) => u.join(","),
                _ => String::new(),
            };
            let error = validate_urls(&input).err();
            return Some(Editor::Custom {
                registry: default,
                input: input.into(),
                error,
            });
        }
        Extra::PrivateRegistry => return Some(Editor::Private(PrivateForm::default())),
        Extra::Heal => {
            use crate::selection::HealSchedule;
            sel.heal = Some(match heal_choice(ctx.catalog, sel).every() {
                Some(_) => HealSchedule::Off,
                None => HealSchedule::default_on(),
            });
        }
        Extra::DockerMirror => {
            let docker = RegistryName::parse("docker.io").expect("valid");
            let urls: Vec<String> = target_mirrors(ctx.catalog, sel, ctx.probes, &docker)
                .split(", ")
                .filter(|u| u.starts_with("http"))
                .map(|u| u.split(' ').next().unwrap_or(u).to_string())
                .collect();
            sel.extras.docker_mirrors = match &sel.extras.docker_mirrors {
                None if !urls.is_empty() => Some(urls),
                _ => None,
            };
        }
    }
    None
}
