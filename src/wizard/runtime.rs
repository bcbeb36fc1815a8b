//! The real edges of the wizard: the terminal's input, and the workers
//! that detect, measure, apply and verify on threads and report over the
//! channel. `RealHost` is what `run` hands `run_with`; tests use a fake.

use super::app::Msg;
use super::Host;
use crate::apply::{self, ApplyOptions};
use crate::catalog::Catalog;
// Workers in the UI's language: their messages, such as the apply's
// progress, reach the screen as text.
use crate::i18n::spawn;
use crate::node::{self, Locations};
use crossterm::event::{self, Event, KeyEventKind};
use std::path::PathBuf;
use std::sync::mpsc::Sender;

/// The host the binary runs on: threads, files, the terminal.
pub struct RealHost {
    pub session: crate::session::Session,
    /// `Err(why)` when this process cannot apply (not root, no --root).
    pub apply: Result<ApplyOptions, String>,
}

impl Host for RealHost {
    fn detect(&self, tx: &Sender<Msg>) {
        spawn_detect(self.session.locations(), tx.clone());
    }

    fn probes(&self, tx: &Sender<Msg>) -> bool {
        let probe = self.session.probe();
        if let (true, Ok(catalog)) = (probe, self.session.catalog()) {
            spawn_probes(catalog, self.session.root(), tx.clone());
        }
        probe
    }

    fn apply(&self, plan: crate::plan::Plan, tx: &Sender<Msg>) {
        match &self.apply {
            Ok(opts) => spawn_apply(plan, opts.clone(), &self.session.locations(), tx.clone()),
            Err(why) => {
                let _ = tx.send(Msg::ApplyDone(Err(why.clone())));
            }
        }
    }

    fn verify(&self, node: crate::node::NodeState, tx: &Sender<Msg>) {
        spawn_verify(node, self.session.settings().address.clone(), tx.clone());
    }

    fn pod_check(&self, node: crate::node::NodeState, tx: &Sender<Msg>) {
        // The options are the session's (root, socket, timeout); the
        // sandbox image is read from the config as the apply left it.
        let opts = self.session.apply_options(&node);
        let tx = tx.clone();
        spawn(move || {
            let _ = tx.send(Msg::PodChecked(crate::doctor::pod_check(&opts, &node)));
        });
    }

    fn save_profile(&self, text: &str, overwrite: bool) -> Result<super::Saved, String> {
        let path = &self.session.profile_path();
        let shown = path.display().to_string();
        // Never over a file the user has without asking (`s` twice).
        if !overwrite && path.exists() {
            return Ok(super::Saved::Exists(shown));
        }
        save_profile(path, text)
            .map(|_| super::Saved::Wrote(shown))
            .map_err(|e| e.to_string())
    }

    fn load_private_files(
        &self,
        mut r: crate::extras::PrivateRegistry,
    ) -> Result<Box<crate::extras::PrivateRegistry>, String> {
        // Reading the CA/client files is I/O: here, not in update.
        r.load_files()
            .map(|_| Box::new(r))
            .map_err(|e| e.to_string())
    }

    fn suspend(&self) {
        if !super::signals::job_control() {
            return;
        }
        leave_terminal();
        super::signals::stop_self();
        enter_terminal();
    }

    fn resume(&self) {
        enter_terminal();
    }
}

/// The terminal as the shell wants it: cooked mode, main screen, cursor.
pub fn leave_terminal() {
    use crossterm::{cursor, execute, terminal};
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

/// The terminal as the wizard wants it again (after a stop): raw mode,
/// alternate screen. Raw mode is set afresh: the shell may have reset the
/// terminal while crossterm still thinks it is raw.
pub fn enter_terminal() {
    use crossterm::{execute, terminal};
    let _ = terminal::disable_raw_mode();
    let _ = terminal::enable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        event::EnableBracketedPaste
    );
}

