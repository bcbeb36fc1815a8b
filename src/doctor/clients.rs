//! Doctor's checks of the clients' own config: crictl's endpoints.

use super::{Check, Status};
use crate::clients::{endpoint, points_at, rejected};
use crate::node::{NodeState, ToolName};
use crate::paths::CRICTL_YAML;
use crate::selection::Selection;

pub(super) fn checks(node: &NodeState, out: &mut Vec<Check>) {
    if node.tool(ToolName::Crictl).is_none() {
        return;
    }
    let want = endpoint(&node.service.address);
    let text = node
        .crictl_yaml
        .as_deref()
        .map(String::from_utf8_lossy)
        .map(|t| t.into_owned());
    let msg = match text.as_deref().map(|t| points_at(t, &node.service.address)) {
        Some(Some(true)) => {
            let msg = crate::t!("clients.doctor.ok", path = CRICTL_YAML, endpoint = want);
            out.push(Check::new("clients.crictl", Status::Ok, msg));
            return;
        }
        None => crate::t!("clients.doctor.missing", path = CRICTL_YAML),
        Some(Some(false)) => match text.as_deref().and_then(rejected) {
            Some(why) => crate::t!("clients.doctor.rejected", path = CRICTL_YAML, why = why),
            None => crate::t!(
                "clients.doctor.elsewhere",
                path = CRICTL_YAML,
                endpoint = want
            ),
        },
        Some(None) => crate::t!("clients.doctor.not_a_mapping", path = CRICTL_YAML),
    };
    let mut fix = Selection::default();
    fix.extras.crictl = true;
    out.push(
        Check::new("clients.crictl", Status::Warn, msg)
            .fix(crate::t!("clients.doctor.fix", endpoint = want))
            .repair(fix),
    );
}
