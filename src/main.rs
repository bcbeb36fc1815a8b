fn main() {
    // A closed pipe (`ctrwiz apply --yes | head`) must never kill ctrwiz
    // half-way through a change to the node: SIGPIPE stays ignored (Rust's
    // default), and the CLI's printing drops write errors instead of
    // panicking (cli/mod.rs `say!`).
    let code = ctrwiz::cli::main();
    // For scripts/bench: this process's own peak RSS (GNU time would count
    // the Go children that detect runs).
    if std::env::var_os("CTRWIZ_REPORT_RSS").is_some() {
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
                eprintln!(
                    // i18n: read by scripts/bench
                    "ctrwiz peak RSS: {}",
                    line.trim_start_matches("VmHWM:").trim()
                );
            }
        }
    }
    std::process::exit(code);
}
