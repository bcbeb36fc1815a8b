//! `apply --json`: one object that says what an apply did, for scripts and
//! the Ansible module (`ansible_collections/ctrwiz/containerd`). Built from
//! the plan, the steps `apply::run` reported and its result, so it tells
//! nothing the engine did not. Codes and fields are stable across
//! languages; only `message` texts are translated (README, "JSON output").

use super::Progress;
use crate::error::Error;
use crate::plan::{coded, ChangeKind, Plan};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// What happened to one file of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// The plan leaves it as it is.
    Unchanged,
    /// Written (or removed) and kept.
    Written,
    /// Would change, but the apply stopped before it.
    NotWritten,
    /// Written, then put back by a rollback.
    Restored,
    /// Written, and a rollback could not put it back.
    NotRestored,
}

/// The stable code of an error (its variant), for `error.code`.
pub fn error_code(e: &Error) -> &'static str {
    match e {
        Error::Toml { .. } => "toml",
        Error::Invalid { .. } => "invalid",
        Error::Io { .. } => "io",
        Error::NotWritable { .. } => "not_writable",
        Error::ReadOnly { .. } => "read_only",
        Error::LockHeld { .. } => "lock_held",
        Error::UnknownPreset { .. } => "unknown_preset",
        Error::Registry(_) => "registry",
        Error::Endpoint(_) => "endpoint",
        Error::BadValue { .. } => "bad_value",
        Error::NodeChanged { .. } => "node_changed",
        Error::WriteFailed { .. } => "write_failed",
        Error::RolledBack { .. } => "rolled_back",
        Error::NothingSelected => "nothing_selected",
        Error::Usage(_) => "usage",
        Error::Other(_) => "other",
    }
}

/// `{code, message}` of an error, plus where it points when it does.
pub fn error_json(e: &Error) -> Value {
    let mut v = json!({"code": error_code(e), "message": e.to_string()});
    let at = match e {
        Error::Toml {
            path, line, column, ..
        } => Some(json!({"path": path, "line": line, "column": column})),
        Error::Invalid { path, .. }
        | Error::Io { path, .. }
        | Error::NotWritable { path, .. }
        | Error::ReadOnly { path } => Some(json!({"path": path})),
        _ => None,
    };
    if let Some(at) = at {
        v["at"] = at;
    }
    v
}

/// An apply that failed before it had a plan (a config.toml that does not
/// parse, a bad value): nothing was touched.
pub fn before_plan(e: &Error) -> Value {
    json!({
        "ok": false,
        "changed": false,
        "files": [],
        "restart": null,
        "restarted": false,
        "backup": null,
        "health": null,
        "rollback": null,
        "notes": [],
        "steps": [],
        "error": error_json(e),
        "message": e.to_string(),
    })
}

