//! `cognate serve`'s log lines, written to standard output by a thread of their own. A request's
//! line is appended to a buffer and the thread writes whatever has gathered in one write: a busy
//! server makes one system call for many lines rather than one for each, and no request waits on
//! the terminal or the pipe behind standard output. Only the line that finds the buffer empty
//! wakes the thread, which then lets lines gather for ten milliseconds before it writes, so a busy
//! server wakes it at most about a hundred times a second rather than once a line. Nothing is
//! dropped: past 1 MiB waiting, a line waits for room, as it would for a full pipe; a process
//! killed outright loses the lines its thread had not yet written (at most ten milliseconds', plus
//! one write). The other commands write their lines directly.
//!
//! A request's line, the one line every request logs, does not go through the subscriber's
//! formatter when it would come out plain ([`write_request_lines_directly`]): [`request_line`]
//! writes it into the buffer in the same form, text or JSON, at a fraction of the cost.

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

/// The form of the request lines [`request_line`] writes, once they are to be written directly.
static DIRECT: OnceLock<LineForm> = OnceLock::new();

/// How the subscriber writes its lines (`--log-format`), which a directly written request line copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LineForm {
    // `2026-12-07T21:32:26.163569Z  INFO request request_id=… status=200 …`, without colours.
    Text,
    // One JSON object a line, the event's fields flattened beside `timestamp`, `level` and `message`.
    Json,
}

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

/// Logs to standard output in `form`, filtered by `COGNATE_LOG` (default `info,sqlx=warn`), with
/// colours when standard output is a terminal. For `serve` (`serving`), through the writing thread,
/// whose guard is returned, with plain request lines written directly; otherwise directly.
pub fn init(form: LineForm, serving: bool) -> Option<LogWriterGuard> {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::util::SubscriberInitExt;
    let (writer, guard) = match serving {
        true => {
            let (writer, guard) = start();
            (BoxMakeWriter::new(writer), Some(guard))
        }
        false => (BoxMakeWriter::new(std::io::stdout), None),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COGNATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    subscriber(form, ansi, filter, writer).init();
    // Request lines in colour are left to the subscriber; plain ones are written directly.
    if serving && !(ansi && form == LineForm::Text) {
        write_request_lines_directly(form);
    }
    guard
}

/// The subscriber that formats every line but the request lines written directly: `ansi` colours
/// text lines.
pub fn subscriber<W>(form: LineForm, ansi: bool, filter: tracing_subscriber::EnvFilter, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(writer);
    match form {
        LineForm::Text => Box::new(builder.with_ansi(ansi).finish()),
        LineForm::Json => Box::new(builder.json().flatten_event(true).with_current_span(false).finish()),
    }
}

/// From now on, [`request_line`] writes request lines in `form` through the active writer. For
/// `serve`, when its subscriber writes plain lines (no colours) through the writer.
fn write_request_lines_directly(form: LineForm) {
    let _ = DIRECT.set(form);
}

/// What a request's line says.
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub operation: &'a str,
    pub status: u16,
    pub error: &'a str,
    pub latency: std::time::Duration,
}

/// Writes a request's line directly, as the subscriber would have written
/// `info!(request_id = %…, method = %…, path = %…, operation, status, error, latency_ms = …, "request")`.
/// False when lines are not written directly (the caller logs through the subscriber).
pub fn request_line(line: &RequestLine<'_>, now: std::time::SystemTime) -> bool {
    let (Some(form), Some(shared)) = (DIRECT.get(), ACTIVE.get()) else { return false };
    shared.append(format_request_line(*form, line, now).as_bytes());
    true
}

pub(crate) fn format_request_line(form: LineForm, line: &RequestLine<'_>, now: std::time::SystemTime) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(256);
    let latency_ms = line.latency.as_secs_f64() * 1000.0;
    let _ = match form {
        LineForm::Text => writeln!(
            text,
            "{}  INFO request request_id={} method={} path={} operation={:?} status={} error={:?} latency_ms={latency_ms:.3}",
            Timestamp(now),
            line.request_id,
            line.method,
            line.path,
            line.operation,
            line.status,
            line.error,
        ),
        LineForm::Json => writeln!(
            text,
            r#"{{"timestamp":"{}","level":"INFO","message":"request","request_id":{},"method":{},"path":{},"operation":{},"status":{},"error":{},"latency_ms":"{latency_ms:.3}"}}"#,
            Timestamp(now),
            JsonString(line.request_id),
            JsonString(line.method),
            JsonString(line.path),
            JsonString(line.operation),
            line.status,
            JsonString(line.error),
        ),
    };
    text
}

/// A JSON string, quoted and escaped.
struct JsonString<'a>(&'a str);

impl std::fmt::Display for JsonString<'_> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A `String` serializes to JSON without fail.
        out.write_str(&serde_json::to_string(self.0).unwrap_or_default())
    }
}

/// A UTC time as RFC 3339 with microseconds, the subscriber's timestamp: `2026-12-07T21:32:26.163569Z`.
struct Timestamp(std::time::SystemTime);

impl std::fmt::Display for Timestamp {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since_epoch = self.0.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seconds = since_epoch.as_secs();
        let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
        let (year, month, day) = cognate_domain::clock::civil_from_days(days as i64);
        write!(
            out,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
            since_epoch.subsec_micros()
        )
    }
}

impl Write for LogWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.shared.append(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn append(&self, line: &[u8]) {
        let mut state = self.lock();
        while state.pending.len() >= MAX_PENDING && !state.closed {
            state = self.written.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let was_empty = state.pending.is_empty();
        state.pending.extend_from_slice(line);
        drop(state);
        // The thread waits only on an empty buffer; a line added to one that is not is written
        // with the rest.
        if was_empty {
            self.added.notify_one();
        }
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

    #[test]
    fn timestamps_are_utc_rfc_3339_with_microseconds() {
        let at = |seconds: u64, micros: u64| Timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_micros(seconds * 1_000_000 + micros)).to_string();
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(1_796_679_146, 163_569), "2026-12-07T21:32:26.163569Z");
        assert_eq!(at(4_107_542_399, 999_999), "2100-02-28T23:59:59.999999Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }
}
