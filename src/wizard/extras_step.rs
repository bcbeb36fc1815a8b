//! The Extras step's rows and what Space does to each: cycle a value or
//! open an editor. Works on the selection it is given (no `App`).

use super::derive::{target_mirrors, Probes};
use super::editor::{validate_urls, Editor, PrivateForm};
use crate::catalog::Catalog;
use crate::doctor::Check;
use crate::extras::{Extras, NoProxy, Proxy};
use crate::node::NodeState;
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection};

/// The rows of the Extras step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    SystemdCgroup,
    PauseImage,
    Proxy,
    /// Where the CRI plugin looks for CNI plugins (`--cni-bin-dir auto`).
    CniBinDir,
    /// `/etc/crictl.yaml` pointing at the node's socket (`--crictl`).
    Crictl,
    /// nerdctl's own `hosts_dir` (`--nerdctl`).
    Nerdctl,
    DockerMirror,
    /// A fallback mirror for every registry without its own directory.
    DefaultMirror,
    /// Run `ctrwiz heal` by itself (the timer `heal --install` plans).
    Heal,
    /// Its registries follow as rows of their own.
    PrivateRegistry,
}

impl Extra {
    pub const ALL: [Extra; 10] = [
        Extra::SystemdCgroup,
        Extra::PauseImage,
        Extra::Proxy,
        Extra::CniBinDir,
        Extra::Crictl,
        Extra::Nerdctl,
        Extra::DockerMirror,
        Extra::DefaultMirror,
        Extra::Heal,
        Extra::PrivateRegistry,
    ];
}

/// The extras shown on `node`: never a choice the plan would refuse or
/// that does nothing there. The proxy needs a systemd drop-in; nerdctl's
/// row needs nerdctl. A choice already made (a profile's) stays shown, so
/// it can be taken back.
pub fn shown(node: Option<&NodeState>, sel: &Selection) -> Vec<Extra> {
    let x = &sel.extras;
    Extra::ALL
        .into_iter()
        .filter(|e| match (e, node) {
            (_, None) => true,
            (Extra::Proxy, Some(n)) => n.service.reads_drop_ins() || x.proxy.is_some(),
            (Extra::Nerdctl, Some(n)) => {
                n.tool(crate::node::ToolName::Nerdctl).is_some() || x.nerdctl
            }
            _ => true,
        })
        .collect()
}

/// Why Space cannot turn `extra` on here (`None`: it can, or it is on and
/// Space changes it): the proxy without a systemd drop-in to hold it, the
/// CNI dir where no plugin was found or containerd looks there already.
pub fn cannot_turn_on(extra: Extra, node: Option<&NodeState>, sel: &Selection) -> Option<String> {
    let node = node?;
    let x = &sel.extras;
    match extra {
        Extra::Proxy if x.proxy.is_none() && !node.service.reads_drop_ins() => {
            Some(crate::t!("tui.notice.no_proxy_here").into())
        }
        Extra::CniBinDir if x.cni_bin_dir.is_none() => match &node.cni_dir {
            None => Some(crate::t!("doctor.cni.missing").into()),
            Some(d) if node.cni_looks_in(d) => Some(crate::t!("doctor.cni.ok", dir = d.display())),
            Some(_) => None,
        },
        _ => None,
    }
}

/// The doctor checks whose repair an extra makes, by extra: the one rule
/// for "this node needs it" (doctor's), shown as the row's reason.
pub fn check_of(extra: Extra) -> &'static [&'static str] {
    match extra {
        Extra::CniBinDir => &["cni.bin_dir", "cni.installed"],
        Extra::Crictl => &["clients.crictl"],
        Extra::Nerdctl => &["clients.nerdctl_hosts_dir"],
        _ => &[],
    }
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
/// recommended when PID 1 is systemd (kubelet's driver must match); the
/// CNI dir, crictl.yaml and nerdctl's hosts_dir when doctor warns about
/// them (`checks`, doctor's run on this node).
pub fn seed_extras(node: Option<&NodeState>, checks: &[Check], extras: &mut Extras) {
    let Some(node) = node else { return };
    let warns = |extra: Extra| {
        checks
            .iter()
            .any(|c| check_of(extra).contains(&c.id.as_str()) && c.repair.is_some())
    };
    if warns(Extra::CniBinDir) && extras.cni_bin_dir.is_none() {
        // `auto`, not the dir: a saved profile fits other nodes too.
        extras.cni_bin_dir = Some(crate::cni::CniBinDir::Auto);
    }
    extras.crictl |= warns(Extra::Crictl);
    extras.nerdctl |= warns(Extra::Nerdctl);
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
                Some(Proxy::Set {
                    url,
                    no_proxy: NoProxy::Exactly(list),
                }) => format!("{url} {}", list.join(",")),
                Some(Proxy::Set { url, .. }) => url.clone(),
                Some(Proxy::Remove) => String::new(),
                // The node's own proxy, as its drop-in has it: Enter keeps
                // URL and NO_PROXY (ctrwiz then writes the drop-in itself).
                None => match ctx.node.and_then(NodeState::proxy_env) {
                    Some(env) => {
                        let url = env.https.or(env.http).unwrap_or_default();
                        let list: Vec<&str> = env
                            .no_proxy
                            .split(',')
                            .map(str::trim)
                            .filter(|e| !e.is_empty())
                            .collect();
                        if list.is_empty() {
                            url
                        } else {
                            format!("{url} {}", list.join(","))
                        }
                    }
                    None => String::new(),
                },
            };
            return Some(Editor::Proxy {
                input: input.into(),
                error: None,
            });
        }
        Extra::DefaultMirror => {
            let default = RegistryName::default_namespace();
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
        Extra::CniBinDir => {
            sel.extras.cni_bin_dir = match sel.extras.cni_bin_dir {
                None => Some(crate::cni::CniBinDir::Auto),
                Some(_) => None,
            }
        }
        Extra::Crictl => sel.extras.crictl = !sel.extras.crictl,
        Extra::Nerdctl => sel.extras.nerdctl = !sel.extras.nerdctl,
        Extra::Heal => {
            use crate::selection::HealSchedule;
            sel.heal = Some(match heal_choice(ctx.catalog, sel).every() {
                Some(_) => HealSchedule::Off,
                None => HealSchedule::default_on(),
            });
        }
        Extra::DockerMirror => {
            let docker = RegistryName::docker_hub();
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
