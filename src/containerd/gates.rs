//! Version gates: every containerd behaviour ctrwiz decides on by version,
//! in one table. Each row says from which version (and, where a line
//! dropped it again, until which) the behaviour holds, and where that is
//! known from: an upstream commit or tag, or what a real daemon did here
//! (the live tests run 1.6.20, 1.7.24 and 2.1.9).
//!
//! Code asks `Gate::X.holds(version)`; an unknown version is answered by
//! `Gate::assume_unknown`, the conservative side of each gate.

use crate::version::Version;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gate {
    /// config.toml `version = 3` (2.0+ only; 1.x refuses to start).
    ConfigV3,
    /// config.toml `version = 4` (2.3+; 2.0–2.2 refuse it).
    ConfigV4,
    /// hosts.toml `dial_timeout` is read (2.0.7+ and 2.1+). Older versions
    /// ignore the key as unknown, so writing it there is harmless.
    DialTimeout,
    /// hosts.toml capability `"referrers"`; before 2.2 the whole file is
    /// rejected ("unknown capability referrers") and pulls go upstream.
    ReferrersCapability,
    /// A hosts.toml with `server` and no `[host]` table works (before, the
    /// whole file is rejected: "invalid `host` tree"; fixed in 1.7.32 and
    /// 2.0, never on 1.6).
    ServerWithoutHost,
    /// CRI pulls go through the transfer service by default, which takes
    /// one hosts dir: a colon list in `config_path` is ignored unless a
    /// setting forces local pulls (2.1+).
    TransferPulls,
    /// `ctr images pull` goes through the daemon's transfer service and
    /// prints no resolver lines; `--local` makes it resolve itself (2.0+).
    CtrTransferPull,
    /// With TLS options on an `http://` host, containerd tries HTTPS first
    /// (1.7+); 1.6 speaks plain HTTP first.
    HttpTriesTlsFirst,
    /// hosts.toml `header` values are also sent to token-auth requests
    /// (2.1+).
    HeadersToTokenRealm,
    /// A mirror that accepts TCP but never answers fails over after 30 s
    /// (2.3+: ResponseHeaderTimeout); before, the pull hangs.
    ResponseHeaderTimeout,
    /// 2.3.0–2.3.4 (and 2.4.0-beta.0) exit when an imported drop-in has a
    /// higher `version` than the root file.
    DropInVersionCrash,
    /// The `_default` hosts dir is the fallback for every registry without
    /// its own (1.6.17 and 1.7.0+).
    DefaultHostsDir,
    /// 2.x merges imported tables key by key; 1.x replaces whole top-level
    /// tables.
    ImportsMergeDeep,
    /// The CRI plugin reads `cni.bin_dirs` (a list) and deprecates
    /// `bin_dir`; a file that sets `bin_dir` beside a non-default
    /// `bin_dirs` fails to load the CRI plugin (2.1+).
    CniBinDirs,
}

/// One row of the table: holds for `from <= v < until`.
pub struct Row {
    pub gate: Gate,
    pub from: Version,
    pub until: Option<Version>,
    /// Also holds on this earlier line from this patch (a backport).
    pub backport: Option<Version>,
    /// Where this is known from.
    pub source: &'static str,
}

const fn v(major: u32, minor: u32, patch: u32) -> Version {
    Version::new(major, minor, patch)
}

