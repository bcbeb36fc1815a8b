//! The CLI's human-readable reports: probe results, doctor checks, plans,
//! the detected node, the presets. `--json` output is serde's.

use crate::catalog::Catalog;
use crate::doctor;
use crate::i18n::pad;
use crate::node::{NodeState, ServiceManager};
use crate::plan::{ChangeKind, Plan};
use crate::t;

pub fn print_probe(results: &[crate::probe::ProbeResult]) {
    for r in results {
        let ms = r.latency_ms.map_or("-".to_string(), |m| format!("{m} ms"));
        say!(
            "{:<24} {:<52} {} {:>8}  {}",
            r.registry,
            r.url,
            pad(r.status.label(), 12),
            ms,
            r.detail
        );
    }
    say!();
    for (reg, best) in crate::probe::recommend(results) {
        match best {
            Some(b) => say!(
                "{}",
                t!(
                    "cli.probe.recommended",
                    registry = reg,
                    url = b.url,
                    source = b.source
                )
            ),
            None => say!("{}", t!("cli.probe.recommended_none", registry = reg)),
        }
    }
}

pub fn print_checks(checks: &[doctor::Check]) {
    for c in checks {
        let mark = match c.status {
            doctor::Status::Ok => t!("cli.doctor.ok"),
            doctor::Status::Warn => t!("cli.doctor.warn"),
            doctor::Status::Fail => t!("cli.doctor.fail"),
        };
        say!("[{}] {}: {}", pad(mark, 4), c.id, c.message);
        if let (Some(fix), true) = (&c.fix, c.status != doctor::Status::Ok) {
            say!("       {}", t!("cli.doctor.fix", fix = fix));
        }
    }
    let (warn, fail) = checks.iter().fold((0, 0), |(w, f), c| match c.status {
        doctor::Status::Warn => (w + 1, f),
        doctor::Status::Fail => (w, f + 1),
        doctor::Status::Ok => (w, f),
    });
    let summary = if warn == 1 {
        t!(
            "guide.cli.summary_one_warning",
            count = checks.len(),
            fail = fail
        )
    } else {
        t!(
            "cli.doctor.summary",
            count = checks.len(),
            fail = fail,
            warn = warn
        )
    };
    say!("{summary}");
}

fn kind_label(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Create => t!("cli.plan.kind.new"),
        ChangeKind::Modify => t!("cli.plan.kind.changed"),
        ChangeKind::Delete => t!("cli.plan.kind.removed"),
        ChangeKind::Unchanged => t!("cli.plan.kind.unchanged"),
    }
}

pub fn print_plan(plan: &Plan, diffs: bool) {
    say!("{}", t!("cli.plan.files", count = plan.effective().count()));
    for c in &plan.changes {
        say!("  {} {}", pad(kind_label(c.kind()), 9), c.path.display());
        if let Some(n) = &c.note {
            say!("            {n}");
        }
    }
    say!("{}", plan.restart_sentence());
    for n in &plan.notes {
        say!("{}", t!("cli.plan.note", note = n));
    }
    if diffs {
        for c in plan.effective() {
            say!();
            say_inline!("{}", c.diff());
        }
    }
}

/// A label of the detect report, padded so the values line up in both languages.
fn field(label: &str) -> String {
    pad(&format!("{label}:"), 14)
}

