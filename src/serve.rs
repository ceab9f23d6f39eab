//! The HTTP server loop. poem's own `Server` hands each connection to
//! hyper through a boxed stream split in two halves, which cannot write
//! vectored: hyper then copies every response body into its own buffer
//! before writing it, and each read and write takes the split's lock.
//! Here hyper serves the socket itself (HTTP/1.1, or HTTP/2 with prior
//! knowledge, as poem does), so a cached body goes out with its head in
//! one `writev`, never copied.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use poem::http::Request as HttpRequest;
use poem::listener::Acceptor;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Serves `ep` on what `acceptor` accepts until `signal`; then stops
/// accepting, lets each connection finish the requests it has begun, and
/// returns once they are done or `drain` has passed.
pub async fn serve<A, E>(
    mut acceptor: A,
    ep: E,
    signal: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()>
where
    A: Acceptor,
    A::Io: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let ep = Arc::new(ep.into_endpoint().map_to_response());
    let stop = Stop::default();
    let connections = TaskTracker::new();
    tokio::pin!(signal);
    loop {
        let accepted = tokio::select! {
            _ = &mut signal => break,
            accepted = acceptor.accept() => accepted,
        };
        let (io, local, remote, scheme) = match accepted {
            Ok(accepted) => accepted,
            // Out of file descriptors, say: wait a moment instead of
            // spinning on the error.
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(ACCEPT_RETRY).await;
                continue;
            }
        };
        let service = hyper::service::service_fn({
            let ep = ep.clone();
            move |req: HttpRequest<Incoming>| {
                let ep = ep.clone();
                let req = Request::from((req, local.clone(), remote.clone(), scheme.clone()));
                async move {
                    let resp = ep.get_response(req).await;
                    Ok::<_, Infallible>(hyper::Response::<Body>::from(resp))
                }
            }
        });
        connections.spawn(connection(io, service, stop.clone()));
    }
    drop(acceptor);
    stop.closing.cancel();
    connections.close();
    if tokio::time::timeout(drain, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "connections still busy after the drain time; closing them"
        );
        stop.cut.cancel();
        connections.wait().await;
    }
    Ok(())
}

/// How long to wait after a failed accept.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

/// A response body as poem hands it to hyper.
type Body = BoxBody<Bytes, io::Error>;

/// How a stopping server tells its connections: `closing` to finish what
/// they have begun and take nothing new, `cut` to close now.
#[derive(Clone, Default)]
struct Stop {
    closing: CancellationToken,
    cut: CancellationToken,
}

/// One connection, served until the client closes it or the server stops.
async fn connection<Io, S>(io: Io, service: S, stop: Stop)
where
    Io: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    S: hyper::service::Service<
            HttpRequest<Incoming>,
            Response = hyper::Response<Body>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.closing.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn => {}
        _ = stop.cut.cancelled() => {}
    }
}
