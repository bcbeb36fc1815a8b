//! Signals while the wizard owns the terminal. SIGTERM, SIGINT, SIGHUP and
//! SIGQUIT give the terminal back (main screen, cursor, cooked mode), then
//! the process dies of the same signal (the shell sees 128 + signo).
//! SIGTSTP gives it back and stops; SIGCONT takes it again and redraws.
//!
//! A handler may only do async-signal-safe things, so it writes the
//! signal's number to a pipe (the self-pipe trick); a thread reads the
//! pipe and sends `Msg::Signal`, and the loop does the work in order with
//! everything else. A second terminating signal, if the loop has not
//! acted on the first, is handled by that thread itself.

use super::app::{Msg, Signal};
use libc::c_int;
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

/// The pipe's write end for the handler; -1 when not installed.
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

const TERMINATING: [c_int; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT];
const HANDLED: [c_int; 6] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGTSTP,
    libc::SIGCONT,
];

extern "C" fn on_signal(sig: c_int) {
    let fd = WRITE_END.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    // write(2) is async-signal-safe; keep errno as the interrupted code had it.
    let byte = sig as u8;
    // SAFETY: errno is thread-local; the pointer is valid for this thread.
    unsafe {
        let errno = *libc::__errno_location();
        libc::write(fd, (&byte as *const u8).cast(), 1);
        *libc::__errno_location() = errno;
    }
}

/// Sets `sig`'s action to `handler` (a function or `SIG_DFL`).
fn set_action(sig: c_int, handler: libc::sighandler_t) -> io::Result<libc::sigaction> {
    // SAFETY: a zeroed sigaction is valid; the pointers outlive the calls.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler;
        act.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut act.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, &act, &mut old) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(old)
    }
}

fn handler() -> libc::sighandler_t {
    on_signal as extern "C" fn(c_int) as libc::sighandler_t
}

fn unblock(sig: c_int) {
    // SAFETY: plain calls on a local signal set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// The handlers and their thread; dropping them puts back the old actions.
pub struct Signals {
    old: Vec<(c_int, libc::sigaction)>,
    read: c_int,
    write: c_int,
    thread: Option<JoinHandle<()>>,
}

/// Installs the handlers; each signal then arrives as `Msg::Signal` on `tx`.
pub fn install(tx: Sender<Msg>) -> io::Result<Signals> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [read, write] = fds;
    // SAFETY: fcntl on descriptors this function just created.
    unsafe {
        for fd in fds {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        // A full pipe must never block a handler.
        let flags = libc::fcntl(write, libc::F_GETFL);
        libc::fcntl(write, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    WRITE_END.store(write, Ordering::SeqCst);
    let mut signals = Signals {
        old: vec![],
        read,
        write,
        thread: None,
    };
    for sig in HANDLED {
        signals.old.push((sig, set_action(sig, handler())?));
    }
    signals.thread = Some(std::thread::spawn(move || forward(read, tx)));
    Ok(signals)
}

/// Reads signal numbers from the pipe and sends them on; 0 means stop.
fn forward(read: c_int, tx: Sender<Msg>) {
    let mut terminating = false;
    loop {
        let mut byte = 0u8;
        // SAFETY: reads one byte into a local.
        let n = unsafe { libc::read(read, (&mut byte as *mut u8).cast(), 1) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 || byte == 0 {
            return;
        }
        let sig = c_int::from(byte);
        let msg = match sig {
            libc::SIGTSTP => Signal::Stop,
            libc::SIGCONT => Signal::Continue,
            _ if terminating => {
                // The loop did not act on the first one: act here.
                super::runtime::leave_terminal();
                die(sig);
            }
            _ => {
                terminating = true;
                Signal::Terminate(sig)
            }
        };
        if tx.send(Msg::Signal(msg)).is_err() && TERMINATING.contains(&sig) {
            // The loop is gone (the wizard is ending): die all the same.
            super::runtime::leave_terminal();
            die(sig);
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for (sig, old) in &self.old {
            // SAFETY: puts back the action sigaction returned before.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
        WRITE_END.store(-1, Ordering::SeqCst);
        let stop = 0u8;
        // SAFETY: writes one byte to, then closes, this struct's own pipe.
        unsafe { libc::write(self.write, (&stop as *const u8).cast(), 1) };
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // SAFETY: the thread is gone; nothing else uses these descriptors.
        unsafe {
            libc::close(self.read);
            libc::close(self.write);
        }
    }
}

/// Dies of `sig` with its default action, as if never caught (the shell
/// sees 128 + sig); exits with that status if the signal does not kill.
pub fn die(sig: c_int) -> ! {
    // No destructor runs past this point: a --demo node goes now.
    crate::demo::remove_current();
    let _ = set_action(sig, libc::SIG_DFL);
    unblock(sig);
    // SAFETY: raise has no preconditions.
    unsafe { libc::raise(sig) };
    std::process::exit(128 + sig)
}

/// Stops the process the way Ctrl-Z does in a cooked terminal; returns
/// once it is continued (`fg`). The caller gave the terminal back first.
pub fn stop_self() {
    let ours = WRITE_END.load(Ordering::SeqCst) >= 0;
    let _ = set_action(libc::SIGTSTP, libc::SIG_DFL);
    unblock(libc::SIGTSTP);
    // SAFETY: raise has no preconditions.
    unsafe { libc::raise(libc::SIGTSTP) };
    if ours {
        let _ = set_action(libc::SIGTSTP, handler());
    }
}

/// A shell with job control started us (in a process group of our own),
/// so a stopped wizard can be continued with `fg`. Without one, nobody
/// could: then Ctrl-Z does nothing.
pub fn job_control() -> bool {
    // SAFETY: both calls only read the process's ids.
    unsafe { libc::getpgrp() != libc::getsid(0) }
}
