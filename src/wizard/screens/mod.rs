//! One module per step of the wizard.
pub mod apply;
pub mod done;
pub mod extras;
pub mod node;
pub mod preset;
pub mod registries;
pub mod review;
