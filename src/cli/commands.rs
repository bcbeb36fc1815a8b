//! One function per subcommand: ask the session and the engine, print the
//! answer, return the exit code.

use super::args::{HealArgs, ProbeSelection, SelectionArgs};
use super::print::{print_checks, print_node, print_plan, print_probe};
use crate::apply::{self, backup, ApplyOptions};
use crate::doctor;
use crate::error::{Error, Result};
use crate::node::NodeState;
use crate::plan::Plan;
use crate::session::Session;
use crate::t;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

pub fn wizard(session: Session) -> Result<i32> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!("ctrwiz: {}", t!("cli.needs_terminal"));
        return Ok(2);
    }
    crate::wizard::run(session)?;
    Ok(0)
}

pub fn detect(s: &Session, json: bool) -> Result<i32> {
    let node = s.detect();
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&node).expect("node state serialises")
        );
    } else {
        print_node(&node);
    }
    Ok(0)
}

/// The node now and the plan to the flags' selection.
fn make_plan(s: &Session, selection: &SelectionArgs) -> Result<(NodeState, Plan)> {
    let sel = selection.to_selection()?;
    let (node, mut plan) = s.plan(&sel)?;
    // The profile's heal_every: heal --install's timer files too.
    if sel.heal.is_some() {
        crate::heal::schedule::add_to(&mut plan, &node, &heal_invocation(s)?, sel.heal.as_ref())?;
    }
    Ok((node, plan))
}

/// What the heal timer runs: this binary with this node's locations.
fn heal_invocation(s: &Session) -> Result<crate::heal::schedule::Invocation> {
    let g = s.settings();
    let (h, st) = (g.hosts_dir.as_deref(), g.state_dir.as_deref());
    crate::heal::schedule::Invocation::current(&s.root(), &g.config, h, &g.address, st)
}

pub fn plan(s: &Session, selection: &SelectionArgs, json: bool) -> Result<i32> {
    let (_, plan) = make_plan(s, selection)?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&plan.to_json()).expect("plans serialise")
        );
    } else {
        print_plan(&plan, true);
    }
    Ok(0)
}

fn apply_options(s: &Session, node: &NodeState, docker: bool) -> ApplyOptions {
    ApplyOptions {
        docker_restart: docker.then(|| apply::docker_restart_command(node.service.manager)),
        ..s.apply_options(node)
    }
}

pub fn apply(s: &Session, selection: &SelectionArgs, yes: bool, docker: bool) -> Result<i32> {
    // The node may change while the user reads the plan (another apply
    // finishing): apply refuses a stale plan, and the plan is made again
    // and shown again.
    let mut tries = 0;
    loop {
        let (node, plan) = make_plan(s, selection)?;
        let plan = apply::with_pending_restart(plan, &s.state_dir());
        print_plan(&plan, !yes);
        // A no-op still finishes a restart an interrupted apply left pending.
        if !plan.is_noop() {
            confirm(
                yes,
                &t!("cli.apply.confirm", count = plan.effective().count()),
            )?;
        }
        match execute(&plan, &apply_options(s, &node, docker)) {
            Err(e @ Error::NodeChanged { .. }) if tries < 2 => {
                tries += 1;
                eprintln!("ctrwiz: {e}");
                eprintln!("ctrwiz: {}", t!("cli.apply.replanned"));
            }
            other => {
                // Timer files written (heal_every): start the timer.
                if other.is_ok() && crate::heal::schedule::in_plan(&plan) {
                    crate::heal::schedule::activate(&node, !s.is_host(), true);
                }
                return other;
            }
        }
    }
}

/// `apply --json`: one JSON object on stdout whatever happens (see
/// `apply::outcome`); the error also goes to stderr, exit code as usual.
pub fn apply_json(s: &Session, selection: &SelectionArgs, yes: bool, docker: bool) -> Result<i32> {
    let fail = |e: Error| {
        say!("{}", apply::outcome::before_plan(&e));
        eprintln!("ctrwiz: {e}");
        Ok(e.exit_code())
    };
    if !yes {
        return fail(Error::Usage(t!("fleet.apply_json_needs_yes").into()));
    }
    let (node, plan) = match make_plan(s, selection) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let plan = apply::with_pending_restart(plan, &s.state_dir());
    let opts = apply_options(s, &node, docker);
    let mut steps = Vec::new();
    let result = apply::run(&plan, &opts, &mut |s| steps.push(s));
    say!(
        "{}",
        serde_json::to_string_pretty(&apply::outcome::build(&plan, &steps, &result))
            .expect("outcomes serialise")
    );
    match result {
        Ok(_) => Ok(0),
        Err(e) => {
            eprintln!("ctrwiz: {e}");
            Ok(e.exit_code())
        }
    }
}

