//! Client connections, bounded: at most `QUIRE_MAX_CONNECTIONS` open at
//! once (past that the listener stops accepting until one closes), and each
//! closed once it has moved no byte either way for `QUIRE_IDLE_TIMEOUT_SECS`
//! — a connection that says nothing, stops halfway through a header, or
//! idles on keep-alive. So a crowd of silent connections cannot exhaust the
//! process's file descriptors and starve the database, the search index and
//! health checks.
//!
//! The idle rule lives here, on the socket, because the HTTP server's own
//! idle close waits for a half-read request to finish, which it never does.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// An acceptor that holds a permit for every connection it hands out.
pub struct Bounded<A> {
    inner: A,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl<A> Bounded<A> {
    pub fn new(inner: A, max: usize, idle: Duration) -> Self {
        Bounded {
            inner,
            permits: Arc::new(Semaphore::new(max.max(1))),
            idle,
        }
    }
}

impl<A: Acceptor> Acceptor for Bounded<A> {
    type Io = Counted<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        // Waits while every permit is out; the kernel's backlog holds
        // newcomers meanwhile.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(io::Error::other)?;
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((
            Counted {
                io,
                replacing: None,
                _permit: permit,
                idle: self.idle,
                deadline: Box::pin(tokio::time::sleep(self.idle)),
            },
            local,
            remote,
            scheme,
        ))
    }
}

/// A connection that gives its permit back when it closes, and fails its
/// reads once no byte has moved for the idle time.
pub struct Counted<T> {
    io: T,
    /// A problem document being written in place of the HTTP server's own
    /// bodiless error, and how many bytes to report for what it replaced.
    replacing: Option<(Vec<u8>, usize, usize)>,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> Counted<T> {
    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the connection was idle too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> Counted<T> {
    /// Writes the rest of a replacement answer; `Ready(Ok(n))` reports the
    /// replaced bytes as written once it is all out.
    fn drive_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some((bytes, done, reported)) = &mut self.replacing {
            if *done == bytes.len() {
                let n = *reported;
                self.replacing = None;
                return Poll::Ready(Ok(n));
            }
            match Pin::new(&mut self.io).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => *done += n,
                other => return other,
            }
        }
        Poll::Ready(Ok(0))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_none()
            && let Some(answer) = problem_for_bare_error(buf)
        {
            self.replacing = Some((answer, 0, buf.len()));
        }
        if self.replacing.is_some() {
            self.moved();
            return self.drive_replacement(cx);
        }
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            self.moved();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_none()
            && let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && bufs.iter().map(|b| b.len()).sum::<usize>() == first.len()
            && let Some(answer) = problem_for_bare_error(first)
        {
            self.replacing = Some((answer, 0, first.len()));
        }
        if self.replacing.is_some() {
            self.moved();
            return self.drive_replacement(cx);
        }
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            self.moved();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// When the HTTP server refuses a request it cannot parse (a URI over
/// 64 KiB, headers too many or too large, a malformed request line), it
/// answers by itself with an empty body, before any handler runs. Such an
/// answer is recognised by its head (one of those statuses, no body, no
/// content type: every answer of Quire's own has one) and replaced with
/// the same status as a problem document.
fn problem_for_bare_error(head: &[u8]) -> Option<Vec<u8>> {
    use crate::api::codes::Code;
    let (code, detail) = if head.starts_with(b"HTTP/1.1 431 ") {
        (
            Code::HeadersTooLarge,
            "the request's headers are too many or too large",
        )
    } else if head.starts_with(b"HTTP/1.1 414 ") {
        (Code::UriTooLong, "the request's URI is longer than 64 KiB")
    } else if head.starts_with(b"HTTP/1.1 400 ") {
        (Code::BadRequest, "the request is not well-formed HTTP")
    } else {
        return None;
    };
    // The whole write is one head and nothing else: a body chunk (say, a
    // media file that happens to start with such bytes) is never touched.
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != head.len() {
        return None;
    }
    let text = std::str::from_utf8(&head[..end]).ok()?.to_ascii_lowercase();
    if text.contains("\r\ncontent-type:") || !text.contains("\r\ncontent-length: 0") {
        return None;
    }
    let problem = crate::api::problem::ApiError::new(code, detail).to_problem();
    let body = serde_json::to_vec(&problem).ok()?;
    let status_line = &head[..head.windows(2).position(|w| w == b"\r\n")?];
    let mut out = Vec::with_capacity(body.len() + 160);
    out.extend_from_slice(status_line);
    out.extend_from_slice(
        format!(
            "\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::problem_for_bare_error;

    #[test]
    fn only_bodiless_parse_errors_are_replaced() {
        let bare =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(problem_for_bare_error(bare).unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(answer.contains("application/problem+json"));
        let body: serde_json::Value =
            serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(
            (body["status"].as_u64(), body["code"].as_str()),
            (Some(431), Some("headers_too_large"))
        );
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n";
        assert!(problem_for_bare_error(ours).is_none());
        let range = b"HTTP/1.1 416 Range Not Satisfiable\r\ncontent-length: 0\r\n\r\n";
        assert!(problem_for_bare_error(range).is_none());
        assert!(problem_for_bare_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        let mut with_more = bare.to_vec();
        with_more.extend_from_slice(b"and then some body bytes");
        assert!(
            problem_for_bare_error(&with_more).is_none(),
            "only a lone head is replaced"
        );
    }
}