pub const TABLE: &[Row] = &[
    Row {
        gate: Gate::ConfigV3,
        from: v(2, 0, 0),
        until: None,
        backport: None,
        source: "1.6.20 here: `unsupported config version 3`; 1.7.24: `the max version is 2`", // i18n: a source for developers
    },
    Row {
        gate: Gate::ConfigV4,
        from: v(2, 3, 0),
        until: None,
        backport: None,
        source: "serviceMigrate in cmd/containerd/server/config/config.go v2.3.0; 2.1.9 here: `equal to or less than 3, got 4`", // i18n: a source for developers
    },
    Row {
        gate: Gate::DialTimeout,
        from: v(2, 1, 0),
        until: None,
        backport: Some(v(2, 0, 7)),
        source: "hosts.go toml tags; backport b50cbbc98 (PR #12136) in v2.0.7", // i18n: a source for developers
    },
    Row {
        gate: Gate::ReferrersCapability,
        from: v(2, 2, 0),
        until: None,
        backport: None,
        source: "hosts.go v2.2.0; 1.6.20, 1.7.24, 2.1.9 here reject the file", // i18n: a source for developers
    },
    Row {
        gate: Gate::ServerWithoutHost,
        from: v(2, 0, 0),
        until: None,
        backport: Some(v(1, 7, 32)),
        source: "containerd#10028 (24007441d) in v1.7.32; 1.6.20 and 1.7.24 here ignore such a file, 2.1.9 reads it", // i18n: a source for developers
    },
    Row {
        gate: Gate::TransferPulls,
        from: v(2, 1, 0),
        until: None,
        backport: None,
        source: "CRI use_local_image_pull default false from v2.1.0; 2.1.9 here ignores a colon list", // i18n: a source for developers
    },
    Row {
        gate: Gate::CtrTransferPull,
        from: v(2, 0, 0),
        until: None,
        backport: None,
        source: "cmd/ctr/commands/images/pull.go v2.0.0 (--local); 2.1.9 here prints no resolver lines", // i18n: a source for developers
    },
    Row {
        gate: Gate::HttpTriesTlsFirst,
        from: v(1, 7, 0),
        until: None,
        backport: None,
        source: "1.6.20 here: plain HTTP first; 1.7.24 here: TLS ClientHello first", // i18n: a source for developers
    },
    Row {
        gate: Gate::HeadersToTokenRealm,
        from: v(2, 1, 0),
        until: None,
        backport: None,
        source: "10b4eb4a9 (PR #11092), absent in v2.0.11 and v1.7.34", // i18n: a source for developers
    },
    Row {
        gate: Gate::ResponseHeaderTimeout,
        from: v(2, 3, 0),
        until: None,
        backport: None,
        source: "574a60700, DefaultHTTPTransport in core/remotes/docker/registry.go", // i18n: a source for developers
    },
    Row {
        gate: Gate::DropInVersionCrash,
        from: v(2, 3, 0),
        until: Some(v(2, 4, 0)),
        backport: None,
        source: "PR #12891 (21248d007) in v2.3.0–v2.3.4; reverted a8ed54668 (NVIDIA/aicr#1688)", // i18n: a source for developers
    },
    Row {
        gate: Gate::ImportsMergeDeep,
        from: v(2, 0, 0),
        until: None,
        backport: None,
        source: "docs/containerd-facts.md §2; 2.1.9 here merges a drop-in's registry table", // i18n: a source for developers
    },
    Row {
        gate: Gate::DefaultHostsDir,
        from: v(1, 7, 0),
        until: None,
        backport: Some(v(1, 6, 17)),
        source: "f0bf9e7f8 \"Support default hosts.toml configuration\"; 1.6.20 here serves quay.io from _default", // i18n: a source for developers
    },
    Row {
        gate: Gate::CniBinDirs,
        from: v(2, 1, 0),
        until: None,
        backport: None,
        source: "71f593d4a \"Support multiple CNI plugin bin dirs\" in v2.1.0; ValidateRuntimeConfig, internal/cri/config/config.go v2.1.9: bin_dir moves into bin_dirs, both set is an error", // i18n: a source for developers
    },
];

impl Gate {
    pub fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|r| r.gate == self)
            .expect("every gate has a row")
    }

    /// Whether the behaviour holds on `version`.
    pub fn holds(self, version: Version) -> bool {
        let row = self.row();
        let in_line = row
            .backport
            .is_some_and(|b| version.major == b.major && version.minor == b.minor && version >= b);
        (version >= row.from || in_line) && row.until.is_none_or(|u| version < u)
    }

    /// For an unknown version: the side that cannot mislead. Features are
    /// assumed absent (ctrwiz does not write what may be refused) and
    /// traps present where they would hide a failure.
    pub fn assume_unknown(self) -> bool {
        matches!(self, Gate::TransferPulls)
    }

    /// `holds` for a version that may be unknown.
    pub fn on(self, version: Option<Version>) -> bool {
        version.map_or_else(|| self.assume_unknown(), |v| self.holds(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gate_has_one_row() {
        for row in TABLE {
            assert_eq!(TABLE.iter().filter(|r| r.gate == row.gate).count(), 1);
            assert!(!row.source.is_empty());
        }
    }

    #[test]
    fn gates_at_the_versions_that_matter() {
        let cases: &[(Gate, Version, bool)] = &[
            (Gate::ConfigV3, v(1, 7, 24), false),
            (Gate::ConfigV3, v(2, 0, 0), true),
            (Gate::ConfigV4, v(2, 2, 7), false),
            (Gate::ConfigV4, v(2, 3, 0), true),
            (Gate::DialTimeout, v(1, 7, 34), false),
            (Gate::DialTimeout, v(2, 0, 6), false),
            (Gate::DialTimeout, v(2, 0, 7), true),
            (Gate::DialTimeout, v(2, 1, 0), true),
            (Gate::ReferrersCapability, v(2, 1, 9), false),
            (Gate::ReferrersCapability, v(2, 2, 0), true),
            (Gate::ServerWithoutHost, v(1, 6, 39), false),
            (Gate::ServerWithoutHost, v(1, 7, 24), false),
            (Gate::ServerWithoutHost, v(1, 7, 32), true),
            (Gate::ServerWithoutHost, v(2, 0, 0), true),
            (Gate::TransferPulls, v(2, 0, 11), false),
            (Gate::TransferPulls, v(2, 1, 9), true),
            (Gate::HttpTriesTlsFirst, v(1, 6, 20), false),
            (Gate::DropInVersionCrash, v(2, 2, 7), false),
            (Gate::DropInVersionCrash, v(2, 3, 4), true),
            (Gate::DropInVersionCrash, v(2, 4, 0), false),
            (Gate::ImportsMergeDeep, v(1, 7, 24), false),
            (Gate::DefaultHostsDir, v(1, 6, 16), false),
            (Gate::DefaultHostsDir, v(1, 6, 17), true),
        ];
        for &(gate, version, want) in cases {
            assert_eq!(gate.holds(version), want, "{gate:?} on {version}");
        }
    }

    #[test]
    fn an_unknown_version_takes_the_safe_side() {
        assert!(!Gate::DialTimeout.on(None));
        assert!(!Gate::ReferrersCapability.on(None));
        assert!(Gate::TransferPulls.on(None));
    }
}