pub fn probe(
    s: &Session,
    registries: &[String],
    selection: &ProbeSelection,
    timeout: u64,
    json: bool,
) -> Result<i32> {
    let catalog = s.catalog()?;
    let regs = registries
        .iter()
        .map(|r| crate::registry::RegistryName::parse(r))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let sel = selection.to_selection_or_empty()?;
    let cands = crate::probe::candidates(catalog, &regs, Some(&sel))?;
    if !s.probe() {
        crate::probe::print_unmeasured(&cands);
        return Ok(0);
    }
    let mut opts = crate::probe::ProbeOptions::new(Duration::from_millis(timeout));
    // Where containerd's drop-ins set a proxy, mirrors are measured as
    // containerd will reach them; else with this shell's environment.
    opts.containerd_proxy = crate::node::service::containerd_proxy_env(&s.root());
    let results = crate::probe::run(cands, opts);
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&results).expect("results serialise")
        );
    } else {
        print_probe(&results);
    }
    Ok(crate::probe::exit_code(&results))
}

/// The doctor's checks on the node now, with the live facts it can get.
fn diagnose(s: &Session, pod: bool) -> Result<Vec<doctor::Check>> {
    let node = s.detect();
    let mut live = s.live_facts(&node);
    if pod {
        live.pod = Some(doctor::pod_check(&s.apply_options(&node), &node));
    }
    if s.probe() {
        let cands = doctor::configured_mirrors(&node, s.catalog()?);
        live.probes = Some(crate::probe::run(
            cands,
            // As containerd reaches them: through its drop-ins' proxy.
            crate::probe::ProbeOptions::new(Duration::from_secs(3)).as_containerd(&node),
        ));
    }
    Ok(doctor::run(&node, &live))
}

fn doctor_exit(checks: &[doctor::Check]) -> i32 {
    i32::from(doctor::worst(checks) == doctor::Status::Fail)
}

pub fn doctor(s: &Session, json: bool, pod: bool) -> Result<i32> {
    let checks = diagnose(s, pod)?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&checks).expect("checks serialise")
        );
    } else {
        print_checks(&checks);
    }
    Ok(doctor_exit(&checks))
}

/// `doctor --fix`: every repair the checks carry, as one selection, through
/// apply's own preview, confirmation, backup, restart and health check;
/// then the doctor again, whose verdict is the exit status.
pub fn doctor_fix(s: &Session, pod: bool, yes: bool) -> Result<i32> {
    let checks = diagnose(s, pod)?;
    print_checks(&checks);
    let mut sel = crate::selection::Selection::default();
    for repair in checks.iter().filter_map(|c| c.repair.clone()) {
        sel.add_repair(repair);
    }
    if sel.is_empty() && sel.heal.is_none() && sel.dial_timeout.is_none() {
        say!("{}", t!("cli.doctor.nothing_to_fix"));
        return Ok(doctor_exit(&checks));
    }
    say!("");
    say!("{}", t!("cli.doctor.fixing"));
    let (node, plan) = s.plan(&sel)?;
    let plan = apply::with_pending_restart(plan, &s.state_dir());
    print_plan(&plan, !yes);
    if plan.is_noop() {
        return Ok(doctor_exit(&checks));
    }
    confirm(
        yes,
        &t!("cli.apply.confirm", count = plan.effective().count()),
    )?;
    let applied = execute(&plan, &apply_options(s, &node, false))?;
    if applied != 0 {
        return Ok(applied);
    }
    say!("");
    say!("{}", t!("cli.doctor.after_fix"));
    let after = diagnose(s, pod)?;
    print_checks(&after);
    Ok(doctor_exit(&after))
}

