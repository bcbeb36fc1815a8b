//! The wizard: `ctrwiz` with no subcommand on a terminal. A thin shell over
//! the engine (node → selection → plan → apply), in The Elm Architecture:
//! `app::update(state, msg) -> effects` is pure, `view::draw` renders from
//! state, and background work runs on threads that report over one
//! channel. The UI thread only waits on that channel, so it never blocks
//! and does not redraw while nothing happens.

pub mod app;
pub mod derive;
pub mod editor;
pub mod extras_step;
pub mod keys;
pub mod screens;
pub mod state;
pub mod step;
#[cfg(test)]
mod svg;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod tests;

use crate::apply::{self, ApplyOptions};
use crate::catalog::Catalog;
// Workers in the UI's language: their messages, such as the apply's
// progress, reach the screen as text.
use crate::i18n::spawn;
use crate::node::{self, Locations};
use app::{App, Effect, Msg};
use crossterm::event::{self, Event, KeyEventKind};
use std::path::PathBuf;
use std::sync::mpsc;

pub struct WizardContext {
    pub locations: Locations,
    pub catalog: Catalog,
    /// `Err(why)` when this process cannot apply (not root, no --root).
    pub apply: Result<ApplyOptions, String>,
    /// Where `s` saves the selection as a profile.
    pub profile_path: PathBuf,
    /// Measure the catalog's mirrors in the background (off: `--no-probe`).
    pub probe: bool,
}

pub fn run(ctx: WizardContext) -> anyhow::Result<()> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut app = App::new(
        ctx.catalog.clone(),
        ctx.apply.as_ref().err().cloned(),
        color,
    );
    if !ctx.locations.root.is_host() {
        app.root_prefix = Some(ctx.locations.root.dir().to_path_buf());
    }
    app.done.can_verify = ctx.locations.root.is_host();
    let (tx, rx) = mpsc::channel::<Msg>();

    // ratatui::init enables raw mode and the alternate screen and installs
    // a panic hook that restores the terminal before the panic message.
    let mut terminal = ratatui::init();
    let result = (|| -> anyhow::Result<()> {
        let size = terminal.size()?;
        app.size = (size.width, size.height);
        spawn_input(tx.clone());
        spawn_detect(ctx.locations.clone(), tx.clone());
        if ctx.probe {
            app.probes.running = true;
            spawn_probes(&ctx.catalog, tx.clone());
        }
        terminal.draw(|f| view::draw(f, &app))?;
        // Wait for messages; draw after each one. No message, no frame.
        while let Ok(msg) = rx.recv() {
            panic_for_tests(&msg);
            for effect in app::update(&mut app, msg) {
                match effect {
                    Effect::Quit => return Ok(()),
                    Effect::Apply(plan) => match &ctx.apply {
                        Ok(opts) => spawn_apply(*plan, opts.clone(), tx.clone()),
                        Err(why) => {
                            let _ = tx.send(Msg::ApplyDone(Err(why.clone())));
                        }
                    },
                    Effect::Verify => {
                        if let Some(node) = app.node.clone() {
                            spawn_verify(node, ctx.locations.address.clone(), tx.clone());
                        }
                    }
                    Effect::AddPrivate(r) => {
                        // Reading the CA/client files is I/O: here, not in update.
                        let mut r = *r;
                        let result = r
                            .load_files()
                            .map(|_| Box::new(r))
                            .map_err(|e| e.to_string());
                        let _ = tx.send(Msg::PrivateReady(result));
                    }
                    Effect::SaveProfile(text) => {
                        let path = ctx.profile_path.clone();
                        let r = save_profile(&path, &text)
                            .map(|_| path.display().to_string())
                            .map_err(|e| e.to_string());
                        let _ = tx.send(Msg::ProfileSaved(r));
                    }
                }
            }
            terminal.draw(|f| view::draw(f, &app))?;
        }
        Ok(())
    })();
    ratatui::restore();
    result
}

/// `CTRWIZ_TEST_PANIC_KEY=!` makes that key panic inside the wizard, so a
/// pseudo-terminal test can prove the terminal is restored on a panic.
fn panic_for_tests(msg: &Msg) {
    if let (Msg::Key(k), Some(want)) = (msg, std::env::var("CTRWIZ_TEST_PANIC_KEY").ok()) {
        if k.code == crossterm::event::KeyCode::Char(want.chars().next().unwrap_or('\0')) {
            panic!("test panic requested by CTRWIZ_TEST_PANIC_KEY");
        }
    }
}

fn spawn_input(tx: mpsc::Sender<Msg>) {
    spawn(move || loop {
        let msg = match event::read() {
            Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
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
fn spawn_detect(loc: Locations, tx: mpsc::Sender<Msg>) {
    spawn(move || {
        let rx = node::tools::spawn_probes(&loc.root, loc.probe_timeout);
        let mut tools = Vec::new();
        for t in rx {
            let _ = tx.send(Msg::Tool(t.clone()));
            tools.push(t);
        }
        let _ = tx.send(Msg::Detected(Box::new(node::assemble(&loc, tools))));
    });
}

/// Every catalog mirror, measured at once; results stream in.
fn spawn_probes(catalog: &Catalog, tx: mpsc::Sender<Msg>) {
    let Ok(candidates) = crate::probe::candidates(catalog, &[], None) else {
        return;
    };
    spawn(move || {
        let opts = crate::probe::ProbeOptions::new(std::time::Duration::from_secs(3));
        for r in crate::probe::spawn(candidates, opts) {
            if tx.send(Msg::Probe(r)).is_err() {
                return;
            }
        }
        let _ = tx.send(Msg::ProbesDone);
    });
}

fn spawn_verify(node: crate::node::NodeState, socket: PathBuf, tx: mpsc::Sender<Msg>) {
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
        let cri = node
            .tool(crate::node::ToolName::Ctr)
            .and_then(|t| t.path.clone())
            .and_then(|ctr| {
                crate::process::run(
                    std::process::Command::new(ctr)
                        .arg("--address")
                        .arg(&socket)
                        .args(["plugins", "ls"]),
                    std::time::Duration::from_secs(10),
                )
                .ok()
            });
        let cri_loaded =
            cri.is_some_and(|d| d.success() && apply::health::cri_failures(&d.stdout).is_empty());
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

fn spawn_apply(plan: crate::plan::Plan, opts: ApplyOptions, tx: mpsc::Sender<Msg>) {
    spawn(move || {
        let progress_tx = tx.clone();
        let result = apply::run(&plan, &opts, &mut |step| {
            let _ = progress_tx.send(Msg::ApplyStep(step.to_string()));
        });
        let _ = tx.send(Msg::ApplyDone(result.map_err(|e| e.to_string())));
    });
}

fn save_profile(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}
