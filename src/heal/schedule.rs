//! `ctrwiz heal --install [--every DURATION]` / `--uninstall`: heal run by
//! itself, as a systemd service + timer (a cron.d file where there is no
//! systemd). These are planned files like every other: previewed, backed
//! up, written atomically, undone by `ctrwiz rollback`.
//!
//! Every value that goes into a unit or a crontab line is checked for it:
//! only plain path and flag characters, nothing systemd or cron would read
//! as a specifier, quote, separator or line break.

use crate::error::{Error, Origin, Result};
use crate::node::NodeState;
use crate::plan::{FileChange, Plan, Purpose};
use std::path::{Path, PathBuf};

pub const SERVICE: &str = "/etc/systemd/system/ctrwiz-heal.service";
pub const TIMER: &str = "/etc/systemd/system/ctrwiz-heal.timer";
pub const CRON: &str = "/etc/cron.d/ctrwiz-heal";
/// Every file the schedule may own (detection reads them).
pub const FILES: [&str; 3] = [SERVICE, TIMER, CRON];
/// Often enough that a mirror that died costs at most a quarter of an hour
/// of slow pulls, rare enough that a pass (one request of each kind per
/// mirror) never counts against a public mirror's rate limit.
pub const DEFAULT_EVERY: &str = "15m";

/// How often, in minutes (5 min to 24 h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Every(u32);

impl Every {
    /// `15m`, `30min`, `1h`, `2h`.
    pub fn parse(input: &str) -> std::result::Result<Every, String> {
        let s = input.trim();
        let bad = || crate::t!("heal.every.invalid", value = format!("{input:?}"));
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = s.split_at(split);
        let n: u32 = n.parse().map_err(|_| bad())?;
        let minutes = match unit {
            "m" | "min" => n,
            "h" => n.checked_mul(60).ok_or_else(bad)?,
            _ => return Err(bad()),
        };
        if !(5..=1440).contains(&minutes) {
            return Err(crate::t!("heal.every.range", value = s));
        }
        Ok(Every(minutes))
    }

    /// systemd's time span.
    fn systemd(self) -> String {
        format!("{}min", self.0)
    }

    /// The minute and hour fields of a crontab line; cron steps must
    /// divide the hour or the day evenly.
    fn cron(self) -> std::result::Result<String, String> {
        let m = self.0;
        if m < 60 && 60 % m == 0 {
            Ok(format!("*/{m} *"))
        } else if m % 60 == 0 && 24 % (m / 60) == 0 {
            Ok(format!("0 */{}", m / 60))
        } else {
            Err(crate::t!("heal.every.cron", minutes = m))
        }
    }
}

/// The command the service runs: the ctrwiz binary and the global flags
/// that say where this node's files are.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub exe: PathBuf,
    pub args: Vec<String>,
}

impl Invocation {
    /// `exe` (node path) with `--config`, and `--hosts-dir`, `--address`,
    /// `--state-dir` when given.
    pub fn new(
        exe: &Path,
        config: &Path,
        hosts_dir: Option<&Path>,
        address: &Path,
        state_dir: Option<&Path>,
    ) -> Result<Invocation> {
        let mut args = vec![];
        let mut flag = |name: &'static str, v: &Path| -> Result<()> {
            args.push(name.to_string());
            args.push(unit_word(name, v)?);
            Ok(())
        };
        flag("--config", config)?;
        if let Some(d) = hosts_dir {
            flag("--hosts-dir", d)?;
        }
        flag("--address", address)?;
        if let Some(d) = state_dir {
            flag("--state-dir", d)?;
        }
        Ok(Invocation {
            exe: PathBuf::from(unit_word("--install", exe)?),
            args,
        })
    }

    /// This binary, as the node sees it (the `--root` prefix cut off),
    /// with the flags that say where the node's files are.
    pub fn current(
        root: &crate::root::Root,
        config: &Path,
        hosts_dir: Option<&Path>,
        address: &Path,
        state_dir: Option<&Path>,
    ) -> Result<Invocation> {
        let exe = std::env::current_exe().map_err(|e| Error::io("ctrwiz", e))?;
        let exe = Path::new("/").join(exe.strip_prefix(root.dir()).unwrap_or(&exe));
        Invocation::new(&exe, config, hosts_dir, address, state_dir)
    }

    fn line(&self) -> String {
        let mut words = vec![self.exe.display().to_string()];
        words.extend(self.args.iter().cloned());
        words.push("heal".into()); // i18n: a command
        words.join(" ")
    }
}

