//! The real binary in a pseudo-terminal (tmux): keys in, screen and files
//! out. Each test runs its own tmux server (-L) so they never share state.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FIXTURE: &str = include_str!("../fixtures/containerd-1.6.20-default.toml");

struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `cmd` in an 80×24 pane; `None` (skip) without tmux.
    fn start(name: &str, cmd: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            if std::env::var_os("CTRWIZ_REQUIRE_E2E").is_some() {
                panic!("tmux is needed for the wizard's pseudo-terminal tests");
            }
            eprintln!("skipping the wizard PTY tests: tmux is not installed");
            return None;
        }
        let t = Tmux {
            socket: format!("ctrwiz-{name}-{}", std::process::id()),
        };
        let ok = t
            .tmux(&["new-session", "-d", "-x", "80", "-y", "24", "-s", "w", cmd])
            .status
            .success();
        assert!(ok, "tmux new-session");
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            // The wizard in English (the server keeps the first client's env).
            .env("LC_ALL", "C.UTF-8")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    /// The pane with wrapped lines joined (what was printed, whole).
    fn joined(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "w"])
                .stdout,
        )
        .into_owned()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "w"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "w", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "w", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits until the screen shows `what` (bounded).
    fn wait_for(&self, what: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                start.elapsed() < timeout,
                "waited {timeout:?} for {what:?}; the screen shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alternate_screen_on(&self) -> bool {
        self.display("#{alternate_on}") == "1"
    }

    fn cursor_visible(&self) -> bool {
        self.display("#{cursor_flag}") == "1"
    }

    fn display(&self, format: &str) -> String {
        String::from_utf8_lossy(&self.tmux(&["display", "-p", "-t", "w", format]).stdout)
            .trim()
            .to_string()
    }

    /// The pid of the wizard: the pane's shell's child named ctrwiz.
    fn wizard_pid(&self) -> u32 {
        let shell: u32 = self.display("#{pane_pid}").parse().unwrap();
        let start = Instant::now();
        loop {
            for e in fs::read_dir("/proc").unwrap().flatten() {
                let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
                    continue;
                };
                // pid (comm) state ppid …
                let Some((head, rest)) = stat.rsplit_once(") ") else {
                    continue;
                };
                let ppid = rest.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
                if ppid == Some(shell) && head.ends_with("(ctrwiz") {
                    return e.file_name().to_string_lossy().parse().unwrap();
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "no ctrwiz under {shell}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn node() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("etc/containerd/config.toml");
    fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    fs::write(cfg, FIXTURE).unwrap();
    dir
}

fn command(root: &Path, extra: &str) -> String {
    format!(
        "CTRWIZ_CONFIG_DIR={root}/user-config {extra} {bin} --no-probe --root {root}; echo EXIT=$?; stty -a | grep -o -- '-\\?icanon'; sleep 60",
        bin = env!("CARGO_BIN_EXE_ctrwiz"),
        root = root.display()
    )
}

/// What is on disk after Enter through the defaults: the recommended
/// preset's files (in English whatever the language) and config_path.
fn assert_recommended_preset_applied(root: &Path) {
    let hosts =
        fs::read_to_string(root.join("etc/containerd/certs.d/docker.io/hosts.toml")).unwrap();
    assert!(
        hosts.starts_with("# Managed by ctrwiz (preset daocloud) for docker.io.")
            && hosts.contains("[host.\"https://docker.m.daocloud.io\"]"),
        "{hosts}"
    );
    assert!(root
        .join("etc/containerd/certs.d/rocks.canonical.com/hosts.toml")
        .exists());
    let cfg = fs::read_to_string(root.join("etc/containerd/config.toml")).unwrap();
    assert_eq!(
        cfg,
        FIXTURE.replace(
            "      config_path = \"\"",
            "      config_path = \"/etc/containerd/certs.d\""
        )
    );
}

#[test]
fn enter_through_the_defaults_and_y_configures_the_node() {
    let dir = node();
    let root = dir.path();
    let Some(t) = Tmux::start("newcomer", &command(root, "")) else {
        return;
    };
    t.wait_for("Installed tools", Duration::from_secs(10));
    t.wait_for("finding(s) in all", Duration::from_secs(10));
    assert!(t.alternate_screen_on());
    t.keys(&["Enter", "Enter", "Enter", "Enter"]);
    t.wait_for("[y/N]", Duration::from_secs(5));
    t.keys(&["y"]);
    t.wait_for("✓ Done.", Duration::from_secs(10));
    assert_recommended_preset_applied(root);
    // Enter on Done quits and gives the terminal back.
    t.keys(&["Enter"]);
    let s = t.wait_for("EXIT=0", Duration::from_secs(5));
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "canonical mode restored: {s}"
    );
    assert!(!t.alternate_screen_on(), "main screen back");
    // What the user must keep outlives the alternate screen: the files,
    // the backup, the undo command and the check commands, uncut.
    let out = t.joined();
    let backups = root.join("var/lib/ctrwiz/backups");
    let backup = fs::read_dir(&backups)
        .map(|d| d.flatten().next().unwrap().file_name())
        .unwrap_or_else(|e| panic!("{}: {e}\n{out}", backups.display()));
    for want in [
        "ctrwiz: ✓ Done.".to_string(),
        "wrote /etc/containerd/certs.d/docker.io/hosts.toml".into(),
        format!(
            "backup /var/lib/ctrwiz/backups/{}",
            backup.to_string_lossy()
        ),
        format!("undo: ctrwiz --root {} rollback", root.display()),
        "ctr images pull --hosts-dir /etc/containerd/certs.d docker.io/library/busybox:latest"
            .into(),
    ] {
        assert!(out.contains(&want), "{want:?} not printed on exit:\n{out}");
    }
    assert!(!out.contains('…'), "nothing cut:\n{out}");
}

#[test]
fn a_chinese_locale_gets_the_chinese_wizard_and_the_same_files() {
    let dir = node();
    let root = dir.path();
    // LC_ALL set but empty does not count: LANG decides.
    let Some(t) = Tmux::start("zh", &command(root, "LC_ALL= LANG=zh_CN.UTF-8")) else {
        return;
    };
    let screen = t.wait_for("已安装的工具", Duration::from_secs(10));
    assert!(screen.contains("第 1 步，共 7 步"), "{screen}");
    t.wait_for("个问题", Duration::from_secs(10));
    t.keys(&["Enter", "Enter", "Enter", "Enter"]);
    t.wait_for("[y/N]", Duration::from_secs(5));
    t.keys(&["y"]);
    t.wait_for("✓ 完成", Duration::from_secs(10));
    assert_recommended_preset_applied(root);
    t.keys(&["Enter"]);
    t.wait_for("EXIT=0", Duration::from_secs(5));
}

#[test]
fn a_panic_inside_the_wizard_leaves_the_terminal_usable() {
    // The panic key is a debug-build hook (release binaries carry none).
    if !cfg!(debug_assertions) {
        eprintln!("skipping: CTRWIZ_TEST_PANIC_KEY exists in debug builds only");
        return;
    }
    let dir = node();
    let Some(t) = Tmux::start(
        "panic",
        &command(dir.path(), "RUST_BACKTRACE=0 CTRWIZ_TEST_PANIC_KEY=!"),
    ) else {
        return;
    };
    t.wait_for("Installed tools", Duration::from_secs(10));
    assert!(t.alternate_screen_on());
    t.keys(&["!"]);
    let s = t.wait_for("EXIT=", Duration::from_secs(5));
    assert!(
        s.contains("test panic requested"),
        "the panic message is readable: {s}"
    );
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "raw mode is off: {s}"
    );
    assert!(!t.alternate_screen_on(), "main screen back");
    // Bracketed paste is off again: a paste into the shell's terminal
    // arrives bare. With it left on, tmux wraps the paste in ESC[200~ …
    // ESC[201~ and the tty's echo shows those as ^[[200~ (tmux(1),
    // paste-buffer -p: "only if the application has requested bracketed
    // paste mode").
    t.tmux(&["set-buffer", "PASTEMARK"]);
    t.tmux(&["paste-buffer", "-p", "-t", "w"]);
    let s = t.wait_for("PASTEMARK", Duration::from_secs(5));
    assert!(!s.contains("[200~"), "bracketed paste is off: {s}");
}

