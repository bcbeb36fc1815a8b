//! The two kinds of file containerd reads for registry settings.
pub mod config;
pub mod gates;
pub mod hosts;
pub mod proxy_env;
