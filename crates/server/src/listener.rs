//! The listener the server accepts connections from: at most `max_connections` open at once,
//! and a connection on which nothing has been written back for the idle timeout is closed when
//! it next waits for the client.
//!
//! Without these, every slow client (one that opens a connection and sends its request a byte
//! at a time, or never) holds a connection and its buffers for ever: 10,000 of them held
//! 300 MB and the count had no bound (docs/reliability.md). The limit bounds memory (further
//! clients wait in the kernel's listen backlog); the idle timeout frees the places that slow
//! clients hold, so that waiting clients get in.
//!
//! A request being answered is never cut: from the moment its headers are read (the request
//! middleware holds an [`InFlight`] guard on its connection's [`Conn`]) to its answer, the idle
//! timeout does not run, and the request deadline bounds that time instead. (hyper reads the
//! socket while a handler runs, to notice a client that has gone; without the guard, that read
//! failed with the idle timeout on a request waiting for a loaded server, and the client got
//! its connection closed with no answer.)

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// A [`TcpListener`] with a connection limit and an idle timeout.
pub(crate) struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl LimitedListener {
    pub(crate) fn new(inner: TcpListener, max_connections: usize, idle: Duration) -> Self {
        LimitedListener { inner, permits: Arc::new(Semaphore::new(max_connections)), idle }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Wait for a free place before taking the next connection off the backlog.
        let permit = Arc::clone(&self.permits).acquire_owned().await.expect("never closed");
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let _ = io.set_nodelay(true);
        (GuardedStream::new(io, permit, self.idle), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's requests being answered, and how many have been answered so far.
#[derive(Debug, Default)]
pub(crate) struct ConnState {
    in_flight: AtomicUsize,
    answered: AtomicUsize,
}

/// What the request middleware knows of the connection a request came on (axum's connect
/// info): lets it hold the idle timeout off while the request is answered.
#[derive(Clone, Debug, Default)]
pub(crate) struct Conn(Arc<ConnState>);

impl Conn {
    /// Holds the idle timeout off until the guard is dropped; the idle time then starts again
    /// from that moment (the answer is ready, and hyper writes it next).
    pub(crate) fn in_flight(&self) -> InFlight {
        self.0.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(&self.0))
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, LimitedListener>>
    for Conn
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, LimitedListener>) -> Self {
        Conn(Arc::clone(&stream.io().state))
    }
}

/// A request being answered on a connection (see [`Conn::in_flight`]).
pub(crate) struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        // Counted before the request leaves the flight, so a read that sees none in flight
        // sees this answer too.
        self.0.answered.fetch_add(1, Ordering::AcqRel);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An accepted connection: holds its place until dropped, and fails a read that waits past
/// the idle timeout (counted from the accept, from the last bytes written back, or from the
/// end of the last request answered) unless a request on it is being answered.
///
/// The end of a request counts: hyper reads while a message is under way (to notice a client
/// gone), and should it read between the handler's answer and writing it, a request that took
/// longer than the idle time since the accept would fail that read and lose its answer (a gap
/// found while looking into a failure of the slow-clients test, whose cause was the listen
/// backlog: docs/reliability.md).
pub(crate) struct GuardedStream {
    io: TcpStream,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    state: Arc<ConnState>,
    /// `state.answered` when the deadline was last set.
    answered: usize,
}

impl GuardedStream {
    fn new(io: TcpStream, permit: OwnedSemaphorePermit, idle: Duration) -> Self {
        let deadline = Box::pin(tokio::time::sleep(idle));
        let state = Arc::default();
        GuardedStream { io, _permit: permit, idle, deadline, state, answered: 0 }
    }

    fn progress(&mut self) {
        let at = Instant::now() + self.idle;
        self.deadline.as_mut().reset(at);
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(r) => Poll::Ready(r),
            // A request is being answered: its answer restarts the idle time.
            Poll::Pending if this.state.in_flight.load(Ordering::Acquire) > 0 => Poll::Pending,
            Poll::Pending => {
                let answered = this.state.answered.load(Ordering::Acquire);
                if answered != this.answered {
                    // A request was answered since the deadline was set: it restarts now.
                    this.answered = answered;
                    this.progress();
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "idle connection closed (nothing answered within the idle timeout)",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.progress();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.progress();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn listener(max: usize, idle: Duration) -> (LimitedListener, SocketAddr) {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        (LimitedListener::new(inner, max, idle), addr)
    }

    /// A silent client's connection fails its read once the idle time has passed.
    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_times_out() {
        use axum::serve::Listener;
        let (mut l, addr) = listener(4, Duration::from_secs(30)).await;
        let _client = TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = l.accept().await;
        let mut buf = [0u8; 8];
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    /// Bytes written back restart the idle time; bytes read do not (a client trickling its
    /// request a byte at a time is still closed).
    #[tokio::test(start_paused = true)]
    async fn only_answers_count_as_progress() {
        use axum::serve::Listener;
        let (mut l, addr) = listener(4, Duration::from_secs(30)).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = l.accept().await;
        client.write_all(b"G").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(conn.read(&mut buf).await.unwrap(), 1);
        tokio::time::advance(Duration::from_secs(20)).await;
        conn.write_all(b"answer").await.unwrap();
        tokio::time::advance(Duration::from_secs(20)).await;
        client.write_all(b"E").await.unwrap();
        assert_eq!(
            conn.read(&mut buf).await.unwrap(),
            1,
            "40 s after accept, 20 s after the answer"
        );
        assert_eq!(conn.read(&mut buf).await.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    /// A client and its accepted connection (idle timeout 30 s) whose request the server has
    /// read and is answering: the guard the request middleware holds meanwhile.
    async fn answering_a_request() -> (TcpStream, GuardedStream, InFlight) {
        use axum::serve::Listener;
        let (mut l, addr) = listener(4, Duration::from_secs(30)).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = l.accept().await;
        client.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(conn.read(&mut buf).await.unwrap(), 3);
        let answering = Conn(Arc::clone(&conn.state)).in_flight();
        (client, conn, answering)
    }

    /// While a request on the connection is answered (hyper reads meanwhile, to notice a client
    /// gone), the idle timeout does not cut it; the answer restarts the idle time.
    #[tokio::test(start_paused = true)]
    async fn a_request_being_answered_is_not_cut() {
        let (_client, mut conn, answering) = answering_a_request().await;
        let mut buf = [0u8; 8];
        let read = tokio::time::timeout(Duration::from_secs(120), conn.read(&mut buf)).await;
        assert!(read.is_err(), "a read ended while the request was answered: {read:?}");
        drop(answering);
        conn.write_all(b"answer").await.unwrap();
        let start = Instant::now();
        assert_eq!(conn.read(&mut buf).await.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed().as_secs(), 30, "the idle time restarts at the answer");
    }

    /// A request answered after the idle time has passed since the accept keeps its
    /// connection until its answer is written: a read between the answer and its write (hyper
    /// reads first) waits instead of failing, and the idle time runs again from the answer.
    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_is_not_cut_before_it_is_written() {
        let (mut client, mut conn, answering) = answering_a_request().await;
        let mut buf = [0u8; 8];
        tokio::time::advance(Duration::from_secs(45)).await;
        drop(answering);
        let read = tokio::time::timeout(Duration::from_secs(1), conn.read(&mut buf)).await;
        assert!(read.is_err(), "the read ended before the answer was written: {read:?}");
        conn.write_all(b"answer").await.unwrap();
        let mut got = [0u8; 6];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"answer");
        // Then idle as usual: 30 s after the answer, the connection is closed.
        let start = Instant::now();
        assert_eq!(conn.read(&mut buf).await.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed().as_secs(), 30);
    }

    /// The listener hands out at most `max` connections; closing one lets the next in.
    #[tokio::test]
    async fn at_most_max_connections_are_open() {
        use axum::serve::Listener;
        let (mut l, addr) = listener(2, Duration::from_secs(30)).await;
        let _c: Vec<TcpStream> = vec![
            TcpStream::connect(addr).await.unwrap(),
            TcpStream::connect(addr).await.unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        ];
        let (a, _) = l.accept().await;
        let (_b, _) = l.accept().await;
        let third = tokio::time::timeout(Duration::from_millis(200), l.accept()).await;
        assert!(third.is_err(), "a third connection was accepted past the limit");
        drop(a);
        let _third = l.accept().await;
    }
}