#[test]
fn a_demo_killed_by_a_signal_leaves_no_sample_node_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let cmd = format!(
        "TMPDIR={tmp} CTRWIZ_CONFIG_DIR={tmp}/user-config {bin} --demo --no-probe; echo EXIT=$?; sleep 60",
        tmp = tmp.path().display(),
        bin = env!("CARGO_BIN_EXE_ctrwiz"),
    );
    let Some(t) = Tmux::start("demokill", &cmd) else {
        return;
    };
    t.wait_for("Installed tools", Duration::from_secs(10));
    let demo_dirs = || {
        fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("ctrwiz-demo-"))
            .count()
    };
    assert_eq!(demo_dirs(), 1, "the sample node exists while the demo runs");
    let pid = t.wizard_pid().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let s = t.wait_for("EXIT=", Duration::from_secs(5));
    assert!(s.contains("EXIT=143"), "{s}");
    assert_eq!(demo_dirs(), 0, "the sample node went with the signal");
}

#[test]
fn sigterm_sighup_and_sigint_give_the_terminal_back_and_exit_128_plus_signo() {
    for (name, signo) in [("TERM", 15), ("HUP", 1), ("INT", 2)] {
        let dir = node();
        let root = dir.path();
        let stty = |f: &str| root.join(f).display().to_string();
        // A plain `sh -c`: no job-control shell resets the terminal after us.
        let cmd = format!(
            "stty -a > {before}; CTRWIZ_CONFIG_DIR={root}/user-config {bin} --no-probe --root {root}; echo EXIT=$?; stty -a > {after}; sleep 60",
            before = stty("stty.before"),
            after = stty("stty.after"),
            bin = env!("CARGO_BIN_EXE_ctrwiz"),
            root = root.display()
        );
        let Some(t) = Tmux::start(&format!("sig{name}"), &cmd) else {
            return;
        };
        t.wait_for("Installed tools", Duration::from_secs(10));
        t.keys(&["Enter"]);
        t.wait_for("[Preset]", Duration::from_secs(5));
        assert!(t.alternate_screen_on() && !t.cursor_visible());
        let pid = t.wizard_pid().to_string();
        let killed = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let s = t.wait_for("EXIT=", Duration::from_secs(5));
        assert!(
            s.contains(&format!("EXIT={}", 128 + signo)),
            "SIG{name}: dies of the signal: {s}"
        );
        assert!(!t.alternate_screen_on(), "SIG{name}: main screen back");
        assert!(t.cursor_visible(), "SIG{name}: cursor shown");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !root.join("stty.after").exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            fs::read_to_string(root.join("stty.after")).unwrap(),
            fs::read_to_string(root.join("stty.before")).unwrap(),
            "SIG{name}: the terminal's modes are as before"
        );
    }
}

