//! Version numbers as printed by containerd and its neighbours.
//!
//! Every format in docs/containerd-facts.md §4 is one of "name … <version> …":
//! upstream (`v1.7.20`), Debian (`1.6.20~ds1`), containerd.io (`1.6.24`),
//! 2.x (`…/containerd/v2 v2.1.1`), crictl with and without `v`, and CNI's
//! `version unknown`. The first token after the name that starts with a
//! digit (after an optional `v`) and has a dot is the version.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `v1.6.20`, `1.6.20~ds1`, `2.4.0-beta.0`, `1.7.27+really`, `3.10`.
    pub fn parse(token: &str) -> Option<Version> {
        let t = token.trim().trim_start_matches('v');
        let core = t.split(['~', '+', '-']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) => p.parse().ok()?,
            None => 0,
        };
        Some(Version {
            major,
            minor,
            patch,
        })
    }
}

/// JSON shows versions as `"1.6.20"`.
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Finds the version in a tool's `--version` line (the first line that
/// mentions one; multi-line banners such as runc's put it first).
pub fn parse_version_line(raw: &str) -> Option<Version> {
    raw.lines().find_map(|line| {
        line.split_whitespace()
            .skip(1)
            .find(|tok| looks_like_version(tok))
            .and_then(Version::parse)
    })
}

fn looks_like_version(tok: &str) -> bool {
    let t = tok.strip_prefix('v').unwrap_or(tok);
    t.chars().next().is_some_and(|c| c.is_ascii_digit()) && t.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<String> {
        parse_version_line(s).map(|v| v.to_string())
    }

    #[test]
    fn every_format_in_the_reference() {
        let cases = [
            ("containerd github.com/containerd/containerd v1.6.21 3dce8eb055cbb6872793272b4f20ed16117344f8", "1.6.21"),
            ("containerd github.com/containerd/containerd v1.7.20 8fc6bcff51318944179630522a095cc9dbf9f353", "1.7.20"),
            ("containerd github.com/containerd/containerd/v2 v2.1.1 cb1076646aa3740577fafbf3d914198b7fe8e3f7", "2.1.1"),
            ("containerd containerd.io 1.6.24 61f9fd88f79f081d64d6fa3bb1a0dc71ec870523", "1.6.24"),
            ("containerd containerd.io v2.1.5 fcd43222d6b07379a4be9786bda52438f0dd16a1", "2.1.5"),
            ("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3", "1.6.20"),
            ("containerd github.com/containerd/containerd 1.7.27", "1.7.27"),
            ("ctr github.com/containerd/containerd v1.7.20", "1.7.20"),
            ("ctr github.com/containerd/containerd/v2 v2.2.1", "2.2.1"),
            ("ctr github.com/containerd/containerd 1.6.20~ds1", "1.6.20"),
            ("runc version 1.3.0\ncommit: v1.3.0-0-g4ca628d1\nspec: 1.2.1\ngo: go1.23.4", "1.3.0"),
            ("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev", "1.1.5"),
            ("nerdctl version 2.0.4", "2.0.4"),
            ("crictl version v1.31.1", "1.31.1"),
            ("crictl version 1.31.1", "1.31.1"),
            ("buildkitd github.com/moby/buildkit v0.20.1 de56a3c5056341667b5bad71f414ece70b50724f", "0.20.1"),
            ("CNI bridge plugin v1.5.1\nCNI protocol versions supported: 0.1.0, 0.2.0", "1.5.1"),
            ("crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30", "1.8.1"),
            ("containerd github.com/containerd/containerd/v2 v2.4.0-beta.0 abc", "2.4.0"),
        ];
        for (line, want) in cases {
            assert_eq!(v(line).as_deref(), Some(want), "{line}");
        }
    }

    #[test]
    fn unknown_versions_are_none() {
        // Debian's CNI plugins, distro crictl builds, and the protocol line
        // must not be mistaken for the plugin's version.
        assert_eq!(
            v("CNI bridge plugin version unknown\nCNI protocol versions supported: 0.1.0, 1.0.0"),
            None
        );
        assert_eq!(v("crictl version unknown"), None);
        assert_eq!(v(""), None);
    }

    #[test]
    fn ordering_follows_numbers_not_text() {
        assert!(Version::parse("1.7.32").unwrap() > Version::parse("1.7.4").unwrap());
        assert!(Version::parse("v2.0.0").unwrap() > Version::parse("1.7.99").unwrap());
        assert_eq!(Version::parse("3.10"), Some(Version::new(3, 10, 0)));
        assert_eq!(Version::parse("x1.2"), None);
    }
}
