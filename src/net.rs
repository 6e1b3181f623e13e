//! Network plumbing shared by the driver's and the ApplicationMaster's gRPC servers: the
//! mutual-TLS acceptor, and connections that count the bytes they hand to the kernel, so that
//! the driver can tell when a reply has left (driver/reply.rs).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::Stream;
use tonic::transport::server::Connected;

/// What a connection has written to its socket so far. Bytes the kernel took are delivered
/// even should this process die right after.
#[derive(Debug, Default)]
pub(crate) struct Written {
    bytes: AtomicU64,
    closed: AtomicBool,
    changed: tokio::sync::Notify,
}

impl Written {
    /// Bytes written so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::SeqCst)
    }

    /// Waits until more than `mark` bytes have been written (true), or the connection closed
    /// first (false).
    pub(crate) async fn beyond(&self, mark: u64) -> bool {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so that no write between the look and the wait is lost.
            changed.as_mut().enable();
            if self.bytes() > mark {
                return true;
            }
            if self.closed.load(Ordering::SeqCst) {
                return false;
            }
            changed.await;
        }
    }

    fn add(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

/// A TCP connection that counts what it writes ([`Written`]).
#[derive(Debug)]
pub(crate) struct CountingStream {
    inner: TcpStream,
    written: Arc<Written>,
}

impl Drop for CountingStream {
    fn drop(&mut self) {
        self.written.closed.store(true, Ordering::SeqCst);
        self.written.changed.notify_waiters();
    }
}

/// A connection's information in each request's extensions (inside tonic's `TlsConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct ConnectionInfo {
    /// What the connection has written.
    pub(crate) written: Arc<Written>,
}

impl Connected for CountingStream {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        ConnectionInfo {
            written: Arc::clone(&self.written),
        }
    }
}

impl AsyncRead for CountingStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountingStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            self.written.add(*n);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &polled {
            self.written.add(*n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The mutual-TLS connections `listener` accepts for `server` (`"driver"`, `"application
/// master"`), each handshake on its own task so a slow client holds up no other. A refused
/// handshake (wrong or missing certificate, not TLS, too slow) is logged with the peer's
/// address and the reason, and the connection dropped.
pub(crate) fn tls_incoming(
    listener: TcpListener,
    config: std::sync::Arc<rustls::ServerConfig>,
    server: &'static str,
) -> impl Stream<Item = std::io::Result<tokio_rustls::server::TlsStream<CountingStream>>> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                // The server stopped and dropped the stream.
                () = tx.closed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    tracing::warn!("{server}: accepting a connection failed: {e}");
                    continue;
                }
            };
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("{server}: cannot set TCP_NODELAY for {peer}: {e}");
            }
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            let stream = CountingStream {
                inner: stream,
                written: Arc::default(),
            };
            tokio::spawn(async move {
                let handshake = acceptor.accept(stream);
                match tokio::time::timeout(crate::security::tls::HANDSHAKE_TIMEOUT, handshake).await
                {
                    Ok(Ok(tls)) => {
                        let _ = tx.send(Ok(tls)).await;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!("{server}: refused a connection from {peer}: {e}");
                    }
                    Err(_) => tracing::warn!(
                        "{server}: refused a connection from {peer}: no TLS handshake within {:?}",
                        crate::security::tls::HANDSHAKE_TIMEOUT
                    ),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::{Credentials, tls};
    use tokio_stream::StreamExt;

    async fn handshake(
        address: std::net::SocketAddr,
        config: rustls::ClientConfig,
    ) -> std::io::Result<()> {
        let tcp = TcpStream::connect(address).await?;
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        connector
            .connect(tls::skein_server_name(), tcp)
            .await
            .map(drop)
    }

    #[tokio::test]
    async fn a_connection_tells_when_it_wrote_more_or_closed() {
        use tokio::io::AsyncWriteExt;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (client, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
        let _client = client.expect("connect");
        let mut stream = CountingStream {
            inner: accepted.expect("accept").0,
            written: Arc::default(),
        };
        let written = Arc::clone(&stream.written);
        let mark = written.bytes();
        let waiting = tokio::spawn({
            let written = Arc::clone(&written);
            async move { written.beyond(mark).await }
        });
        stream.write_all(b"reply").await.expect("write");
        assert!(waiting.await.expect("join"), "the write was seen");
        assert_eq!(written.bytes(), 5);
        let waiting = tokio::spawn({
            let written = Arc::clone(&written);
            async move { written.beyond(5).await }
        });
        drop(stream);
        assert!(!waiting.await.expect("join"), "closed without writing more");
    }

    #[tokio::test]
    async fn only_holders_of_the_key_pair_get_through_and_with_nodelay_set() {
        let ours = Credentials::generate().expect("credentials");
        let theirs = Credentials::generate().expect("credentials");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let config = tls::server_config(&ours).expect("server config");
        let mut incoming = Box::pin(tls_incoming(listener, config, "test"));

        // A stranger's handshake fails and yields no connection ...
        let stranger = tls::client_config_with(ours.cert_der(), Some(&theirs)).expect("config");
        // (A TLS 1.3 client learns of the refusal only when it reads, so its result is moot.)
        let _ = handshake(address, stranger).await;
        // ... while ours is served next, TCP_NODELAY set (Nagle would delay small replies).
        let client = tls::client_config(&ours).expect("config");
        let (served, accepted) = tokio::join!(handshake(address, client), incoming.next());
        served.expect("our handshake");
        let stream = accepted.expect("a connection").expect("accepted");
        let (tcp, session) = stream.get_ref();
        assert!(tcp.inner.nodelay().expect("read the option"));
        assert!(
            session
                .peer_certificates()
                .is_some_and(|c| c[0] == *ours.cert_der()),
            "the client presented our certificate"
        );
    }
}