#[test]
fn ctrl_z_gives_the_shell_the_terminal_and_fg_redraws_the_step() {
    let dir = node();
    let root = dir.path();
    // An interactive shell with job control, as a user has.
    let Some(t) = Tmux::start("suspend", "env PS1='$ ' bash --norc --noprofile -i") else {
        return;
    };
    t.wait_for("$", Duration::from_secs(5));
    t.text(&format!(
        "CTRWIZ_CONFIG_DIR={root}/user-config {bin} --no-probe --root {root}",
        bin = env!("CARGO_BIN_EXE_ctrwiz"),
        root = root.display()
    ));
    t.keys(&["Enter"]);
    t.wait_for("Installed tools", Duration::from_secs(10));
    t.keys(&["Enter"]);
    t.wait_for("[Preset]", Duration::from_secs(5));
    t.keys(&["C-z"]);
    let s = t.wait_for("Stopped", Duration::from_secs(5));
    assert!(
        !t.alternate_screen_on(),
        "the shell has the main screen: {s}"
    );
    assert!(t.cursor_visible());
    t.text("fg");
    t.keys(&["Enter"]);
    let s = t.wait_for("[Preset]", Duration::from_secs(5));
    assert!(t.alternate_screen_on());
    assert!(
        s.contains("Mirrors for this node") && s.contains("Enter next"),
        "the whole step is drawn again: {s}"
    );
    // Still working: keys go on, and quitting gives a sane terminal.
    t.keys(&["Enter"]);
    t.wait_for("[Registries]", Duration::from_secs(5));
    // Choices are not applied yet: q asks first.
    t.keys(&["q"]);
    t.wait_for("Quit anyway? [y/N]", Duration::from_secs(5));
    t.keys(&["y"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.alternate_screen_on() {
        assert!(Instant::now() < deadline, "the wizard did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
    t.text("echo EXIT=$?; stty -a | grep -o -- '-\\?icanon'");
    t.keys(&["Enter"]);
    let s = t.wait_for("EXIT=0", Duration::from_secs(5));
    assert!(s.contains("icanon") && !s.contains("-icanon"), "{s}");
}

#[test]
fn without_a_terminal_it_points_to_plan_and_apply() {
    let out = crate::support::ctrwiz(&[])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ctrwiz plan") && err.contains("ctrwiz apply"),
        "{err}"
    );
}

#[test]
fn the_wizard_against_the_real_containerd_ends_in_a_pull_served_by_the_mirror() {
    let Some(h) = crate::live::live() else { return };
    let Some(t) = Tmux::start(
        "live",
        &format!(
            "CTRWIZ_VERIFY_IMAGE={} {}; echo EXIT=$?; sleep 60",
            crate::live::HUB_IMAGE,
            h.ctrwiz_command_line(&["--no-probe"])
        ),
    ) else {
        return;
    };
    t.wait_for("finding(s) in all", Duration::from_secs(15));
    // Preset: "Choose per registry…" (the last entry).
    t.keys(&["Enter"]);
    for _ in 0..20 {
        t.keys(&["Down"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("[Registries]", Duration::from_secs(5));
    // docker.io: custom URL = the local registry.
    t.keys(&["Space"]);
    let s = t.wait_for("Custom mirror URLs", Duration::from_secs(5));
    let options = s
        .lines()
        .skip_while(|l| !l.contains("Mirror for docker.io"))
        .take_while(|l| !l.contains("Custom mirror URLs"))
        // A long label wraps onto an indented row: count options only.
        .filter(|l| {
            let inner = l.split('│').nth(1).unwrap_or("");
            inner.starts_with("› ") || (inner.starts_with("  ") && !inner.starts_with("   "))
        })
        .count();
    for _ in 0..options {
        t.keys(&["Down"]);
    }
    t.keys(&["Enter"]);
    t.text(&h.mirror_url());
    t.wait_for("✓ valid", Duration::from_secs(5));
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("containerd will restart", Duration::from_secs(5));
    t.keys(&["Enter", "y"]);
    t.wait_for("✓ Done.", Duration::from_secs(60));
    assert_eq!(h.restarts(), 1);
    assert!(h.cri_loaded());
    let r = ctrwiz::cri::pull_image(&h.socket(), crate::live::HUB_IMAGE, Duration::from_secs(60));
    r.unwrap_or_else(|e| panic!("CRI pull after the wizard: {e}"));
    assert!(h
        .manifest_requests()
        .iter()
        .any(|r| r.ends_with("?ns=docker.io")));
    // The Done step's verify pulls through the new files too.
    t.keys(&["v"]);
    let screen = t.wait_for("served by the mirror", Duration::from_secs(60));
    let one_line = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        one_line.contains(&format!(
            "served by the mirror 127.0.0.1:{}",
            h.registry_port
        )),
        "{screen}"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0", Duration::from_secs(5));
}
