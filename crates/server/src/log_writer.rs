//! `cognate serve`'s log lines, written to standard output by a thread of their own. A request's
//! line is appended to a buffer and the thread writes whatever has gathered in one write: a busy
//! server makes one system call for many lines rather than one for each, and no request waits on
//! the terminal or the pipe behind standard output. Only the line that finds the buffer empty
//! wakes the thread, which then lets lines gather for ten milliseconds before it writes, so a busy
//! server wakes it at most about a hundred times a second rather than once a line. Nothing is
//! dropped: past 1 MiB waiting, a line waits for room, as it would for a full pipe; a process
//! killed outright loses the lines its thread had not yet written (at most ten milliseconds', plus
//! one write). The other commands write their lines directly.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;

/// Bytes that may wait to be written before a line waits for room.
const MAX_PENDING: usize = 1 << 20;
/// How long the thread lets lines gather after the first one wakes it.
const GATHER: std::time::Duration = std::time::Duration::from_millis(10);

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// The writing thread holds bytes it took from `pending` and has not written yet.
    writing: bool,
    /// Someone waits for what has gathered ([`written`]): no time to let more gather.
    flush_now: bool,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when bytes are added or the writer closes.
    added: Condvar,
    /// Signalled when the thread has written what it took.
    written: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

static ACTIVE: OnceLock<Arc<Shared>> = OnceLock::new();

/// The writer `tracing_subscriber::fmt` is given; a line is one `write_all`.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Writes what is left and stops the thread when dropped (at the end of `main`).
pub struct LogWriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writing thread. The first writer started is the one [`written`] waits for.
pub fn start() -> (LogWriter, LogWriterGuard) {
    let shared = Arc::new(Shared::default());
    let _ = ACTIVE.set(shared.clone());
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new().name("log-writer".into()).spawn(move || write_until_closed(&shared)).expect("start the log writer's thread")
    };
    (LogWriter { shared: shared.clone() }, LogWriterGuard { shared, thread: Some(thread) })
}

fn write_until_closed(shared: &Shared) {
    let mut taken = Vec::new();
    loop {
        {
            let mut state = shared.lock();
            while state.pending.is_empty() && !state.closed {
                state = shared.added.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.pending.is_empty() && state.closed {
                return;
            }
            if !state.closed && !state.flush_now {
                drop(state);
                std::thread::sleep(GATHER);
                state = shared.lock();
            }
            state.flush_now = false;
            std::mem::swap(&mut taken, &mut state.pending);
            state.writing = true;
        }
        let mut out = std::io::stdout().lock();
        // A closed or failing standard output loses the lines, as a direct write would.
        let _ = out.write_all(&taken).and_then(|()| out.flush());
        drop(out);
        taken.clear();
        shared.lock().writing = false;
        shared.written.notify_all();
    }
}

/// Waits until every line logged so far through the active writer is written, so that what
/// the caller prints next comes after them. Returns at once when no writer was started.
pub fn written() {
    let Some(shared) = ACTIVE.get() else { return };
    let mut state = shared.lock();
    while !state.pending.is_empty() || state.writing {
        state.flush_now = true;
        shared.added.notify_one();
        state = shared.written.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

impl Write for LogWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.lock();
        while state.pending.len() >= MAX_PENDING && !state.closed {
            state = self.shared.written.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let was_empty = state.pending.is_empty();
        state.pending.extend_from_slice(line);
        drop(state);
        // The thread waits only on an empty buffer; a line added to one that is not is written
        // with the rest.
        if was_empty {
            self.shared.added.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        self.clone()
    }
}

impl Drop for LogWriterGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.added.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_whole_and_in_order_and_written_before_the_guard_is_gone() {
        let shared = Arc::new(Shared::default());
        let mut writer = LogWriter { shared: shared.clone() };
        for index in 0..1000 {
            writer.write_all(format!("line {index}\n").as_bytes()).unwrap();
        }
        let state = shared.lock();
        let text = String::from_utf8(state.pending.clone()).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.lines().enumerate().all(|(index, line)| line == format!("line {index}")));
        drop(state);
        // A guard with no thread: closing lets a writer past the cap rather than wait forever.
        let guard = LogWriterGuard { shared: shared.clone(), thread: None };
        drop(guard);
        writer.write_all(&vec![b'x'; MAX_PENDING]).unwrap();
        writer.write_all(b"after the cap\n").unwrap();
        assert!(shared.lock().pending.ends_with(b"after the cap\n"));
    }
}