pub fn verify(s: &Session, image: Option<&str>, timeout: u64, json: bool) -> Result<i32> {
    if !s.is_host() {
        return Err(Error::Usage(t!("cli.verify.no_root").into()));
    }
    let address = &s.settings().address;
    let node = s.detect();
    if !node.service.running {
        return Err(Error::Other(t!(
            "cli.verify.not_running",
            address = address.display()
        )));
    }
    let image = image.unwrap_or(crate::verify::DEFAULT_IMAGE);
    let cri_loaded = s
        .live_facts(&node)
        .cri_failures
        .is_some_and(|f| f.is_empty());
    let report = crate::verify::run(
        &node,
        address,
        cri_loaded,
        image,
        Duration::from_secs(timeout),
    );
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        );
    } else {
        say!("{}", report.message);
    }
    Ok(if report.ok() { 0 } else { 1 })
}

/// `heal --install` / `--uninstall`: the timer that runs `ctrwiz heal`.
pub fn heal_schedule(s: &Session, a: &HealArgs) -> Result<i32> {
    let node = s.detect();
    let inv = heal_invocation(s)?;
    let every = a.every.as_deref();
    let plan = crate::heal::schedule::plan(&node, &inv, every, a.install)?;
    print_plan(&plan, !a.yes);
    if plan.is_noop() {
        say!("{}", t!("heal.cli.nothing"));
        return Ok(0);
    }
    confirm(
        a.yes,
        &t!("cli.apply.confirm", count = plan.effective().count()),
    )?;
    let code = execute(&plan, &s.apply_options(&node))?;
    crate::heal::schedule::activate(&node, !s.is_host(), a.install);
    Ok(code)
}

pub fn heal(s: &Session, a: &HealArgs) -> Result<i32> {
    let node = s.detect();
    // A mirror is dead when containerd cannot reach it: through the proxy
    // its drop-ins give it, not this process's environment.
    let probe =
        crate::probe::ProbeOptions::new(Duration::from_millis(a.timeout)).as_containerd(&node);
    let opts = s.apply_options(&node);
    let mut step = |st: apply::Progress| {
        if !a.json {
            say!("  {st}")
        }
    };
    let (report, applied) =
        crate::heal::run(&node, s.catalog()?, probe, &opts, a.dry_run, &mut step)?;
    Ok(crate::heal::print(
        &report,
        applied.as_ref(),
        a.json,
        a.dry_run,
    ))
}

pub fn rollback(s: &Session, list: bool, id: Option<&str>, yes: bool) -> Result<i32> {
    let state = s.state_dir();
    if list {
        let sets = backup::list(&state);
        if sets.is_empty() {
            say!(
                "{}",
                t!(
                    "cli.rollback.none",
                    dir = backup::backups_dir(&state).display()
                )
            );
        }
        for set in sets {
            let files: Vec<String> = set
                .manifest
                .entries
                .iter()
                .map(|e| e.path.display().to_string())
                .collect();
            say!("{}  {}", set.manifest.id, files.join(", "));
        }
        return Ok(0);
    }
    let set = backup::find(&state, id)?;
    let node = s.detect();
    let config = s.settings().config.clone();
    let plan = set.restore_plan(&s.root(), node.hosts_dir.path.clone(), config)?;
    say!(
        "{}",
        t!(
            "cli.rollback.to",
            id = set.manifest.id,
            dir = set.dir.display()
        )
    );
    print_plan(&plan, !yes);
    if plan.is_noop() {
        say!("{}", t!("cli.rollback.nothing"));
        return Ok(0);
    }
    confirm(yes, t!("cli.rollback.confirm"))?;
    execute(&plan, &s.apply_options(&node))
}

fn execute(plan: &Plan, opts: &ApplyOptions) -> Result<i32> {
    let report = apply::run(plan, opts, &mut |step| say!("  {step}"))?;
    say!("{}", report.message);
    if let Some(dir) = &report.backup_dir {
        say!("{}", t!("cli.apply.backup", dir = dir.display()));
    }
    Ok(0)
}

fn confirm(yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(t!("cli.confirm.no_terminal").into()));
    }
    say_inline!("{question} {} ", t!("cli.confirm.prompt"));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    // i18n: accepted answers
    if matches!(answer.trim(), "y" | "Y" | "yes" | "是") {
        Ok(())
    } else {
        Err(Error::Other(t!("cli.confirm.cancelled").into()))
    }
}
