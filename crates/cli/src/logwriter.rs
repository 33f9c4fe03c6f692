//! The log's writer: lines gathered in memory by the threads that log them and written to
//! standard error in batches by a thread of its own.
//!
//! A server logs a line for every request. Handing each line to a logging thread on its own
//! (as `tracing-appender` does, through a channel) wakes that thread once a line: a futex
//! wake, a context switch and a `write` per request, about a tenth of the server's CPU at
//! 1,000 requests a second on a two-core virtual machine (BENCHMARKS.md §4). Here a line is
//! appended to a shared buffer under a short lock, and the writer thread, once woken by the
//! first line after a quiet spell, waits up to [`LogWriter::INTERVAL`] for more and writes
//! them all with one `write`: at most a wake-up and a write per interval, however many lines.
//!
//! - **Nothing is lost**: a thread logging into a full buffer ([`LogWriter::CAP`]) waits for
//!   the writer; the guard's drop writes what is left and joins the thread (lines logged
//!   after that are dropped, there being no writer left).
//! - **Failures are not held back**: a line at `WARN` or `ERROR` wakes the writer at once.
//! - **Order is kept**: lines are written in the order their threads appended them.
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// The buffer and the writer thread's state, under one lock.
#[derive(Default)]
struct State {
    data: Vec<u8>,
    /// A line that should not wait for the interval (a warning or an error) is in `data`.
    urgent: bool,
    /// The writer thread sleeps until told (nothing to write): the next line wakes it.
    idle: bool,
    /// The guard was dropped: write what is left and stop.
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread.
    wake: Condvar,
    /// Wakes threads waiting for room in a full buffer.
    room: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while appending left whole lines or part of one; logging
        // goes on rather than failing every later line.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A [`MakeWriter`] for `tracing_subscriber::fmt` that hands lines to the writer thread
/// (module docs). Cheap to clone.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Keeps the writer thread; dropping it writes the lines left and waits for the thread.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriter {
    /// How long the writer thread gathers lines after the first one before writing them, by
    /// default.
    pub const INTERVAL: Duration = Duration::from_millis(20);
    /// From this many bytes waiting, the writer is woken without waiting for the interval.
    pub const HIGH: usize = 256 * 1024;
    /// A line appended to this many bytes waiting waits for the writer first.
    pub const CAP: usize = 4 * 1024 * 1024;

    /// Starts the writer thread (named `name`) writing to `out`, gathering lines for
    /// `interval` ([`LogWriter::INTERVAL`]) before each write.
    pub fn spawn<W: Write + Send + 'static>(
        name: &str,
        out: W,
        interval: Duration,
    ) -> std::io::Result<(LogWriter, LogGuard)> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            room: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let thread =
            std::thread::Builder::new().name(name.into()).spawn(move || run(&s, out, interval))?;
        Ok((LogWriter { shared: Arc::clone(&shared) }, LogGuard { shared, thread: Some(thread) }))
    }

    fn append(&self, line: &[u8], urgent: bool) {
        let mut st = self.shared.lock();
        if st.closed {
            // The guard is gone (the command is ending) and so is the writer thread: a line
            // logged now has nowhere to go, as with `tracing-appender`.
            return;
        }
        while st.data.len() >= Self::CAP && !st.closed {
            // Full: make sure the writer is on it, then wait for room.
            self.shared.wake.notify_one();
            st = self.shared.room.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.data.extend_from_slice(line);
        st.urgent |= urgent;
        // Wake the writer only when it would not come by itself soon: asleep with nothing
        // to write, or holding lines that should not wait.
        if st.idle || st.urgent || st.data.len() >= Self::HIGH {
            st.idle = false;
            self.shared.wake.notify_one();
        }
    }
}

