//! Knowing when a submit's reply has left the driver, so that the submit completes (its
//! staging folder loses the submit marker) only once the client can have its answer.
//!
//! A handler's return is not the client's answer: tonic still has to encode the reply, hand it
//! to HTTP/2, which hands it to TLS and the socket, and a driver killed in between leaves a
//! client without its application id. [`ReplyTracking`] wraps the driver's gRPC service: for
//! each `submit` call it puts a [`ReplySent`] notice into the request's extensions. When the
//! reply's last frame (the trailers, which carry the gRPC status) has been taken by HTTP/2,
//! the notice resolves to a [`ReplyMark`]: the bytes the connection had written by then
//! (`net::Written`). [`ReplyMark::on_the_wire`] then waits until the connection writes more,
//! which is the write carrying those frames: bytes the kernel took reach the client even if
//! the driver dies right after. A reply that is dropped instead (the connection closed, the
//! process dying) never resolves the notice. A call that did not come through the wrapper
//! (the driver service called in process) carries no notice: its answer is the handler's
//! return.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::codegen::{Body as _, Bytes, Service};
use tonic::server::NamedService;

/// How long a reply may take to reach the socket once HTTP/2 has it.
pub const WIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The gRPC path whose replies are tracked.
const SUBMIT_PATH: &str = "/skein.Driver/submit";

/// The notice a tracked call finds in its request's extensions: resolves once its reply has
/// been handed to HTTP/2, fails when the reply was dropped.
#[derive(Debug, Clone)]
pub struct ReplySent(Arc<Mutex<Option<oneshot::Receiver<ReplyMark>>>>);

impl ReplySent {
    /// The receiver of the notice; the first call takes it.
    pub fn take(&self) -> Option<oneshot::Receiver<ReplyMark>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Where a reply stood when HTTP/2 took its last frame: what its connection had written.
#[derive(Debug)]
pub struct ReplyMark {
    connection: Option<(Arc<crate::net::Written>, u64)>,
}

impl ReplyMark {
    /// Waits until the connection has written the reply (true), or closed before, or wrote
    /// nothing for [`WIRE_TIMEOUT`] (false: a client that stopped reading). A connection that
    /// does not count its writes (not the driver's acceptor) is trusted.
    pub async fn on_the_wire(self) -> bool {
        match self.connection {
            Some((written, mark)) => tokio::time::timeout(WIRE_TIMEOUT, written.beyond(mark))
                .await
                .unwrap_or(false),
            None => true,
        }
    }
}

/// A gRPC service whose `submit` replies fire a [`ReplySent`] notice.
#[derive(Debug, Clone)]
pub struct ReplyTracking<S>(pub S);

impl<S: NamedService> NamedService for ReplyTracking<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for ReplyTracking<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        if request.uri().path() != SUBMIT_PATH {
            return Box::pin(self.0.call(request));
        }
        let written = request
            .extensions()
            .get::<tonic::transport::server::TlsConnectInfo<crate::net::ConnectionInfo>>()
            .map(|info| Arc::clone(&info.get_ref().written));
        let (sent, notice) = oneshot::channel();
        request
            .extensions_mut()
            .insert(ReplySent(Arc::new(Mutex::new(Some(notice)))));
        let reply = self.0.call(request);
        Box::pin(async move {
            let reply = reply.await?;
            // An error is a "trailers-only" reply: the status travels in the headers and the
            // body is empty. It completes no submit, and wrapping its body would make HTTP/2
            // send an empty DATA frame after those headers, which grpcio (the Python client)
            // rejects ("Stream removed").
            if reply.headers().contains_key("grpc-status") || reply.body().is_end_stream() {
                return Ok(reply);
            }
            Ok(reply.map(|body| {
                Body::new(NotifyAtEnd {
                    body,
                    sent: Some(sent),
                    written,
                })
            }))
        })
    }
}

/// A reply body that fires its notice when the last frame (the trailers) or the end has been
/// taken from it.
struct NotifyAtEnd {
    body: Body,
    sent: Option<oneshot::Sender<ReplyMark>>,
    written: Option<Arc<crate::net::Written>>,
}

impl tonic::codegen::Body for NotifyAtEnd {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        let last = match &polled {
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(frame))) => frame.is_trailers(),
            Poll::Ready(Some(Err(_))) => {
                // A broken reply: no notice, as for a dropped one.
                self.sent = None;
                false
            }
            Poll::Pending => false,
        };
        if last && let Some(sent) = self.sent.take() {
            let connection = self.written.take().map(|w| {
                let mark = w.bytes();
                (w, mark)
            });
            // The handler may have stopped waiting (it failed): nothing to tell then.
            let _ = sent.send(ReplyMark { connection });
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        // Never "ended" before the notice fired: `Body::new` would drop an ended body unpolled.
        self.sent.is_none() && self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
