//! Network plumbing shared by the driver's and the ApplicationMaster's gRPC servers.

use tokio::net::{TcpListener, TcpStream};
use tokio_stream::{Stream, StreamExt, wrappers::TcpListenerStream};

/// The connections `listener` accepts, with TCP_NODELAY set. tonic applies its own nodelay
/// setting only to listeners it binds itself; without it, Nagle's algorithm and delayed ACKs
/// hold small gRPC messages (watch events, replies) back by ~40 ms.
pub(crate) fn incoming_nodelay(
    listener: TcpListener,
) -> impl Stream<Item = std::io::Result<TcpStream>> {
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.and_then(|stream| {
            stream.set_nodelay(true)?;
            Ok(stream)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_have_nodelay_set() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let mut incoming = Box::pin(incoming_nodelay(listener));
        let _client = TcpStream::connect(address).await.expect("connect");
        let accepted = incoming
            .next()
            .await
            .expect("a connection")
            .expect("accepted");
        assert!(accepted.nodelay().expect("read the option"));
    }
}
