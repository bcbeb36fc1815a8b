//! Doctor's check of containerd's proxy: a proxy drop-in that also carries
//! pulls from hosts on the node's own network (a Harbor, an internal
//! mirror), which an internet proxy usually cannot reach. Judged by Go's
//! rules, as containerd applies them (`containerd::proxy_env`), over every
//! drop-in of its unit; and another drop-in that overrides ctrwiz's.

use super::{Check, Status};
use crate::containerd::hosts;
use crate::containerd::proxy_env::is_on_the_network;
use crate::endpoint::Endpoint;
use crate::node::NodeState;
use crate::selection::Selection;
use std::path::Path;

pub(super) fn checks(node: &NodeState, out: &mut Vec<Check>) {
    // Another drop-in read after ctrwiz's sets the proxy: its values win.
    let overrides = node.proxy_overrides();
    if node.proxy_drop_in.is_some() {
        for (path, vars) in &overrides {
            let msg = crate::t!(
                "doctor.proxy.overridden",
                path = path.display(),
                vars = vars.join(", "),
                ours = crate::paths::PROXY_DROP_IN
            );
            let fix = crate::t!("doctor.proxy.overridden_fix", path = path.display());
            out.push(Check::new("proxy.overridden", Status::Warn, msg).fix(fix));
        }
    }
    let Some(env) = node.proxy_env() else {
        return;
    };
    // Every host a hosts.toml sends pulls to, on the node's network and
    // behind the proxy.
    let mut behind: Vec<String> = Vec::new();
    for (dir, text) in &node.hosts_dir.files {
        let Some(text) = text else { continue };
        let Ok(parsed) = hosts::parse(Path::new(dir), text) else {
            continue;
        };
        let urls = parsed
            .hosts
            .iter()
            .map(|h| h.url.clone())
            .chain(parsed.server.clone());
        for url in urls {
            let Ok(ep) = Endpoint::parse(&url) else {
                continue;
            };
            let host = ep.host().to_ascii_lowercase();
            if is_on_the_network(&host) && env.proxy_for(&ep).is_some() && !behind.contains(&host) {
                behind.push(host);
            }
        }
    }
    // The files that set it, as the messages name them.
    let setters: Vec<String> = node
        .drop_ins()
        .iter()
        .filter(|(_, text)| !crate::containerd::proxy_env::proxy_vars_set(text).is_empty())
        .map(|(p, _)| p.display().to_string())
        .collect();
    let path = setters.join(", ");
    if behind.is_empty() {
        let msg = crate::t!("doctor.proxy.ok", path = path);
        out.push(Check::new("proxy.no_proxy", Status::Ok, msg));
        return;
    }
    let hosts = behind.join(", ");
    let msg = crate::t!("doctor.proxy.behind", path = path, hosts = hosts);
    let fix = crate::t!("doctor.proxy.behind_fix", hosts = hosts);
    let mut check = Check::new("proxy.no_proxy", Status::Warn, msg).fix(fix);
    // The repair keeps the proxy and its NO_PROXY, adding the hosts, in
    // ctrwiz's drop-in: only where one URL serves both schemes (as ctrwiz's
    // drop-in has it) and no drop-in read later would undo it.
    if let (Some(url), true, true) = (&env.https, env.http == env.https, overrides.is_empty()) {
        let mut list: Vec<String> = env
            .no_proxy
            .split(',')
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        list.extend(behind);
        if let Ok(proxy) = crate::extras::Proxy::parse(url, Some(&list), &[]) {
            let mut repair = Selection::default();
            repair.extras.proxy = Some(proxy);
            check = check.repair(repair);
        }
    }
    out.push(check);
}