/// A path safe in a unit's ExecStart and in a crontab line: absolute, and
/// only letters, digits and `/._-+:@,=`.
fn unit_word(what: &'static str, p: &Path) -> Result<String> {
    let s = p.to_str().unwrap_or("");
    let ok = p.is_absolute()
        && !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@,=".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        let value = format!("{:?}", p.display().to_string());
        Err(Origin::Flag(what).error(crate::t!("heal.unit_value", value = value)))
    }
}

// i18n: file content (the same in every language)
const HEADER: &str = "# Managed by ctrwiz: `ctrwiz heal --uninstall` removes it, `ctrwiz rollback` restores what was here before.\n";

pub fn service_unit(inv: &Invocation) -> String {
    format!(
        // i18n: file content
        "{HEADER}[Unit]\nDescription=ctrwiz heal: park dead registry mirrors in containerd's hosts.toml\nDocumentation=man:ctrwiz(1)\nAfter=network-online.target containerd.service\nWants=network-online.target\n\n[Service]\nType=oneshot\nExecStart={}\nNice=10\n",
        inv.line()
    )
}

pub fn timer_unit(every: Every) -> String {
    let e = every.systemd();
    format!(
        // i18n: file content
        "{HEADER}[Unit]\nDescription=Run ctrwiz heal every {e}\n\n[Timer]\nOnActiveSec=2min\nOnUnitActiveSec={e}\nRandomizedDelaySec=60\nUnit=ctrwiz-heal.service\n\n[Install]\nWantedBy=timers.target\n"
    )
}

pub fn cron_file(inv: &Invocation, every: Every) -> std::result::Result<String, String> {
    // i18n: file content
    Ok(format!(
        "{HEADER}{} * * * root {} >/dev/null 2>&1\n",
        every.cron()?,
        inv.line()
    ))
}

/// The files to write (`install`) or remove, for systemd where its unit
/// directory exists, else cron. What is there now comes from detection
/// (`NodeState::heal_schedule`), so planning reads nothing.
pub fn plan(
    node: &NodeState,
    inv: &Invocation,
    every: Option<&str>,
    install: bool,
) -> Result<Plan> {
    let mut plan = Plan {
        changes: vec![],
        restart: None,
        notes: vec![],
        hosts_dir: node.hosts_dir.path.clone(),
        config: node.containerd_config.path.clone(),
    };
    plan.changes = changes(node, inv, every, install, Origin::Flag("--every"))?;
    Ok(plan)
}

/// The timer files added to a mirrors plan when the selection asks for
/// them (profile `heal_every`, the wizard's Extras step): the same files
/// `heal --install --every` plans. `None` or `none`: nothing added.
pub fn add_to(
    plan: &mut Plan,
    node: &NodeState,
    inv: &Invocation,
    heal: Option<&crate::selection::HealSchedule>,
) -> Result<()> {
    let Some(every) = heal.and_then(|h| h.every()) else {
        return Ok(());
    };
    // Named by the profile key (the wizard writes it too).
    let files = changes(node, inv, Some(every), true, Origin::Flag("heal_every"))?;
    plan.changes.extend(files);
    Ok(())
}

fn changes(
    node: &NodeState,
    inv: &Invocation,
    every: Option<&str>,
    install: bool,
    origin: Origin,
) -> Result<Vec<FileChange>> {
    let every =
        Every::parse(every.unwrap_or(DEFAULT_EVERY)).map_err(|why| origin.clone().error(why))?;
    let mut files: Vec<(&str, Option<String>)> = vec![];
    if node.service.has_systemd_units {
        files.push((SERVICE, install.then(|| service_unit(inv))));
        files.push((TIMER, install.then(|| timer_unit(every))));
    } else {
        let cron = match install {
            true => Some(cron_file(inv, every).map_err(|why| origin.error(why))?),
            false => None,
        };
        files.push((CRON, cron));
    }
    if !install {
        // Whichever was installed goes, systemd's or cron's.
        for p in FILES {
            if !files.iter().any(|(f, _)| *f == p) {
                files.push((p, None));
            }
        }
    }
    let mut changes = vec![];
    for (path, after) in files {
        // A file there that could not be read (a FIFO, too large) is
        // never replaced.
        if let Some(why) = node.unreadable.get(Path::new(path)) {
            return Err(Error::Invalid {
                path: PathBuf::from(path),
                message: why.clone(),
            });
        }
        let before = node.heal_schedule.get(Path::new(path)).cloned();
        if before.is_none() && after.is_none() {
            continue;
        }
        changes.push(FileChange {
            path: PathBuf::from(path),
            purpose: Purpose::HealSchedule,
            before,
            after: after.map(String::into_bytes),
            note: None,
            mode: Some(0o644),
        });
    }
    Ok(changes)
}