/// The result of `apply::run(plan, …)`, given the steps it reported.
pub fn build(
    plan: &Plan,
    steps: &[Progress],
    result: &crate::error::Result<super::Report>,
) -> Value {
    let wrote = |p: &Path| {
        steps
            .iter()
            .any(|s| matches!(s, Progress::Wrote { path, .. } if path == p))
    };
    let not_restored: Vec<&PathBuf> = steps
        .iter()
        .filter_map(|s| match s {
            Progress::NotRestored { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    let rolled_back = steps
        .iter()
        .any(|s| matches!(s, Progress::RolledBack { .. }));
    let files: Vec<Value> = plan
        .changes
        .iter()
        .map(|c| {
            let status = if c.kind() == ChangeKind::Unchanged {
                FileStatus::Unchanged
            } else if not_restored.contains(&&c.path) {
                FileStatus::NotRestored
            } else if rolled_back && wrote(&c.path) {
                FileStatus::Restored
            } else if wrote(&c.path) {
                FileStatus::Written
            } else {
                FileStatus::NotWritten
            };
            json!({
                "path": c.path,
                "purpose": c.purpose,
                "kind": c.kind(),
                "status": status,
                "note": c.note.as_ref().map(coded),
            })
        })
        .collect();
    let changed = files.iter().any(|f| {
        f["status"] == json!(FileStatus::Written) || f["status"] == json!(FileStatus::NotRestored)
    });
    let backup = steps.iter().find_map(|s| match s {
        Progress::BackedUp { dir, .. } => Some(json!({
            "id": dir.file_name().map(|n| n.to_string_lossy().into_owned()),
            "dir": dir,
        })),
        _ => None,
    });
    // The first health verdict is the one after the restart; a second one
    // belongs to the rollback.
    let health = steps.iter().find_map(|s| match s {
        Progress::Healthy { .. } => Some(json!({"ok": true, "message": s.to_string()})),
        Progress::Unhealthy { .. } => Some(json!({"ok": false, "message": s.to_string()})),
        _ => None,
    });
    let rollback = rolled_back.then(|| {
        json!({
            "done": true,
            "complete": not_restored.is_empty(),
            "not_restored": not_restored,
            "healthy_after": steps.iter().find_map(|s| match s {
                Progress::RestartedAfterRollback { healthy } => Some(*healthy),
                _ => None,
            }),
        })
    });
    let restarted = matches!(result, Ok(r) if r.restarted);
    json!({
        "ok": result.is_ok(),
        "changed": changed,
        "files": files,
        "restart": plan.restart.as_ref().map(crate::plan::Restart::to_json),
        "restarted": restarted,
        "backup": backup,
        "health": health,
        "rollback": rollback,
        "notes": plan.notes.iter().map(coded).collect::<Vec<_>>(),
        "steps": steps.iter().map(coded).collect::<Vec<_>>(),
        "error": result.as_ref().err().map(error_json),
        "message": match result {
            Ok(r) => r.message.clone(),
            Err(e) => e.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{FileChange, Purpose};

    fn plan() -> Plan {
        let change = |path: &str, after: &[u8]| FileChange {
            path: path.into(),
            purpose: Purpose::Config,
            before: Some(b"old\n".to_vec()),
            after: Some(after.to_vec()),
            note: None,
            mode: None,
        };
        Plan {
            changes: vec![
                change("/etc/containerd/config.toml", b"new\n"),
                change("/etc/containerd/same.toml", b"old\n"),
                change("/etc/containerd/later.toml", b"new\n"),
            ],
            restart: None,
            notes: vec![],
            hosts_dir: "/etc/containerd/certs.d".into(),
            config: "/etc/containerd/config.toml".into(),
        }
    }

    #[test]
    fn a_rollback_reports_each_file_and_nothing_changed() {
        let steps = vec![
            Progress::BackedUp {
                dir: "/s/backups/20260101T000000Z".into(),
                files: 2,
            },
            Progress::Wrote {
                path: "/etc/containerd/config.toml".into(),
                kind: ChangeKind::Modify,
            },
            Progress::Restarting {
                command: "true".into(),
            },
            Progress::Unhealthy { why: "no".into() },
            Progress::RolledBack { files: 1 },
            Progress::RestartedAfterRollback { healthy: true },
        ];
        let err = Err(Error::RolledBack {
            why: "no".into(),
            dir: "/s".into(),
            restored: String::new(),
            healthy: true,
        });
        let v = build(&plan(), &steps, &err);
        let status: Vec<&str> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["status"].as_str().unwrap())
            .collect();
        assert_eq!(status, ["restored", "unchanged", "not_written"]);
        assert_eq!(v["changed"], false);
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["code"], "rolled_back");
        assert_eq!(v["rollback"]["done"], true);
        assert_eq!(v["rollback"]["healthy_after"], true);
        assert_eq!(v["health"]["ok"], false);
        assert_eq!(v["backup"]["id"], "20260101T000000Z");
        let codes: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "backed_up",
                "wrote",
                "restarting",
                "unhealthy",
                "rolled_back",
                "restarted_after_rollback"
            ]
        );
    }

    #[test]
    fn a_file_a_rollback_could_not_restore_still_counts_as_changed() {
        let steps = vec![
            Progress::Wrote {
                path: "/etc/containerd/config.toml".into(),
                kind: ChangeKind::Modify,
            },
            Progress::RolledBack { files: 0 },
            Progress::NotRestored {
                path: "/etc/containerd/config.toml".into(),
                why: "disk full".into(),
            },
        ];
        let v = build(&plan(), &steps, &Err(Error::Other("x".into())));
        assert_eq!(v["files"][0]["status"], "not_restored");
        assert_eq!(v["changed"], true);
        assert_eq!(v["rollback"]["complete"], false);
    }

    #[test]
    fn errors_before_a_plan_point_at_the_file_line_and_column() {
        let e = Error::Toml {
            path: "/etc/containerd/config.toml".into(),
            line: 3,
            column: 7,
            message: "expected `=`".into(),
        };
        let v = before_plan(&e);
        assert_eq!(v["error"]["code"], "toml");
        assert_eq!(v["error"]["at"]["line"], 3);
        assert_eq!(v["error"]["at"]["column"], 7);
        assert!(v["message"]
            .as_str()
            .unwrap()
            .contains("/etc/containerd/config.toml"));
    }
}
