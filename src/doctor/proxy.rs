//! Doctor's check of containerd's proxy: a proxy drop-in that also carries
//! pulls from hosts on the node's own network (a Harbor, an internal
//! mirror), which an internet proxy usually cannot reach. Judged by Go's
//! rules, as containerd applies them (`containerd::proxy_env`).

use super::{Check, Status};
use crate::containerd::hosts;
use crate::containerd::proxy_env::{is_on_the_network, ProxyEnv};
use crate::endpoint::Endpoint;
use crate::node::NodeState;
use crate::selection::Selection;
use std::path::Path;

pub(super) fn checks(node: &NodeState, out: &mut Vec<Check>) {
    let Some(bytes) = &node.proxy_drop_in else {
        return;
    };
    let env = ProxyEnv::from_drop_in(&String::from_utf8_lossy(bytes));
    if env.http.is_none() && env.https.is_none() {
        return;
    }
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
    let path = crate::paths::PROXY_DROP_IN;
    if behind.is_empty() {
        let msg = crate::t!("doctor.proxy.ok", path = path);
        out.push(Check::new("proxy.no_proxy", Status::Ok, msg));
        return;
    }
    let hosts = behind.join(", ");
    let msg = crate::t!("doctor.proxy.behind", path = path, hosts = hosts);
    let fix = crate::t!("doctor.proxy.behind_fix", hosts = hosts);
    let mut check = Check::new("proxy.no_proxy", Status::Warn, msg).fix(fix);
    // The repair keeps the proxy and its NO_PROXY, adding the hosts; only
    // where one URL serves both schemes, as ctrwiz's own drop-in does.
    if let (Some(url), true) = (&env.https, env.http == env.https) {
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
