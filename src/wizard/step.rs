//! The wizard's screens, in order. A leaf: keys and app both use it.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Node,
    Preset,
    Registries,
    Extras,
    Review,
    Apply,
    Done,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Node,
        Step::Preset,
        Step::Registries,
        Step::Extras,
        Step::Review,
        Step::Apply,
        Step::Done,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Node => crate::t!("wizard.step.node"),
            Step::Preset => crate::t!("wizard.step.preset"),
            Step::Registries => crate::t!("wizard.step.registries"),
            Step::Extras => crate::t!("wizard.step.extras"),
            Step::Review => crate::t!("wizard.step.review"),
            Step::Apply => crate::t!("wizard.step.apply"),
            Step::Done => crate::t!("wizard.step.done"),
        }
    }

    pub fn prev(self) -> Step {
        match self {
            Step::Node | Step::Preset => Step::Node,
            Step::Registries => Step::Preset,
            Step::Extras => Step::Registries,
            Step::Review => Step::Extras,
            Step::Apply | Step::Done => Step::Review,
        }
    }
}
