//! The interactive wizard: Node → Preset → Registries → Review → Apply → Done.
//!
//! The Elm Architecture: [`app::App`] is the model, [`app::update`] the
//! pure update returning [`app::Effect`]s, [`view::draw`] the view. A small
//! runtime here runs effects on background threads; they, and a thread
//! reading the terminal, report back as [`app::Msg`]s over one channel. The
//! UI thread only waits on that channel and redraws after a change.

pub mod app;
pub mod keys;
pub mod steps;
pub mod view;

#[cfg(test)]
mod tests;

use app::{update, App, Effect, Msg};
use crossterm::event::{self, Event, KeyEventKind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

pub struct WizardContext {
    pub locations: crate::node::Locations,
    pub catalog: crate::catalog::Catalog,
    /// `None`: cannot apply (not root and no `--root`).
    pub apply: Option<crate::apply::ApplyOptions>,
    /// Where `s` on Done saves the selection profile.
    pub profile_path: PathBuf,
}

/// Restores the terminal on every way out of [`run`] (`?`, return, panic).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the wizard in the terminal until the user quits.
pub fn run(ctx: WizardContext) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut app = App::new(
        ctx.catalog.clone(),
        ctx.apply.is_some(),
        ctx.profile_path.clone(),
    );
    app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());

    let mut terminal = ratatui::init();
    let _restore = Restore;
    let size = terminal.size()?;
    app.size = (size.width, size.height);

    let stop = Arc::new(AtomicBool::new(false));
    let input = spawn_input(tx.clone(), stop.clone());
    let result = (|| -> anyhow::Result<()> {
        for effect in app.init() {
            if !execute(effect, &ctx, &tx) {
                return Ok(());
            }
        }
        terminal.draw(|f| view::draw(&app, f))?;
        app.dirty = false;
        while let Ok(msg) = rx.recv() {
            for effect in update(&mut app, msg) {
                if !execute(effect, &ctx, &tx) {
                    return Ok(());
                }
            }
            if app.dirty {
                terminal.draw(|f| view::draw(&app, f))?;
                app.dirty = false;
            }
        }
        Ok(())
    })();
    stop.store(true, Ordering::Relaxed);
    let _ = input.join();
    result
}

/// Reads terminal events on their own thread and forwards them as Msgs.
fn spawn_input(tx: Sender<Msg>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => return,
            }
            let msg = match event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    })
}

/// Starts one effect; `false` means quit.
fn execute(effect: Effect, ctx: &WizardContext, tx: &Sender<Msg>) -> bool {
    match effect {
        Effect::Quit => return false,
        Effect::Detect => {
            let loc = ctx.locations.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                let probes = crate::node::tools::spawn_probes(&loc.root, loc.probe_timeout);
                let mut found = Vec::new();
                for tool in probes {
                    let _ = tx.send(Msg::DetectedTool(tool.clone()));
                    found.push(tool);
                }
                let node = crate::node::assemble(&loc, found);
                let _ = tx.send(Msg::DetectedNode(Box::new(node)));
            });
        }
        Effect::Apply(plan) => {
            let tx = tx.clone();
            let Some(opts) = ctx.apply.clone() else {
                let _ = tx.send(Msg::ApplyDone(Err(
                    "applying needs root (sudo) or --root DIR".into(),
                )));
                return true;
            };
            std::thread::spawn(move || {
                let progress_tx = tx.clone();
                let mut progress = move |step: crate::apply::Step| {
                    let _ = progress_tx.send(Msg::ApplyStep(step.to_string()));
                };
                let result = crate::apply::run(&plan, &opts, &mut progress);
                let _ = tx.send(Msg::ApplyDone(result.map_err(|e| e.to_string())));
            });
        }
        Effect::SaveProfile(text) => {
            let path = ctx.profile_path.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                let result = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&path, text))
                    .map(|()| path.clone())
                    .map_err(|e| format!("{}: {e}", path.display()));
                let _ = tx.send(Msg::Saved(result));
            });
        }
    }
    true
}
