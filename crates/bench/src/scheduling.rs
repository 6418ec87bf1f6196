//! The load generator's threads in Linux's batch scheduling class, so that the load disturbs the
//! server it measures as little as it can.
//!
//! `cognate-load` shares the machine's cores with the server. A thread in the normal class that
//! a response wakes preempts whatever runs on its core, which is most often a server thread in
//! the middle of a request: the switch, and the caches the load generator leaves behind, are then
//! charged to the server's CPU time, a cost a server whose clients run elsewhere does not pay. A
//! batch thread is never scheduled ahead of a running thread when it wakes; it runs when a core
//! is free or at the next tick. Children started from here (`startup`'s servers) go back to the
//! normal class (`--reset-on-fork`).
//!
//! The yardstick that signs beside the load ([`crate::server_cpu`]) stands for a server thread,
//! so its thread goes back to the normal class ([`as_a_normal_thread`]): it is preempted as the
//! server's threads are, and a batch yardstick would sign slower than they can.
//!
//! The class is set with util-linux's `chrt` on every thread of this process (the runtime's
//! threads exist before `main`'s body runs; threads started later inherit it), which keeps the
//! crate free of `unsafe`.

use std::process::Command;

/// How the load's threads are scheduled, printed once at the start.
pub(crate) fn yield_to_the_server(normal_scheduling: bool) {
    if normal_scheduling {
        eprintln!("load threads: normal scheduling class (--normal-scheduling)");
        return;
    }
    let pid = std::process::id().to_string();
    let outcome = Command::new("chrt").args(["--batch", "--reset-on-fork", "--all-tasks", "--pid", "0", &pid]).output();
    match outcome {
        Ok(output) if output.status.success() => eprintln!("load threads: batch scheduling class (SCHED_BATCH; --normal-scheduling to keep the normal class)"),
        Ok(output) => eprintln!("load threads: normal scheduling class (chrt failed: {})", String::from_utf8_lossy(&output.stderr).trim()),
        Err(error) => eprintln!("load threads: normal scheduling class (chrt could not run: {error})"),
    }
}

/// Puts the calling thread back in the normal scheduling class (its id is the last part of
/// `/proc/thread-self`'s target, `PID/task/TID`).
pub(crate) fn as_a_normal_thread() {
    let Ok(link) = std::fs::read_link("/proc/thread-self") else { return };
    let Some(tid) = link.file_name().and_then(|name| name.to_str()).map(str::to_string) else { return };
    let _ = Command::new("chrt").args(["--other", "--reset-on-fork", "--pid", "0", &tid]).output();
}

#[cfg(test)]
mod tests {
    /// `chrt --pid` on this process reads back the batch class for the whole process.
    #[test]
    fn every_thread_of_the_process_runs_as_a_batch_thread() {
        let worker = std::thread::spawn(|| std::thread::park_timeout(std::time::Duration::from_secs(5)));
        super::yield_to_the_server(false);
        let pid = std::process::id().to_string();
        let shown = std::process::Command::new("chrt").args(["--all-tasks", "--pid", &pid]).output().expect("chrt runs");
        let shown = String::from_utf8(shown.stdout).unwrap();
        let lines: Vec<&str> = shown.lines().filter(|line| line.contains("scheduling policy")).collect();
        assert!(lines.len() >= 2, "the main thread and the worker: {shown}");
        assert!(lines.iter().all(|line| line.contains("SCHED_BATCH")), "{shown}");
        worker.thread().unpark();
        worker.join().unwrap();
        // A thread put back in the normal class; the others stay batch threads.
        let yardstick = std::thread::spawn(|| {
            super::as_a_normal_thread();
            let tid = std::fs::read_link("/proc/thread-self").unwrap().file_name().unwrap().to_str().unwrap().to_string();
            let own = std::process::Command::new("chrt").args(["--pid", &tid]).output().unwrap();
            String::from_utf8(own.stdout).unwrap()
        });
        let own = yardstick.join().unwrap();
        assert!(own.contains("SCHED_OTHER"), "{own}");
        let main = std::process::Command::new("chrt").args(["--pid", &pid]).output().unwrap();
        assert!(String::from_utf8(main.stdout).unwrap().contains("SCHED_BATCH"));
    }
}
