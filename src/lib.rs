//! ctrwiz: configure containerd registry mirrors safely.
//!
//! Pure core: [`node`] reads a node into a [`node::NodeState`], [`catalog`]
//! and [`selection`] say what the user wants, [`plan::make`] turns both into
//! a [`plan::Plan`]. Effects live at the edges: [`apply`] writes, restarts
//! and rolls back; [`ctr`] is the one client of containerd's `ctr`.
//! [`session::Session`] holds one run's node, catalog, state dir and restart
//! policy; [`cli`] and [`wizard`] only drive these.

pub mod apply;
pub mod catalog;
pub mod cli;
pub mod clients;
pub mod cluster;
pub mod cni;
pub mod containerd;
pub mod cri;
pub mod ctr;
pub mod demo;
pub mod doctor;
pub mod endpoint;
pub mod error;
pub mod export;
pub mod extras;
pub mod heal;
pub mod i18n;
pub mod nerdctl;
pub mod node;
pub mod owner;
pub mod paths;
pub mod plan;
pub mod probe;
pub mod process;
pub mod registry;
pub mod root;
pub mod selection;
pub mod session;
pub mod verify;
pub mod version;
pub mod wizard;
