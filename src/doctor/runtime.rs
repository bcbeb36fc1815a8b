//! Doctor's checks of the runtime half of a node: what a pod needs beyond
//! pulls (issue 14).

use super::{Check, LiveFacts, Status};
use crate::containerd::config::ContainerdConfig;
use crate::node::NodeState;

pub(super) fn checks(
    _node: &NodeState,
    _cfg: Option<&ContainerdConfig>,
    live: &LiveFacts,
    out: &mut Vec<Check>,
) {
    match &live.pod {
        None => {}
        Some(Ok(detail)) => out.push(Check::new("runtime.pod", Status::Ok, detail.clone())),
        Some(Err(why)) => out.push(
            Check::new("runtime.pod", Status::Fail, why.clone())
                .fix(crate::t!("pods.doctor.pod_fix")),
        ),
    }
}