/// The writer thread: sleeps while there is nothing to write; once there is, waits up to the
/// interval for more (unless urgent or plenty), then writes everything in one go.
fn run<W: Write>(shared: &Shared, mut out: W, interval: Duration) {
    let mut spare = Vec::new();
    let mut st = shared.lock();
    loop {
        if st.data.is_empty() {
            if st.closed {
                break;
            }
            st.idle = true;
            st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
            continue;
        }
        if !(st.urgent || st.closed || st.data.len() >= LogWriter::HIGH) {
            st = shared.wake.wait_timeout(st, interval).unwrap_or_else(|e| e.into_inner()).0;
        }
        std::mem::swap(&mut st.data, &mut spare);
        st.urgent = false;
        drop(st);
        shared.room.notify_all();
        // Standard error gone (a closed pipe): nothing better to do with a log line.
        let _ = out.write_all(&spare).and_then(|()| out.flush());
        spare.clear();
        if spare.capacity() > LogWriter::CAP {
            // Not keep a burst's buffer for ever.
            spare = Vec::new();
        }
        st = shared.lock();
    }
    drop(st);
    let _ = out.flush();
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        self.shared.room.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One line's writer: `tracing_subscriber::fmt` formats an event into its own buffer and
/// writes it with one `write_all`, appended here whole.
pub struct LineWriter {
    to: LogWriter,
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.to.append(buf, self.urgent);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.to.append(buf, self.urgent);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter { to: self.clone(), urgent: false }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LineWriter {
        LineWriter { to: self.clone(), urgent: *meta.level() <= Level::WARN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test can read while the writer thread holds its other end, counting writes.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut s = self.0.lock().unwrap();
            s.0.extend_from_slice(buf);
            s.1 += 1;
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_whole_and_in_each_threads_order() {
        let sink = Sink::default();
        let (writer, guard) =
            LogWriter::spawn("test-log", sink.clone(), LogWriter::INTERVAL).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let w = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        let line = format!("thread {t} line {i} {}\n", "x".repeat(i % 200));
                        w.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let (data, writes) = sink.0.lock().unwrap().clone();
        let text = String::from_utf8(data).unwrap();
        let mut next = [0usize; 4];
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let (t, i): (usize, usize) = (f[1].parse().unwrap(), f[3].parse().unwrap());
            assert_eq!(i, next[t], "thread {t}'s lines out of order");
            assert_eq!(f[4].len(), i % 200);
            next[t] += 1;
        }
        assert_eq!(next, [5_000; 4], "every line written once");
        // Batched: far fewer writes than lines.
        assert!(writes < 20_000 / 4, "{writes} writes for 20,000 lines");
    }

    #[test]
    fn a_full_buffer_makes_the_logger_wait_not_drop() {
        // Lines past CAP while the writer is slow: every one arrives.
        struct Slow(Sink);
        impl Write for Slow {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                std::thread::sleep(Duration::from_millis(5));
                self.0.write(buf)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let (writer, guard) =
            LogWriter::spawn("test-log", Slow(sink.clone()), LogWriter::INTERVAL).unwrap();
        let line = vec![b'y'; 64 * 1024 - 1];
        for _ in 0..3 * LogWriter::CAP / line.len() {
            let mut w = writer.make_writer();
            w.write_all(&line).unwrap();
            w.write_all(b"\n").unwrap();
        }
        drop(guard);
        let data = sink.0.lock().unwrap().0.clone();
        assert_eq!(data.len(), 3 * LogWriter::CAP / line.len() * (line.len() + 1));
        assert!(data.split(|&b| b == b'\n').all(|l| l.is_empty() || l.len() == line.len()));
    }

    /// Polls `sink` until it holds `want` (5 s at most).
    fn wait_for(sink: &Sink, want: &str) {
        for _ in 0..500 {
            if String::from_utf8_lossy(&sink.0.lock().unwrap().0).contains(want) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{want:?} was not written within 5 s");
    }

    #[test]
    fn lines_are_written_without_the_guard_being_dropped() {
        // The writer thread writes on its own after the interval, not only at the end.
        let sink = Sink::default();
        let (writer, _guard) =
            LogWriter::spawn("test-log", sink.clone(), Duration::from_millis(10)).unwrap();
        writer.make_writer().write_all(b"one\n").unwrap();
        wait_for(&sink, "one\n");
    }

    #[test]
    fn lines_after_the_guard_are_dropped_not_kept() {
        let sink = Sink::default();
        let (writer, guard) =
            LogWriter::spawn("test-log", sink.clone(), LogWriter::INTERVAL).unwrap();
        writer.make_writer().write_all(b"before\n").unwrap();
        drop(guard);
        writer.make_writer().write_all(b"after\n").unwrap();
        assert_eq!(sink.0.lock().unwrap().0, b"before\n");
        assert!(writer.shared.lock().data.is_empty(), "nothing held in memory");
    }

    #[test]
    fn warnings_are_written_at_once() {
        // Gathering for an hour: a warning is still written now, with the lines before it.
        let sink = Sink::default();
        let (writer, _guard) =
            LogWriter::spawn("test-log", sink.clone(), Duration::from_secs(3600)).unwrap();
        let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("routine");
            tracing::warn!("something failed");
        });
        wait_for(&sink, "something failed");
        assert!(String::from_utf8_lossy(&sink.0.lock().unwrap().0).contains("routine"));
    }
}
