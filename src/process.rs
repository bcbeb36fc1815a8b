//! Running other programs with a deadline: a hung binary never hangs
//! ctrwiz. Output is read on threads so a chatty child cannot block on a
//! full pipe.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finished {
    /// `None` when the program was killed at the deadline or by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout and stderr together, for messages and logs.
    pub fn output(&self) -> String {
        let mut s = self.stdout.trim_end().to_string();
        if !self.stderr.trim().is_empty() {
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(self.stderr.trim_end());
        }
        s
    }
}

pub fn run(cmd: &mut Command, timeout: Duration) -> std::io::Result<Finished> {
    use std::os::unix::process::CommandExt;
    // Its own process group, so the deadline kills what it started too.
    cmd.process_group(0);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // ETXTBSY: a file just written is still open in a child another thread
    // forked and has not exec'd yet; it clears within milliseconds.
    let mut tries = 0;
    let mut child = loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 20 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => break other?,
        }
    };
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped")));
    let err = reader(Box::new(child.stderr.take().expect("piped")));
    // A waiter thread reaps the child and reports at once; the caller waits
    // on a channel with a deadline (no polling latency).
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (status, timed_out) = match rx.recv_timeout(timeout) {
        Ok(status) => (Some(status?), false),
        Err(_) => {
            // Not reaped yet (the waiter has not returned), so the pid is
            // still this child's.
            // SAFETY: kill(2) on the group of a child we spawned (its pid
            // is the group's id).
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            let _ = rx.recv_timeout(Duration::from_secs(5));
            (None, true)
        }
    };
    // A killed child may leave a grandchild holding the pipe open; do not
    // wait for its output past the deadline.
    let collect = |h: std::thread::JoinHandle<String>| {
        if timed_out && !h.is_finished() {
            String::new()
        } else {
            h.join().unwrap_or_default()
        }
    };
    Ok(Finished {
        code: status.and_then(|s| s.code()),
        stdout: collect(out),
        stderr: collect(err),
        timed_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_program_is_killed_at_the_deadline() {
        let t = std::time::Instant::now();
        let f = run(Command::new("sleep").arg("10"), Duration::from_millis(200)).unwrap();
        assert!(f.timed_out && f.code.is_none());
        assert!(t.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn output_and_exit_code_are_kept() {
        let f = run(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            (f.code, f.stdout.as_str(), f.stderr.as_str()),
            (Some(3), "out\n", "err\n")
        );
        assert_eq!(f.output(), "out\nerr");
    }
}
