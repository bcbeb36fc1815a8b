//! `--help`, the man page, the completions and clap's parse errors in the
//! user's language: the clap definition gets its texts from the catalogs
//! (`cli.help.*`).

use super::args::Cli;
use crate::t;

/// The clap definition with its help texts in this thread's language:
/// `cli.help.<command>.<argument>` (`root` for the top level), falling back
/// to `cli.help.selection.*` and `cli.help.common.*` for shared arguments.
pub fn command() -> clap::Command {
    localize(<Cli as clap::CommandFactory>::command(), "root")
}

fn help_text(path: &str, id: &str) -> Option<&'static str> {
    let lang = crate::i18n::lang();
    [
        format!("cli.help.{path}.{id}"),
        format!("cli.help.selection.{id}"),
        format!("cli.help.common.{id}"),
    ]
    .into_iter()
    .find(|k| crate::i18n::has_key(lang, k))
    .map(|k| crate::i18n::tr(&k))
}

fn localize(mut cmd: clap::Command, path: &str) -> clap::Command {
    use clap::{Arg, ArgAction};
    if let Some(about) = help_text(path, "about") {
        cmd = cmd.about(about);
    }
    if let Some(long) = help_text(path, "long_about") {
        cmd = cmd.long_about(long);
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let help = help_text(path, &id);
        cmd = cmd.mut_arg(&id, |a| {
            let heading = match a.get_help_heading() {
                Some("node_setup") => t!("cli.help.heading.node_setup"),
                Some("private_registry") => t!("cli.help.heading.private_registry"),
                Some(other) => other.to_string().leak(),
                None if a.is_positional() => t!("cli.help.heading.arguments"),
                // Every subcommand's own options first, the shared ones apart.
                None if a.is_global_set() => t!("guide.cli.global_heading"),
                None => t!("cli.help.heading.options"),
            };
            let a = a.help_heading(heading);
            let Some(help) = help else { return a };
            // clap writes "[default: …]" and "[possible values: …]" in
            // English: in another language they come from the catalog.
            if crate::i18n::lang() == crate::i18n::Lang::En {
                return a.help(help);
            }
            let mut help = help.to_string();
            let takes_values = a.get_action().takes_values();
            let defaults: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if takes_values && !defaults.is_empty() && !a.is_hide_default_value_set() {
                help += &t!("cli.help.default_value", value = defaults.join(", "));
            }
            let possible: Vec<String> = a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if takes_values && !possible.is_empty() && !a.is_hide_possible_values_set() {
                help += &t!("cli.help.possible_values", values = possible.join(", "));
            }
            match takes_values {
                true => a
                    .help(help)
                    .hide_default_value(true)
                    .hide_possible_values(true),
                false => a.help(help),
            }
        });
    }
    // clap's own --help/--version and headings, in the same language.
    cmd = cmd
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .subcommand_help_heading(t!("cli.help.heading.commands"))
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(t!("cli.help.common.help"))
                .help_heading(t!("cli.help.heading.options")),
        );
    if path == "root" {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(t!("cli.help.common.version"))
                .help_heading(t!("cli.help.heading.options")),
        );
    }
    if crate::i18n::lang() != crate::i18n::Lang::En {
        cmd = cmd.help_template(t!("cli.help.template"));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for sub in subs {
        cmd = cmd.mut_subcommand(&sub, |c| localize(c, &sub));
    }
    cmd
}

/// Where the subcommand is: the first argument that is neither a flag nor
/// the value of a global flag that takes one.
pub(super) fn first_positional(args: &[String]) -> Option<usize> {
    const WITH_VALUE: &[&str] = &[
        "--lang",
        "--root",
        "--config",
        "--hosts-dir",
        "--restart-cmd",
        "--address",
        "--state-dir",
        "--health-timeout",
    ];
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if WITH_VALUE.contains(&a) {
            i += 2;
        } else if a.starts_with('-') {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

/// clap's parse errors are English; in another language the message, the
/// suggestion and the usage line come from the catalog (exit code 2 as
/// clap's). Help and version output go through clap unchanged.
pub(super) fn parse_error(e: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if crate::i18n::lang() == crate::i18n::Lang::En || !e.use_stderr() {
        e.exit()
    }
    let ctx = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        Some(ContextValue::StyledStrs(v)) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let arg = ctx(ContextKind::InvalidArg);
    let message = match e.kind() {
        ErrorKind::UnknownArgument => t!("cli.parse.unknown_argument", arg = arg),
        ErrorKind::InvalidSubcommand => t!(
            "cli.parse.unknown_command",
            command = ctx(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => t!(
            "cli.parse.invalid_value",
            value = ctx(ContextKind::InvalidValue),
            arg = arg
        ),
        ErrorKind::MissingRequiredArgument => t!("cli.parse.missing", arg = arg),
        ErrorKind::ArgumentConflict => t!(
            "cli.parse.conflict",
            arg = arg,
            other = ctx(ContextKind::PriorArg)
        ),
        _ => e.kind().to_string(),
    };
    eprintln!("{}", t!("cli.parse.error", message = message));
    let similar = [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .map(ctx)
    .find(|s| !s.is_empty());
    if let Some(s) = similar {
        eprintln!("  {}", t!("cli.parse.similar", suggestion = s));
    } else if let Some(v) = Some(ctx(ContextKind::ValidValue)).filter(|v| !v.is_empty()) {
        eprintln!("  {}", t!("cli.parse.valid", values = v));
    }
    let usage = ctx(ContextKind::Usage);
    if let Some(usage) = usage.trim().strip_prefix("Usage:") {
        eprintln!("\n{}", t!("cli.parse.usage", usage = usage.trim()));
    }
    eprintln!("\n{}", t!("cli.parse.more"));
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use crate::i18n::{scoped, Lang};

    #[test]
    fn the_localized_command_is_valid_and_every_argument_has_help() {
        for lang in Lang::ALL {
            let _lang = scoped(lang);
            let mut cmd = super::command();
            cmd.build();
            cmd.clone().debug_assert();
            let mut missing = Vec::new();
            let mut stack = vec![cmd];
            while let Some(c) = stack.pop() {
                if c.get_about().is_none() {
                    missing.push(c.get_name().to_string());
                }
                for a in c.get_arguments() {
                    if a.get_help().is_none() {
                        missing.push(format!("{} {}", c.get_name(), a.get_id()));
                    }
                }
                stack.extend(c.get_subcommands().cloned());
            }
            assert!(missing.is_empty(), "{lang:?}: no help for {missing:?}");
        }
    }
}
