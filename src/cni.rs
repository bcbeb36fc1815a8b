//! The CNI `bin_dir` fix as a planned config.toml edit (`--cni-bin-dir
//! DIR|auto`, profile `cni_bin_dir`): point the CRI plugin at the dir the
//! CNI plugins are in (Debian installs them in /usr/lib/cni; containerd's
//! built-in default is /opt/cni/bin on most builds).

use crate::error::{Error, Result};
use crate::node::NodeState;

/// Where the CRI plugin should look for CNI plugins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CniBinDir {
    /// The dir the plugins were found in on the node.
    Auto,
    Dir(String),
}

impl CniBinDir {
    /// `auto` (any case) or an absolute path; the error is a sentence for
    /// the caller to place (flag, profile line).
    pub fn parse(s: &str) -> std::result::Result<CniBinDir, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(CniBinDir::Auto);
        }
        if s.chars().any(char::is_control) {
            return Err(crate::t!("cni.error.control").into());
        }
        if !s.starts_with('/') {
            return Err(crate::t!("cni.error.absolute", dir = s));
        }
        let trimmed = s.trim_end_matches('/');
        Ok(CniBinDir::Dir(
            if trimmed.is_empty() { "/" } else { trimmed }.to_string(),
        ))
    }

    pub fn to_profile(&self) -> String {
        match self {
            CniBinDir::Auto => "auto".into(), // i18n: profile value
            CniBinDir::Dir(d) => d.clone(),
        }
    }

    /// The dir this means on `node`; `auto` where no CNI plugin was found
    /// is refused (nothing to point at).
    pub fn resolve(&self, node: &NodeState) -> Result<String> {
        match self {
            CniBinDir::Dir(d) => Ok(d.clone()),
            CniBinDir::Auto => node
                .cni_dir
                .as_ref()
                .and_then(|d| d.to_str())
                .map(str::to_string)
                .ok_or_else(|| Error::Usage(crate::t!("cni.error.auto_not_found").into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_takes_auto_and_absolute_dirs_only() {
        assert_eq!(CniBinDir::parse("AUTO"), Ok(CniBinDir::Auto));
        assert_eq!(
            CniBinDir::parse("/usr/lib/cni/"),
            Ok(CniBinDir::Dir("/usr/lib/cni".into()))
        );
        assert!(CniBinDir::parse("usr/lib/cni").is_err());
        assert!(CniBinDir::parse("/usr/lib\n/cni").is_err());
        assert!(CniBinDir::parse("").is_err());
    }
}
