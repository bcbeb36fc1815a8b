//! One module per wizard step, each drawing that step's body.

pub mod apply;
pub mod done;
pub mod node;
pub mod preset;
pub mod registries;
pub mod review;