/// Reads the terminal's events. Bracketed paste is switched on first, so
/// a paste arrives as one `Event::Paste` (inserted at the input's cursor)
/// and not as keys, whose Enter would accept a half-pasted line.
pub fn spawn_input(tx: Sender<Msg>) {
    let _ = crossterm::execute!(std::io::stdout(), event::EnableBracketedPaste);
    spawn(move || loop {
        let msg = match event::read() {
            Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
            Ok(Event::Paste(text)) => Msg::Paste(text),
            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
            Ok(_) => continue,
            Err(_) => return,
        };
        if tx.send(msg).is_err() {
            return;
        }
    });
}

/// Tools report one by one, then the files and service complete the node.
fn spawn_detect(loc: Locations, tx: Sender<Msg>) {
    spawn(move || {
        let rx = node::tools::spawn_probes(&loc.root, loc.probe_timeout);
        let mut tools = Vec::new();
        for t in rx {
            let _ = tx.send(Msg::Tool(t.clone()));
            tools.push(t);
        }
        let node = node::assemble(&loc, tools);
        let ctr = crate::ctr::Ctr::for_node(&node, &loc.root, &loc.address)
            .filter(|_| node.service.running);
        let _ = tx.send(Msg::Detected(Box::new(node)));
        // What only the daemon can tell, for the troubleshoot panel.
        if let Some(ctr) = ctr {
            let _ = tx.send(Msg::Cri(ctr.cri_failures()));
        }
    });
}

/// Every catalog mirror, measured at once, as containerd on the node will
/// reach it (through the proxy its drop-ins set); results stream in.
fn spawn_probes(catalog: &Catalog, root: crate::root::Root, tx: Sender<Msg>) {
    let Ok(candidates) = crate::probe::candidates(catalog, &[], None) else {
        return;
    };
    spawn(move || {
        let mut opts = crate::probe::ProbeOptions::new(std::time::Duration::from_secs(3));
        opts.containerd_proxy = crate::node::service::containerd_proxy_env(&root);
        for r in crate::probe::spawn(candidates, opts) {
            if tx.send(Msg::Probe(r)).is_err() {
                return;
            }
        }
        let _ = tx.send(Msg::ProbesDone);
    });
}

fn spawn_verify(node: crate::node::NodeState, socket: PathBuf, tx: Sender<Msg>) {
    // CTRWIZ_VERIFY_IMAGE picks another small image (a private one, say).
    let image = std::env::var("CTRWIZ_VERIFY_IMAGE")
        .unwrap_or_else(|_| crate::verify::DEFAULT_IMAGE.to_string());
    spawn(move || {
        // The node as it is after the apply: re-read its hosts dir.
        let mut node = node;
        node.hosts_dir = crate::node::files::read_hosts_dir_at(
            &crate::root::Root::default(),
            &node.hosts_dir.path.clone(),
        );
        let cri_loaded = crate::ctr::Ctr::for_node(&node, &crate::root::Root::default(), &socket)
            .and_then(|c| c.cri_failures())
            .is_some_and(|f| f.is_empty());
        let report = crate::verify::run(
            &node,
            &socket,
            cri_loaded,
            &image,
            std::time::Duration::from_secs(120),
        );
        let _ = tx.send(Msg::Verified(Box::new(report)));
    });
}

fn spawn_apply(plan: crate::plan::Plan, opts: ApplyOptions, loc: &Locations, tx: Sender<Msg>) {
    let (root, address) = (loc.root.clone(), loc.address.clone());
    spawn(move || {
        let progress_tx = tx.clone();
        let result = apply::run(&plan, &opts, &mut |step| {
            let _ = progress_tx.send(Msg::ApplyStep(step.to_string()));
        });
        // The heal timer's files written: start the timer, as heal --install does.
        if result.is_ok() && crate::heal::schedule::in_plan(&plan) {
            let service = crate::node::service::detect(&root, &address);
            if let Some(line) = crate::heal::schedule::activation(&service, !root.is_host(), true) {
                let _ = tx.send(Msg::ApplyStep(line));
            }
        }
        let _ = tx.send(Msg::ApplyDone(result.map_err(|e| e.to_string())));
    });
}

/// 0600 from the first byte: a profile can hold a registry password.
fn save_profile(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let keep = crate::apply::files::with_mode(path, 0o600);
    crate::apply::files::write_atomic(path, text.as_bytes(), Some(keep), 0o600)
}