pub fn print_node(node: &NodeState) {
    use crate::node::daemon::VersionSource;
    let d = &node.containerd;
    match (d.version, d.source) {
        (Some(v), Some(source)) => {
            let from = match source {
                VersionSource::Socket => t!(
                    "cli.detect.from_socket",
                    address = node.service.address.display()
                ),
                VersionSource::Service => t!(
                    "cli.detect.from_service",
                    binary = d
                        .binary
                        .as_deref()
                        .unwrap_or(std::path::Path::new("?"))
                        .display()
                ),
                VersionSource::Path => t!(
                    "cli.detect.from_path",
                    binary = d
                        .binary
                        .as_deref()
                        .unwrap_or(std::path::Path::new("?"))
                        .display()
                ),
            };
            say!("{}{v} ({from})", field(t!("cli.detect.runs")));
        }
        _ => say!(
            "{}{}",
            field(t!("cli.detect.runs")),
            t!("cli.detect.runs_unknown")
        ),
    }
    if let (Some(daemon), Some(binary), Some(path)) = (d.version, d.binary_version, &d.binary) {
        if daemon != binary {
            say!(
                "  {}",
                t!(
                    "cli.detect.binary_differs",
                    binary = path.display(),
                    version = binary,
                    daemon = daemon
                )
            );
        }
    }
    say!("{}", t!("cli.detect.tools"));
    for t in &node.tools {
        let version = t
            .version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into());
        let where_ = t
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| t!("cli.detect.not_found").into());
        let extra = if t.timed_out {
            t!("cli.detect.timed_out")
        } else {
            ""
        };
        say!("  {:<12} {:<10} {where_}{extra}", t.name.as_str(), version);
    }
    let c = &node.containerd_config;
    say!(
        "{}{} ({})",
        field(t!("cli.detect.config")),
        c.path.display(),
        match (c.exists, c.schema_version) {
            (false, _) => t!("cli.detect.missing").to_string(),
            (true, Some(v)) => t!("cli.detect.config_version", version = v),
            (true, None) => t!("cli.detect.unreadable").to_string(),
        }
    );
    if let Some(e) = &c.error {
        say!("  {}", t!("cli.detect.error", error = e));
    }
    say!(
        "  config_path: {}",
        c.config_path
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(t!("cli.detect.config_path_unset"))
    );
    for (r, eps) in &c.legacy_mirrors {
        say!(
            "  {}",
            t!(
                "cli.detect.legacy_mirror",
                registry = r,
                endpoints = eps.join(", ")
            )
        );
    }
    let h = &node.hosts_dir;
    say!(
        "{}{} ({})",
        field(t!("cli.detect.hosts_dir")),
        h.path.display(),
        if h.exists {
            h.registries.join(", ")
        } else {
            t!("cli.detect.missing").into()
        }
    );
    if let Some(env) = node.proxy_env() {
        let url = env.shown_url();
        let no_proxy = if env.no_proxy.is_empty() {
            t!("cli.detect.no_proxy_none")
        } else {
            env.no_proxy.as_str()
        };
        say!(
            "{}{}",
            field(t!("cli.detect.proxy")),
            t!(
                "cli.detect.proxy_is",
                url = url,
                no_proxy = no_proxy,
                path = crate::paths::PROXY_DROP_IN
            )
        );
    }
    let manager = match node.service.manager {
        ServiceManager::Systemd => "systemd",
        ServiceManager::Openrc => "OpenRC",
        ServiceManager::None => t!("cli.detect.no_manager"),
    };
    say!(
        "{}{manager}, {}",
        field(t!("cli.detect.service")),
        if node.service.running {
            t!("cli.detect.answers")
        } else {
            t!("cli.detect.not_answering")
        }
    );
}

pub fn print_presets(catalog: &Catalog, json: bool) {
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&catalog.presets).expect("presets serialise")
        );
        return;
    }
    for p in &catalog.presets {
        let notes: Vec<&str> = p.notes.iter().map(|n| n.label()).collect();
        let regs: Vec<&str> = if p.all_registries {
            vec![t!("cli.presets.every_registry")]
        } else {
            p.mirrors.keys().map(String::as_str).collect()
        };
        say!(
            "{:<13} {}{}",
            p.id,
            p.display_name(),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", notes.join(", "))
            }
        );
        say!(
            "{:<13} {}",
            "",
            t!(
                "cli.presets.covers",
                registries = regs.join(", "),
                verified = if p.verified.is_empty() {
                    "-"
                } else {
                    &p.verified
                }
            )
        );
    }
}
