//! The scriptable CLI: it turns arguments into a [`Session`] and a
//! selection, asks the engine (node → selection → plan → apply), and
//! prints what came back. By concern: `args` (clap types and their
//! conversion), `help` (localised help and parse errors), `print` (the
//! reports), `commands` (one function per subcommand); this file parses
//! and dispatches.

use crate::error::{Error, Result};
use crate::session::Session;
use crate::t;

/// `println!` that never fails: a closed stdout (`ctrwiz apply --yes |
/// head`) must not interrupt a change to the node, so SIGPIPE is ignored
/// (see main.rs) and write errors are dropped here instead of panicking.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

mod args;
mod commands;
mod help;
mod print;

pub use args::{Cli, Command, Global, HealArgs, ProbeSelection, SelectionArgs};
pub use help::command;

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let mut args: Vec<String> = std::env::args().collect();
    crate::i18n::set(crate::i18n::Lang::from_args_or_env(&args));
    // `ctrwiz help [COMMAND]` is `ctrwiz [COMMAND] --help` (clap's own help
    // subcommand could not speak Chinese).
    if let Some(i) = help::first_positional(&args).filter(|&i| args[i] == "help") {
        args.remove(i);
        args.push("--help".into());
    }
    // The help texts are only read for --help, --version or a usage error:
    // a normal run skips loading them.
    let matches = match <Cli as clap::CommandFactory>::command()
        .disable_help_subcommand(true)
        .try_get_matches_from(&args)
    {
        Ok(m) => m,
        Err(_) => command()
            .try_get_matches_from(&args)
            .unwrap_or_else(|e| help::parse_error(e)),
    };
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ctrwiz: {e}");
            e.exit_code()
        }
    }
}

pub fn run(cli: Cli) -> Result<i32> {
    let mut settings = cli.global.settings();
    // --demo: the same commands on a sample node that lives as long as this run.
    let _demo_dir = if settings.demo {
        let tmp = std::env::temp_dir();
        let dir = crate::demo::make(&tmp).map_err(|e| Error::io(&tmp, e))?;
        eprintln!(
            "ctrwiz: {}",
            t!("cli.demo_node", dir = dir.path().display())
        );
        settings.root = Some(dir.path().to_path_buf());
        Some(dir)
    } else {
        None
    };
    let session = Session::new(settings);
    let Some(sub) = &cli.command else {
        return commands::wizard(session);
    };
    let s = &session;
    use args::Command as C;
    match sub {
        C::Detect { json } => commands::detect(s, *json),
        C::Presets { json } => {
            print::print_presets(s.catalog()?, *json);
            Ok(0)
        }
        C::Plan { selection, json } => commands::plan(s, selection, *json),
        C::Apply {
            selection,
            yes,
            restart_docker,
            json: true,
        } => commands::apply_json(s, selection, *yes, *restart_docker),
        C::Apply {
            selection,
            yes,
            restart_docker,
            json: false,
        } => commands::apply(s, selection, *yes, *restart_docker),
        C::Probe {
            registries,
            selection,
            timeout,
            json,
        } => commands::probe(s, registries, selection, *timeout, *json),
        C::Doctor {
            json,
            pod,
            fix: false,
            ..
        } => commands::doctor(s, *json, *pod),
        C::Doctor { pod, yes, .. } => commands::doctor_fix(s, *pod, *yes),
        C::Verify {
            image,
            timeout,
            json,
        } => commands::verify(s, image.as_deref(), *timeout, *json),
        C::Export { selection, format } => {
            let sel = selection.to_selection()?;
            say_inline!("{}", crate::export::export(*format, s.catalog()?, &sel)?);
            Ok(0)
        }
        C::Completions { shell } => {
            let mut cmd = command();
            clap_complete::generate(*shell, &mut cmd, "ctrwiz", &mut std::io::stdout());
            Ok(0)
        }
        C::Man => {
            clap_mangen::Man::new(command())
                .render(&mut std::io::stdout())
                .map_err(|e| Error::io("stdout", e))?;
            Ok(0)
        }
        C::Heal(a) if a.install || a.uninstall => commands::heal_schedule(s, a),
        C::Heal(a) => commands::heal(s, a),
        C::Rollback { list, id, yes } => commands::rollback(s, *list, id.as_deref(), *yes),
    }
}
