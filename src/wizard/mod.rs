//! The wizard: `ctrwiz` with no subcommand on a terminal. A thin shell over
//! the engine (node → selection → plan → apply), in The Elm Architecture:
//! `app::update(state, msg) -> effects` is pure, `view::draw` renders from
//! state, and background work runs on threads that report over one
//! channel. The UI thread only waits on that channel, so it never blocks
//! and does not redraw while nothing happens.
//!
//! `run_with` is that loop over any ratatui backend, an event source and a
//! `Host` (everything the wizard does to the world); `run` wires in the
//! real terminal, the workers (runtime.rs) and the signal handlers
//! (signals.rs). Layers, top down: view → screens → widgets; app → editor,
//! extras_step → derive; keys → step.

mod actions;
pub mod app;
pub mod derive;
pub mod editor;
pub mod extras_step;
pub mod input;
pub mod keys;
mod runtime;
pub mod screens;
mod signals;
pub mod state;
pub mod step;
#[cfg(test)]
mod svg;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod loop_tests;
#[cfg(test)]
mod tests;

use crate::extras::PrivateRegistry;
use crate::node::NodeState;
use crate::plan::Plan;
use crate::session::Session;
use app::{App, Effect, Msg};
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender};

/// Everything the wizard does to the world, so that the loop runs under
/// test with a fake (bandwhich's `OsInputOutput`). Long work runs on
/// threads that report over `tx`; quick I/O returns its result.
pub trait Host {
    /// Detect the node: each tool, then the whole node, as messages.
    fn detect(&self, tx: &Sender<Msg>);
    /// Measure the catalog's mirrors; `false`: not measuring (--no-probe).
    fn probes(&self, tx: &Sender<Msg>) -> bool;
    /// Apply the plan: progress lines, then `Msg::ApplyDone`.
    fn apply(&self, plan: Plan, tx: &Sender<Msg>);
    /// Pull a small image through the node: `Msg::Verified`.
    fn verify(&self, node: NodeState, tx: &Sender<Msg>);
    /// Start a short-lived pod sandbox on the node: `Msg::PodChecked`.
    fn pod_check(&self, node: NodeState, tx: &Sender<Msg>);
    /// Write the profile (over an existing one only with `overwrite`).
    fn save_profile(&self, text: &str, overwrite: bool) -> Result<Saved, String>;
    /// Read a private registry's CA/client files.
    fn load_private_files(&self, r: PrivateRegistry) -> Result<Box<PrivateRegistry>, String>;
    /// Give the terminal back, stop until continued, take it again.
    fn suspend(&self);
    /// Take the terminal again after being stopped from outside.
    fn resume(&self);
}

/// What saving the profile did.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    /// Written there.
    Wrote(String),
    /// A file is there already; nothing written.
    Exists(String),
}

/// Where the loop's messages come from: the channel the input thread and
/// the workers send on and, for tests, a script of terminal events. A
/// script step is taken only when no worker message is waiting (a user
/// who waits for each answer), and the loop ends when the script does.
pub struct Events {
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    script: Option<VecDeque<Msg>>,
}

impl Events {
    /// Messages from the threads only; waits for the next one.
    pub fn live() -> Events {
        let (tx, rx) = mpsc::channel();
        Events {
            tx,
            rx,
            script: None,
        }
    }

    /// The workers' messages first, then `script`, then the end.
    pub fn scripted(script: impl IntoIterator<Item = Msg>) -> Events {
        Events {
            script: Some(script.into_iter().collect()),
            ..Events::live()
        }
    }

    pub fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    fn next(&mut self) -> Option<Msg> {
        match &mut self.script {
            Some(script) => self.rx.try_recv().ok().or_else(|| script.pop_front()),
            None => {
                let msg = self.rx.recv().ok()?;
                panic_for_tests(&msg);
                Some(msg)
            }
        }
    }
}

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A scripted run used up its script.
    EventsEnded,
    /// A terminating signal (its number) came.
    Signal(i32),
}