/// The plan writes the timer's files (and so the timer must be started).
pub fn in_plan(plan: &Plan) -> bool {
    plan.effective()
        .any(|c| c.purpose == Purpose::HealSchedule && c.after.is_some())
}

/// The command that starts (or stops) the timer on a live systemd node.
pub fn systemctl(install: bool) -> &'static str {
    if install {
        "systemctl daemon-reload && systemctl enable --now ctrwiz-heal.timer" // i18n: a command
    } else {
        "systemctl disable --now ctrwiz-heal.timer; systemctl daemon-reload" // i18n: a command
    }
}

/// After the files are written: on a booted systemd node (not `--root`),
/// start or stop the timer; otherwise say what starts it. cron reads
/// /etc/cron.d by itself.
pub fn activate(node: &NodeState, under_root: bool, install: bool) {
    use std::io::Write;
    if let Some(line) = activation(&node.service, under_root, install) {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

/// `activate` without printing: what it did (or what the user must run),
/// for the wizard's apply log.
pub fn activation(
    service: &crate::node::ServiceState,
    under_root: bool,
    install: bool,
) -> Option<String> {
    if !service.has_systemd_units {
        return None;
    }
    let command = systemctl(install);
    if under_root || service.manager != crate::node::ServiceManager::Systemd {
        return Some(crate::t!("heal.install.run_yourself", command = command));
    }
    let run = crate::process::run(
        std::process::Command::new("sh").args(["-c", command]),
        std::time::Duration::from_secs(30),
    );
    Some(match run {
        Ok(done) if done.success() => crate::t!("heal.install.ran", command = command),
        _ => crate::t!("heal.install.failed", command = command),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> Invocation {
        Invocation::new(
            Path::new("/usr/bin/ctrwiz"),
            Path::new("/etc/containerd/config.toml"),
            None,
            Path::new("/run/containerd/containerd.sock"),
            None,
        )
        .unwrap()
    }

    #[test]
    fn every_is_parsed_and_bounded() {
        assert_eq!(Every::parse("15m"), Ok(Every(15)));
        assert_eq!(Every::parse("30min"), Ok(Every(30)));
        assert_eq!(Every::parse("2h"), Ok(Every(120)));
        for bad in ["", "15", "m", "1m", "25h", "15 m", "1.5h", "15s"] {
            assert!(Every::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Every(15).cron().unwrap(), "*/15 *");
        assert_eq!(Every(120).cron().unwrap(), "0 */2");
        assert!(
            Every(45).cron().is_err(),
            "cron cannot step 45 minutes evenly"
        );
    }

    #[test]
    fn unit_values_cannot_inject() {
        for bad in [
            "relative/ctrwiz",
            "/usr/bin/ctr wiz",
            "/x\nExecStartPre=/bin/sh",
            "/x;rm",
            "/x%n",
            "/x\"y",
            "/x$HOME",
        ] {
            assert!(
                Invocation::new(
                    Path::new(bad),
                    Path::new("/etc/containerd/config.toml"),
                    None,
                    Path::new("/run/c.sock"),
                    None
                )
                .is_err(),
                "{bad:?}"
            );
        }
        let text = service_unit(&inv());
        assert!(text.contains("\nExecStart=/usr/bin/ctrwiz --config /etc/containerd/config.toml --address /run/containerd/containerd.sock heal\n"), "{text}");
        assert_eq!(
            cron_file(&inv(), Every(15)).unwrap().lines().nth(1),
            Some("*/15 * * * * root /usr/bin/ctrwiz --config /etc/containerd/config.toml --address /run/containerd/containerd.sock heal >/dev/null 2>&1")
        );
        assert!(timer_unit(Every(15)).contains("OnUnitActiveSec=15min\n"));
    }
}
