fn main() {
    // Die quietly on a closed pipe (`ctrwiz plan | head`) like other CLI tools.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