/// The wizard on this terminal, for `session`'s node.
pub fn run(session: Session) -> crate::error::Result<()> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let catalog = session.catalog()?.clone();
    // Cheap facts only: the first frame must not wait for the probes.
    let apply = session.quick_apply_options();
    let mut app = App::new(catalog, apply.as_ref().err().cloned(), color);
    let root = session.root();
    if !root.is_host() {
        app.root_prefix = Some(root.dir().to_path_buf());
    }
    app.done.can_verify = root.is_host();
    app.demo = session.demo();
    app.profile_path = Some(session.profile_path());
    let loc = session.locations();
    app.heal_invocation = crate::heal::schedule::Invocation::current(
        &loc.root,
        &loc.config,
        loc.hosts_dir.as_deref(),
        &loc.address,
        session.settings().state_dir.as_deref(),
    )
    .ok();
    let host = runtime::RealHost { session, apply };
    let mut events = Events::live();

    // ratatui::init enables raw mode and the alternate screen and installs
    // a panic hook that restores the terminal before the panic message.
    let mut terminal = ratatui::init();
    // ratatui's hook knows nothing of bracketed paste (spawn_input turns
    // it on): switched off here, before ratatui's restore and the message.
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
        ratatui_hook(info);
    }));
    runtime::spawn_input(events.sender());
    let signals = signals::install(events.sender());
    let result = run_with(&mut terminal, &mut app, &mut events, &host);
    runtime::leave_terminal();
    drop(signals);
    // The alternate screen is gone: what the user must keep stays here.
    if let Some(text) = screens::done::summary(&app) {
        print!("{text}");
    }
    let result = result
        .map_err(|e| crate::error::Error::Other(crate::t!("cli.wizard_failed", error = e)))?;
    if let Exit::Signal(sig) = result {
        signals::die(sig);
    }
    Ok(())
}

/// The loop: draw, wait for a message, update, carry out the effects,
/// draw again. No message, no frame.
pub fn run_with<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    events: &mut Events,
    host: &dyn Host,
) -> std::io::Result<Exit> {
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    let tx = events.sender();
    host.detect(&tx);
    if host.probes(&tx) {
        app.probes.running = true;
    }
    terminal.draw(|f| view::draw(f, app))?;
    while let Some(msg) = events.next() {
        for effect in app::update(app, msg) {
            match effect {
                Effect::Quit => return Ok(Exit::Quit),
                Effect::Terminate(sig) => return Ok(Exit::Signal(sig)),
                Effect::Suspend => {
                    host.suspend();
                    terminal.clear()?;
                }
                Effect::Resume => {
                    host.resume();
                    terminal.clear()?;
                }
                Effect::Apply(plan) => host.apply(*plan, &tx),
                Effect::Verify => {
                    if let Some(node) = app.node.clone() {
                        host.verify(node, &tx);
                    }
                }
                Effect::PodCheck => {
                    if let Some(node) = app.node.clone() {
                        host.pod_check(node, &tx);
                    }
                }
                Effect::AddPrivate(r) => {
                    let _ = tx.send(Msg::PrivateReady(host.load_private_files(*r)));
                }
                Effect::SaveProfile { text, overwrite } => {
                    let _ = tx.send(match host.save_profile(&text, overwrite) {
                        Ok(Saved::Wrote(path)) => Msg::ProfileSaved(Ok(path)),
                        Ok(Saved::Exists(path)) => Msg::ProfileExists(path),
                        Err(e) => Msg::ProfileSaved(Err(e)),
                    });
                }
            }
        }
        terminal.draw(|f| view::draw(f, app))?;
    }
    Ok(Exit::EventsEnded)
}

/// `CTRWIZ_TEST_PANIC_KEY=!` makes that key panic inside the wizard, so a
/// pseudo-terminal test can prove the terminal is restored on a panic.
/// Debug builds only (the ones the tests run), and only on the live event
/// source: release builds carry no test hook.
#[cfg(debug_assertions)]
fn panic_for_tests(msg: &Msg) {
    if let (Msg::Key(k), Some(want)) = (msg, std::env::var("CTRWIZ_TEST_PANIC_KEY").ok()) {
        if k.code == crossterm::event::KeyCode::Char(want.chars().next().unwrap_or('\0')) {
            panic!("test panic requested by CTRWIZ_TEST_PANIC_KEY");
        }
    }
}

#[cfg(not(debug_assertions))]
fn panic_for_tests(_: &Msg) {}
